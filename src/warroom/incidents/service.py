"""Incident use cases: declare, list, show, move through the lifecycle, note, assign, merge.

Every change is one `incident.*` event on the log and one message in the incident's thread
(theme incident-alert / incident-update / incident-resolved / incident-note), so a
subscriber of the channel sees incidents exactly as it sees people's messages.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, or_, select, update

from warroom.channels.acl import Permission
from warroom.channels.service import access, demand, readable_channel_ids, require
from warroom.errors import Conflict, InvalidInput, NotFound
from warroom.events.log import append_event
from warroom.identity.models import Principal
from warroom.incidents.lifecycle import STAMP, Status, move, parse_status, reopen
from warroom.messages.models import MessageIn
from warroom.messages.service import MessageService
from warroom.priority import Priority, PriorityError, parse_priority
from warroom.store.raw import RawSQL, db_json, db_time
from warroom.store.tables import alerts, events, incidents
from warroom.timeutil import iso, utcnow

REF = re.compile(r"^(?:INC-)?(\d+)$", re.IGNORECASE)
THEME_DECLARE = "incident-alert"
THEME_RESOLVE = "incident-resolved"
THEME_UPDATE = "incident-update"
# Themes with which a message in an incident's thread drives the incident (on_message).
INCIDENT_THEMES = frozenset({THEME_DECLARE, THEME_RESOLVE, THEME_UPDATE})

# Built once with a bind parameter: alert ingestion reads incidents by number in the writer thread.
_BY_NUMBER = select(incidents).where(incidents.c.number == bindparam("number"))


# Declaring runs in the writer thread for every new alert group: the insert is raw SQL (see
# store/raw.py) and naming the thread a statement built once; both ran through SQLAlchemy's
# statement construction on every call.
_INSERT_INCIDENT = RawSQL(
    "INSERT INTO incidents (thread_id, title, severity, status, service, channel_id, integration_id, "
    "group_key, labels, summary, created_by, triggered_at, updated_at, reopen_count, alert_count, "
    "firing_count) VALUES (:thread_id, :title, :severity, :status, :service, :channel_id, "
    ":integration_id, :group_key, :labels, :summary, :created_by, :triggered_at, :updated_at, 0, 0, 0) "
    "RETURNING number"
)
_NAME_THREAD = (
    update(incidents)
    .where(incidents.c.number == bindparam("b_number"))
    .values(thread_id=bindparam("b_thread_id"))
    .returning(*incidents.c)
)


def incident_by_number(conn: Connection, number: int) -> Any:
    return conn.execute(_BY_NUMBER, {"number": number}).one()


def incident_ref(number: int) -> str:
    return f"INC-{number}"


def wire(r: Any, now: datetime | None = None) -> dict[str, Any]:
    now = now or utcnow()
    end = r.resolved_at or now
    return {
        "id": incident_ref(int(r.number)),
        "number": int(r.number),
        "thread_id": r.thread_id,
        "title": r.title,
        "severity": f"P{r.severity}",
        "priority": Priority.from_rank(r.severity).value,
        "status": r.status,
        "service": r.service,
        "channel": r.channel_id,
        "integration": r.integration_id,
        "group_key": r.group_key,
        "owner": r.owner,
        "commander": r.commander,
        "labels": r.labels or {},
        "summary": r.summary,
        "created_by": r.created_by,
        "triggered_at": iso(r.triggered_at),
        "acknowledged_at": iso(r.acknowledged_at),
        "investigating_at": iso(r.investigating_at),
        "mitigating_at": iso(r.mitigating_at),
        "resolved_at": iso(r.resolved_at),
        "updated_at": iso(r.updated_at),
        "reopen_count": int(r.reopen_count),
        "merged_into": incident_ref(int(r.merged_into)) if r.merged_into else None,
        "alert_count": int(r.alert_count),
        "firing_count": int(r.firing_count),
        "open_seconds": max(0, int((end - r.triggered_at).total_seconds())),
    }


def alert_wire(a: Any) -> dict[str, Any]:
    return {
        "id": int(a.id),
        "integration": a.integration_id,
        "source": a.source,
        "fingerprint": a.fingerprint,
        "status": a.status,
        "title": a.title,
        "description": a.description,
        "severity": f"P{a.severity}",
        "severity_rule": a.severity_rule,
        "service": a.service,
        "labels": a.labels,
        "annotations": a.annotations,
        "links": a.links,
        "source_key": a.source_key,
        "group_key": a.group_key,
        "incident": incident_ref(int(a.incident_number)) if a.incident_number else None,
        "silenced_by": a.silenced_by,
        "count": int(a.count),
        "starts_at": iso(a.starts_at),
        "ends_at": iso(a.ends_at),
        "first_seen": iso(a.first_seen),
        "last_seen": iso(a.last_seen),
        "resolved_at": iso(a.resolved_at),
    }


def _severity(value: object) -> int:
    try:
        return parse_priority(value).rank
    except PriorityError as exc:
        raise InvalidInput(str(exc).replace("priority", "severity", 1), field="severity") from None


class IncidentService:
    def __init__(self, messages: MessageService) -> None:
        self.messages = messages

    # -- lookups ---------------------------------------------------------------------

    def row(self, conn: Connection, ref: str | int) -> Any:
        """Find by `INC-42`, `42` or the incident's thread id."""
        text = str(ref).strip()
        m = REF.match(text)
        q = select(incidents)
        q = q.where(incidents.c.number == int(m.group(1))) if m else q.where(incidents.c.thread_id == text)
        r = conn.execute(q).first()
        if r is None and m:
            r = conn.execute(select(incidents).where(incidents.c.thread_id == text)).first()
        if r is None:
            raise NotFound(
                f"incident {text!r} does not exist; list incidents with `warroom incident ls` "
                "or GET /api/incidents",
                field="incident",
            )
        return r

    def visible(
        self, conn: Connection, p: Principal, ref: str | int, perm: Permission = Permission.READ
    ) -> Any:
        r = self.row(conn, ref)
        # Someone who may not read the incident's channel must not learn the incident exists,
        # even when the channel itself is listed (private): the same 404 as a wrong number.
        # A reader who may not `perm` (publish) is told so, with how to get it.
        try:
            acc = access(conn, p, r.channel_id)
        except NotFound:
            acc = None
        if acc is None or not acc.can(Permission.READ):
            raise NotFound(f"incident {str(ref)!r} does not exist", field="incident")
        demand(acc, p, perm)
        return r

    def get(self, conn: Connection, p: Principal, ref: str | int) -> dict[str, Any]:
        r = self.visible(conn, p, ref)
        out = wire(r)
        rows = conn.execute(
            select(alerts).where(alerts.c.incident_number == r.number).order_by(alerts.c.id).limit(500)
        ).all()
        out["alerts"] = [alert_wire(a) for a in rows]
        return out

    def list_incidents(
        self,
        conn: Connection,
        p: Principal,
        *,
        status: str | None = "open",
        severity: list[str] | None = None,
        service: str | None = None,
        channel: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 50,
        before: int | None = None,
    ) -> dict[str, Any]:
        """Open incidents worst first by default; `status=all` or a status name widens it."""
        if limit < 1 or limit > 500:
            raise InvalidInput("limit must be between 1 and 500", field="limit")
        chans = readable_channel_ids(conn, p)
        if channel:
            require(conn, p, channel, Permission.READ)
            chans = [channel]
        q = select(incidents).where(incidents.c.channel_id.in_(chans), incidents.c.merged_into.is_(None))
        if status in (None, "", "all"):
            order = [incidents.c.number.desc()]
        elif status == "open":
            q = q.where(incidents.c.status != Status.RESOLVED.value)
            order = [incidents.c.severity.asc(), incidents.c.triggered_at.asc()]
        else:
            try:
                wanted = [parse_status(s).value for s in status.split(",")]
            except ValueError as exc:
                raise InvalidInput(f"{exc}; or use open or all", field="status") from None
            q = q.where(incidents.c.status.in_(wanted))
            order = [incidents.c.number.desc()]
        if severity:
            q = q.where(incidents.c.severity.in_([_severity(s) for s in severity]))
        if service:
            q = q.where(incidents.c.service == service)
        if since:
            q = q.where(incidents.c.triggered_at >= since)
        if until:
            q = q.where(incidents.c.triggered_at < until)
        if before:
            q = q.where(incidents.c.number < before)
        rows = conn.execute(q.order_by(*order).limit(limit + 1)).all()
        now = utcnow()
        return {"items": [wire(r, now) for r in rows[:limit]], "has_more": len(rows) > limit}

    def search(self, conn: Connection, p: Principal, q: str, *, limit: int = 20) -> list[dict[str, Any]]:
        like = f"%{q.strip()}%"
        rows = conn.execute(
            select(incidents)
            .where(
                incidents.c.channel_id.in_(readable_channel_ids(conn, p)),
                or_(
                    incidents.c.title.ilike(like),
                    incidents.c.summary.ilike(like),
                    incidents.c.service.ilike(like),
                ),
            )
            .order_by(incidents.c.number.desc())
            .limit(limit)
        ).all()
        return [wire(r) for r in rows]

    # -- changes -----------------------------------------------------------------------

    def say(
        self,
        conn: Connection,
        p: Principal,
        r: Any,
        *,
        title: str,
        body: str,
        theme: str,
        tags: list[str] | None = None,
        sender_name: str | None = None,
        at: datetime | None = None,
    ) -> dict[str, Any]:
        """The incident's thread message for a change, published as the acting principal."""
        msg = MessageIn(
            title=title[:200],
            body=body,
            priority=Priority.from_rank(r.severity),
            theme=theme,
            tags=[t for t in ["incident", f"p{r.severity}", *(tags or [])] if t],
            thread_id=r.thread_id,
            sender={"user_id": p.id, "name": sender_name or p.name, "role": p.role, "ai_tool": p.ai_tool},
            created_at=at if at and p.acts_as_admin else None,
        )
        return self.messages.publish(conn, p, r.channel_id, msg).message

    def record(self, conn: Connection, kind: str, r: Any, p: Principal, **change: Any) -> dict[str, Any]:
        return self.record_current(conn, kind, incident_by_number(conn, r.number), p, **change)

    def record_current(
        self, conn: Connection, kind: str, fresh: Any, p: Principal, **change: Any
    ) -> dict[str, Any]:
        """`record` for a row the caller read after the incident's last change."""
        data = {"incident": wire(fresh), "by": p.id, "by_name": p.name, **change}
        append_event(conn, kind, data=data, channel_id=fresh.channel_id, thread_id=fresh.thread_id)
        return data["incident"]  # type: ignore[no-any-return]

    def declare(
        self,
        conn: Connection,
        p: Principal,
        *,
        title: str,
        channel: str,
        severity: object = "P2",
        service: str | None = None,
        summary: str = "",
        thread_id: str | None = None,
        labels: dict[str, str] | None = None,
        group_key: str | None = None,
        integration_id: str | None = None,
        at: datetime | None = None,
        announce: bool = True,
        sender_name: str | None = None,
    ) -> dict[str, Any]:
        """Open an incident by hand (or for alerts). Its thread id is INC-n unless given."""
        return self.declare_row(
            conn,
            p,
            title=title,
            channel=channel,
            severity=severity,
            service=service,
            summary=summary,
            thread_id=thread_id,
            labels=labels,
            group_key=group_key,
            integration_id=integration_id,
            at=at,
            announce=announce,
            sender_name=sender_name,
        )[1]

    def declare_row(
        self,
        conn: Connection,
        p: Principal,
        *,
        title: str,
        channel: str,
        severity: object = "P2",
        service: str | None = None,
        summary: str = "",
        thread_id: str | None = None,
        labels: dict[str, str] | None = None,
        group_key: str | None = None,
        integration_id: str | None = None,
        at: datetime | None = None,
        announce: bool = True,
        sender_name: str | None = None,
    ) -> tuple[Any, dict[str, Any]]:
        """`declare`, also giving the incident's row as stored (the `record`ed state)."""
        if not title or not title.strip() or len(title) > 200:
            raise InvalidInput("title must be 1–200 characters", field="title")
        rank = _severity(severity)
        require(conn, p, channel, Permission.PUBLISH)
        if (
            thread_id
            and conn.execute(select(incidents.c.number).where(incidents.c.thread_id == thread_id)).first()
        ):
            raise Conflict(f"thread {thread_id!r} already belongs to an incident", field="thread_id")
        now = at or utcnow()
        number = _INSERT_INCIDENT.execute(
            conn,
            {
                "thread_id": thread_id or f"pending-{uuid.uuid4().hex}",  # becomes INC-n below
                "title": title.strip(),
                "severity": rank,
                "status": Status.TRIGGERED.value,
                "service": service,
                "channel_id": channel,
                "integration_id": integration_id,
                "group_key": group_key,
                "labels": db_json(conn, labels or {}),
                "summary": summary,
                "created_by": p.id,
                "triggered_at": db_time(conn, now),
                "updated_at": db_time(conn, now),
            },
        ).fetchone()[0]
        if not thread_id:
            r = conn.execute(_NAME_THREAD, {"b_number": number, "b_thread_id": incident_ref(number)}).one()
        else:
            r = incident_by_number(conn, number)
        if announce:
            self.say(
                conn,
                p,
                r,
                title=f"🚨 {incident_ref(number)} triggered: {r.title}",
                body=(summary or "")
                + f"\n\n**Severity:** P{rank}"
                + (f"\n**Service:** {service}" if service else ""),
                theme=THEME_DECLARE,
                sender_name=sender_name,
                at=at,
            )
        out = self.record_current(
            conn, "incident.triggered", r, p, reason="declared" if not integration_id else "alerts"
        )
        return r, out

    def set_status(
        self,
        conn: Connection,
        p: Principal,
        ref: str | int,
        target: str,
        *,
        reason: str = "",
        at: datetime | None = None,
    ) -> dict[str, Any]:
        try:
            to = parse_status(target)
        except ValueError as exc:
            raise InvalidInput(str(exc), field="status") from None
        r = self.visible(conn, p, ref, Permission.PUBLISH)
        try:
            m = move(Status(r.status), to)
        except ValueError as exc:
            raise Conflict(str(exc), field="status") from None
        if not m.changed:
            return {**wire(r), "changed": False, "note": m.note}
        now = at or utcnow()
        values: dict[str, Any] = {"status": m.to.value, "updated_at": now}
        stamp = STAMP.get(m.to)
        if stamp and getattr(r, stamp) is None:
            values[stamp] = now
        if m.to is not Status.TRIGGERED and r.acknowledged_at is None:
            values["acknowledged_at"] = now  # any response implies someone acknowledged
        if m.to is Status.ACKNOWLEDGED and not r.owner:
            values["owner"] = p.id
        conn.execute(update(incidents).where(incidents.c.number == r.number).values(**values))
        verb = {"acknowledged": "acknowledged", "resolved": "resolved"}.get(m.to.value, "status_changed")
        icon = {"acknowledged": "👀", "investigating": "🔍", "mitigating": "🛠️", "resolved": "✅"}[m.to.value]
        self.say(
            conn,
            p,
            r,
            title=f"{icon} {incident_ref(r.number)} {m.to.value} by {p.name}",
            body=reason or f"Status: {m.note}",
            theme=THEME_RESOLVE if m.to is Status.RESOLVED else "incident-update",
            tags=[m.to.value],
            at=at,
        )
        out = self.record(
            conn, f"incident.{verb}", r, p, from_status=r.status, to_status=m.to.value, reason=reason
        )
        return {**out, "changed": True, "note": m.note}

    def reopen(self, conn: Connection, p: Principal, ref: str | int, *, reason: str = "") -> dict[str, Any]:
        r = self.visible(conn, p, ref, Permission.PUBLISH)
        m = reopen(Status(r.status))
        if not m.changed:
            return {**wire(r), "changed": False, "note": m.note}
        now = utcnow()
        conn.execute(
            update(incidents)
            .where(incidents.c.number == r.number)
            .values(
                status=Status.TRIGGERED.value,
                resolved_at=None,
                updated_at=now,
                reopen_count=r.reopen_count + 1,
            )
        )
        self.say(
            conn,
            p,
            r,
            title=f"🔁 {incident_ref(r.number)} reopened",
            body=reason or "Reopened.",
            theme="incident-update",
            tags=["reopened"],
        )
        out = self.record(conn, "incident.reopened", r, p, reason=reason)
        return {**out, "changed": True, "note": m.note}

    def note(self, conn: Connection, p: Principal, ref: str | int, text: str) -> dict[str, Any]:
        if not text or not text.strip():
            raise InvalidInput("a note needs text", field="text")
        r = self.visible(conn, p, ref, Permission.PUBLISH)
        first = text.strip().splitlines()[0]
        msg = self.say(conn, p, r, title=f"📝 {first[:150]}", body=text, theme="incident-note")
        self.record(conn, "incident.note_added", r, p, message_id=msg["id"])
        return msg

    def assign(
        self,
        conn: Connection,
        p: Principal,
        ref: str | int,
        *,
        owner: str | None = None,
        commander: str | None = None,
    ) -> dict[str, Any]:
        if owner is None and commander is None:
            raise InvalidInput("give an owner, a commander or both", field="owner")
        r = self.visible(conn, p, ref, Permission.PUBLISH)
        values: dict[str, Any] = {"updated_at": utcnow()}
        if owner is not None:
            values["owner"] = owner or None
        if commander is not None:
            values["commander"] = commander or None
        conn.execute(update(incidents).where(incidents.c.number == r.number).values(**values))
        parts = [
            f"owner: {owner}" if owner is not None else "",
            f"commander: {commander}" if commander is not None else "",
        ]
        self.say(
            conn,
            p,
            r,
            title=f"👤 {incident_ref(r.number)} assigned ({', '.join(x for x in parts if x)})",
            body="",
            theme="incident-update",
            tags=["assigned"],
        )
        return self.record(conn, "incident.assigned", r, p, owner=owner, commander=commander)

    def set_severity(
        self, conn: Connection, p: Principal, ref: str | int, severity: object, *, reason: str = ""
    ) -> dict[str, Any]:
        rank = _severity(severity)
        r = self.visible(conn, p, ref, Permission.PUBLISH)
        if rank == r.severity:
            return {**wire(r), "changed": False, "note": f"already P{rank}"}
        conn.execute(
            update(incidents).where(incidents.c.number == r.number).values(severity=rank, updated_at=utcnow())
        )
        r2 = conn.execute(select(incidents).where(incidents.c.number == r.number)).one()
        self.say(
            conn,
            p,
            r2,
            title=f"⚠️ {incident_ref(r.number)} severity P{r.severity} → P{rank}",
            body=reason,
            theme="incident-update",
            tags=["severity"],
        )
        out = self.record(
            conn,
            "incident.severity_changed",
            r,
            p,
            from_severity=f"P{r.severity}",
            to_severity=f"P{rank}",
            reason=reason,
        )
        return {**out, "changed": True}

    def merge(self, conn: Connection, p: Principal, source: str | int, target: str | int) -> dict[str, Any]:
        """Fold `source` into `target`: its alerts move over, it resolves as a duplicate."""
        s = self.visible(conn, p, source, Permission.PUBLISH)
        t = self.visible(conn, p, target, Permission.PUBLISH)
        if s.number == t.number:
            raise InvalidInput("an incident cannot be merged into itself", field="target")
        if t.merged_into:
            raise Conflict(
                f"{incident_ref(t.number)} was itself merged into {incident_ref(t.merged_into)}; "
                "merge into that one"
            )
        now = utcnow()
        conn.execute(
            update(alerts).where(alerts.c.incident_number == s.number).values(incident_number=t.number)
        )
        conn.execute(
            update(incidents)
            .where(incidents.c.number == t.number)
            .values(
                alert_count=t.alert_count + s.alert_count,
                firing_count=t.firing_count + s.firing_count,
                severity=min(t.severity, s.severity),
                updated_at=now,
            )
        )
        conn.execute(
            update(incidents)
            .where(incidents.c.number == s.number)
            .values(
                merged_into=t.number,
                status=Status.RESOLVED.value,
                resolved_at=s.resolved_at or now,
                alert_count=0,
                firing_count=0,
                updated_at=now,
            )
        )
        self.say(
            conn,
            p,
            s,
            title=f"🔗 {incident_ref(s.number)} merged into {incident_ref(t.number)}",
            body=f"Follow {incident_ref(t.number)} (thread {t.thread_id}).",
            theme="incident-update",
            tags=["merged"],
        )
        self.say(
            conn,
            p,
            t,
            title=f"🔗 {incident_ref(s.number)} merged into {incident_ref(t.number)}",
            body=f"{s.alert_count} alert(s) moved over from {incident_ref(s.number)}: {s.title}",
            theme="incident-update",
            tags=["merged"],
        )
        self.record(conn, "incident.merged", s, p, into=incident_ref(t.number))
        return self.record(conn, "incident.merged", t, p, merged=incident_ref(s.number))

    def timeline(
        self, conn: Connection, p: Principal, ref: str | int, *, limit: int = 1000
    ) -> dict[str, Any]:
        """Everything on the incident's thread, in log order: messages and incident events."""
        r = self.visible(conn, p, ref)
        rows = conn.execute(
            select(events).where(events.c.thread_id == r.thread_id).order_by(events.c.id).limit(limit + 1)
        ).all()
        items = []
        for e in rows[:limit]:
            item: dict[str, Any] = {"id": int(e.id), "ts": iso(e.ts), "kind": e.kind}
            if e.kind == "message.published":
                item["message"] = {"id": int(e.id), **e.data}
                item["ts"] = e.data.get("created_at") or item["ts"]
            else:
                snapshot = e.data.get("incident")
                if isinstance(snapshot, dict):  # incident.* events carry the incident as it became
                    item["data"] = {k: v for k, v in e.data.items() if k != "incident"}
                    item["status"] = snapshot.get("status")
                else:
                    item["data"] = e.data
            items.append(item)
        return {"incident": wire(r), "items": items, "has_more": len(rows) > limit}

    # -- messages that drive incidents (the seed's workflow) ------------------------------

    def on_message(
        self, conn: Connection, p: Principal, msg: dict[str, Any], *, incident_channel: bool
    ) -> None:
        """theme incident-alert declares an incident for the thread; incident-resolved resolves it."""
        theme, thread = msg.get("theme"), msg.get("thread_id")
        if not thread or not incident_channel:
            return
        if theme == THEME_UPDATE:
            self._follow_status_tags(conn, p, msg, thread)
            return
        if theme not in (THEME_DECLARE, THEME_RESOLVE):
            return
        existing = conn.execute(select(incidents).where(incidents.c.thread_id == thread)).first()
        at = datetime.fromisoformat(msg["created_at"].replace("Z", "+00:00"))
        if theme == THEME_DECLARE and existing is None:
            self.declare(
                conn,
                p,
                title=msg["title"],
                channel=msg["channel"],
                severity=msg["priority"],
                summary=msg.get("body", "")[:2000],
                thread_id=thread,
                at=at,
                announce=False,
            )
        elif theme == THEME_RESOLVE and existing is not None and existing.status != Status.RESOLVED.value:
            self._resolve_quietly(conn, p, existing, at=at, reason=msg["title"])

    def _follow_status_tags(self, conn: Connection, p: Principal, msg: dict[str, Any], thread: str) -> None:
        """An incident-update tagged acknowledged/investigating/mitigating moves the incident."""
        tags = set(msg.get("tags") or ())
        target = next(
            (s for s in (Status.MITIGATING, Status.INVESTIGATING, Status.ACKNOWLEDGED) if s.value in tags),
            None,
        )
        r = conn.execute(select(incidents).where(incidents.c.thread_id == thread)).first()
        if target is None or r is None:
            return
        try:
            m = move(Status(r.status), target)
        except ValueError:
            return  # e.g. already resolved: a late update never reopens anything
        if not m.changed:
            return
        at = datetime.fromisoformat(msg["created_at"].replace("Z", "+00:00"))
        values: dict[str, Any] = {"status": m.to.value, "updated_at": at}
        stamp = STAMP.get(m.to)
        if stamp and getattr(r, stamp) is None:
            values[stamp] = at
        if r.acknowledged_at is None:
            values["acknowledged_at"] = at
        if not r.owner:
            values["owner"] = p.id if p.id != "local" else (msg.get("sender") or {}).get("user_id")
        conn.execute(update(incidents).where(incidents.c.number == r.number).values(**values))
        self.record(
            conn,
            "incident.status_changed",
            r,
            p,
            from_status=r.status,
            to_status=m.to.value,
            reason=f"message {msg['id']}: {msg['title']}",
            by_message=msg["id"],
        )

    def _resolve_quietly(self, conn: Connection, p: Principal, r: Any, *, at: datetime, reason: str) -> None:
        """Resolve without a second thread message: the triggering message already says it."""
        values: dict[str, Any] = {"status": Status.RESOLVED.value, "resolved_at": at, "updated_at": at}
        if r.acknowledged_at is None:
            values["acknowledged_at"] = at
        conn.execute(update(incidents).where(incidents.c.number == r.number).values(**values))
        self.record(
            conn, "incident.resolved", r, p, from_status=r.status, to_status="resolved", reason=reason
        )


_OPEN_FOR_GROUP = (
    select(incidents)
    .where(
        incidents.c.group_key == bindparam("group_key"),
        incidents.c.status != Status.RESOLVED.value,
        incidents.c.merged_into.is_(None),
    )
    .order_by(incidents.c.number.desc())
    .limit(1)
)
_LAST_RESOLVED_FOR_GROUP = (
    select(incidents)
    .where(
        incidents.c.group_key == bindparam("group_key"),
        incidents.c.status == Status.RESOLVED.value,
        incidents.c.merged_into.is_(None),
    )
    .order_by(incidents.c.resolved_at.desc())
    .limit(1)
)


def open_incident_for_group(conn: Connection, group_key: str) -> Any:
    return conn.execute(_OPEN_FOR_GROUP, {"group_key": group_key}).first()


def last_resolved_for_group(conn: Connection, group_key: str) -> Any:
    return conn.execute(_LAST_RESOLVED_FOR_GROUP, {"group_key": group_key}).first()
