"""Threads across channels, and durable subscriptions with read cursors, on both backends."""

from __future__ import annotations

import pytest
from peoplekit import PeopleFactory

from warroom.core import Core
from warroom.errors import Forbidden, InvalidInput, NotFound
from warroom.identity.models import LOCAL
from warroom.messages.filters import MessageFilter, build_filter
from warroom.messages.models import MessageIn


async def test_a_thread_spans_channels_within_what_you_may_read(core: Core, people: PeopleFactory) -> None:
    tom = await people("tom")
    await core.create_channel(LOCAL, "incidents")
    await core.create_channel(LOCAL, "db-team")
    await core.create_channel(LOCAL, "secret", visibility="confidential")
    titles = []
    for channel, title in [
        ("incidents", "alert"),
        ("db-team", "looking"),
        ("secret", "creds leaked"),
        ("incidents", "fixed"),
    ]:
        await core.publish(LOCAL, channel, MessageIn(title=title, thread_id="inc-9"))
        titles.append(title)
    await core.publish(LOCAL, "incidents", MessageIn(title="other", thread_id="inc-10"))
    full = await core.thread(LOCAL, "inc-9")
    assert [m["title"] for m in full["messages"]] == titles  # oldest first, across channels
    assert full["thread_id"] == "inc-9" and full["has_more"] is False
    mine = await core.thread(tom, "inc-9")
    assert [m["title"] for m in mine["messages"]] == ["alert", "looking", "fixed"]
    limited = await core.thread(LOCAL, "inc-9", limit=2)
    assert [m["title"] for m in limited["messages"]] == ["alert", "looking"] and limited["has_more"]


async def test_a_thread_you_cannot_see_is_not_found(core: Core, people: PeopleFactory) -> None:
    tom = await people("tom")
    await core.create_channel(LOCAL, "secret", visibility="confidential")
    await core.publish(LOCAL, "secret", MessageIn(title="x", thread_id="hidden-thread"))
    errors = []
    for thread_id in ("hidden-thread", "no-thread"):
        with pytest.raises(NotFound) as exc:
            await core.thread(tom, thread_id)
        errors.append(exc.value.message.replace(thread_id, "T"))
    assert errors[0] == errors[1]


async def test_subscribe_is_idempotent_on_the_same_filters(core: Core, people: PeopleFactory) -> None:
    tom = await people("tom")
    await core.create_channel(LOCAL, "ops")
    a = await core.subscribe(tom, "ops", build_filter(priorities="critical,high", tags="db"))
    b = await core.subscribe(
        tom, "ops", build_filter(priorities="P1,P0", tags="DB")
    )  # same set, other spellings
    assert a["id"] == b["id"]
    c = await core.subscribe(tom, "ops", build_filter(priorities="critical"))
    assert c["id"] != a["id"]
    assert a["filters"] == {"priorities": ["critical", "high"], "tags_any": ["db"]}
    assert a["channel"] == "ops" and a["cursor"] == 0 and a["delivery"] == []
    mine = await core.list_subscriptions(tom)
    assert [s["id"] for s in mine] == [a["id"], c["id"]]
    assert all(s["unread"] == 0 for s in mine)
    assert (await core.get_channel(tom, "ops"))["stats"]["subscribers"] == 2
    # other principals have their own
    ann = await people("ann")
    assert (await core.subscribe(ann, "ops", build_filter(priorities="critical,high", tags="db")))["id"] != a[
        "id"
    ]
    assert [s["id"] for s in await core.list_subscriptions(tom)] == [a["id"], c["id"]]


async def test_subscribe_needs_read(core: Core, people: PeopleFactory) -> None:
    tom = await people("tom")
    await core.create_channel(LOCAL, "priv", visibility="private")
    with pytest.raises(Forbidden):
        await core.subscribe(tom, "priv", MessageFilter())
    with pytest.raises(NotFound):
        await core.subscribe(tom, "nope", MessageFilter())


async def test_unread_starts_now_respects_filters_and_the_cursor(core: Core, people: PeopleFactory) -> None:
    tom = await people("tom")
    await core.create_channel(LOCAL, "ops")
    await core.create_channel(LOCAL, "dev")
    await core.publish(LOCAL, "ops", MessageIn(title="before subscribing", priority="critical"))
    sub = await core.subscribe(tom, "ops", build_filter(min_priority="high"))
    pubs = []
    for title, prio, channel in [
        ("c1", "critical", "ops"),
        ("low", "low", "ops"),
        ("h1", "high", "ops"),
        ("elsewhere", "critical", "dev"),
        ("c2", "P0", "ops"),
    ]:
        pubs.append((await core.publish(LOCAL, channel, MessageIn(title=title, priority=prio))).message)
    unread = await core.unread(tom)
    (entry,) = unread["subscriptions"]
    assert entry["subscription"] == sub["id"] and entry["channel"] == "ops"
    assert [m["title"] for m in entry["messages"]] == ["c1", "h1", "c2"]  # oldest first
    assert entry["unread"] == 3 and entry["has_more"] is False
    assert (await core.list_subscriptions(tom))[0]["unread"] == 3
    # page through with a small limit
    small = await core.unread(tom, sub_id=sub["id"], limit=2)
    assert [m["title"] for m in small["subscriptions"][0]["messages"]] == ["c1", "h1"]
    assert small["subscriptions"][0]["has_more"] is True
    # mark read up to h1: only c2 is left
    h1 = next(m for m in pubs if m["title"] == "h1")
    marked = await core.mark_read(tom, sub["id"], up_to=h1["id"])
    assert marked["cursor"] == h1["id"] and marked["unread"] == 1
    entry = (await core.unread(tom))["subscriptions"][0]
    assert [m["title"] for m in entry["messages"]] == ["c2"]
    # mark everything read (default: the newest message of the channel)
    marked = await core.mark_read(tom, sub["id"])
    assert marked["unread"] == 0 and marked["cursor"] == pubs[-1]["id"]


async def test_mark_read_never_moves_backwards(core: Core, people: PeopleFactory) -> None:
    tom = await people("tom")
    await core.create_channel(LOCAL, "ops")
    sub = await core.subscribe(tom, "ops", MessageFilter())
    ids = [(await core.publish(LOCAL, "ops", MessageIn(title=f"m{i}"))).message["id"] for i in range(4)]
    assert (await core.mark_read(tom, sub["id"], up_to=ids[2]))["cursor"] == ids[2]
    assert (await core.mark_read(tom, sub["id"], up_to=ids[0]))["cursor"] == ids[2]
    assert (await core.mark_read(tom, sub["id"], up_to=0))["cursor"] == ids[2]
    assert (await core.unread(tom))["subscriptions"][0]["unread"] == 1
    with pytest.raises(InvalidInput) as exc:
        await core.mark_read(tom, sub["id"], up_to=-1)
    assert exc.value.field == "up_to"


async def test_unsubscribe_by_id_and_by_channel(core: Core, people: PeopleFactory) -> None:
    tom = await people("tom")
    await core.create_channel(LOCAL, "ops")
    await core.create_channel(LOCAL, "dev")
    a = await core.subscribe(tom, "ops", MessageFilter())
    b = await core.subscribe(tom, "ops", build_filter(tags="db"))
    c = await core.subscribe(tom, "dev", MessageFilter())
    assert await core.unsubscribe(tom, sub_id=a["id"]) == [a["id"]]
    assert sorted(await core.unsubscribe(tom, channel_id="ops")) == [b["id"]]
    assert [s["id"] for s in await core.list_subscriptions(tom)] == [c["id"]]
    with pytest.raises(NotFound):
        await core.unsubscribe(tom, channel_id="ops")
    with pytest.raises(NotFound):
        await core.unsubscribe(tom, sub_id=a["id"])
    with pytest.raises(InvalidInput):
        await core.unsubscribe(tom)
    assert (await core.get_channel(tom, "ops"))["stats"]["subscribers"] == 0


async def test_someone_elses_subscription_is_not_found(core: Core, people: PeopleFactory) -> None:
    tom = await people("tom")
    ann = await people("ann")
    await core.create_channel(LOCAL, "ops")
    sub = await core.subscribe(tom, "ops", MessageFilter())
    for op in (
        core.mark_read(ann, sub["id"]),
        core.unread(ann, sub_id=sub["id"]),
        core.unsubscribe(ann, sub_id=sub["id"]),
    ):
        with pytest.raises(NotFound) as exc:
            await op
        assert "not one of yours" in exc.value.message
    assert [s["id"] for s in await core.list_subscriptions(tom)] == [sub["id"]]
    assert await core.list_subscriptions(ann) == []


async def test_unread_skips_channels_you_lost_access_to(core: Core, people: PeopleFactory) -> None:
    tom = await people("tom")
    await core.create_channel(LOCAL, "ops")
    await core.subscribe(tom, "ops", MessageFilter())
    await core.publish(LOCAL, "ops", MessageIn(title="m"))
    assert (await core.unread(tom))["subscriptions"][0]["unread"] == 1
    await core.update_channel(LOCAL, "ops", {"visibility": "confidential"})
    assert (await core.unread(tom))["subscriptions"] == []


async def test_unread_limit_bounds(core: Core, people: PeopleFactory) -> None:
    tom = await people("tom")
    for limit in (0, 501):
        with pytest.raises(InvalidInput):
            await core.unread(tom, limit=limit)
