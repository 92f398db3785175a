"""Resource-updated notifications in both protocol eras, fed by the event log.

Every batch of events the hub reads (a publish on this replica, on another replica, or by
the REST door) becomes `notifications/resources/updated` for the resources it changed:

- 2025-11-25 clients `resources/subscribe`; we keep their session and send on its
  standalone stream.
- 2026-07-28 clients `subscriptions/listen`; the SDK's listen handler registers a
  listener on `AclBus`, which remembers who was calling when the stream opened.

A listener is told about a change only when its principal may read the channel the change
happened in: a confidential channel never leaks through a notification.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import Any

from mcp.server.context import ServerRequestContext
from mcp.server.session import ServerSession
from mcp.server.subscriptions import ResourceUpdated, ServerEvent
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS, EmptyResult, SubscribeRequestParams, UnsubscribeRequestParams
from sqlalchemy import select

from warroom.channels.service import readable_channel_ids
from warroom.core import Core
from warroom.errors import WarroomError
from warroom.events.log import Event
from warroom.identity.models import Principal
from warroom.incidents.service import incident_ref
from warroom.mcp import uris
from warroom.mcp.identity import Identity
from warroom.store.tables import incidents

log = logging.getLogger("warroom.mcp")

READABLE_TTL = 5.0  # group membership can change without an event; re-check this often
MAX_THREAD_CACHE = 10_000


def changed_resources(ev: Event) -> list[tuple[str, str]]:
    """(uri, channel) pairs an event changes; the channel decides who may hear of it."""
    c = ev.channel_id
    if c is None:
        return []
    if ev.kind == "message.published":
        out = [(uris.recent(c), c), (uris.channel_info(c), c), (uris.MINE, c)]
        if ev.thread_id:
            out.append((uris.thread(ev.thread_id), c))
        return out
    if ev.kind.startswith("channel."):
        return [(uris.channel_info(c), c), (uris.recent(c), c)]
    if ev.kind.startswith("incident."):
        snapshot = ev.data.get("incident")
        if isinstance(snapshot, dict) and snapshot.get("id"):
            return [(uris.incident(str(snapshot["id"])), c)]
    return []


def incident_threads(conn: Any, thread_ids: list[str]) -> dict[str, str]:
    """thread id -> INC-n for the threads that belong to an incident."""
    rows = conn.execute(
        select(incidents.c.thread_id, incidents.c.number).where(incidents.c.thread_id.in_(thread_ids))
    )
    return {r.thread_id: incident_ref(int(r.number)) for r in rows}


class AclBus:
    """A `SubscriptionBus` whose listeners remember the principal that opened them."""

    def __init__(self, identity: Identity) -> None:
        self._identity = identity
        self._listeners: dict[object, tuple[Principal | None, Callable[[ServerEvent], None]]] = {}

    async def publish(self, event: ServerEvent) -> None:
        for _p, listener in list(self._listeners.values()):
            try:
                listener(event)
            except Exception:
                log.exception("listen stream listener failed")
        await asyncio.sleep(0)

    def subscribe(self, listener: Callable[[ServerEvent], None]) -> Callable[[], None]:
        token = object()
        # Called inside the subscriptions/listen request: the caller's principal is current.
        self._listeners[token] = (self._identity.current_or_none(), listener)

        def unsubscribe() -> None:
            self._listeners.pop(token, None)

        return unsubscribe

    def listeners(self) -> list[tuple[Principal | None, Callable[[ServerEvent], None]]]:
        return list(self._listeners.values())


class Notifier:
    def __init__(self, core: Core, identity: Identity) -> None:
        self.core = core
        self.identity = identity
        self.bus = AclBus(identity)
        # uri -> connection key -> (session, principal)
        self._legacy: dict[str, dict[int, tuple[ServerSession, Principal]]] = {}
        self._queue: asyncio.Queue[list[Event]] = asyncio.Queue()
        self._readable: dict[Principal, tuple[float, frozenset[str]]] = {}
        # thread id -> INC-n, or None for a thread with no incident. A thread never changes
        # hands, and a thread becomes an incident's only through an incident.* event, which
        # updates this map before the thread's next message is looked at.
        self._incident_of_thread: dict[str, str | None] = {}
        self._task: asyncio.Task[None] | None = None
        self._hooked = False
        self._users = 0  # the lifespan is entered once per in-process/stdio run

    # -- lifecycle ---------------------------------------------------------------

    async def start(self) -> None:
        self._users += 1
        if self._task is not None:
            return
        self._queue = asyncio.Queue()
        if not self._hooked:
            self.core.hub.subscribe(self._on_events)
            self._hooked = True
        self._task = asyncio.create_task(self._worker(), name="warroom-mcp-notify")

    async def stop(self) -> None:
        self._users = max(0, self._users - 1)
        if self._users:
            return
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._hooked:
            self.core.hub.unsubscribe(self._on_events)
            self._hooked = False

    def _on_events(self, batch: list[Event]) -> None:
        if self._task is not None:
            self._queue.put_nowait(batch)

    # -- legacy resources/subscribe ----------------------------------------------

    def install_legacy(self, low: Any) -> None:
        low.add_request_handler("resources/subscribe", SubscribeRequestParams, self._on_subscribe)
        low.add_request_handler("resources/unsubscribe", UnsubscribeRequestParams, self._on_unsubscribe)

    async def _on_subscribe(
        self, ctx: ServerRequestContext[Any], params: SubscribeRequestParams
    ) -> EmptyResult:
        uri = str(params.uri)
        p = self.identity.current()
        await self.check_subscribable(p, uri)
        conn = ctx.session._connection
        key = id(conn)
        subs = self._legacy.setdefault(uri, {})
        if key not in subs:
            # Forget the subscription when the connection closes (no public hook in the SDK).
            conn.exit_stack.callback(self._forget, uri, key)
        subs[key] = (ctx.session, p)
        return EmptyResult()

    async def _on_unsubscribe(
        self, ctx: ServerRequestContext[Any], params: UnsubscribeRequestParams
    ) -> EmptyResult:
        self._forget(str(params.uri), id(ctx.session._connection))
        return EmptyResult()

    def _forget(self, uri: str, key: int) -> None:
        subs = self._legacy.get(uri)
        if subs is not None:
            subs.pop(key, None)
            if not subs:
                self._legacy.pop(uri, None)

    async def check_subscribable(self, p: Principal, uri: str) -> None:
        """A subscription names a real resource the principal may read, or fails saying why."""
        try:
            kind, key = uris.parse(uri)
            if kind in ("recent", "info") and key is not None:
                await self.core.get_channel(p, key)
            if kind == "incident" and key is not None:
                ref = (await self.core.get_incident(p, key))["id"]
                if ref != key:  # notifications name incident://INC-n, nothing else
                    raise ValueError(f"subscribe to incident://{ref}: that is the URI updates are sent for")
        except WarroomError as exc:
            raise MCPError(code=INVALID_PARAMS, message=exc.message) from None
        except ValueError as exc:
            raise MCPError(code=INVALID_PARAMS, message=str(exc)) from None

    def legacy_count(self) -> int:
        return sum(len(v) for v in self._legacy.values())

    # -- fan-out -------------------------------------------------------------------

    async def _readable_for(self, p: Principal) -> frozenset[str]:
        hit = self._readable.get(p)
        now = time.monotonic()
        if hit is not None and now - hit[0] < READABLE_TTL:
            return hit[1]
        ids = frozenset(await self.core.db.read(lambda c: readable_channel_ids(c, p)))
        self._readable[p] = (now, ids)
        return ids

    async def _worker(self) -> None:
        while True:
            batch = await self._queue.get()
            while not self._queue.empty():  # coalesce bursts: updates are level triggers
                batch = batch + self._queue.get_nowait()
            try:
                await self._fan_out(batch)
            except Exception:
                log.exception("sending MCP resource notifications failed")

    async def _incident_messages(self, batch: list[Event]) -> list[tuple[str, str]]:
        """A message in an incident's thread changes the incident's resource (its timeline)."""
        if len(self._incident_of_thread) > MAX_THREAD_CACHE:
            self._incident_of_thread.clear()
        for e in batch:
            snapshot = e.data.get("incident") if e.kind.startswith("incident.") else None
            if isinstance(snapshot, dict) and e.thread_id and snapshot.get("id"):
                self._incident_of_thread[e.thread_id] = str(snapshot["id"])
        msgs = [e for e in batch if e.kind == "message.published" and e.thread_id and e.channel_id]
        unknown = sorted({str(e.thread_id) for e in msgs} - self._incident_of_thread.keys())
        if unknown:
            found = await self.core.db.read(lambda c: incident_threads(c, unknown))
            self._incident_of_thread.update({t: found.get(t) for t in unknown})
        out = []
        for e in msgs:
            ref = self._incident_of_thread.get(str(e.thread_id))
            if ref is not None:
                out.append((uris.incident(ref), str(e.channel_id)))
        return out

    async def _fan_out(self, batch: list[Event]) -> None:
        changed: dict[str, set[str]] = {}  # uri -> channels it changed in
        for ev in batch:
            if ev.kind.startswith("channel."):
                self._readable.clear()  # visibility or grants may have changed
            for uri, channel in changed_resources(ev):
                changed.setdefault(uri, set()).add(channel)
        for uri, channel in await self._incident_messages(batch):
            changed.setdefault(uri, set()).add(channel)
        if not changed:
            return
        for p, listener in self.bus.listeners():
            if p is None:
                continue
            readable = await self._readable_for(p)
            for uri, chans in changed.items():
                if chans & readable:
                    listener(ResourceUpdated(uri=uri))
        for uri, chans in changed.items():
            for session, p in list(self._legacy.get(uri, {}).values()):
                if chans & await self._readable_for(p):
                    await session.send_resource_updated(uri)
        await asyncio.sleep(0)
