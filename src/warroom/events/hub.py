"""The hub: follows the event log and wakes every live reader in this process.

One pump per process reads new rows from the `events` table after each local commit, on
every PostgreSQL NOTIFY from another replica, and on a slow safety-net poll (another
process writing the same SQLite file). It keeps the newest events in a ring, so a thousand
streams cost one query, not a thousand. A reader asks for events after its cursor: from the
ring when they are still there, from the table when it fell behind. No reader can block the
pump or another reader; each one moves at its own pace.

A reader that is caught up may also park a `Take` with its future: the hub then offers it
each new batch on the spot, in the loop that would otherwise wake it, and it keeps parked
if it delivered the batch right there. Waking a hundred tasks, each to write one frame,
cost more than the hundred writes.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import threading
from collections import deque
from collections.abc import Callable

from warroom.events.log import NOTIFY_CHANNEL, Event, last_event_id, read_events
from warroom.store.database import Database

log = logging.getLogger("warroom.events")

# Offered a new batch (ids ascending, directly after everything the reader has seen) while
# its reader is parked: True when it handled the whole batch itself, False to be woken and
# read the batch the ordinary way. Must not block: it runs inside the hub's fan-out loop.
Take = Callable[[list[Event]], bool]


class Hub:
    def __init__(self, db: Database, *, buffer: int = 10_000, poll_seconds: float = 1.0) -> None:
        self.db = db
        self._ring: deque[Event] = deque(maxlen=buffer)
        self.last_id = 0
        self._floor = 0
        self._poll = poll_seconds
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake = asyncio.Event()
        # One small future per waiting reader, all resolved by the next batch: waking a
        # hundred streams is then a hundred callbacks, with no shared future to protect
        # from a reader's cancellation and no asyncio.wait machinery per reader per event.
        self._waiters: dict[asyncio.Future[None], Take | None] = {}
        self._task: asyncio.Task[None] | None = None
        self._listener: threading.Thread | None = None
        self._stopping = threading.Event()
        self._listeners: list[Callable[[list[Event]], None]] = []

    async def start(self) -> None:
        self._stopping.clear()
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        self.last_id = await self.db.read(last_event_id)
        self._floor = self.last_id  # events up to here predate the ring: read them from the table
        self.db.on_commit(self._committed)
        self._task = asyncio.create_task(self._pump(), name="warroom-hub")
        if self.db.dialect == "postgresql":
            self._listener = threading.Thread(target=self._listen_pg, name="warroom-listen", daemon=True)
            self._listener.start()

    async def stop(self) -> None:
        self._stopping.set()
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._wake_readers()

    def subscribe(self, fn: Callable[[list[Event]], None]) -> None:
        """Call `fn` (on the event loop) with every batch of new events, in order."""
        self._listeners.append(fn)

    def unsubscribe(self, fn: Callable[[list[Event]], None]) -> None:
        """Stop calling `fn`; a door that closes (an MCP server, a test) must not leak it."""
        with contextlib.suppress(ValueError):
            self._listeners.remove(fn)

    # -- waking the pump -------------------------------------------------------

    def poke_threadsafe(self) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._wake.set)

    def _committed(self, events: list[Event]) -> None:
        """Writer thread, after a commit: hand this process's new events to the loop."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._take_local, events)

    def _take_local(self, events: list[Event]) -> None:
        """Fast path: our own events, when they directly follow what the ring holds.

        Anything else (another process's rows in between, an id gap from a rolled-back
        sequence value) leaves it to the pump, which reads the table in id order.
        """
        fresh = [e for e in events if e.id > self.last_id]
        if not fresh:
            return
        contiguous = fresh[0].id == self.last_id + 1 and all(
            b.id == a.id + 1 for a, b in itertools.pairwise(fresh)
        )
        if not contiguous:
            self._wake.set()
            return
        self._append(fresh)

    def _listen_pg(self) -> None:
        import psycopg

        dsn = self.db.url.replace("postgresql+psycopg://", "postgresql://")
        while not self._stopping.is_set():
            try:
                with psycopg.connect(dsn, autocommit=True) as conn:
                    conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
                    self.poke_threadsafe()  # catch up on anything missed while reconnecting
                    while not self._stopping.is_set():
                        for _ in conn.notifies(timeout=1.0, stop_after=64):
                            self.poke_threadsafe()
                        # coalesce: one poke per burst is enough, the pump reads all rows
            except Exception:
                log.warning("LISTEN connection lost; reconnecting", exc_info=True)
                self._stopping.wait(1.0)

    async def _pump(self) -> None:
        # Checked, not just cancelled: on Python 3.11 asyncio.wait_for swallows a cancel that
        # lands as the wake event fires, and stop() would then wait for the pump forever.
        while not self._stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self._poll)
            self._wake.clear()
            try:
                while True:
                    rows = await self.db.read(lambda c: read_events(c, after=self.last_id, limit=1000))
                    batch = [e for e in rows if e.id > self.last_id]  # the fast path may have moved on
                    if batch:
                        self._append(batch)
                    if len(rows) < 1000:
                        break
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("reading the event log failed; retrying")
                await asyncio.sleep(0.5)

    def _append(self, batch: list[Event]) -> None:
        overflow = len(self._ring) + len(batch) - (self._ring.maxlen or 0)
        if overflow > 0:
            # Everything after `_floor` is in the ring; evicting moves the floor.
            n = len(self._ring)
            last_evicted = self._ring[overflow - 1] if overflow <= n else batch[overflow - n - 1]
            self._floor = last_evicted.id
        self._ring.extend(batch)
        self.last_id = batch[-1].id
        self._publish(batch)

    def _publish(self, batch: list[Event]) -> None:
        for fn in self._listeners:
            try:
                fn(batch)
            except Exception:
                log.exception("event listener failed")
        self._wake_readers(batch)

    def _wake_readers(self, batch: list[Event] | None = None) -> None:
        waiters, self._waiters = self._waiters, {}
        for fut, take in waiters.items():
            # A reader whose timer already fired is about to run: it reads the ring itself.
            if batch and take is not None and not fut.done() and _offer(take, batch):
                self._waiters[fut] = take  # delivered on the spot: still parked, still caught up
            else:
                _resolve(fut)

    # -- reading -------------------------------------------------------------------

    def buffered_after(self, cursor: int) -> list[Event] | None:
        """Events after `cursor` from the ring, or None when the ring no longer reaches back."""
        if cursor >= self.last_id:
            return []
        if cursor < self._floor:
            return None
        ring = self._ring
        lo, hi = 0, len(ring)
        while lo < hi:  # ring ids ascend: binary search for the first id after the cursor
            mid = (lo + hi) // 2
            if ring[mid].id <= cursor:
                lo = mid + 1
            else:
                hi = mid
        return [ring[i] for i in range(lo, len(ring))]

    async def wait_beyond(self, cursor: int, wait_seconds: float, take: Take | None = None) -> bool:
        """Wait until an event after `cursor` exists; False on timeout.

        With `take`, new batches are first offered to it (see Take); the wait goes on while
        it handles them, so it ends on the timeout, on a batch it declined, or on stop().
        """
        if self.last_id > cursor:
            return True
        loop = self._loop
        assert loop is not None
        fut: asyncio.Future[None] = loop.create_future()
        self._waiters[fut] = take
        timer = loop.call_later(wait_seconds, _resolve, fut)
        try:
            await fut
        finally:
            timer.cancel()
            self._waiters.pop(fut, None)  # timed out or cancelled: don't keep it around
        return self.last_id > cursor


def _offer(take: Take, batch: list[Event]) -> bool:
    try:
        return take(batch)
    except Exception:
        # Its task reads the batch the ordinary way and meets the same error there.
        log.exception("delivering to a live reader failed")
        return False


def _resolve(fut: asyncio.Future[None]) -> None:
    if not fut.done():
        fut.set_result(None)
