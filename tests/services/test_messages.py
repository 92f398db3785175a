"""Publishing on both backends: the full model, limits, replies, idempotency, imports, atomicity."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from peoplekit import PeopleFactory
from sqlalchemy import func, select

from warroom.config import Settings
from warroom.core import Core
from warroom.errors import Conflict, Forbidden, InvalidInput, NotFound
from warroom.identity.models import DEFAULT_SCOPES, LOCAL, Principal
from warroom.messages.filters import MessageFilter
from warroom.messages.models import MessageIn
from warroom.store.tables import events, message_tags, messages


def full_message(**kw: Any) -> MessageIn:
    body: dict[str, Any] = {
        "title": "Database primary down",
        "body": "## What\nReplication lag > 30s on **db-1**.",
        "priority": "P0",
        "theme": "Incident-Alert",
        "tags": ["Database", "prod", "database"],
        "thread_id": "inc-2024-001",
        "sender": {"user_id": "u-42", "name": "Claude", "role": "sre-assistant", "ai_tool": "claude"},
        "links": ["https://grafana/d/db", {"url": "https://runbooks/db", "title": "Runbook"}],
        "actions": [
            {"label": "Acknowledge", "action": "ack"},
            {"label": "Open dashboard", "url": "https://g"},
        ],
    }
    body.update(kw)
    return MessageIn.model_validate(body)


async def counts(core: Core, channel: str) -> dict[str, Any]:
    def fn(conn: Any) -> dict[str, Any]:
        return {
            "events": conn.execute(select(func.count()).select_from(events)).scalar_one(),
            "messages": conn.execute(select(func.count()).select_from(messages)).scalar_one(),
            "tags": conn.execute(select(func.count()).select_from(message_tags)).scalar_one(),
        }

    out = await core.db.read(fn)
    out["stats"] = (await core.get_channel(LOCAL, channel))["stats"]
    return out


async def test_full_model_round_trip(core: Core, people: PeopleFactory) -> None:
    await core.create_channel(LOCAL, "incidents")
    bot = await people("claude-bot")
    pub = await core.publish(bot, "incidents", full_message())
    m = pub.message
    assert pub.created
    assert m["channel"] == "incidents"
    assert m["title"] == "Database primary down"
    assert m["body"].startswith("## What")
    assert (m["priority"], m["severity"]) == ("critical", "P0")
    assert m["theme"] == "incident-alert"
    assert m["tags"] == ["database", "prod"]
    assert m["thread_id"] == "inc-2024-001"
    assert m["in_reply_to"] is None
    assert m["sender"] == {"user_id": "u-42", "name": "Claude", "role": "sre-assistant", "ai_tool": "claude"}
    assert m["published_by"] == "claude-bot"  # who really published, beside what the client says
    assert m["links"] == [{"url": "https://grafana/d/db"}, {"url": "https://runbooks/db", "title": "Runbook"}]
    assert m["actions"] == [
        {"label": "Acknowledge", "action": "ack"},
        {"label": "Open dashboard", "url": "https://g"},
    ]
    assert m["imported"] is False
    assert m["created_at"] == m["received_at"] and m["created_at"].endswith("Z")
    stored = await core.get_message(bot, m["id"])
    assert stored == m
    page = await core.history(bot, ["incidents"], MessageFilter())
    assert page["items"] == [m]


async def test_sender_defaults_from_the_principal(core: Core, people: PeopleFactory) -> None:
    await core.create_channel(LOCAL, "ops")
    tom = await people("tom", name="Tom Jones")
    m = (await core.publish(tom, "ops", MessageIn(title="x"))).message
    assert m["sender"] == {"user_id": "tom", "name": "Tom Jones", "role": None, "ai_tool": None}
    # partial sender: declared fields win, the rest comes from the principal
    m = (
        await core.publish(
            tom, "ops", MessageIn.model_validate({"title": "y", "sender": {"ai_tool": "gemini"}})
        )
    ).message
    assert m["sender"] == {"user_id": "tom", "name": "Tom Jones", "role": None, "ai_tool": "gemini"}
    assert m["published_by"] == "tom"


async def test_defaults(core: Core) -> None:
    await core.create_channel(LOCAL, "ops")
    m = (await core.publish(LOCAL, "ops", MessageIn(title="plain"))).message
    assert (m["priority"], m["severity"], m["body"], m["theme"], m["tags"], m["thread_id"]) == (
        "medium",
        "P2",
        "",
        None,
        [],
        None,
    )
    assert m["links"] == [] and m["actions"] == []


async def test_priority_is_stored_in_one_form(core: Core) -> None:
    await core.create_channel(LOCAL, "ops")
    for spelling, stored in [("P0", "critical"), ("HIGH", "high"), ("3", "medium"), (1, "low")]:
        m = (await core.publish(LOCAL, "ops", MessageIn(title="x", priority=spelling))).message
        assert (await core.get_message(LOCAL, m["id"]))["priority"] == stored


async def test_unknown_channel_names_it_and_the_fix(core: Core) -> None:
    with pytest.raises(NotFound) as exc:
        await core.publish(LOCAL, "nope", MessageIn(title="x"))
    assert exc.value.field == "channel"
    assert "'nope'" in exc.value.message and "warroom channel create nope" in exc.value.message


@pytest.fixture
async def tight_core(settings: Settings) -> Any:
    c = Core(
        settings.model_copy(
            update={
                "max_body_chars": 10,
                "max_tags": 2,
                "max_tag_length": 5,
                "max_links": 1,
                "max_actions": 1,
            }
        )
    )
    await c.start()
    yield c
    await c.stop()


async def test_limits_name_the_field_and_leave_nothing(tight_core: Core) -> None:
    core = tight_core
    await core.create_channel(LOCAL, "ops")
    await core.publish(LOCAL, "ops", MessageIn(title="ok", body="x" * 10, tags=["a", "abcde"]))
    before = await counts(core, "ops")
    cases: list[tuple[dict[str, Any], str]] = [
        ({"body": "x" * 11}, "body"),
        ({"tags": ["a", "b", "c"]}, "tags"),
        ({"tags": ["abcdef"]}, "tags"),
        ({"links": ["https://a", "https://b"]}, "links"),
        ({"actions": [{"label": "a"}, {"label": "b"}]}, "actions"),
    ]
    for kw, field in cases:
        with pytest.raises(InvalidInput) as exc:
            await core.publish(LOCAL, "ops", MessageIn.model_validate({"title": "too much", **kw}))
        assert exc.value.field == field
        assert "at most" in exc.value.message or "limit" in exc.value.message
    assert await counts(core, "ops") == before


async def test_in_reply_to_must_be_a_message_of_the_same_channel(core: Core) -> None:
    await core.create_channel(LOCAL, "a")
    await core.create_channel(LOCAL, "b")
    other = (await core.publish(LOCAL, "b", MessageIn(title="in b"))).message
    before = await counts(core, "a")
    for bad in (other["id"], 999_999):
        with pytest.raises(InvalidInput) as exc:
            await core.publish(LOCAL, "a", MessageIn(title="reply", in_reply_to=bad))
        assert exc.value.field == "in_reply_to" and str(bad) in exc.value.message
    assert await counts(core, "a") == before


async def test_reply_inherits_the_parent_thread(core: Core) -> None:
    await core.create_channel(LOCAL, "ops")
    parent = (await core.publish(LOCAL, "ops", MessageIn(title="p", thread_id="inc-7"))).message
    reply = (await core.publish(LOCAL, "ops", MessageIn(title="r", in_reply_to=parent["id"]))).message
    assert reply["thread_id"] == "inc-7" and reply["in_reply_to"] == parent["id"]
    # a reply to the reply is in the same thread too
    deeper = (await core.publish(LOCAL, "ops", MessageIn(title="rr", in_reply_to=reply["id"]))).message
    assert deeper["thread_id"] == "inc-7"
    # an explicit thread wins
    moved = (
        await core.publish(LOCAL, "ops", MessageIn(title="x", in_reply_to=parent["id"], thread_id="t2"))
    ).message
    assert moved["thread_id"] == "t2"
    thread = await core.thread(LOCAL, "inc-7")
    assert [m["title"] for m in thread["messages"]] == ["p", "r", "rr"]


async def test_idempotency_key_returns_the_first_result(core: Core, people: PeopleFactory) -> None:
    await core.create_channel(LOCAL, "ops")
    tom = await people("tom")
    first = await core.publish(tom, "ops", MessageIn(title="deploy", tags=["x"], idempotency_key="k-1"))
    before = await counts(core, "ops")
    again = await core.publish(tom, "ops", MessageIn(title="deploy", tags=["x"], idempotency_key="k-1"))
    assert first.created and not again.created
    assert again.message == first.message
    assert await counts(core, "ops") == before
    # keys belong to their publisher: ann's k-1 is a different message
    ann = await people("ann")
    other = await core.publish(ann, "ops", MessageIn(title="deploy", idempotency_key="k-1"))
    assert other.created and other.message["id"] != first.message["id"]


async def test_idempotency_key_reused_for_a_different_message_is_a_conflict(
    core: Core, people: PeopleFactory
) -> None:
    await core.create_channel(LOCAL, "ops")
    await core.create_channel(LOCAL, "dev")
    tom = await people("tom")
    first = await core.publish(tom, "ops", MessageIn(title="deploy", idempotency_key="k-1"))
    before = await counts(core, "ops")
    for channel, title in (("ops", "another title"), ("dev", "deploy")):
        with pytest.raises(Conflict) as exc:
            await core.publish(tom, channel, MessageIn(title=title, idempotency_key="k-1"))
        assert exc.value.field == "idempotency_key" and str(first.message["id"]) in exc.value.message
    assert await counts(core, "ops") == before


async def test_concurrent_retries_with_one_key_publish_once(core: Core) -> None:
    import asyncio

    await core.create_channel(LOCAL, "ops")
    results = await asyncio.gather(
        *(core.publish(LOCAL, "ops", MessageIn(title="once", idempotency_key="same")) for _ in range(20))
    )
    assert sum(r.created for r in results) == 1
    assert len({r.message["id"] for r in results}) == 1
    assert (await core.get_channel(LOCAL, "ops"))["stats"]["messages"] == 1


async def test_admins_may_import_with_created_at(core: Core, people: PeopleFactory) -> None:
    await core.create_channel(LOCAL, "ops")
    when = datetime(2024, 1, 12, 2, 47, tzinfo=UTC)
    m = (await core.publish(LOCAL, "ops", MessageIn(title="old", created_at=when))).message
    assert m["imported"] is True
    assert m["created_at"] == "2024-01-12T02:47:00Z"
    assert m["received_at"] != m["created_at"]
    assert (await core.get_message(LOCAL, m["id"]))["created_at"] == "2024-01-12T02:47:00Z"

    tom = await people("tom")
    scoped_admin = await people("root", admin=True, scopes=DEFAULT_SCOPES)
    before = await counts(core, "ops")
    for p in (tom, scoped_admin):
        with pytest.raises(Forbidden) as exc:
            await core.publish(p, "ops", MessageIn(title="old", created_at=when))
        assert exc.value.field == "created_at"
    with pytest.raises(InvalidInput) as exc2:
        await core.publish(LOCAL, "ops", MessageIn(title="naive", created_at=datetime(2024, 1, 12, 2, 47)))
    assert exc2.value.field == "created_at"
    assert await counts(core, "ops") == before


async def test_a_failed_write_leaves_no_partial_data(core: Core) -> None:
    """Everything a publish writes (event, message, tags, counters) rolls back together."""
    await core.create_channel(LOCAL, "ops")
    await core.publish(LOCAL, "ops", MessageIn(title="kept", tags=["a"]))
    before = await counts(core, "ops")

    class Boom(Exception):
        pass

    def publish_then_fail(conn: Any) -> None:
        core.messages.publish(
            conn, LOCAL, "ops", MessageIn(title="lost", tags=["a", "b"], idempotency_key="k")
        )
        raise Boom

    with pytest.raises(Boom):
        await core.db.write(publish_then_fail)
    assert await counts(core, "ops") == before
    # the idempotency key was not consumed either
    assert (await core.publish(LOCAL, "ops", MessageIn(title="lost", idempotency_key="k"))).created


async def test_get_message_hides_unreadable_channels(core: Core, people: PeopleFactory) -> None:
    await core.create_channel(LOCAL, "secret", visibility="confidential")
    await core.create_channel(LOCAL, "priv", visibility="private")
    tom = await people("tom")
    hidden = (await core.publish(LOCAL, "secret", MessageIn(title="x"))).message
    errors = []
    for mid in (hidden["id"], 10_000_000):
        with pytest.raises(NotFound) as exc:
            await core.get_message(tom, mid)
        errors.append(exc.value.message.replace(str(mid), "N"))
    assert errors[0] == errors[1]
    private = (await core.publish(LOCAL, "priv", MessageIn(title="x"))).message
    with pytest.raises(Forbidden):
        await core.get_message(tom, private["id"])


async def test_publisher_needs_publish_permission(core: Core, people: PeopleFactory) -> None:
    await core.create_channel(
        LOCAL, "ro", visibility="private", acl=[{"subject": "principal:tom", "permission": "read"}]
    )
    tom: Principal = await people("tom")
    with pytest.raises(Forbidden):
        await core.publish(tom, "ro", MessageIn(title="x"))
    assert (await core.get_channel(LOCAL, "ro"))["stats"]["messages"] == 0
