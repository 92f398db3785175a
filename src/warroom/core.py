"""The core: one object holding the store, the hub and the services every door calls.

Doors hold no rules: they parse input, call one of these methods with the principal they
resolved, and render the result. Each method runs one use case in one transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from datetime import datetime
from functools import partial
from typing import Any

import orjson
from sqlalchemy import Connection, insert, select, update

from warroom.alerts.errors import PayloadError
from warroom.alerts.ingest import IngestResult, IngestService
from warroom.alerts.integrations import IntegrationService, authenticate_webhook
from warroom.alerts.normalizers import normalize
from warroom.alerts.silence_service import SilenceService
from warroom.channels.acl import Permission
from warroom.channels.service import ChannelService, access
from warroom.config import Settings
from warroom.delivery.breaker import CircuitBreaker
from warroom.delivery.outbox import delivery_wire, enqueue
from warroom.delivery.senders import Endpoints
from warroom.delivery.worker import DeliveryWorker, Policy
from warroom.errors import Conflict, Forbidden, InvalidInput, NotFound
from warroom.events.hub import Hub
from warroom.events.log import Event
from warroom.identity.models import LOCAL, Principal
from warroom.identity.service import IdentityService
from warroom.incidents.service import INCIDENT_THEMES, IncidentService
from warroom.intelligence.door import IntelDoor
from warroom.intelligence.knowledge import KnowledgeService
from warroom.intelligence.pipeline import Pipeline
from warroom.intelligence.service import IntelligenceService
from warroom.messages.filters import MessageFilter, filter_from_dict
from warroom.messages.models import MessageIn
from warroom.messages.retention import apply_retention
from warroom.messages.search_index import SearchIndexer
from warroom.messages.service import Limits, MessageService, Published
from warroom.paging.clock import EscalationClock
from warroom.paging.service import PagingService, destination_of
from warroom.priority import PriorityError, parse_priority
from warroom.store.database import Database, memoized
from warroom.store.migrate import upgrade
from warroom.store.raw import RawSQL
from warroom.store.tables import contact_methods, webhook_deliveries
from warroom.store.tables import deliveries as deliveries_table
from warroom.store.tables import integrations as integrations_table
from warroom.subscriptions.service import SubscriptionService
from warroom.timeutil import utcnow

log = logging.getLogger("warroom")


class Core:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.db = Database(settings.effective_database_url, sqlite_synchronous=settings.sqlite_synchronous)
        self.hub = Hub(
            self.db, buffer=settings.stream_buffer_events, poll_seconds=settings.stream_poll_seconds
        )
        self.identity = IdentityService(self.db)
        self.channels = ChannelService()
        self.messages = MessageService(
            Limits(
                max_body_chars=settings.max_body_chars,
                max_tags=settings.max_tags,
                max_tag_length=settings.max_tag_length,
                max_links=settings.max_links,
                max_actions=settings.max_actions,
            )
        )
        self.subscriptions = SubscriptionService()
        self.incidents = IncidentService(self.messages)
        self.integrations = IntegrationService(self.channels, settings.base_url)
        self.silences = SilenceService()
        self.ingest = IngestService(self.incidents, self.silences)
        self.paging = PagingService(allowlist=settings.outbound_allowlist, base_url=settings.base_url)
        self.clock = EscalationClock(
            self.db, self.paging, self.incidents, poll_seconds=settings.clock_poll_seconds
        )
        self.breaker = CircuitBreaker(settings.circuit_failures, settings.circuit_cooldown_seconds)
        self.worker = DeliveryWorker(
            self.db,
            policy=Policy(
                max_attempts=settings.delivery_max_attempts,
                backoff_base=settings.delivery_backoff_seconds,
                backoff_cap=settings.delivery_backoff_cap_seconds,
            ),
            allowlist=settings.outbound_allowlist,
            endpoints=Endpoints(settings.pagerduty_events_url, settings.opsgenie_api_url),
            breaker=self.breaker,
            poll_seconds=settings.delivery_poll_seconds,
            lease_seconds=settings.delivery_lease_seconds,
        )
        self.pager = PagingDoor(self)
        self.knowledge = KnowledgeService()
        self.intel = IntelligenceService(self.incidents, self.messages, self.paging, self.knowledge)
        self.pipeline = Pipeline(self.db, self.intel)
        self.search_index = SearchIndexer(self.db, self.hub)
        self.intel_door = IntelDoor(self)
        self._started = False
        self._migrated = False
        self._revision = ""
        self._tasks: list[asyncio.Task[None]] = []

    # -- lifecycle ---------------------------------------------------------------

    def migrate(self) -> str:
        if self._migrated:
            return self._revision
        revision = upgrade(self.db)
        self.db.write_sync(
            lambda c: (
                self.identity.ensure_principal(c, LOCAL.id, name=LOCAL.name, is_admin=True),
                self.identity.ensure_principal(c, "warroom", name="warroom", kind="bot", is_admin=True),
            )
        )
        self._migrated, self._revision = True, revision
        return revision

    async def start(self, *, migrate: bool = True) -> None:
        if self._started:
            return
        if migrate:
            self.migrate()
        self.db.start()
        await self.hub.start()
        self._tasks.append(asyncio.create_task(self._retention_loop(), name="warroom-retention"))
        self._tasks.append(asyncio.create_task(self._staleness_loop(), name="warroom-staleness"))
        self.hub.subscribe(self.clock.on_events)
        self.hub.subscribe(self._mirror_outbound)
        self.hub.subscribe(self.pipeline.on_events)
        self._tasks.append(asyncio.create_task(self.pipeline.run(), name="warroom-analysis"))
        self._tasks.append(asyncio.create_task(self.clock.run(), name="warroom-clock"))
        self._tasks.append(asyncio.create_task(self.worker.run(), name="warroom-delivery"))
        self._tasks.append(asyncio.create_task(self.search_index.run(), name="warroom-search-index"))
        self._started = True

    async def stop(self) -> None:
        for task in list(self._tasks):
            # Cancel until it ends: on Python 3.11 asyncio.wait_for can swallow a cancel that
            # lands just as the awaited event fires, and a `while True` loop then carries on.
            while not task.done():
                task.cancel()
                await asyncio.wait({task}, timeout=1.0)
            with contextlib.suppress(asyncio.CancelledError, Exception):
                task.result()
        self._tasks.clear()
        await self.hub.stop()
        self.db.close()
        self._started = False

    async def apply_retention(self) -> list[dict[str, Any]]:
        return await self.db.write(apply_retention)

    async def _retention_loop(self) -> None:
        while True:
            try:
                while await self.apply_retention():
                    pass  # a channel had more than one batch to trim
            except Exception:
                log.exception("retention pass failed; will retry")
            await asyncio.sleep(self.settings.retention_interval_seconds)

    async def resolve_stale_alerts(self) -> list[str]:
        """One pass: resolve alerts whose integration set `stale_after_seconds`."""
        resolved: list[str] = []
        ids = await self.db.read(lambda c: [r.id for r in c.execute(select(integrations_table.c.id))])
        for integration_id in ids:
            integ = await self.db.read(partial(self.integrations.load, integration_id=integration_id))
            if integ.settings.stale_after_seconds:
                result = await self.db.write(partial(self.ingest.resolve_stale, integ=integ))
                resolved += result.incidents_resolved
        return resolved

    async def _staleness_loop(self) -> None:
        while True:
            await asyncio.sleep(self.settings.staleness_interval_seconds)
            try:
                await self.resolve_stale_alerts()
            except Exception:
                log.exception("staleness pass failed; will retry")

    # -- identity ------------------------------------------------------------------

    async def authenticate(self, token: str) -> Principal:
        return await self.db.read(lambda c: self.identity.authenticate_sync(c, token))

    async def has_tokens(self) -> bool:
        """Whether bearer auth is required: any token not revoked, even an expired one."""
        return await self.db.read(self.identity.count_unrevoked_tokens) > 0

    # -- channels ------------------------------------------------------------------

    async def create_channel(self, p: Principal, channel_id: str, **kw: Any) -> dict[str, Any]:
        return await self.db.write(lambda c: self.channels.create(c, p, channel_id=channel_id, **kw))

    async def list_channels(self, p: Principal, *, include_archived: bool = False) -> list[dict[str, Any]]:
        return await self.db.read(
            lambda c: self.channels.list_visible(c, p, include_archived=include_archived)
        )

    async def get_channel(self, p: Principal, channel_id: str) -> dict[str, Any]:
        return await self.db.read(lambda c: self.channels.get(c, p, channel_id))

    async def update_channel(self, p: Principal, channel_id: str, patch: dict[str, Any]) -> dict[str, Any]:
        return await self.db.write(lambda c: self.channels.update(c, p, channel_id, patch))

    # -- messages ------------------------------------------------------------------

    def _publish_tx(self, conn: Connection, p: Principal, channel_id: str, msg: MessageIn) -> Published:
        """Publish, then let the message drive its incident (the seed's themed workflow)."""
        published = self.messages.publish(conn, p, channel_id, msg)
        if published.created:
            self._page_subscribers(conn, published.message)
        if published.created and msg.theme in INCIDENT_THEMES and msg.thread_id:
            enabled = access(conn, p, channel_id).incident_enabled
            self.incidents.on_message(conn, p, published.message, incident_channel=enabled)
        return published

    def _page_subscribers(self, conn: Connection, message: dict[str, Any]) -> None:
        """Subscriptions that name contact methods page them, in the publish's transaction."""
        channel = message["channel"]
        rows = memoized(
            conn,
            ("paging subscriptions", channel),
            lambda: _PAGING_SUBSCRIPTIONS.execute(conn, {"channel": channel}).fetchall(),
        )
        for sub_id, principal_id, filters, delivery in rows:
            targets = orjson.loads(delivery) if isinstance(delivery, str) else delivery
            spec = orjson.loads(filters) if isinstance(filters, str) else filters
            if not targets or not filter_from_dict(spec).matches(message):
                continue
            for contact_id in targets:
                contact = conn.execute(
                    select(contact_methods).where(contact_methods.c.id == contact_id)
                ).first()
                if contact is None:
                    continue
                enqueue(
                    conn,
                    dedup_key=f"sub:{sub_id}:{message['id']}:{contact_id}",
                    kind=contact.kind,
                    destination=destination_of(contact),
                    payload={
                        "kind": "notification",
                        "action": "trigger",
                        "title": message["title"],
                        "body": message["body"],
                        "priority": message["priority"],
                        "channel": message["channel"],
                        "message_id": message["id"],
                        "thread_id": message["thread_id"],
                        "dedup_key": f"msg-{message['id']}",
                    },
                    subscription_id=sub_id,
                    message_id=message["id"],
                    principal_id=principal_id,
                    contact_method_id=contact_id,
                )

    def _mirror_outbound(self, batch: list[Event]) -> None:
        """Acknowledge/resolve in PagerDuty or Opsgenie what was paged there, except echoes."""
        changes = [e for e in batch if e.kind in ("incident.acknowledged", "incident.resolved")]
        if changes:
            task = asyncio.create_task(self.db.write(lambda c: self._mirror_tx(c, changes)))
            self._tasks.append(task)
            task.add_done_callback(lambda t: self._tasks.remove(t) if t in self._tasks else None)

    def _mirror_tx(self, conn: Connection, changes: list[Event]) -> None:
        for e in changes:
            inc = e.data.get("incident") or {}
            number = inc.get("number")
            action = "acknowledge" if e.kind == "incident.acknowledged" else "resolve"
            origin = str(e.data.get("by_name", "")).split(" ", 1)[0].lower()
            # A reopened incident is acknowledged and resolved again: one mirror per round.
            round_ = int(inc.get("reopen_count") or 0)
            sent = conn.execute(
                select(deliveries_table).where(
                    deliveries_table.c.incident_number == number,
                    deliveries_table.c.kind.in_(("pagerduty", "opsgenie")),
                    deliveries_table.c.state.in_(("sent", "queued", "sending", "failed")),
                )
            ).all()
            for d in sent:
                if (d.payload or {}).get("action") != "trigger" or d.kind == origin:
                    continue  # no loops: a change that came from PagerDuty is not sent back to it
                enqueue(
                    conn,
                    dedup_key=f"mirror:{number}:{round_}:{action}:{d.contact_method_id}",
                    kind=d.kind,
                    destination=d.destination,
                    payload={
                        **d.payload,
                        "kind": "mirror",
                        "action": action,
                        "body": str(e.data.get("reason") or action),
                    },
                    incident_number=number,
                    thread_id=e.thread_id,
                    channel_id=e.channel_id,
                    principal_id=d.principal_id,
                    contact_method_id=d.contact_method_id,
                )

    async def publish(self, p: Principal, channel_id: str, msg: MessageIn) -> Published:
        # A message that drives an incident does much more than publish; the rest are pure
        # writes (see Database.write).
        pure = not (msg.thread_id and msg.theme in INCIDENT_THEMES)
        return await self.db.write(lambda c: self._publish_tx(c, p, channel_id, msg), pure=pure)

    async def get_message(self, p: Principal, message_id: int) -> dict[str, Any]:
        return await self.db.read(lambda c: self.messages.get(c, p, message_id))

    async def history(
        self,
        p: Principal,
        channel_ids: list[str] | None,
        f: MessageFilter,
        *,
        before: int | None = None,
        after: int | None = None,
        limit: int = 50,
    ) -> dict[str, Any]:
        if f.text:
            await self.search_index.catch_up()  # a search sees every committed message
        return await self.db.read(
            lambda c: self.messages.history(c, p, channel_ids, f, before=before, after=after, limit=limit)
        )

    async def thread(self, p: Principal, thread_id: str, *, limit: int = 500) -> dict[str, Any]:
        return await self.db.read(lambda c: self.messages.thread(c, p, thread_id, limit=limit))

    # -- subscriptions -------------------------------------------------------------

    async def subscribe(
        self,
        p: Principal,
        channel_id: str,
        f: MessageFilter,
        *,
        delivery: list[str] | None = None,
    ) -> dict[str, Any]:
        return await self.db.write(
            lambda c: self.subscriptions.subscribe(c, p, channel_id, f, delivery=delivery)
        )

    async def list_subscriptions(self, p: Principal) -> list[dict[str, Any]]:
        return await self.db.read(lambda c: self.subscriptions.list_mine(c, p))

    async def unsubscribe(
        self, p: Principal, *, sub_id: str | None = None, channel_id: str | None = None
    ) -> list[str]:
        return await self.db.write(
            lambda c: self.subscriptions.unsubscribe(c, p, sub_id=sub_id, channel_id=channel_id)
        )

    async def unread(self, p: Principal, *, sub_id: str | None = None, limit: int = 100) -> dict[str, Any]:
        return await self.db.read(lambda c: self.subscriptions.unread(c, p, sub_id=sub_id, limit=limit))

    async def mark_read(self, p: Principal, sub_id: str, *, up_to: int | None = None) -> dict[str, Any]:
        return await self.db.write(lambda c: self.subscriptions.mark_read(c, p, sub_id, up_to=up_to))

    # -- incidents ----------------------------------------------------------------------

    async def list_incidents(self, p: Principal, **kw: Any) -> dict[str, Any]:
        return await self.db.read(lambda c: self.incidents.list_incidents(c, p, **kw))

    async def get_incident(self, p: Principal, ref: str) -> dict[str, Any]:
        return await self.db.read(lambda c: self.incidents.get(c, p, ref))

    async def incident_timeline(self, p: Principal, ref: str) -> dict[str, Any]:
        return await self.db.read(lambda c: self.incidents.timeline(c, p, ref))

    async def declare_incident(self, p: Principal, **kw: Any) -> dict[str, Any]:
        return await self.db.write(lambda c: self.incidents.declare(c, p, **kw))

    async def set_incident_status(
        self, p: Principal, ref: str, status: str, *, reason: str = ""
    ) -> dict[str, Any]:
        return await self.db.write(lambda c: self.incidents.set_status(c, p, ref, status, reason=reason))

    async def reopen_incident(self, p: Principal, ref: str, *, reason: str = "") -> dict[str, Any]:
        return await self.db.write(lambda c: self.incidents.reopen(c, p, ref, reason=reason))

    async def add_incident_note(self, p: Principal, ref: str, text: str) -> dict[str, Any]:
        return await self.db.write(lambda c: self.incidents.note(c, p, ref, text))

    async def assign_incident(
        self, p: Principal, ref: str, *, owner: str | None, commander: str | None
    ) -> dict[str, Any]:
        return await self.db.write(
            lambda c: self.incidents.assign(c, p, ref, owner=owner, commander=commander)
        )

    async def set_incident_severity(
        self, p: Principal, ref: str, severity: str, *, reason: str = ""
    ) -> dict[str, Any]:
        return await self.db.write(lambda c: self.incidents.set_severity(c, p, ref, severity, reason=reason))

    async def merge_incidents(self, p: Principal, source: str, target: str) -> dict[str, Any]:
        return await self.db.write(lambda c: self.incidents.merge(c, p, source, target))

    # -- alerts: webhooks, integrations, silences ----------------------------------------

    async def receive_webhook(
        self,
        integration_id: str,
        body: bytes,
        headers: dict[str, str],
        *,
        query_token: str | None = None,
        delivery_id: str | None = None,
    ) -> tuple[dict[str, Any], bool]:
        """Authenticate, normalize and ingest one delivery; (result, replayed)."""
        integ = await self.db.read(lambda c: self.integrations.load(c, integration_id))
        authenticate_webhook(integ, body, headers, query_token)
        batch = normalize(integ.source, _json_body(body), integ.config)

        def tx(conn: Connection) -> tuple[dict[str, Any], bool]:
            if delivery_id:
                seen = conn.execute(
                    select(webhook_deliveries.c.result).where(
                        webhook_deliveries.c.integration_id == integ.id,
                        webhook_deliveries.c.delivery_id == delivery_id,
                    )
                ).first()
                if seen is not None:
                    return dict(seen.result), True
            result: IngestResult = self.ingest.ingest(conn, integ, batch)
            out = result.to_dict()
            if delivery_id:
                conn.execute(
                    insert(webhook_deliveries).values(
                        integration_id=integ.id, delivery_id=delivery_id, received_at=utcnow(), result=out
                    )
                )
            return out, False

        return await self.db.write(tx)

    async def create_integration(self, p: Principal, **kw: Any) -> dict[str, Any]:
        return await self.db.write(lambda c: self.integrations.create(c, p, **kw))

    async def list_integrations(self, p: Principal) -> list[dict[str, Any]]:
        return await self.db.read(lambda c: self.integrations.list_all(c, p))

    async def rotate_integration_secret(self, p: Principal, integration_id: str) -> dict[str, Any]:
        return await self.db.write(lambda c: self.integrations.rotate_secret(c, p, integration_id))

    async def delete_integration(self, p: Principal, integration_id: str) -> dict[str, Any]:
        return await self.db.write(lambda c: self.integrations.delete(c, p, integration_id))

    async def create_silence(self, p: Principal, **kw: Any) -> dict[str, Any]:
        return await self.db.write(lambda c: self.silences.create(c, p, **kw))

    async def list_silences(self, state: str | None = None) -> list[dict[str, Any]]:
        return await self.db.read(lambda c: self.silences.list_all(c, state=state))

    async def expire_silence(self, p: Principal, silence_id: str) -> dict[str, Any]:
        return await self.db.write(lambda c: self.silences.expire(c, p, silence_id))


def _json_body(body: bytes) -> object:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise PayloadError("body", f"is not valid JSON ({exc}); send the source's JSON payload") from None


# Runs for every publish (subscriptions that page): raw SQL, see store/raw.py. Most rows
# have an empty delivery list; the ones that page are few.
_PAGING_SUBSCRIPTIONS = RawSQL(
    "SELECT id, principal_id, filters, delivery FROM subscriptions WHERE channel_id = :channel"
)


class PagingDoor:
    """Async paging use cases for the doors (kept apart from Core to keep each file small)."""

    def __init__(self, core: Core) -> None:
        self.core = core
        self.db = core.db
        self.svc = core.paging

    async def set_user(self, p: Principal, user_id: str, **kw: Any) -> dict[str, Any]:
        return await self.db.write(lambda c: self.svc.set_profile(c, p, user_id, **kw))

    async def get_user(self, user_id: str) -> dict[str, Any]:
        return await self.db.read(lambda c: self.svc.get_user(c, user_id))

    async def list_users(self) -> list[dict[str, Any]]:
        return await self.db.read(self.svc.list_users)

    async def add_contact(self, p: Principal, user_id: str, **kw: Any) -> dict[str, Any]:
        return await self.db.write(lambda c: self.svc.add_contact(c, p, user_id, **kw))

    async def delete_contact(self, p: Principal, contact_id: str) -> dict[str, Any]:
        return await self.db.write(lambda c: self.svc.delete_contact(c, p, contact_id))

    async def test_contact(self, p: Principal, contact_id: str) -> dict[str, Any]:
        return await self.db.write(lambda c: self.svc.test_contact(c, p, contact_id))

    async def put_schedule(self, p: Principal, schedule_id: str, **kw: Any) -> dict[str, Any]:
        return await self.db.write(lambda c: self.svc.put_schedule(c, p, schedule_id, **kw))

    async def get_schedule(self, schedule_id: str) -> dict[str, Any]:
        return await self.db.read(lambda c: self.svc.get_schedule(c, schedule_id))

    async def list_schedules(self) -> list[dict[str, Any]]:
        return await self.db.read(self.svc.list_schedules)

    async def delete_schedule(self, p: Principal, schedule_id: str) -> dict[str, Any]:
        return await self.db.write(lambda c: self.svc.delete_schedule(c, p, schedule_id))

    async def add_override(self, p: Principal, schedule_id: str, **kw: Any) -> dict[str, Any]:
        return await self.db.write(lambda c: self.svc.add_override(c, p, schedule_id, **kw))

    async def on_call(
        self, *, schedule_id: str | None = None, at: datetime | None = None
    ) -> list[dict[str, Any]]:
        return await self.db.read(lambda c: self.svc.on_call(c, schedule_id=schedule_id, at=at))

    async def shifts(self, schedule_id: str, start: datetime, end: datetime) -> list[dict[str, Any]]:
        return await self.db.read(lambda c: self.svc.shifts(c, schedule_id, start, end))

    async def ical(self, schedule_id: str, start: datetime, end: datetime) -> str:
        return await self.db.read(lambda c: self.svc.ical(c, schedule_id, start, end))

    async def put_policy(self, p: Principal, policy_id: str, **kw: Any) -> dict[str, Any]:
        return await self.db.write(lambda c: self.svc.put_policy(c, p, policy_id, **kw))

    async def get_policy(self, policy_id: str) -> dict[str, Any]:
        return await self.db.read(lambda c: self.svc.get_policy(c, policy_id))

    async def list_policies(self) -> list[dict[str, Any]]:
        return await self.db.read(self.svc.list_policies)

    async def delete_policy(self, p: Principal, policy_id: str) -> dict[str, Any]:
        return await self.db.write(lambda c: self.svc.delete_policy(c, p, policy_id))

    async def add_route(self, p: Principal, policy_id: str, **kw: Any) -> dict[str, Any]:
        return await self.db.write(lambda c: self.svc.add_route(c, p, policy_id, **kw))

    async def delete_route(self, p: Principal, route_id: str) -> dict[str, Any]:
        return await self.db.write(lambda c: self.svc.delete_route(c, p, route_id))

    async def escalate(self, p: Principal, ref: str) -> dict[str, Any]:
        return await self.db.write(lambda c: self.core.clock.escalate_now(c, p, ref))

    async def page_user(
        self,
        p: Principal,
        user_id: str,
        *,
        title: str,
        body: str = "",
        priority: str = "high",
        incident: str | None = None,
    ) -> dict[str, Any]:
        try:
            prio = parse_priority(priority)
        except PriorityError as exc:
            raise InvalidInput(str(exc), field="priority") from None

        def tx(conn: Connection) -> dict[str, Any]:
            inc = self.core.incidents.visible(conn, p, incident, Permission.PUBLISH) if incident else None
            key = secrets.token_hex(6)
            payload = {
                "kind": "page" if inc is not None else "direct",
                "action": "trigger",
                "title": title,
                "body": body,
                "priority": prio.value,
                "paged_by": p.id,
                "incident": f"INC-{inc.number}" if inc is not None else None,
                "dedup_key": f"INC-{inc.number}" if inc is not None else f"page-{key}",
            }
            queued = self.svc.page_user(
                conn,
                user_id,
                priority=prio,
                payload=payload,
                dedup_prefix=f"manual:{key}",
                at=utcnow(),
                incident_number=inc.number if inc is not None else None,
                thread_id=inc.thread_id if inc is not None else None,
                channel_id=inc.channel_id if inc is not None else None,
            )
            if inc is not None:
                self.core.incidents.record(conn, "incident.paged", inc, p, user=user_id, deliveries=queued)
            return {"user": user_id, "deliveries": queued}

        return await self.db.write(tx)

    async def deliveries(
        self, p: Principal, *, state: str | None = None, incident: str | None = None, limit: int = 100
    ) -> list[dict[str, Any]]:
        def q(conn: Connection) -> list[dict[str, Any]]:
            stmt = select(deliveries_table).order_by(deliveries_table.c.created_at.desc()).limit(limit)
            if state:
                stmt = stmt.where(deliveries_table.c.state.in_(state.split(",")))
            if incident:
                inc = self.core.incidents.visible(conn, p, incident)
                stmt = stmt.where(deliveries_table.c.incident_number == inc.number)
            elif not p.acts_as_admin:
                stmt = stmt.where(deliveries_table.c.principal_id == p.id)
            return [delivery_wire(r) for r in conn.execute(stmt)]

        if limit < 1 or limit > 1000:
            raise InvalidInput("limit must be between 1 and 1000", field="limit")
        return await self.db.read(q)

    async def retry_delivery(self, p: Principal, delivery_id: str) -> dict[str, Any]:
        def tx(conn: Connection) -> dict[str, Any]:
            r = conn.execute(select(deliveries_table).where(deliveries_table.c.id == delivery_id)).first()
            if r is None:
                raise NotFound(
                    f"delivery {delivery_id!r} does not exist; `warroom deliveries ls` lists them",
                    field="delivery",
                )
            if not p.acts_as_admin and r.principal_id != p.id:
                raise Forbidden("only an admin or the recipient may retry a delivery")
            if r.state not in ("gave_up", "failed", "cancelled"):
                raise Conflict(
                    f"delivery {delivery_id} is {r.state}; only failed or dead-lettered ones retry"
                )
            conn.execute(
                update(deliveries_table)
                .where(deliveries_table.c.id == delivery_id)
                .values(state="queued", attempts=0, next_attempt_at=utcnow(), last_error=None)
            )
            return delivery_wire(
                conn.execute(select(deliveries_table).where(deliveries_table.c.id == delivery_id)).one()
            )

        return await self.db.write(tx)
