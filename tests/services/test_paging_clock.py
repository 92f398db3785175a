"""The escalation clock on a controllable `now`, on both backends.

Every tick is `core.clock.tick(conn, now)` in a write transaction with an explicit time;
the clock's own loop never runs here, so the test alone decides when time passes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from pagingkit import (
    declare,
    deliveries_of,
    escalation_of,
    paging_core,
    principal,
    quiet_settings,
    setup_team,
    tick,
)

from warroom.config import Settings
from warroom.core import Core
from warroom.errors import Conflict
from warroom.timeutil import utcnow

S = timedelta(seconds=1)


@pytest.fixture
async def pcore(settings: Settings) -> AsyncIterator[Core]:
    async for c in paging_core(settings):
        yield c


def _paged(rows: list[object]) -> Counter[tuple[str, int, int]]:
    """(recipient, level, round) → how many deliveries."""
    return Counter(
        (r.principal_id, r.payload["level"], r.payload["round"])  # type: ignore[attr-defined]
        for r in rows
    )


async def test_trigger_pages_level_one_at_once_then_level_two_after_its_delay(pcore: Core) -> None:
    admin = await principal(pcore, "boss", admin=True)
    await setup_team(pcore, admin)
    n = await declare(pcore, admin)
    t0 = utcnow()
    fired = await tick(pcore, t0)
    assert [(f["level"], f["users"]) for f in fired] == [(1, ["sarah"])]
    assert _paged(await deliveries_of(pcore, n)) == {("sarah", 1, 0): 1}
    esc = await escalation_of(pcore, n)
    assert (esc.state, esc.fired_steps, esc.policy_id) == ("active", 1, "backend")
    assert esc.next_due_at == esc.triggered_at + 300 * S

    assert await tick(pcore, t0 + 299 * S) == []
    fired = await tick(pcore, t0 + 300 * S)
    assert [(f["level"], f["users"], f["step"]) for f in fired] == [(2, ["tom"], 1)]
    assert await tick(pcore, t0 + 300 * S) == []  # a second tick at the same time fires nothing
    assert _paged(await deliveries_of(pcore, n)) == {("sarah", 1, 0): 1, ("tom", 2, 0): 1}

    fired = await tick(pcore, t0 + 900 * S)
    assert [(f["level"], f["users"]) for f in fired] == [(3, ["ann"])]
    esc = await escalation_of(pcore, n)
    assert (esc.state, esc.fired_steps, esc.next_due_at) == ("exhausted", 3, None)
    assert await tick(pcore, t0 + 9000 * S) == []

    timeline = await pcore.incident_timeline(admin, f"INC-{n}")
    kinds = Counter(i["kind"] for i in timeline["items"])
    assert kinds["incident.escalated"] == 3 and kinds["delivery.queued"] == 3
    escalated = [i["data"] for i in timeline["items"] if i["kind"] == "incident.escalated"]
    assert [(e["level"], e["users"], e["policy"]) for e in escalated] == [
        (1, ["sarah"], "backend"),
        (2, ["tom"], "backend"),
        (3, ["ann"], "backend"),
    ]
    notes = [
        i["message"]["title"]
        for i in timeline["items"]
        if "message" in i and i["message"].get("theme") == "incident-escalation"
    ]
    assert notes == [
        f"📟 INC-{n}: paging Sarah (level 1)",
        f"📟 INC-{n}: paging Tom (level 2)",
        f"📟 INC-{n}: paging Ann (level 3)",
    ]


async def test_ack_before_level_two_stops_it_and_the_worker_cancels_queued_pages(pcore: Core) -> None:
    admin = await principal(pcore, "boss", admin=True)
    sarah = await principal(pcore, "sarah")
    await setup_team(pcore, admin)
    n = await declare(pcore, admin)
    t0 = utcnow()
    await tick(pcore, t0)
    out = await pcore.set_incident_status(sarah, f"INC-{n}", "acknowledged")
    assert out["status"] == "acknowledged" and out["owner"] == "sarah"
    assert await tick(pcore, t0 + 301 * S) == []
    esc = await escalation_of(pcore, n)
    assert (esc.state, esc.fired_steps, esc.next_due_at) == ("stopped", 1, None)
    assert await tick(pcore, t0 + 5000 * S) == []
    assert _paged(await deliveries_of(pcore, n)) == {("sarah", 1, 0): 1}

    # Sarah's page was still queued (no worker ran): the worker cancels it rather than send it.
    claimed = await pcore.db.write(lambda c: pcore.worker._claim(c, utcnow() + 5 * S))
    assert claimed == []
    rows = await deliveries_of(pcore, n)
    assert [(r.state, r.last_error) for r in rows] == [("cancelled", "not sent: incident acknowledged")]
    timeline = await pcore.incident_timeline(admin, f"INC-{n}")
    assert [i["kind"] for i in timeline["items"]].count("delivery.cancelled") == 1


async def test_resolve_stops_and_reopen_starts_a_new_round(pcore: Core) -> None:
    admin = await principal(pcore, "boss", admin=True)
    await setup_team(pcore, admin)
    n = await declare(pcore, admin)
    t0 = utcnow()
    await tick(pcore, t0)
    await pcore.set_incident_status(admin, f"INC-{n}", "resolved")
    assert await tick(pcore, t0 + 400 * S) == []
    assert (await escalation_of(pcore, n)).state == "stopped"

    await pcore.reopen_incident(admin, f"INC-{n}", reason="it is back")
    t1 = t0 + 1000 * S
    fired = await tick(pcore, t1)
    assert [(f["level"], f["users"]) for f in fired] == [(1, ["sarah"])]
    esc = await escalation_of(pcore, n)
    assert (esc.round, esc.state, esc.fired_steps, esc.triggered_at) == (1, "active", 1, t1)
    fired = await tick(pcore, t1 + 300 * S)
    assert [(f["level"], f["users"]) for f in fired] == [(2, ["tom"])]
    rows = await deliveries_of(pcore, n)
    # Sarah is paged once per round: the new round's dedup keys differ from the first's.
    assert Counter(r.principal_id for r in rows) == {"sarah": 2, "tom": 1}
    assert len({r.dedup_key for r in rows}) == 3


async def test_repeat_rounds_then_exhausted(pcore: Core) -> None:
    admin = await principal(pcore, "boss", admin=True)
    await setup_team(pcore, admin, repeat=1)
    n = await declare(pcore, admin)
    t0 = utcnow()
    fired = []
    for at in (0, 300, 900, 1500, 1800, 2400):
        fired += await tick(pcore, t0 + at * S)
    assert [(f["level"], f["round"]) for f in fired] == [(1, 0), (2, 0), (3, 0), (1, 1), (2, 1), (3, 1)]
    assert (await escalation_of(pcore, n)).state == "exhausted"
    assert _paged(await deliveries_of(pcore, n)) == {
        ("sarah", 1, 0): 1,
        ("tom", 2, 0): 1,
        ("ann", 3, 0): 1,
        ("sarah", 1, 1): 1,
        ("tom", 2, 1): 1,
        ("ann", 3, 1): 1,
    }


async def test_a_late_tick_fires_every_missed_step_once_in_order(pcore: Core) -> None:
    admin = await principal(pcore, "boss", admin=True)
    await setup_team(pcore, admin, repeat=1)
    n = await declare(pcore, admin)
    t0 = utcnow()
    await tick(pcore, t0)
    fired = await tick(pcore, t0 + 1000 * S)
    assert [(f["level"], f["round"]) for f in fired] == [(2, 0), (3, 0)]
    assert (await escalation_of(pcore, n)).next_due_at == (
        await escalation_of(pcore, n)
    ).triggered_at + 1500 * S


async def test_restart_resumes_from_the_store_and_fires_exactly_the_missing_steps(
    settings: Settings,
) -> None:
    first = Core(quiet_settings(settings))
    first.migrate()
    first.db.start()
    admin = await principal(first, "boss", admin=True)
    await setup_team(first, admin)
    n = await declare(first, admin)
    t0 = utcnow()
    await tick(first, t0)
    first.db.close()  # the process dies; only the store remains

    second = Core(quiet_settings(settings))
    second.migrate()
    second.db.start()
    try:
        fired = await tick(second, t0 + 950 * S)
        assert [(f["level"], f["users"]) for f in fired] == [(2, ["tom"]), (3, ["ann"])]
        assert await tick(second, t0 + 950 * S) == []
        assert _paged(await deliveries_of(second, n)) == {
            ("sarah", 1, 0): 1,
            ("tom", 2, 0): 1,
            ("ann", 3, 0): 1,
        }
        assert (await escalation_of(second, n)).state == "exhausted"
    finally:
        second.db.close()


async def test_escalate_now_pages_the_next_level_and_shifts_the_rest(pcore: Core) -> None:
    admin = await principal(pcore, "boss", admin=True)
    sarah = await principal(pcore, "sarah")
    await setup_team(pcore, admin)
    n = await declare(pcore, admin)
    await tick(pcore, utcnow())
    before = utcnow()
    out = await pcore.pager.escalate(sarah, f"INC-{n}")
    assert (out["incident"], out["level"], out["users"], out["step"]) == (f"INC-{n}", 2, ["tom"], 1)
    esc = await escalation_of(pcore, n)
    assert esc.fired_steps == 2 and esc.state == "active"
    # Level 3 keeps level 2's ten minutes, counted from the manual escalation.
    assert before + 599 * S <= esc.next_due_at <= utcnow() + 601 * S
    assert await tick(pcore, utcnow() + 10 * S) == []
    timeline = await pcore.incident_timeline(admin, f"INC-{n}")
    escalations = [i for i in timeline["items"] if i["kind"] == "incident.escalated"]
    assert [(e["data"]["level"], e["data"]["by"]) for e in escalations] == [(1, "warroom"), (2, "sarah")]

    # Past the last level, escalating again re-pages the last level.
    out = await pcore.pager.escalate(admin, f"INC-{n}")
    assert (out["level"], out["users"]) == (3, ["ann"])
    out = await pcore.pager.escalate(admin, f"INC-{n}")
    assert (out["level"], out["users"]) == (3, ["ann"])


async def test_escalate_without_a_route_is_a_conflict(pcore: Core) -> None:
    admin = await principal(pcore, "boss", admin=True)
    await pcore.create_channel(admin, "incidents", incident_enabled=True)
    n = await declare(pcore, admin)
    await tick(pcore, utcnow())
    assert (await escalation_of(pcore, n)).state == "unrouted"
    with pytest.raises(Conflict) as exc:
        await pcore.pager.escalate(admin, f"INC-{n}")
    assert "warroom policy route" in exc.value.message


async def test_manual_page_with_an_incident_goes_on_its_timeline(pcore: Core) -> None:
    admin = await principal(pcore, "boss", admin=True)
    await setup_team(pcore, admin)
    n = await declare(pcore, admin)
    out = await pcore.pager.page_user(admin, "ann", title="need a DBA", incident=f"INC-{n}")
    assert out["user"] == "ann" and len(out["deliveries"]) == 1
    rows = await deliveries_of(pcore, n)
    assert [(r.principal_id, r.payload["kind"], r.payload["incident"]) for r in rows] == [
        ("ann", "page", f"INC-{n}")
    ]
    timeline = await pcore.incident_timeline(admin, f"INC-{n}")
    paged = [i["data"] for i in timeline["items"] if i["kind"] == "incident.paged"]
    assert paged == [{"by": "boss", "by_name": "boss", "user": "ann", "deliveries": out["deliveries"]}]
