"""The hub and `follow`: ordered delivery after a cursor, filters, lag recovery, visibility,
other replicas, and a prompt shutdown."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from peoplekit import PeopleFactory
from streamkit import events, n_messages, one_by_one, take, wait_until  # type: ignore[import-not-found]

from warroom.config import Settings
from warroom.core import Core
from warroom.events.log import Event
from warroom.events.stream import Keepalive, Lagged, follow_batches
from warroom.identity.models import LOCAL, Principal
from warroom.messages.filters import MessageFilter, build_filter
from warroom.messages.models import MessageIn
from warroom.messages.service import message_from_event

MESSAGES = frozenset({"message"})


def stream(core: Core, p: Principal = LOCAL, **kw: Any) -> Any:
    kw.setdefault("channels", None)
    kw.setdefault("f", MessageFilter())
    kw.setdefault("cursor", None)
    return one_by_one(follow_batches(core.db, core.hub, p, keepalive=0.5, **kw))


async def publish_many(
    core: Core, channel: str, n: int, p: Principal = LOCAL, **kw: Any
) -> list[dict[str, Any]]:
    pubs = await asyncio.gather(*(core.publish(p, channel, MessageIn(title=f"m{i}", **kw)) for i in range(n)))
    return [x.message for x in pubs]


async def test_follow_from_a_cursor_then_live_in_order(core: Core) -> None:
    await core.create_channel(LOCAL, "ops")
    first = [(await core.publish(LOCAL, "ops", MessageIn(title=f"old{i}"))).message for i in range(5)]
    items = stream(core, cursor=first[1]["id"], kinds=MESSAGES)
    got = await take(items, n_messages(3))
    assert [e.id for e in events(got)] == [m["id"] for m in first[2:]]
    # live: published after the reader caught up
    live = [(await core.publish(LOCAL, "ops", MessageIn(title=f"new{i}"))).message for i in range(3)]
    got = await take(items, n_messages(3))
    assert [e.id for e in events(got)] == [m["id"] for m in live]
    await items.aclose()


async def test_stream_events_carry_the_history_wire_form(core: Core) -> None:
    await core.create_channel(LOCAL, "ops")
    items = stream(core, cursor=0, kinds=MESSAGES)
    pub = await core.publish(
        LOCAL,
        "ops",
        MessageIn(title="t", body="b", priority="P1", tags=["db"], links=["https://x"], thread_id="i-1"),
    )
    (ev,) = events(await take(items, n_messages(1)))
    assert message_from_event(ev) == pub.message == await core.get_message(LOCAL, pub.message["id"])
    await items.aclose()


async def test_default_cursor_means_from_now(core: Core) -> None:
    await core.create_channel(LOCAL, "ops")
    before = await core.publish(LOCAL, "ops", MessageIn(title="before"))
    await wait_until(lambda: core.hub.last_id >= before.message["id"])
    items = stream(core, kinds=MESSAGES)
    reader = asyncio.ensure_future(take(items, n_messages(1)))
    # "now" is pinned when the reader first runs; publish until it has seen something
    while True:
        await core.publish(LOCAL, "ops", MessageIn(title="after"))
        done, _ = await asyncio.wait({reader}, timeout=0.5)
        if done:
            break
    assert [e.data["title"] for e in events(reader.result())] == ["after"]
    await items.aclose()


async def test_filters_apply_to_streams(core: Core) -> None:
    await core.create_channel(LOCAL, "ops")
    f = build_filter(priorities="critical,high", tags="db")
    items = stream(core, cursor=0, f=f, kinds=MESSAGES)
    specs = [
        ("crit-db", "critical", ["db"]),
        ("crit-net", "critical", ["net"]),
        ("low-db", "low", ["db"]),
        ("high-db", "P1", ["db", "x"]),
        ("med", "medium", []),
        ("end", "critical", ["db"]),
    ]
    for title, prio, tags in specs:
        await core.publish(LOCAL, "ops", MessageIn(title=title, priority=prio, tags=tags))
    got = events(
        await take(items, lambda g: any(isinstance(e, Event) and e.data["title"] == "end" for e in g))
    )
    assert [e.data["title"] for e in got] == ["crit-db", "high-db", "end"]
    await items.aclose()


async def test_channel_events_pass_unless_kinds_restrict(core: Core) -> None:
    items = stream(core, cursor=0)
    await core.create_channel(LOCAL, "ops")
    await core.update_channel(LOCAL, "ops", {"description": "d"})
    await core.publish(LOCAL, "ops", MessageIn(title="m"))
    got = events(await take(items, n_messages(1)))
    assert [e.kind for e in got] == ["channel.created", "channel.updated", "message.published"]
    await items.aclose()


async def test_channel_list_restricts_the_stream(core: Core) -> None:
    await core.create_channel(LOCAL, "a")
    await core.create_channel(LOCAL, "b")
    items = stream(core, cursor=0, channels=["b"], kinds=MESSAGES)
    await core.publish(LOCAL, "a", MessageIn(title="in a"))
    await core.publish(LOCAL, "b", MessageIn(title="in b"))
    got = events(await take(items, n_messages(1)))
    assert [(e.channel_id, e.data["title"]) for e in got] == [("b", "in b")]
    await items.aclose()


async def test_visibility_is_enforced_and_follows_acl_changes(core: Core, people: PeopleFactory) -> None:
    tom = await people("tom")
    await core.create_channel(LOCAL, "public")
    await core.create_channel(LOCAL, "secret", visibility="confidential")
    await core.create_channel(LOCAL, "priv", visibility="private")
    items = stream(core, tom, cursor=0, kinds=MESSAGES)
    await core.publish(LOCAL, "secret", MessageIn(title="hidden"))
    await core.publish(LOCAL, "priv", MessageIn(title="hidden too"))
    await core.publish(LOCAL, "public", MessageIn(title="seen"))
    got = events(await take(items, n_messages(1)))
    assert [e.data["title"] for e in got] == ["seen"]
    # a grant opens the channel to the running stream
    await core.update_channel(LOCAL, "secret", {"acl": [{"subject": "principal:tom", "permission": "read"}]})
    await core.publish(LOCAL, "secret", MessageIn(title="now visible"))
    got = events(await take(items, n_messages(1)))
    assert [e.data["title"] for e in got] == ["now visible"]
    # and withdrawing it closes it again
    await core.update_channel(LOCAL, "secret", {"acl": []})
    await core.publish(LOCAL, "secret", MessageIn(title="hidden again"))
    await core.publish(LOCAL, "public", MessageIn(title="sentinel"))
    got = events(await take(items, n_messages(1)))
    assert [e.data["title"] for e in got] == ["sentinel"]
    await items.aclose()


async def test_a_channel_created_and_used_in_one_batch_reaches_all_channel_readers(
    core: Core, people: PeopleFactory
) -> None:
    tom = await people("tom")
    await core.create_channel(LOCAL, "ops")
    items = stream(core, tom, kinds=MESSAGES)
    reader = asyncio.ensure_future(
        take(items, lambda g: any(e.data.get("title") == "sentinel" for e in events(g)))
    )
    await asyncio.sleep(0)

    def create_and_publish(conn: Any) -> None:
        core.channels.create(conn, LOCAL, channel_id="fresh")
        core.messages.publish(conn, LOCAL, "fresh", MessageIn(title="first in fresh"))

    # Both in one commit, so the hub hands them to readers in one batch.
    await core.db.write(create_and_publish)
    await core.publish(LOCAL, "ops", MessageIn(title="sentinel"))
    got = events(await reader)
    assert [e.data["title"] for e in got] == ["first in fresh", "sentinel"]
    await items.aclose()


async def test_channel_update_events_do_not_leak_the_acl(core: Core, people: PeopleFactory) -> None:
    tom = await people("tom")
    await core.create_channel(LOCAL, "ops", acl=[{"subject": "group:sre", "permission": "admin"}])
    items = stream(core, tom, cursor=0)
    await core.update_channel(LOCAL, "ops", {"description": "new"})
    await core.publish(LOCAL, "ops", MessageIn(title="m"))
    got = events(await take(items, n_messages(1)))
    channel_events = [e for e in got if e.kind.startswith("channel.")]
    assert [e.kind for e in channel_events] == ["channel.created", "channel.updated"]
    for e in channel_events:
        assert "acl" not in e.data, "a reader who may not administer the channel must not see its ACL"
        assert e.data["id"] == "ops"
    assert channel_events[1].data["description"] == "new"
    await items.aclose()


@pytest.fixture
async def small_ring_core(settings: Settings) -> Any:
    c = Core(settings.model_copy(update={"stream_buffer_events": 100}))
    await c.start()
    yield c
    await c.stop()


async def test_a_reader_that_falls_out_of_the_ring_is_told_and_loses_nothing(small_ring_core: Core) -> None:
    core = small_ring_core
    await core.create_channel(LOCAL, "ops")
    items = stream(core, cursor=0, kinds=MESSAGES)
    first = await publish_many(core, "ops", 5)
    got = await take(items, n_messages(5))
    assert not any(isinstance(i, Lagged) for i in got)  # still inside the ring
    # the reader stalls while 300 events go by: three times the ring
    burst = await publish_many(core, "ops", 300)
    await wait_until(lambda: core.hub.last_id >= burst[-1]["id"])
    got = await take(items, n_messages(300))
    lagged = [i for i in got if isinstance(i, Lagged)]
    assert lagged, "the reader must be told it fell behind"
    assert got[0] is lagged[0]
    assert lagged[0].cursor == first[-1]["id"] and lagged[0].behind > 100
    ids = [e.id for e in events(got)]
    assert ids == sorted(m["id"] for m in burst)  # every one, in order, once
    # and live again afterwards
    tail = await publish_many(core, "ops", 3)
    got = await take(items, n_messages(3))
    assert [e.id for e in events(got)] == sorted(m["id"] for m in tail)
    await items.aclose()


async def test_a_late_reader_from_zero_reads_the_table(small_ring_core: Core) -> None:
    core = small_ring_core
    await core.create_channel(LOCAL, "ops")
    pubs = await publish_many(core, "ops", 250)
    await wait_until(lambda: core.hub.last_id >= pubs[-1]["id"])
    items = stream(core, cursor=0)
    got = await take(items, n_messages(250))
    assert isinstance(got[0], Lagged) and got[0].cursor == 0
    evs = events(got)
    assert evs[0].kind == "channel.created"
    assert [e.id for e in evs] == list(range(evs[0].id, evs[0].id + 251)) or core.db.dialect == "postgresql"
    assert [e.id for e in evs if e.kind == "message.published"] == sorted(m["id"] for m in pubs)
    await items.aclose()


async def test_another_replica_sees_events(core: Core, settings: Settings, backend: str) -> None:
    """On PostgreSQL a second Core is woken by LISTEN/NOTIFY (its poll is set far too slow to
    help); on SQLite another process sharing the file is found by the safety-net poll."""
    poll = 60.0 if backend == "postgres" else 0.1
    replica = Core(settings.model_copy(update={"stream_poll_seconds": poll}))
    await replica.start()
    try:
        await core.create_channel(LOCAL, "ops")
        # the replica's hub must be listening before we publish (NOTIFY is fire-and-forget),
        # so publish until the replica has seen the channel's creation
        items = stream(replica, cursor=0)
        got = await take(items, lambda g: any(e.kind == "channel.created" for e in events(g)), timeout=10)
        pub = await core.publish(LOCAL, "ops", MessageIn(title="from replica one", priority="P0"))
        got = events(await take(items, n_messages(1), timeout=10))
        assert got[-1].id == pub.message["id"]
        assert message_from_event(got[-1]) == pub.message
        # and the other way round
        back_items = stream(core, cursor=pub.message["id"], kinds=MESSAGES)
        pub2 = await replica.publish(LOCAL, "ops", MessageIn(title="from replica two"))
        got = events(await take(back_items, n_messages(1), timeout=10))
        assert got[0].id == pub2.message["id"] > pub.message["id"]
        await items.aclose()
        await back_items.aclose()
    finally:
        await replica.stop()


async def test_stop_is_prompt_even_when_the_hub_was_just_woken(core: Core) -> None:
    """asyncio.wait_for on Python 3.11 swallows a cancel that lands after its inner wait has
    finished but before it resumed; the hub must stop anyway, not hang the server's shutdown."""
    await core.create_channel(LOCAL, "ops")
    last = (await core.publish(LOCAL, "ops", MessageIn(title="m"))).message["id"]
    # once the hub has handed the event out, its pump is back waiting to be woken
    await wait_until(lambda: core.hub.last_id >= last)
    pump = core.hub._task
    assert pump is not None
    core.hub._wake.set()  # a commit's poke ...
    await asyncio.sleep(0)  # ... whose wake-up has run when Hub.stop() cancels the pump:
    core.hub._stopping.set()
    pump.cancel()
    done, _ = await asyncio.wait({pump}, timeout=5)
    if not done:  # leave nothing running behind the fixture
        pump.cancel()
        await asyncio.wait({pump}, timeout=5)
    assert done, "the hub's pump ignored its cancellation"
    await asyncio.wait_for(core.stop(), 5)


class Direct:
    """A `deliver` for follow_batches that takes events while `accept` is set, and one log of
    what reached the reader by either way, in the order it did."""

    def __init__(self) -> None:
        self.accept = True
        self.log: list[tuple[str, int]] = []

    def __call__(self, evs: list[Event]) -> bool:
        if not self.accept:
            return False
        self.log += [("direct", e.id) for e in evs]
        return True


async def _collect(items: Any, direct: Direct) -> None:
    async for item in items:
        if isinstance(item, Event):
            direct.log.append(("task", item.id))


async def test_a_caught_up_reader_is_handed_events_and_falls_back_in_order(core: Core) -> None:
    await core.create_channel(LOCAL, "ops")
    direct = Direct()
    items = stream(core, kinds=MESSAGES, deliver=direct)
    reader = asyncio.create_task(_collect(items, direct))
    sent: list[int] = []

    async def publish_one(title: str) -> None:
        sent.append((await core.publish(LOCAL, "ops", MessageIn(title=title))).message["id"])
        await wait_until(lambda: [i for _, i in direct.log][-1:] == sent[-1:])

    # "From now" is pinned when the reader first runs: publish until it has seen one.
    while not direct.log:
        await core.publish(LOCAL, "ops", MessageIn(title="warm-up"))
        await asyncio.sleep(0.05)
    await wait_until(lambda: core.hub.last_id <= direct.log[-1][1])
    start = len(direct.log)
    for i in range(3):
        await publish_one(f"direct {i}")
    direct.accept = False  # a full socket buffer: the reader's task takes over ...
    for i in range(3):
        await publish_one(f"task {i}")
    direct.accept = True  # ... and once it is caught up again, the hub hands events over again
    for i in range(3):
        await publish_one(f"direct again {i}")

    ways = [way for way, _ in direct.log[start:]]
    assert [i for _, i in direct.log[start:]] == sent  # every event once, in order
    assert ways[:3] == ["direct"] * 3 and ways[3:6] == ["task"] * 3 and ways[6:] == ["direct"] * 3
    reader.cancel()
    await asyncio.gather(reader, return_exceptions=True)
    await items.aclose()


async def test_direct_delivery_keeps_filters_acl_rereads_and_keepalives(core: Core) -> None:
    await core.create_channel(LOCAL, "ops")
    await core.create_channel(LOCAL, "other")
    start = (await core.publish(LOCAL, "ops", MessageIn(title="start"))).message["id"]
    await wait_until(lambda: core.hub.last_id >= start)
    direct = Direct()
    got: list[Any] = []
    items = stream(
        core, cursor=start, channels=["ops", "later"], f=build_filter(min_priority="high"), deliver=direct
    )

    async def run() -> None:
        async for item in items:
            got.append(item)

    reader = asyncio.create_task(run())
    await wait_until(lambda: bool(core.hub._waiters))  # parked, caught up
    low = await core.publish(LOCAL, "ops", MessageIn(title="low", priority="low"))
    elsewhere = await core.publish(LOCAL, "other", MessageIn(title="elsewhere", priority="critical"))
    crit = await core.publish(LOCAL, "ops", MessageIn(title="crit", priority="critical"))
    await wait_until(lambda: any(i == crit.message["id"] for _, i in direct.log))
    assert [i for _, i in direct.log] == [crit.message["id"]]
    assert low.message["id"] < elsewhere.message["id"] < crit.message["id"]
    # A channel event is left to the task, which re-reads what the reader may see first: the
    # channel named but missing when the stream began is followed from its creation on.
    await core.create_channel(LOCAL, "later")
    await wait_until(lambda: any(isinstance(i, Event) and i.kind == "channel.created" for i in got))
    later = await core.publish(LOCAL, "later", MessageIn(title="new channel", priority="P0"))
    await wait_until(lambda: any(i == later.message["id"] for _, i in direct.log))
    # Nothing written for `keepalive` seconds (0.5 here): a keep-alive follows, whichever way
    # the last event went.
    await wait_until(lambda: any(isinstance(i, Keepalive) and i.cursor == later.message["id"] for i in got))
    reader.cancel()
    await asyncio.gather(reader, return_exceptions=True)
    await items.aclose()
