"""Following the log: what SSE, WebSocket and MCP readers iterate over."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from functools import lru_cache, partial

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

# Write these events to the reader now, without waiting, and return True; or return False
# having written nothing (a slow client: the stream's task sends them when it can).
Deliver = Callable[[list[Event]], bool]


def _catch_up(conn: Connection, *, after: int) -> list[Event]:
    return read_events(conn, after=after, limit=1000)


Match = Callable[[Event, set[str]], bool]


def matcher(f: MessageFilter, kinds: frozenset[str] | None) -> Match:
    """Whether a reader wants an event, given the channels it may read. Built once per
    reader: the hub runs it for every reader on every event, so what does not change from
    one event to the next (is the filter empty?) is not worked out again each time."""
    every_message = f.is_empty

    def match(ev: Event, channels: set[str]) -> bool:
        if ev.channel_id not in channels:  # None (a global event) is in no channel set
            return False
        if kinds is not None and kinds.isdisjoint(kind_keys(ev.kind)):
            return False
        if ev.kind == MESSAGE_EVENT:
            return every_message or f.matches(message_from_event(ev))
        return True

    return match


@lru_cache(maxsize=512)
def kind_keys(kind: str) -> frozenset[str]:
    """The `kind=` values that select `kind`: itself and each dotted prefix of it
    (`message` and `message.published` for `message.published`)."""
    parts = kind.split(".")
    return frozenset(".".join(parts[:i]) for i in range(1, len(parts) + 1))


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
    deliver: Deliver | None = None,
) -> AsyncIterator[list[StreamItem]]:
    """Yield, batch by batch, events after `cursor` (default: from now on) that the principal
    may read; a batch is what was ready at once, so a stream can write it in one piece.

    With `deliver`, a caught-up reader has the hub hand it new events as they commit (see
    Take in events/hub.py) rather than have them yielded here: this generator then yields
    only what the reader could not take at once, catch-ups, lagged notices and keep-alives,
    all in id order with what `deliver` wrote. A keep-alive goes out after `keepalive`
    seconds in which nothing was written by either way.

    `channels` must already be checked readable by the caller; None means every readable one.
    """

    async def allowed() -> set[str]:
        readable = set(await db.read(lambda c: readable_channel_ids(c, principal)))
        return readable if channels is None else readable & set(channels)

    loop = asyncio.get_running_loop()
    # "From now" means from the moment the reader started, not after its first query:
    # anything committed while the channel list is read still reaches it.
    pos = hub.last_id if cursor is None else cursor
    chans = await allowed()
    wanted = matcher(f, kinds)
    quiet_since = loop.time()

    def take(batch: list[Event]) -> bool:
        nonlocal pos, quiet_since
        out: list[Event] = []
        for ev in batch:
            if ev.id <= pos:
                continue
            if ev.kind.startswith("channel."):
                return False  # the channel list is re-read before what follows: the task's job
            if wanted(ev, chans):
                out.append(ev)
        if out:
            assert deliver is not None
            if not deliver(out):
                return False
            quiet_since = loop.time()
        pos = max(pos, batch[-1].id)
        return True

    while True:
        batch = hub.buffered_after(pos)
        if batch is None:
            yield [Lagged(pos, hub.last_id - pos)]
            quiet_since = loop.time()
            batch = await db.read(partial(_catch_up, after=pos))
        if not batch:
            # Caught up. Wait for what the hub cannot hand to `take` (or everything, without
            # it); the wait also ends on the timer, then goes on if something was written.
            while hub.last_id <= pos:
                left = quiet_since + keepalive - loop.time()
                if left <= 0:
                    yield [Keepalive(pos)]
                    quiet_since = loop.time()
                    break
                await hub.wait_beyond(pos, left, take if deliver is not None else None)
            continue
        out: list[StreamItem] = []
        for ev in batch:
            pos = ev.id
            if ev.kind.startswith("channel."):
                # Re-read before the next event: a channel created (or a grant changed) and
                # used in the same batch must apply to the events right after it.
                if out:
                    yield out
                    quiet_since = loop.time()
                    out = []
                chans = await allowed()
            if wanted(ev, chans):
                out.append(ev)
        if out:
            yield out
            quiet_since = loop.time()
