"""The core: one object holding the store, the hub and the services every door calls.

Doors hold no rules: they parse input, call one of these methods with the principal they
resolved, and render the result. Each method runs one use case in one transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from functools import partial
from typing import Any

import orjson
from sqlalchemy import Connection, insert, select

from warroom.alerts.errors import PayloadError
from warroom.alerts.ingest import IngestResult, IngestService
from warroom.alerts.integrations import IntegrationService, authenticate_webhook
from warroom.alerts.normalizers import normalize
from warroom.alerts.silence_service import SilenceService
from warroom.channels.service import ChannelService, access
from warroom.config import Settings
from warroom.events.hub import Hub
from warroom.identity.models import LOCAL, Principal
from warroom.identity.service import IdentityService
from warroom.incidents.service import IncidentService
from warroom.messages.filters import MessageFilter
from warroom.messages.models import MessageIn
from warroom.messages.retention import apply_retention
from warroom.messages.service import Limits, MessageService, Published
from warroom.store.database import Database
from warroom.store.migrate import upgrade
from warroom.store.tables import integrations as integrations_table
from warroom.store.tables import webhook_deliveries
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
        self._started = True

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
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
        return await self.db.read(self.identity.count_active_tokens) > 0

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
        if published.created and msg.theme in ("incident-alert", "incident-resolved") and msg.thread_id:
            enabled = access(conn, p, channel_id).incident_enabled
            self.incidents.on_message(conn, p, published.message, incident_channel=enabled)
        return published

    async def publish(self, p: Principal, channel_id: str, msg: MessageIn) -> Published:
        return await self.db.write(lambda c: self._publish_tx(c, p, channel_id, msg))

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
        delivery: list[dict[str, Any]] | None = None,
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
