"""Incident use cases on both stores: declare, every move, notes, assign, severity, merge,
reopen, the timeline, the seed's themed workflow and channel ACLs."""

from __future__ import annotations

from typing import Any

import pytest

from alertkit import LIFECYCLE_KINDS, count_events, thread_kinds
from warroom.core import Core
from warroom.errors import Conflict, Forbidden, InvalidInput, NotFound
from warroom.identity.models import Principal
from warroom.messages.models import MessageIn


@pytest.fixture
async def sarah(core: Core, people: Any) -> Principal:
    p = await people("sarah", admin=True, name="Sarah Chen")
    await core.create_channel(p, "incidents", incident_enabled=True)
    await core.create_channel(p, "chatter")
    return p


def messages(tl: dict[str, Any]) -> list[dict[str, Any]]:
    return [i["message"] for i in tl["items"] if "message" in i]


async def test_each_change_is_one_event_and_one_message_naming_who_and_why(
    core: Core, sarah: Principal, people: Any
) -> None:
    mike = await people("mike", name="Mike Ross")
    inc = await core.declare_incident(
        sarah, title="Checkout down", channel="incidents", severity="high", service="checkout", summary="500s"
    )
    assert inc["id"] == "INC-1" and inc["severity"] == "P1" and inc["created_by"] == "sarah"
    ref = inc["id"]

    steps: list[tuple[str, Any]] = [
        (
            "incident.acknowledged",
            lambda: core.set_incident_status(mike, ref, "acknowledged", reason="on it"),
        ),
        (
            "incident.status_changed",
            lambda: core.set_incident_status(mike, ref, "investigating", reason="looking at db"),
        ),
        ("incident.note_added", lambda: core.add_incident_note(mike, ref, "pool at 100/100")),
        ("incident.assigned", lambda: core.assign_incident(sarah, ref, owner="mike", commander="sarah")),
        (
            "incident.severity_changed",
            lambda: core.set_incident_severity(sarah, ref, "P0", reason="all users"),
        ),
        (
            "incident.status_changed",
            lambda: core.set_incident_status(mike, ref, "mitigating", reason="rollback"),
        ),
        (
            "incident.resolved",
            lambda: core.set_incident_status(mike, ref, "resolved", reason="pool back to 45"),
        ),
        ("incident.reopened", lambda: core.reopen_incident(sarah, ref, reason="errors again")),
    ]
    for kind, step in steps:
        before = await core.db.read(lambda c: thread_kinds(c, "INC-1"))
        await step()
        after = await core.db.read(lambda c: thread_kinds(c, "INC-1"))
        added = after[len(before) :]
        assert sorted(added) == sorted([kind, "message.published"]), (kind, added)

    tl = await core.incident_timeline(sarah, ref)
    msgs = [m for m in messages(tl) if "analysis" not in (m["sender"].get("name") or "")]
    assert [m["theme"] for m in msgs] == [
        "incident-alert",
        "incident-update",
        "incident-update",
        "incident-note",
        "incident-update",
        "incident-update",
        "incident-update",
        "incident-resolved",
        "incident-update",
    ]
    assert all(m["thread_id"] == "INC-1" and m["channel"] == "incidents" for m in msgs)
    assert [m["sender"]["user_id"] for m in msgs[1:4]] == ["mike"] * 3
    assert msgs[1]["body"] == "on it" and "Mike Ross" in msgs[1]["title"]
    assert msgs[7]["body"] == "pool back to 45"
    events = [i for i in tl["items"] if "data" in i and i["kind"] in LIFECYCLE_KINDS]
    assert all(e["data"]["by"] in ("sarah", "mike") for e in events), events
    resolved = next(e for e in events if e["kind"] == "incident.resolved")
    assert resolved["data"]["reason"] == "pool back to 45" and resolved["data"]["from_status"] == "mitigating"
    assert resolved["status"] == "resolved"

    final = await core.get_incident(sarah, ref)
    assert final["status"] == "triggered" and final["reopen_count"] == 1 and final["severity"] == "P0"
    assert final["owner"] == "mike" and final["commander"] == "sarah"
    # First-visit stamps survive the reopen; a second pass does not move them.
    stamps = {k: final[k] for k in ("acknowledged_at", "investigating_at", "mitigating_at")}
    assert all(stamps.values())
    await core.set_incident_status(mike, ref, "mitigating")
    again = await core.get_incident(sarah, ref)
    assert {k: again[k] for k in stamps} == stamps


async def test_noops_conflicts_and_late_acknowledge(core: Core, sarah: Principal) -> None:
    await core.declare_incident(sarah, title="x", channel="incidents")
    await core.set_incident_status(sarah, "INC-1", "mitigating")
    n = await core.db.read(count_events)
    out = await core.set_incident_status(sarah, "INC-1", "acknowledged")
    assert out["changed"] is False and "implies acknowledged" in out["note"]
    out = await core.set_incident_status(sarah, "INC-1", "mitigating")
    assert out["changed"] is False
    await core.set_incident_status(sarah, "INC-1", "resolved")
    m = await core.db.read(count_events)
    out = await core.set_incident_status(sarah, "INC-1", "acknowledged")
    assert out["changed"] is False and out["status"] == "resolved" and "late acknowledge" in out["note"]
    assert (await core.set_incident_status(sarah, "INC-1", "resolved"))["changed"] is False
    with pytest.raises(Conflict, match="reopen"):
        await core.set_incident_status(sarah, "INC-1", "mitigating")
    with pytest.raises(InvalidInput):
        await core.set_incident_status(sarah, "INC-1", "closed")
    assert (await core.reopen_incident(sarah, "INC-1"))["changed"] is True
    assert (await core.reopen_incident(sarah, "INC-1"))["changed"] is False
    assert await core.db.read(count_events) == m + 2  # only the reopen wrote (event + message)
    assert m == n + 2
    assert (await core.set_incident_status(sarah, "INC-1", "triggered"))["changed"] is False
    await core.set_incident_status(sarah, "INC-1", "acknowledged")
    with pytest.raises(Conflict, match="triggered"):
        await core.set_incident_status(sarah, "INC-1", "triggered")
    assert (await core.set_incident_severity(sarah, "INC-1", "P2"))["changed"] is False
    with pytest.raises(NotFound):
        await core.get_incident(sarah, "INC-42")


async def test_merge(core: Core, sarah: Principal) -> None:
    await core.declare_incident(sarah, title="db slow", channel="incidents", severity="P2")
    await core.declare_incident(sarah, title="api errors", channel="incidents", severity="P1")
    out = await core.merge_incidents(sarah, "INC-2", "INC-1")
    assert out["id"] == "INC-1" and out["severity"] == "P1"  # the worse severity wins
    two = await core.get_incident(sarah, "INC-2")
    assert two["merged_into"] == "INC-1" and two["status"] == "resolved"
    page = await core.list_incidents(sarah, status="all")
    assert [i["id"] for i in page["items"]] == ["INC-1"]
    assert any(
        "merged into INC-1" in m["title"] for m in messages(await core.incident_timeline(sarah, "INC-2"))
    )
    with pytest.raises(InvalidInput):
        await core.merge_incidents(sarah, "INC-1", "INC-1")
    await core.declare_incident(sarah, title="third", channel="incidents")
    with pytest.raises(Conflict, match="merge into that one"):
        await core.merge_incidents(sarah, "INC-3", "INC-2")


async def test_seed_workflow_declares_and_resolves_by_theme(core: Core, sarah: Principal) -> None:
    alert = MessageIn(
        title="user-api down",
        body="DB pool exhausted",
        priority="critical",
        theme="incident-alert",
        thread_id="incident-2025-11-21-001",
    )
    await core.publish(sarah, "incidents", alert)
    inc = await core.get_incident(sarah, "incident-2025-11-21-001")
    assert inc["id"] == "INC-1" and inc["thread_id"] == "incident-2025-11-21-001"
    assert inc["severity"] == "P0" and inc["status"] == "triggered"
    # A second incident-alert on the same thread does not declare another.
    await core.publish(
        sarah,
        "incidents",
        MessageIn(title="still down", theme="incident-alert", thread_id="incident-2025-11-21-001"),
    )
    assert len((await core.list_incidents(sarah, status="all"))["items"]) == 1
    await core.publish(
        sarah,
        "incidents",
        MessageIn(
            title="✅ RESOLVED: pool back to 45/100",
            theme="incident-resolved",
            thread_id="incident-2025-11-21-001",
        ),
    )
    inc = await core.get_incident(sarah, "INC-1")
    assert inc["status"] == "resolved" and inc["resolved_at"]
    tl = await core.incident_timeline(sarah, "INC-1")
    assert [m["title"] for m in messages(tl)] == [
        "user-api down",
        "still down",
        "✅ RESOLVED: pool back to 45/100",
    ]
    assert [i["kind"] for i in tl["items"] if i["kind"] in LIFECYCLE_KINDS] == [
        "incident.triggered",
        "incident.resolved",
    ]

    # On a channel that is not incident-enabled, the same messages are only messages.
    await core.publish(
        sarah, "chatter", MessageIn(title="fire drill", theme="incident-alert", thread_id="drill-1")
    )
    with pytest.raises(NotFound):
        await core.get_incident(sarah, "drill-1")
    # Without a thread, nothing to declare either.
    await core.publish(sarah, "incidents", MessageIn(title="no thread", theme="incident-alert"))
    assert len((await core.list_incidents(sarah, status="all"))["items"]) == 1


async def test_confidential_incidents_are_invisible_to_others(core: Core, people: Any) -> None:
    sec = await people("sec", groups=["security"])
    dev = await people("dev")
    await core.create_channel(sec, "security-incidents", visibility="confidential", incident_enabled=True)
    await core.declare_incident(sec, title="breach", channel="security-incidents", severity="P0")
    assert [i["id"] for i in (await core.list_incidents(sec))["items"]] == ["INC-1"]
    assert (await core.list_incidents(dev))["items"] == []
    for call in (
        lambda: core.get_incident(dev, "INC-1"),
        lambda: core.incident_timeline(dev, "INC-1"),
        lambda: core.set_incident_status(dev, "INC-1", "acknowledged"),
        lambda: core.add_incident_note(dev, "INC-1", "hi"),
    ):
        with pytest.raises(NotFound):
            await call()
    with pytest.raises(NotFound):
        await core.declare_incident(dev, title="x", channel="security-incidents")
    reader = await people("reader", scopes=frozenset())
    with pytest.raises((Forbidden, NotFound)):
        await core.declare_incident(reader, title="x", channel="security-incidents")


async def test_private_channel_incidents_are_hidden_from_non_readers(core: Core, people: Any) -> None:
    # A private channel is listed to everyone, but its incidents are not: someone who may not
    # read it gets the same 404 as for a number that was never used, not a 403 that confirms it.
    ops = await people("ops")
    dev = await people("dev")
    await core.create_channel(ops, "ops-private", visibility="private", incident_enabled=True)
    await core.declare_incident(ops, title="payroll export stuck", channel="ops-private", severity="P2")
    for call in (
        lambda: core.get_incident(dev, "INC-1"),
        lambda: core.incident_timeline(dev, "INC-1"),
        lambda: core.set_incident_status(dev, "INC-1", "acknowledged"),
        lambda: core.add_incident_note(dev, "INC-1", "hi"),
    ):
        with pytest.raises(NotFound, match="incident 'INC-1' does not exist"):
            await call()
    # A reader without publish rights learns what is missing and how to get it.
    root = await people("root", admin=True)
    await core.db.write(lambda c: core.channels.grant(c, root, "ops-private", "principal:dev", "read"))
    assert (await core.get_incident(dev, "INC-1"))["title"] == "payroll export stuck"
    with pytest.raises(Forbidden, match="may not publish to channel 'ops-private'"):
        await core.set_incident_status(dev, "INC-1", "acknowledged")
