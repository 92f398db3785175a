"""Full-text search on SQLite indexes messages behind the writes; a search never misses one."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import Connection, text

from warroom.core import Core
from warroom.identity.models import LOCAL
from warroom.messages import search_index
from warroom.messages.filters import build_filter
from warroom.messages.models import MessageIn
from warroom.timeutil import utcnow


def pending(conn: Connection) -> int:
    if conn.dialect.name != "sqlite":
        return 0
    return int(
        conn.execute(
            text("SELECT count(*) FROM messages WHERE id > (SELECT indexed_upto FROM search_progress)")
        ).scalar_one()
    )


def fts_is_sound(conn: Connection) -> None:
    """FTS5's own check that the index matches the messages it was given (raises if not)."""
    if conn.dialect.name == "sqlite":
        conn.execute(text("INSERT INTO messages_fts(messages_fts) VALUES ('integrity-check')"))


async def titles(core: Core, q: str) -> list[str]:
    page = await core.history(LOCAL, None, build_filter(text=q), limit=100)
    return sorted(m["title"] for m in page["items"])


async def test_a_search_right_after_a_publish_finds_it(core: Core) -> None:
    await core.create_channel(LOCAL, "ops")

    def publish(c: Connection) -> int:
        core.messages.publish(
            c, LOCAL, "ops", MessageIn(title="replica lag on db-2", body="wal sender stuck")
        )
        return pending(c)

    # the publish itself leaves the message out of the index (SQLite)
    assert await core.db.write(publish) == (1 if core.db.is_sqlite else 0)
    assert await titles(core, "wal sender") == ["replica lag on db-2"]
    assert await core.db.read(pending) == 0
    # the search-everything door catches up too
    await core.publish(LOCAL, "ops", MessageIn(title="checkout 502s", body="upstream gone"))
    found = await core.intel_door.search_all(LOCAL, "upstream")
    assert [m["title"] for m in found["messages"]] == ["checkout 502s"]


async def test_the_indexer_catches_up_by_itself(core: Core) -> None:
    await core.create_channel(LOCAL, "ops")
    for i in range(5):
        await core.publish(LOCAL, "ops", MessageIn(title=f"disk {i}", body="pg_wal filling"))
    for _ in range(100):  # the background task indexes within its short delay
        if await core.db.read(pending) == 0:
            break
        await asyncio.sleep(0.05)
    assert await core.db.read(pending) == 0
    await core.db.write(fts_is_sound)


async def test_a_backlog_is_indexed_in_steps(core: Core, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(search_index, "MAX_PER_PASS", 3)
    await core.create_channel(LOCAL, "ops")
    await core.db.write(
        lambda c: [core.messages.publish(c, LOCAL, "ops", MessageIn(title=f"m{i} blip")) for i in range(10)]
    )
    assert len(await titles(core, "blip")) == 10
    await core.db.write(fts_is_sound)


async def test_retention_of_unindexed_and_indexed_messages_keeps_the_index_sound(core: Core) -> None:
    await core.create_channel(LOCAL, "short", retention_days=7)
    old = utcnow() - timedelta(days=10)
    await core.publish(LOCAL, "short", MessageIn(title="old indexed kafka", created_at=old))
    assert await titles(core, "kafka") == ["old indexed kafka"]  # indexed now
    await core.publish(LOCAL, "short", MessageIn(title="old unindexed kafka", created_at=old))
    await core.publish(LOCAL, "short", MessageIn(title="new kafka"))
    report = await core.apply_retention()
    assert report[0]["deleted"] == 2
    assert await titles(core, "kafka") == ["new kafka"]
    await core.db.write(fts_is_sound)
