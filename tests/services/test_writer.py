"""The group-commit writer: concurrent writes where some fail roll back alone."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import Connection, func, select

from warroom.core import Core
from warroom.errors import Conflict
from warroom.events.log import append_event, read_events
from warroom.identity.models import LOCAL
from warroom.messages.models import MessageIn
from warroom.store import database
from warroom.store.tables import events


class Boom(Exception):
    pass


def writer(i: int, runs: Counter[int] | None = None) -> Any:
    def fn(conn: Connection) -> int:
        if runs is not None:
            runs[i] += 1
        ev = append_event(conn, "test.write", data={"i": i}, channel_id=None)
        if i % 3 == 0:
            append_event(conn, "test.write", data={"i": i, "second": True})
            raise Boom(i) if i % 2 else Conflict(f"write {i} refused")
        return ev.id

    return fn


# Pure writes skip their own savepoint; a failing one makes the writer roll back to the
# restore point and run the pure writes before it again. Mixed: every fourth write is not pure.
@pytest.mark.parametrize("mode", ["savepoints", "pure", "mixed"])
async def test_failures_roll_back_alone_and_the_rest_commit(core: Core, mode: str) -> None:
    n = 300
    runs: Counter[int] = Counter()

    def pure(i: int) -> bool:
        return mode == "pure" or (mode == "mixed" and i % 4 != 1)

    results = await asyncio.gather(
        *(core.db.write(writer(i, runs), pure=pure(i)) for i in range(n)), return_exceptions=True
    )
    ok = {i: r for i, r in enumerate(results) if isinstance(r, int)}
    failed = {i: r for i, r in enumerate(results) if isinstance(r, BaseException)}
    assert set(failed) == {i for i in range(n) if i % 3 == 0}
    assert all(isinstance(failed[i], Boom if i % 2 else Conflict) for i in failed)

    stored = await core.db.read(lambda c: read_events(c, after=0, limit=10_000))
    by_i = {e.data["i"]: e for e in stored if e.kind == "test.write"}
    assert set(by_i) == set(ok)  # every success committed, no failure left a row
    assert not any(e.data.get("second") for e in stored)
    assert all(by_i[i].id == ok[i] for i in ok)  # each caller got its own row's id
    ids = [e.id for e in stored]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    if core.db.is_sqlite:
        # rolled-back savepoints give their ids back: the log has no holes
        assert ids == list(range(ids[0], ids[0] + len(ids)))
    # a write that is not pure never runs twice
    assert all(runs[i] == 1 for i in range(n) if not pure(i))


async def test_pure_writes_see_what_an_earlier_write_of_their_batch_changed(
    core: Core, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Publishes share the channel's access rows within a batch; archiving between them counts."""
    monkeypatch.setattr(database, "BATCH_WINDOW_S", 30.0)  # all four writes form one batch
    await core.create_channel(LOCAL, "ops")
    gate = threading.Event()
    hold = core.db.submit(lambda c: gate.wait(10))  # keeps the writer busy while the batch queues

    def publish(title: str) -> Any:
        return lambda c: core.messages.publish(c, LOCAL, "ops", MessageIn(title=title))

    before = core.db.submit(publish("before"), pure=True)
    archive = core.db.submit(lambda c: core.channels.update(c, LOCAL, "ops", {"archived": True}))
    after = core.db.submit(publish("after"), pure=True)
    gate.set()
    assert await asyncio.wrap_future(hold)
    assert (await asyncio.wrap_future(before)).created
    await asyncio.wrap_future(archive)
    with pytest.raises(Conflict, match="archived"):
        await asyncio.wrap_future(after)


async def test_ids_follow_commit_order_and_results_arrive_after_commit(core: Core) -> None:
    await core.create_channel(LOCAL, "ops")
    pubs = await asyncio.gather(*(core.publish(LOCAL, "ops", MessageIn(title=f"m{i}")) for i in range(100)))
    ids = [p.message["id"] for p in pubs]
    assert len(set(ids)) == 100
    # every publish was durable when its caller resumed: a fresh connection sees all of them
    count = await core.db.read(
        lambda c: c.execute(
            select(func.count()).select_from(events).where(events.c.kind == "message.published")
        ).scalar_one()
    )
    assert count == 100
    assert (await core.get_channel(LOCAL, "ops"))["stats"]["messages"] == 100


async def test_a_failing_write_does_not_poison_the_next_batch(core: Core) -> None:
    def bad(conn: Connection) -> None:
        conn.exec_driver_sql("SELECT * FROM no_such_table")

    def good(conn: Connection) -> int:
        return append_event(conn, "test.write", data={}).id

    results = await asyncio.gather(core.db.write(bad), core.db.write(good), return_exceptions=True)
    assert isinstance(results[0], Exception) and isinstance(results[1], int)
    assert isinstance(await core.db.write(good), int)


def test_sync_writes_work_too(core: Core) -> None:
    assert core.db.write_sync(lambda c: 41 + 1) == 42
