"""The database handle: engines for SQLite or PostgreSQL and a group-commit writer.

Writes go through one writer thread per process. It takes every write waiting in its queue,
runs them inside one transaction and commits once: a failing write rolls back alone, the
others commit together, and every caller learns its own outcome only after the commit. That
is what lets "a 2xx means committed" coexist with thousands of publishes a second on SQLite,
where every commit costs an fsync.

Most writes run in a SAVEPOINT of their own. *Pure* writes (publishing a message, the
hottest write there is) skip it: they only touch the database, so when one fails the batch
rolls back to a restore point taken before them and runs the pure writes that had
succeeded again, each in its own savepoint. Pure writes also share a memo of reads they
repeat (a channel's access rows, say) for the length of the batch. Every statement costs
the writer a round trip through the GIL; in a batch, a publish now issues 4 instead of 9.

On PostgreSQL every write transaction first takes a transaction-scoped advisory lock, so
event ids (from a sequence) become visible in id order across replicas: a reader that has
seen id N can never later find a committed id below N. Readers can then trust a cursor.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import queue
import threading
import time
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any, TypeVar, cast

import anyio.to_thread
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from warroom.errors import Unavailable, WarroomError

T = TypeVar("T")
log = logging.getLogger("warroom.store")

# A fixed key for pg_advisory_xact_lock that serializes event appends across replicas.
EVENT_LOG_LOCK_KEY = 0x5741_5252  # "WARR"
MAX_BATCH = 256
# Writes that arrive while a batch is being written join it, until the batch has run this
# long: one fsync then covers every write that came in meanwhile, not just those queued
# when the batch began. The bound keeps the first caller's wait short under a flood.
BATCH_WINDOW_S = 0.004

# Each write of a batch runs inside this savepoint. Plain SQL (the same on SQLite and
# PostgreSQL) rather than Connection.begin_nested(): it is issued twice per publish, and
# SQLAlchemy's nested-transaction bookkeeping cost more than the rest of a small write.
_SAVEPOINT = "SAVEPOINT warroom_write"
_RELEASE = "RELEASE SAVEPOINT warroom_write"
_ROLLBACK_TO = "ROLLBACK TO SAVEPOINT warroom_write"

# A batch's restore point: pure writes run after it without savepoints of their own.
_RESTORE = "SAVEPOINT warroom_restore"
_RESTORE_ROLLBACK = "ROLLBACK TO SAVEPOINT warroom_restore"

WriteFn = Callable[[Connection], Any]
# What the queue holds: the write, its caller's future, and whether the write is pure.
QueuedWrite = tuple[WriteFn, "concurrent.futures.Future[Any]", bool]
# Called after every committed batch with the events it appended (see COLLECTED_EVENTS).
CommitHook = Callable[[list[Any]], None]
# Where append_event leaves the events of the batch being written, so the hub can take them
# straight from the writer instead of reading them back from the table.
COLLECTED_EVENTS = "warroom.collected_events"
# Where a pure write finds the batch memo (see memoized); absent for every other write.
BATCH_MEMO = "warroom.batch_memo"


def memoized(conn: Connection, key: Hashable, read: Callable[[], T]) -> T:
    """`read()`, shared by the pure writes of one batch; a plain call anywhere else.

    Only for reads of rows no pure write changes: the memo lives as long as the batch and is
    dropped after every write that is not pure."""
    memo: dict[Hashable, Any] | None = conn.info.get(BATCH_MEMO)
    if memo is None:
        return read()
    if key not in memo:
        memo[key] = read()
    return cast(T, memo[key])


class Database:
    """Engines plus the writer thread. Create one per process; close it on shutdown."""

    def __init__(self, url: str, *, sqlite_synchronous: str = "FULL") -> None:
        self.url = url
        parsed = make_url(url)
        self.dialect = parsed.get_backend_name()
        self.is_sqlite = self.dialect == "sqlite"
        self._sqlite_synchronous = sqlite_synchronous
        if self.is_sqlite:
            if parsed.database and parsed.database != ":memory:":
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            self.write_engine = self._sqlite_engine(url, immediate=True)
            self.read_engine = self._sqlite_engine(url, immediate=False)
        elif self.dialect == "postgresql":
            self.write_engine = create_engine(url, pool_size=2, max_overflow=2, pool_pre_ping=True)
            self.read_engine = create_engine(url, pool_size=8, max_overflow=8, pool_pre_ping=True)
        else:
            raise ValueError(
                f"database {self.dialect!r} is not supported; use sqlite+pysqlite:///path "
                "or postgresql+psycopg://user@host/db"
            )
        self._queue: queue.Queue[QueuedWrite | None] = queue.Queue()
        self._hooks: list[CommitHook] = []
        self._thread: threading.Thread | None = None
        self._wconn: Connection | None = None
        self._closed = False
        self._read_limiter = anyio.CapacityLimiter(16)

    # -- engines -----------------------------------------------------------------

    def _sqlite_engine(self, url: str, *, immediate: bool) -> Engine:
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            poolclass=NullPool if ":memory:" in url else None,
        )
        synchronous = self._sqlite_synchronous

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: Any, _record: Any) -> None:
            # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin, so
            # SAVEPOINTs work; then set the pragmas the design requires on every connection.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute(f"PRAGMA synchronous={synchronous}")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            # Savepoints (one per write of a batch) keep a sub-journal of every page they
            # touch; in memory it costs nothing measurable, as a temp file a third of a publish.
            cur.execute("PRAGMA temp_store=MEMORY")
            cur.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Connection) -> None:
            # IMMEDIATE takes the write lock up front, so two processes never deadlock
            # upgrading a read transaction to a write one.
            # On the DBAPI connection: through exec_driver_sql, SQLAlchemy's statement
            # machinery cost as much as a small batch's own SQL.
            conn.connection.driver_connection.execute(  # type: ignore[union-attr]
                "BEGIN IMMEDIATE" if immediate else "BEGIN"
            )

        return engine

    # -- lifecycle -----------------------------------------------------------------

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._writer_loop, name="warroom-writer", daemon=True)
            self._thread.start()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout=10)
        self.write_engine.dispose()
        self.read_engine.dispose()

    def on_commit(self, hook: CommitHook) -> None:
        """Call `hook` (from the writer thread) after every committed batch."""
        self._hooks.append(hook)

    # -- reads ---------------------------------------------------------------------

    def read_sync(self, fn: Callable[[Connection], T]) -> T:
        with self.read_engine.connect() as conn:
            return fn(conn)

    async def read(self, fn: Callable[[Connection], T]) -> T:
        return await anyio.to_thread.run_sync(self.read_sync, fn, limiter=self._read_limiter)

    # -- writes --------------------------------------------------------------------

    def submit(self, fn: Callable[[Connection], T], *, pure: bool = False) -> concurrent.futures.Future[T]:
        if self._closed:
            raise Unavailable("the server is shutting down; retry against another replica")
        self.start()
        fut: concurrent.futures.Future[T] = concurrent.futures.Future()
        self._queue.put((fn, fut, pure))
        return fut

    async def write(self, fn: Callable[[Connection], T], *, pure: bool = False) -> T:
        """Run `fn` in a write transaction; return once its result is committed.

        `pure=True` promises that `fn` acts only through `conn` (so it can run again from the
        start) and changes no row that a `memoized` read depends on; the writer then spares it
        a savepoint and lets it share the batch memo."""
        return await asyncio.wrap_future(self.submit(fn, pure=pure))

    def write_sync(self, fn: Callable[[Connection], T]) -> T:
        return self.submit(fn).result()

    def _writer_connection(self) -> Connection:
        """The writer thread's own connection, kept across batches: checking one out of the
        pool and back for every batch costs more than a small batch's SQL."""
        if self._wconn is None or self._wconn.closed or self._wconn.invalidated:
            self._wconn = self.write_engine.connect()
        return self._wconn

    def _drop_writer_connection(self) -> None:
        if self._wconn is not None:
            try:
                self._wconn.invalidate()
                self._wconn.close()
            except Exception:
                log.warning("closing the broken writer connection failed", exc_info=True)
            self._wconn = None

    def _writer_loop(self) -> None:
        stop = False
        while not stop:
            first = self._queue.get()
            if first is None:
                break
            stop = self._run_batch(first)
        if self._wconn is not None:
            self._wconn.close()
            self._wconn = None

    def _run_batch(self, first: QueuedWrite) -> bool:
        """Write `first` and every write that joins it meanwhile; commit once.

        Returns True when a stop request was taken off the queue (the batch still commits)."""
        batch = [first]
        stop = False
        window_ends = time.perf_counter() + BATCH_WINDOW_S
        try:
            conn = self._writer_connection()
            with conn.begin():
                # Savepoints on the DBAPI cursor: one round through SQLAlchemy per write is
                # measurable at thousands of writes a second.
                cur = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
                if self.dialect == "postgresql":
                    conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": EVENT_LOG_LOCK_KEY})
                run = _BatchRun(conn, cur)
                i = 0
                while True:
                    if i == len(batch):  # take what arrived while the batch ran
                        if stop or len(batch) >= MAX_BATCH or time.perf_counter() > window_ends:
                            break
                        try:
                            item = self._queue.get_nowait()
                        except queue.Empty:
                            break
                        if item is None:
                            stop = True
                            break
                        batch.append(item)
                    fn, fut, pure = batch[i]
                    i += 1
                    if fut.set_running_or_notify_cancel():
                        run.write(fn, fut, pure)
                conn.info.pop(COLLECTED_EVENTS, None)
        except Exception as exc:  # the commit itself failed: nobody's write happened
            log.exception("write batch of %d failed to commit", len(batch))
            self._drop_writer_connection()
            failure = Unavailable(f"the database did not commit the write ({type(exc).__name__}); retry")
            for _fn, fut, _pure in batch:
                if not fut.done():
                    fut.set_exception(failure)
            return stop
        for fut, ok, value in run.outcomes:
            if ok:
                fut.set_result(value)
            else:
                fut.set_exception(value)
        for hook in self._hooks:
            try:
                hook(run.collected)
            except Exception:
                log.exception("commit hook failed")
        return stop


class _BatchRun:
    """The writes of one batch inside its open transaction, and what became of each.

    Pure writes run without savepoints after a restore point; when one fails, the batch
    rolls back to the restore point, the pure writes that had succeeded run again, each in a
    savepoint, and so does every later write of the batch. Any other write runs in its own
    savepoint and may not run twice, so the next pure write takes a new restore point."""

    def __init__(self, conn: Connection, cur: Any) -> None:
        self.conn = conn
        self.cur = cur
        self.outcomes: list[tuple[concurrent.futures.Future[Any], bool, Any]] = []
        self.collected: list[Any] = []
        conn.info[COLLECTED_EVENTS] = self.collected
        self.memo: dict[Hashable, Any] = {}
        # Pure writes since the restore point: (index in outcomes, the write) to run again.
        self.replayable: list[tuple[int, WriteFn]] = []
        # len(collected) at the restore point; None while there is no usable restore point.
        self.restore_mark: int | None = None
        self.careful = False  # once a pure write has failed, every write takes a savepoint

    def write(self, fn: WriteFn, fut: concurrent.futures.Future[Any], pure: bool) -> None:
        if pure and not self.careful:
            self._optimistic(fn, fut)
            return
        self.outcomes.append(self._in_savepoint(fn, fut, pure))
        if not pure:
            self.memo.clear()  # the rows pure writes memoize may have changed
            self.restore_mark = None

    def _optimistic(self, fn: WriteFn, fut: concurrent.futures.Future[Any]) -> None:
        if self.restore_mark is None:
            # A savepoint of the same name nests inside an earlier one; rolling back to the
            # name goes to the newest, so nothing needs releasing.
            self.cur.execute(_RESTORE)
            self.restore_mark = len(self.collected)
            self.replayable.clear()
        self.conn.info[BATCH_MEMO] = self.memo
        try:
            result = fn(self.conn)
        except BaseException as exc:
            self.conn.info.pop(BATCH_MEMO, None)
            self._recover()
            _log_unexpected(exc)
            self.outcomes.append((fut, False, exc))
            return
        self.conn.info.pop(BATCH_MEMO, None)
        self.replayable.append((len(self.outcomes), fn))
        self.outcomes.append((fut, True, result))

    def _recover(self) -> None:
        """Undo every pure write since the restore point, then redo those that had succeeded."""
        assert self.restore_mark is not None  # _optimistic took one before running
        self.cur.execute(_RESTORE_ROLLBACK)
        del self.collected[self.restore_mark :]
        self.memo.clear()
        self.careful = True
        for index, fn in self.replayable:
            fut = self.outcomes[index][0]
            self.outcomes[index] = self._in_savepoint(fn, fut, pure=True)
        self.replayable.clear()

    def _in_savepoint(
        self, fn: WriteFn, fut: concurrent.futures.Future[Any], pure: bool
    ) -> tuple[concurrent.futures.Future[Any], bool, Any]:
        self.cur.execute(_SAVEPOINT)
        mark = len(self.collected)
        if pure:
            self.conn.info[BATCH_MEMO] = self.memo
        try:
            result = fn(self.conn)
        except BaseException as exc:  # one failed write rolls back alone
            del self.collected[mark:]  # its events never happened
            self.cur.execute(_ROLLBACK_TO)
            self.cur.execute(_RELEASE)
            _log_unexpected(exc)
            return (fut, False, exc)
        finally:
            self.conn.info.pop(BATCH_MEMO, None)
        self.cur.execute(_RELEASE)
        return (fut, True, result)


def _log_unexpected(exc: BaseException) -> None:
    if not isinstance(exc, WarroomError):
        log.exception("write failed", exc_info=exc)
