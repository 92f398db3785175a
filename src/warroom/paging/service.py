"""Paging use cases: people and their contact methods, schedules, policies, routes, pages.

The pure rules (rotations, escalation timing, routing, personal rules) live beside this
module; this one stores their inputs and turns a page into deliveries in the outbox.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import ValidationError
from sqlalchemy import Connection, delete, insert, select, update

from warroom.delivery.outbox import KINDS, enqueue
from warroom.delivery.safety import check_destination, host_of
from warroom.errors import Forbidden, InvalidInput, NotFound
from warroom.identity.models import Principal
from warroom.paging.escalation import EscalationPolicy
from warroom.paging.ical import export_ical
from warroom.paging.routing import Route, choose_route
from warroom.paging.rules import NotificationRule, UserNotificationRules, notifications_for
from warroom.paging.schedules import Override, Schedule, on_call_at, shifts_between
from warroom.priority import Priority
from warroom.store.tables import (
    contact_methods,
    escalation_policies,
    escalation_routes,
    paging_profiles,
    principals,
    schedule_overrides,
    schedules,
)
from warroom.timeutil import iso, utcnow

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


def _admin(p: Principal) -> None:
    if not p.acts_as_admin:
        raise Forbidden("this needs an admin token")


def _self_or_admin(p: Principal, user_id: str) -> None:
    if p.id != user_id and not p.acts_as_admin:
        raise Forbidden(f"only {user_id} or an admin may change {user_id}'s paging settings")


def _slug(value: str, what: str) -> str:
    if not SLUG.match(value):
        raise InvalidInput(f"{what} id {value!r} must be lowercase letters, digits and '-'", field="id")
    return value


def _invalid(exc: ValidationError, field: str) -> InvalidInput:
    first = exc.errors()[0]
    loc = ".".join(str(x) for x in first.get("loc", ()))
    return InvalidInput(f"{field}{'.' + loc if loc else ''}: {first.get('msg')}", field=field)


def contact_wire(r: Any, *, with_secret: bool = False) -> dict[str, Any]:
    target = r.target
    if r.kind in ("pagerduty", "opsgenie"):
        target = target[:4] + "…"  # routing and API keys are secrets
    out = {
        "id": r.id,
        "user": r.principal_id,
        "kind": r.kind,
        "label": r.label,
        "target": target,
        "options": r.options,
        "created_at": iso(r.created_at),
    }
    if with_secret and r.secret:
        out["secret"] = r.secret
    return out


class PagingService:
    def __init__(self, *, allowlist: list[str], base_url: str) -> None:
        self.allowlist = allowlist
        self.base_url = base_url

    # -- people ---------------------------------------------------------------------------

    def _principal(self, conn: Connection, user_id: str) -> Any:
        row = conn.execute(select(principals).where(principals.c.id == user_id)).first()
        if row is None:
            raise NotFound(
                f"user {user_id!r} does not exist; create it with `warroom user set {user_id}`", field="user"
            )
        return row

    def set_profile(
        self,
        conn: Connection,
        actor: Principal,
        user_id: str,
        *,
        name: str | None = None,
        email: str | None = None,
        time_zone: str | None = None,
        rules: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        _self_or_admin(actor, user_id)
        if conn.execute(select(principals.c.id).where(principals.c.id == user_id)).first() is None:
            _admin(actor)
            conn.execute(
                insert(principals).values(
                    id=user_id,
                    name=name or user_id,
                    kind="user",
                    groups=[],
                    is_admin=False,
                    email=email,
                    created_at=utcnow(),
                )
            )
        elif name or email:
            conn.execute(
                update(principals)
                .where(principals.c.id == user_id)
                .values(**{k: v for k, v in {"name": name, "email": email}.items() if v})
            )
        if time_zone:
            try:
                ZoneInfo(time_zone)
            except (ZoneInfoNotFoundError, ValueError):
                raise InvalidInput(
                    f"time zone {time_zone!r} is not known; use an IANA name like Europe/Berlin",
                    field="time_zone",
                ) from None
        parsed_rules = None
        if rules is not None:
            try:
                parsed_rules = UserNotificationRules.model_validate(rules)
            except ValidationError as exc:
                raise _invalid(exc, "rules") from None
            mine = {
                r.id
                for r in conn.execute(
                    select(contact_methods.c.id).where(contact_methods.c.principal_id == user_id)
                )
            }
            for rule in (*parsed_rules.important, *parsed_rules.other):
                if rule.contact_method_id not in mine:
                    raise InvalidInput(
                        f"rule names contact method {rule.contact_method_id!r}, which is not {user_id}'s",
                        field="rules",
                    )
        existing = conn.execute(
            select(paging_profiles).where(paging_profiles.c.principal_id == user_id)
        ).first()
        values = {
            "time_zone": time_zone or (existing.time_zone if existing else "UTC"),
            "rules": parsed_rules.model_dump(mode="json")
            if parsed_rules
            else (existing.rules if existing else {}),
            "updated_at": utcnow(),
        }
        if existing is None:
            conn.execute(insert(paging_profiles).values(principal_id=user_id, **values))
        else:
            conn.execute(
                update(paging_profiles).where(paging_profiles.c.principal_id == user_id).values(**values)
            )
        return self.get_user(conn, user_id)

    def get_user(self, conn: Connection, user_id: str) -> dict[str, Any]:
        r = self._principal(conn, user_id)
        prof = conn.execute(select(paging_profiles).where(paging_profiles.c.principal_id == user_id)).first()
        contacts = conn.execute(
            select(contact_methods)
            .where(contact_methods.c.principal_id == user_id)
            .order_by(contact_methods.c.created_at)
        ).all()
        return {
            "id": r.id,
            "name": r.name,
            "email": r.email,
            "role": r.role,
            "time_zone": prof.time_zone if prof else "UTC",
            "rules": prof.rules if prof else {},
            "contacts": [contact_wire(c) for c in contacts],
        }

    def list_users(self, conn: Connection) -> list[dict[str, Any]]:
        ids = [
            r.id
            for r in conn.execute(
                select(principals.c.id).where(principals.c.kind == "user").order_by(principals.c.id)
            )
        ]
        return [self.get_user(conn, i) for i in ids]

    def add_contact(
        self,
        conn: Connection,
        actor: Principal,
        user_id: str,
        *,
        kind: str,
        target: str,
        label: str = "",
        options: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        _self_or_admin(actor, user_id)
        self._principal(conn, user_id)
        if kind not in KINDS:
            raise InvalidInput(f"kind {kind!r} is not valid; use {', '.join(KINDS)}", field="kind")
        if not target.strip():
            raise InvalidInput("target must not be empty", field="target")
        if kind == "webhook":
            if not target.startswith(("http://", "https://")):
                raise InvalidInput("a webhook target must be an http(s) URL", field="target")
            check_destination(target, self.allowlist)
        if kind == "apprise":
            import apprise

            if apprise.Apprise.instantiate(target) is None:
                raise InvalidInput(
                    f"{target.split(':', 1)[0]}:// is not an Apprise URL Apprise understands; see "
                    "https://github.com/caronc/apprise/wiki for slack://, ntfy://, mailto://, msteams:// …",
                    field="target",
                )
            if target.startswith(("json://", "jsons://", "form://", "forms://", "xml://", "xmls://")):
                check_destination("http://" + target.split("://", 1)[1], self.allowlist)
        cid = "cm_" + secrets.token_hex(6)
        conn.execute(
            insert(contact_methods).values(
                id=cid,
                principal_id=user_id,
                kind=kind,
                label=label or kind,
                target=target.strip(),
                secret="whsec_" + secrets.token_urlsafe(24) if kind == "webhook" else None,
                options=options or {},
                created_at=utcnow(),
            )
        )
        row = conn.execute(select(contact_methods).where(contact_methods.c.id == cid)).one()
        return contact_wire(row, with_secret=True)

    def delete_contact(self, conn: Connection, actor: Principal, contact_id: str) -> dict[str, Any]:
        row = conn.execute(select(contact_methods).where(contact_methods.c.id == contact_id)).first()
        if row is None:
            raise NotFound(f"contact method {contact_id!r} does not exist", field="contact")
        _self_or_admin(actor, row.principal_id)
        conn.execute(delete(contact_methods).where(contact_methods.c.id == contact_id))
        return {"id": contact_id, "deleted": True}

    def _contact(self, conn: Connection, contact_id: str) -> Any:
        row = conn.execute(select(contact_methods).where(contact_methods.c.id == contact_id)).first()
        if row is None:
            raise NotFound(f"contact method {contact_id!r} does not exist", field="contact")
        return row

    def test_contact(self, conn: Connection, actor: Principal, contact_id: str) -> dict[str, Any]:
        row = self._contact(conn, contact_id)
        _self_or_admin(actor, row.principal_id)
        payload = {
            "kind": "test",
            "title": "warroom test notification",
            "body": f"If you can read this, {row.label} reaches you.",
            "priority": "low",
            "dedup_key": f"test-{secrets.token_hex(4)}",
            "action": "trigger",
        }
        did = enqueue(
            conn,
            dedup_key=f"test:{contact_id}:{secrets.token_hex(6)}",
            kind=row.kind,
            destination=destination_of(row),
            payload=payload,
            principal_id=row.principal_id,
            contact_method_id=row.id,
        )
        return {"delivery": did, "contact": contact_id}

    # -- schedules -----------------------------------------------------------------------

    def put_schedule(
        self, conn: Connection, actor: Principal, schedule_id: str, *, name: str, layers: list[dict[str, Any]]
    ) -> dict[str, Any]:
        _admin(actor)
        _slug(schedule_id, "schedule")
        try:
            model = Schedule.model_validate({"id": schedule_id, "name": name, "layers": layers})
        except ValidationError as exc:
            raise _invalid(exc, "layers") from None
        now = utcnow()
        data = [layer.model_dump(mode="json") for layer in model.layers]
        if conn.execute(select(schedules.c.id).where(schedules.c.id == schedule_id)).first():
            conn.execute(
                update(schedules)
                .where(schedules.c.id == schedule_id)
                .values(name=name, layers=data, updated_at=now)
            )
        else:
            conn.execute(
                insert(schedules).values(
                    id=schedule_id, name=name, layers=data, created_at=now, updated_at=now
                )
            )
        return self.get_schedule(conn, schedule_id)

    def schedule_model(self, conn: Connection, schedule_id: str) -> Schedule:
        row = conn.execute(select(schedules).where(schedules.c.id == schedule_id)).first()
        if row is None:
            raise NotFound(
                f"schedule {schedule_id!r} does not exist; `warroom schedule ls` lists them", field="schedule"
            )
        overrides = conn.execute(
            select(schedule_overrides)
            .where(schedule_overrides.c.schedule_id == schedule_id)
            .order_by(schedule_overrides.c.created_at)
        ).all()
        return Schedule(
            id=row.id,
            name=row.name,
            layers=row.layers,
            overrides=tuple(
                Override(id=o.id, user_id=o.user_id, start=o.starts_at, end=o.ends_at) for o in overrides
            ),
        )

    def get_schedule(self, conn: Connection, schedule_id: str) -> dict[str, Any]:
        m = self.schedule_model(conn, schedule_id)
        now = utcnow()
        return {
            "id": m.id,
            "name": m.name,
            "layers": [layer.model_dump(mode="json") for layer in m.layers],
            "overrides": [o.model_dump(mode="json") for o in m.overrides],
            "on_call_now": [s.user_id for s in on_call_at(m, now) if s.user_id],
        }

    def list_schedules(self, conn: Connection) -> list[dict[str, Any]]:
        return [
            self.get_schedule(conn, r.id)
            for r in conn.execute(select(schedules.c.id).order_by(schedules.c.id))
        ]

    def delete_schedule(self, conn: Connection, actor: Principal, schedule_id: str) -> dict[str, Any]:
        _admin(actor)
        self.schedule_model(conn, schedule_id)
        conn.execute(delete(schedule_overrides).where(schedule_overrides.c.schedule_id == schedule_id))
        conn.execute(delete(schedules).where(schedules.c.id == schedule_id))
        return {"id": schedule_id, "deleted": True}

    def add_override(
        self,
        conn: Connection,
        actor: Principal,
        schedule_id: str,
        *,
        user_id: str,
        start: datetime,
        end: datetime,
    ) -> dict[str, Any]:
        if actor.id != user_id:
            _admin(actor)
        self.schedule_model(conn, schedule_id)
        self._principal(conn, user_id)
        if start.tzinfo is None or end.tzinfo is None or end <= start:
            raise InvalidInput("an override needs aware start < end (e.g. 2026-11-24T09:00:00Z)", field="end")
        oid = "ovr_" + secrets.token_hex(5)
        conn.execute(
            insert(schedule_overrides).values(
                id=oid,
                schedule_id=schedule_id,
                user_id=user_id,
                starts_at=start,
                ends_at=end,
                created_by=actor.id,
                created_at=utcnow(),
            )
        )
        return {"id": oid, "schedule": schedule_id, "user": user_id, "start": iso(start), "end": iso(end)}

    def delete_override(self, conn: Connection, actor: Principal, override_id: str) -> dict[str, Any]:
        _admin(actor)
        conn.execute(delete(schedule_overrides).where(schedule_overrides.c.id == override_id))
        return {"id": override_id, "deleted": True}

    def on_call(
        self, conn: Connection, *, schedule_id: str | None = None, at: datetime | None = None
    ) -> list[dict[str, Any]]:
        at = at or utcnow()
        ids = (
            [schedule_id]
            if schedule_id
            else [r.id for r in conn.execute(select(schedules.c.id).order_by(schedules.c.id))]
        )
        names = {r.id: r.name for r in conn.execute(select(principals.c.id, principals.c.name))}
        out = []
        for sid in ids:
            m = self.schedule_model(conn, sid)
            for s in on_call_at(m, at):
                if s.user_id:
                    out.append(
                        {
                            "schedule": sid,
                            "schedule_name": m.name,
                            "user": s.user_id,
                            "name": names.get(s.user_id, s.user_id),
                            "from": iso(s.start),
                            "until": iso(s.end),
                            "source": s.kind.value,
                        }
                    )
        return out

    def shifts(
        self, conn: Connection, schedule_id: str, start: datetime, end: datetime
    ) -> list[dict[str, Any]]:
        if end <= start or end - start > timedelta(days=366):
            raise InvalidInput("give a range of at most a year with start < end", field="end")
        m = self.schedule_model(conn, schedule_id)
        return [s.model_dump(mode="json") for s in shifts_between(m, start, end)]

    def ical(self, conn: Connection, schedule_id: str, start: datetime, end: datetime) -> str:
        m = self.schedule_model(conn, schedule_id)
        names = {r.id: r.name for r in conn.execute(select(principals.c.id, principals.c.name))}
        return export_ical(m, start, end, generated_at=utcnow(), names=names)

    # -- policies and routes ------------------------------------------------------------------

    def put_policy(
        self,
        conn: Connection,
        actor: Principal,
        policy_id: str,
        *,
        name: str,
        levels: list[dict[str, Any]],
        repeat: int = 0,
    ) -> dict[str, Any]:
        _admin(actor)
        _slug(policy_id, "policy")
        try:
            model = EscalationPolicy.model_validate(
                {"id": policy_id, "name": name, "levels": levels, "repeat": repeat}
            )
        except ValidationError as exc:
            raise _invalid(exc, "levels") from None
        data = [lvl.model_dump(mode="json") for lvl in model.levels]
        now = utcnow()
        if conn.execute(
            select(escalation_policies.c.id).where(escalation_policies.c.id == policy_id)
        ).first():
            conn.execute(
                update(escalation_policies)
                .where(escalation_policies.c.id == policy_id)
                .values(name=name, levels=data, repeat=repeat, updated_at=now)
            )
        else:
            conn.execute(
                insert(escalation_policies).values(
                    id=policy_id, name=name, levels=data, repeat=repeat, created_at=now, updated_at=now
                )
            )
        return self.get_policy(conn, policy_id)

    def policy_model(self, conn: Connection, policy_id: str) -> EscalationPolicy:
        row = conn.execute(select(escalation_policies).where(escalation_policies.c.id == policy_id)).first()
        if row is None:
            raise NotFound(
                f"escalation policy {policy_id!r} does not exist; `warroom policy ls` lists them",
                field="policy",
            )
        return EscalationPolicy(id=row.id, name=row.name, levels=row.levels, repeat=row.repeat)

    def get_policy(self, conn: Connection, policy_id: str) -> dict[str, Any]:
        m = self.policy_model(conn, policy_id)
        out: dict[str, Any] = m.model_dump(mode="json")
        out["routes"] = [r for r in self.list_routes(conn) if r["policy"] == policy_id]
        return out

    def list_policies(self, conn: Connection) -> list[dict[str, Any]]:
        return [
            self.get_policy(conn, r.id)
            for r in conn.execute(select(escalation_policies.c.id).order_by(escalation_policies.c.id))
        ]

    def delete_policy(self, conn: Connection, actor: Principal, policy_id: str) -> dict[str, Any]:
        _admin(actor)
        self.policy_model(conn, policy_id)
        conn.execute(delete(escalation_routes).where(escalation_routes.c.policy_id == policy_id))
        conn.execute(delete(escalation_policies).where(escalation_policies.c.id == policy_id))
        return {"id": policy_id, "deleted": True}

    def add_route(
        self,
        conn: Connection,
        actor: Principal,
        policy_id: str,
        *,
        service: str | None = None,
        integration: str | None = None,
        channel: str | None = None,
        severities: list[str] | None = None,
    ) -> dict[str, Any]:
        _admin(actor)
        self.policy_model(conn, policy_id)
        try:
            route = Route(
                policy_id=policy_id,
                service=service,
                integration=integration,
                channel=channel,
                severities=frozenset(severities) if severities else None,
            )
        except ValidationError as exc:
            raise _invalid(exc, "severities") from None
        rid = "rt_" + secrets.token_hex(5)
        position = len(conn.execute(select(escalation_routes.c.id)).all())
        conn.execute(
            insert(escalation_routes).values(
                id=rid,
                policy_id=policy_id,
                service=service,
                integration=integration,
                channel=channel,
                severities=sorted(p.severity for p in route.severities) if route.severities else None,
                position=position,
            )
        )
        return {
            "id": rid,
            "policy": policy_id,
            "service": service,
            "integration": integration,
            "channel": channel,
            "severities": sorted(p.severity for p in route.severities) if route.severities else None,
        }

    def list_routes(self, conn: Connection) -> list[dict[str, Any]]:
        return [
            {
                "id": r.id,
                "policy": r.policy_id,
                "service": r.service,
                "integration": r.integration,
                "channel": r.channel,
                "severities": r.severities,
            }
            for r in conn.execute(select(escalation_routes).order_by(escalation_routes.c.position))
        ]

    def delete_route(self, conn: Connection, actor: Principal, route_id: str) -> dict[str, Any]:
        _admin(actor)
        conn.execute(delete(escalation_routes).where(escalation_routes.c.id == route_id))
        return {"id": route_id, "deleted": True}

    def route_for(
        self,
        conn: Connection,
        *,
        service: str | None,
        integration: str | None,
        channel: str | None,
        priority: Priority,
    ) -> EscalationPolicy | None:
        routes = [
            Route(
                policy_id=r.policy_id,
                service=r.service,
                integration=r.integration,
                channel=r.channel,
                severities=frozenset(r.severities) if r.severities else None,
            )
            for r in conn.execute(select(escalation_routes).order_by(escalation_routes.c.position))
        ]
        chosen = choose_route(
            routes, service=service, integration=integration, channel=channel, priority=priority
        )
        return self.policy_model(conn, chosen.policy_id) if chosen else None

    # -- paging ---------------------------------------------------------------------------------

    def page_user(
        self,
        conn: Connection,
        user_id: str,
        *,
        priority: Priority,
        payload: dict[str, Any],
        dedup_prefix: str,
        at: datetime,
        incident_number: int | None = None,
        thread_id: str | None = None,
        channel_id: str | None = None,
    ) -> list[str]:
        """Queue the user's notifications for one page, following their personal rules."""
        self._principal(conn, user_id)
        prof = conn.execute(select(paging_profiles).where(paging_profiles.c.principal_id == user_id)).first()
        contacts = {
            c.id: c
            for c in conn.execute(select(contact_methods).where(contact_methods.c.principal_id == user_id))
        }
        rules = UserNotificationRules.model_validate(prof.rules) if prof and prof.rules else None
        if rules is None or not rules.rules_for(priority):
            # No rules: every contact method, at once. Paging nobody is never the default.
            rules = UserNotificationRules(
                important=tuple(NotificationRule(contact_method_id=c) for c in contacts),
                other=tuple(NotificationRule(contact_method_id=c) for c in contacts),
                important_priorities=frozenset(Priority),
            )
        queued = []
        for i, n in enumerate(notifications_for(rules, priority, at)):
            c = contacts.get(n.contact_method_id)
            if c is None:
                continue
            did = enqueue(
                conn,
                dedup_key=f"{dedup_prefix}:{user_id}:{c.id}:{i}",
                kind=c.kind,
                destination=destination_of(c),
                payload={**payload, "recipient": user_id},
                not_before=n.due_at,
                incident_number=incident_number,
                thread_id=thread_id,
                channel_id=channel_id,
                principal_id=user_id,
                contact_method_id=c.id,
            )
            if did:
                queued.append(did)
        return queued


def destination_of(c: Any) -> str:
    """The circuit-breaker key of a contact method: one per receiving service."""
    if c.kind in ("webhook",):
        return f"webhook:{host_of(c.target)}"
    if c.kind == "apprise":
        scheme, _, rest = c.target.partition("://")
        return f"apprise:{scheme}:{rest.split('/', 1)[0].split('@')[-1]}"
    return str(c.kind)
