"""The core: one object holding the store, the hub and the services every door calls.

Doors hold no rules: they parse input, call one of these methods with the principal they
resolved, and render the result. Each method runs one use case in one transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from warroom.channels.service import ChannelService
from warroom.config import Settings
from warroom.events.hub import Hub
from warroom.identity.models import LOCAL, Principal
from warroom.identity.service import IdentityService
from warroom.messages.filters import MessageFilter
from warroom.messages.models import MessageIn
from warroom.messages.retention import apply_retention
from warroom.messages.service import Limits, MessageService, Published
from warroom.store.database import Database
from warroom.store.migrate import upgrade
from warroom.subscriptions.service import SubscriptionService

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
            lambda c: self.identity.ensure_principal(c, LOCAL.id, name=LOCAL.name, is_admin=True)
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

    async def publish(self, p: Principal, channel_id: str, msg: MessageIn) -> Published:
        return await self.db.write(lambda c: self.messages.publish(c, p, channel_id, msg))

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
