"""Following the log: what SSE, WebSocket and MCP readers iterate over."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from functools import partial

from sqlalchemy import Connection

from warroom.channels.service import readable_channel_ids
from warroom.events.hub import Hub
from warroom.events.log import Event, read_events
from warroom.identity.models import Principal
from warroom.messages.filters import MessageFilter
from warroom.messages.service import MESSAGE_EVENT, message_from_event
from warroom.store.database import Database


@dataclass(frozen=True)
class Keepalive:
    cursor: int


@dataclass(frozen=True)
class Lagged:
    """The reader fell out of the in-memory window; it is being caught up from the table."""

    cursor: int
    behind: int


StreamItem = Event | Keepalive | Lagged


def _catch_up(conn: Connection, *, after: int) -> list[Event]:
    return read_events(conn, after=after, limit=1000)


def wanted(ev: Event, channels: set[str], f: MessageFilter, kinds: frozenset[str] | None) -> bool:
    if ev.channel_id is None or ev.channel_id not in channels:
        return False
    if kinds is not None and not any(ev.kind == k or ev.kind.startswith(k + ".") for k in kinds):
        return False
    if ev.kind == MESSAGE_EVENT:
        return f.is_empty or f.matches(message_from_event(ev))
    return True


async def follow_batches(
    db: Database,
    hub: Hub,
    principal: Principal,
    *,
    channels: list[str] | None,
    f: MessageFilter,
    cursor: int | None,
    kinds: frozenset[str] | None = None,
    keepalive: float = 15.0,
) -> AsyncIterator[list[StreamItem]]:
    """Yield, batch by batch, events after `cursor` (default: from now on) that the principal
    may read; a batch is what was ready at once, so a stream can write it in one piece.

    `channels` must already be checked readable by the caller; None means every readable one.
    """

    async def allowed() -> set[str]:
        readable = set(await db.read(lambda c: readable_channel_ids(c, principal)))
        return readable if channels is None else readable & set(channels)

    # "From now" means from the moment the reader started, not after its first query:
    # anything committed while the channel list is read still reaches it.
    pos = hub.last_id if cursor is None else cursor
    chans = await allowed()
    while True:
        batch = hub.buffered_after(pos)
        if batch is None:
            yield [Lagged(pos, hub.last_id - pos)]
            batch = await db.read(partial(_catch_up, after=pos))
        if not batch:
            if not await hub.wait_beyond(pos, keepalive):
                yield [Keepalive(pos)]
            continue
        out: list[StreamItem] = []
        for ev in batch:
            pos = ev.id
            if ev.kind.startswith("channel."):
                # Re-read before the next event: a channel created (or a grant changed) and
                # used in the same batch must apply to the events right after it.
                if out:
                    yield out
                    out = []
                chans = await allowed()
            if wanted(ev, chans, f, kinds):
                out.append(ev)
        if out:
            yield out
