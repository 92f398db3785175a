"""Paging use cases on both backends: people, contact methods, rules, schedules, policies, routes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from pagingkit import DEAD_HOOK, paging_core, principal
from sqlalchemy import select

from warroom.config import Settings
from warroom.core import Core
from warroom.errors import Forbidden, InvalidInput, NotFound
from warroom.messages.filters import build_filter
from warroom.messages.models import MessageIn
from warroom.priority import Priority
from warroom.store.tables import deliveries


@pytest.fixture
async def pcore(settings: Settings) -> AsyncIterator[Core]:
    async for c in paging_core(settings):
        yield c


def _rotation(participants: list[str], **kw: object) -> dict[str, object]:
    return {
        "participants": participants,
        "unit": "weeks",
        "time_zone": "Europe/Berlin",
        "start": "2026-03-23",
        "handoff_time": "09:00",
        "handoff_weekday": "monday",
        **kw,
    }


# -- people, contact methods, rules -----------------------------------------------------------


async def test_profiles_are_created_by_admins_and_edited_by_their_owner(pcore: Core) -> None:
    admin = await principal(pcore, "boss", admin=True)
    sarah = await principal(pcore, "sarah")
    tom = await principal(pcore, "tom")
    with pytest.raises(Forbidden):
        await pcore.pager.set_user(sarah, "newbie", name="New")
    created = await pcore.pager.set_user(admin, "newbie", name="New Bie", email="nb@example.com")
    assert created == {
        "id": "newbie",
        "name": "New Bie",
        "email": "nb@example.com",
        "role": None,
        "time_zone": "UTC",
        "rules": {},
        "contacts": [],
    }
    mine = await pcore.pager.set_user(sarah, "sarah", time_zone="Europe/Berlin")
    assert mine["time_zone"] == "Europe/Berlin"
    with pytest.raises(Forbidden):
        await pcore.pager.set_user(tom, "sarah", time_zone="UTC")
    with pytest.raises(InvalidInput) as exc:
        await pcore.pager.set_user(sarah, "sarah", time_zone="Mars/Olympus")
    assert exc.value.field == "time_zone" and "Mars/Olympus" in exc.value.message
    with pytest.raises(NotFound):
        await pcore.pager.get_user("ghost")
    ids = [u["id"] for u in await pcore.pager.list_users()]
    assert {"newbie", "sarah", "tom"} <= set(ids)


async def test_contact_methods_validate_kind_target_and_destination(pcore: Core) -> None:
    sarah = await principal(pcore, "sarah")
    tom = await principal(pcore, "tom")
    add = pcore.pager.add_contact
    with pytest.raises(InvalidInput) as exc:
        await add(sarah, "sarah", kind="carrier-pigeon", target="x")
    assert exc.value.field == "kind"
    with pytest.raises(InvalidInput):
        await add(sarah, "sarah", kind="webhook", target="ftp://example.com/x")
    for private in ("http://10.0.0.1/hook", "http://169.254.169.254/latest/meta-data", "http://192.168.1.5/"):
        with pytest.raises(InvalidInput) as exc:
            await add(sarah, "sarah", kind="webhook", target=private)
        assert "outbound_allowlist" in exc.value.message
    with pytest.raises(InvalidInput) as exc:
        await add(sarah, "sarah", kind="apprise", target="nonsense://whatever")
    assert exc.value.field == "target"
    with pytest.raises(Forbidden):
        await add(tom, "sarah", kind="apprise", target="ntfy://sarah-pages")

    hook = await add(sarah, "sarah", kind="webhook", target=DEAD_HOOK, label="robot")
    assert hook["id"].startswith("cm_") and hook["secret"].startswith("whsec_")
    assert hook["target"] == DEAD_HOOK and hook["label"] == "robot"
    ntfy = await add(sarah, "sarah", kind="apprise", target="ntfy://sarah-pages")
    assert ntfy["label"] == "apprise" and "secret" not in ntfy
    pd = await add(sarah, "sarah", kind="pagerduty", target="R0UTINGKEY1234567890")
    assert pd["target"] == "R0UT…"  # keys are secrets
    shown = await pcore.pager.get_user("sarah")
    assert [c["id"] for c in shown["contacts"]] == [hook["id"], ntfy["id"], pd["id"]]
    assert "secret" not in shown["contacts"][0]

    with pytest.raises(Forbidden):
        await pcore.pager.delete_contact(tom, ntfy["id"])
    assert await pcore.pager.delete_contact(sarah, ntfy["id"]) == {"id": ntfy["id"], "deleted": True}
    with pytest.raises(NotFound):
        await pcore.pager.delete_contact(sarah, ntfy["id"])


async def test_personal_rules_validate_and_shape_the_page(pcore: Core) -> None:
    sarah = await principal(pcore, "sarah")
    tom = await principal(pcore, "tom")
    push = (await pcore.pager.add_contact(sarah, "sarah", kind="webhook", target=DEAD_HOOK))["id"]
    phone = (await pcore.pager.add_contact(sarah, "sarah", kind="apprise", target="ntfy://sarah"))["id"]
    toms = (await pcore.pager.add_contact(tom, "tom", kind="apprise", target="ntfy://tom"))["id"]
    with pytest.raises(InvalidInput) as exc:
        await pcore.pager.set_user(sarah, "sarah", rules={"important": [{"contact_method_id": toms}]})
    assert exc.value.field == "rules" and toms in exc.value.message
    with pytest.raises(InvalidInput) as exc:
        await pcore.pager.set_user(
            sarah, "sarah", rules={"important": [{"contact_method_id": push, "delay": -5}]}
        )
    assert exc.value.field == "rules"
    rules = {
        "important": [{"contact_method_id": push, "delay": 0}, {"contact_method_id": phone, "delay": 120}],
        "other": [{"contact_method_id": push, "delay": 0}],
    }
    out = await pcore.pager.set_user(sarah, "sarah", rules=rules)
    assert [r["contact_method_id"] for r in out["rules"]["important"]] == [push, phone]

    critical = await pcore.pager.page_user(sarah, "sarah", title="disk full", priority="critical")
    low = await pcore.pager.page_user(sarah, "sarah", title="fyi", priority="low")
    assert len(critical["deliveries"]) == 2 and len(low["deliveries"]) == 1
    rows = {r.id: r for r in await pcore.db.read(lambda c: c.execute(select(deliveries)).all())}
    first, second = (rows[d] for d in critical["deliveries"])
    assert (first.contact_method_id, second.contact_method_id) == (push, phone)
    gap = second.next_attempt_at - first.next_attempt_at
    assert timedelta(seconds=119) <= gap <= timedelta(seconds=121)
    assert first.payload["title"] == "disk full" and first.payload["kind"] == "direct"
    assert first.payload["recipient"] == "sarah" and first.payload["delivery_id"] == first.id
    assert rows[low["deliveries"][0]].contact_method_id == push


async def test_subscriptions_page_the_subscribers_own_contact_methods(pcore: Core) -> None:
    sarah = await principal(pcore, "sarah")
    tom = await principal(pcore, "tom")
    await pcore.create_channel(sarah, "alerts")
    mine = (await pcore.pager.add_contact(sarah, "sarah", kind="webhook", target=DEAD_HOOK))["id"]
    toms = (await pcore.pager.add_contact(tom, "tom", kind="webhook", target=DEAD_HOOK))["id"]
    f = build_filter(priorities=["critical", "high"])
    for bad in ("cm_doesnotexist", toms):
        with pytest.raises(InvalidInput) as exc:
            await pcore.subscribe(sarah, "alerts", f, delivery=[bad])
        assert exc.value.field == "delivery" and bad in exc.value.message
    sub = await pcore.subscribe(sarah, "alerts", f, delivery=[mine])
    assert sub["delivery"] == [mine]
    again = await pcore.subscribe(sarah, "alerts", f)
    assert again["id"] == sub["id"] and again["delivery"] == [mine]

    hit = await pcore.publish(sarah, "alerts", MessageIn(title="db down", priority=Priority.CRITICAL))
    await pcore.publish(sarah, "alerts", MessageIn(title="meh", priority=Priority.LOW))
    rows = await pcore.db.read(lambda c: c.execute(select(deliveries)).all())
    assert len(rows) == 1
    d = rows[0]
    assert (d.subscription_id, d.contact_method_id, d.principal_id) == (sub["id"], mine, "sarah")
    assert d.message_id == hit.message["id"] and d.payload["title"] == "db down"
    assert d.payload["kind"] == "notification" and d.incident_number is None

    cleared = await pcore.subscribe(sarah, "alerts", f, delivery=[])
    assert cleared["id"] == sub["id"] and cleared["delivery"] == []


# -- schedules --------------------------------------------------------------------------------------


async def _people(core: Core, admin: object, *ids: str) -> None:
    for u in ids:
        await core.pager.set_user(admin, u, name=u.title())  # type: ignore[arg-type]


async def test_schedule_validation(pcore: Core) -> None:
    admin = await principal(pcore, "boss", admin=True)
    sarah = await principal(pcore, "sarah")
    layers = [{"name": "primary", "rotation": _rotation(["sarah"])}]
    with pytest.raises(Forbidden):
        await pcore.pager.put_schedule(sarah, "sre", name="SRE", layers=layers)
    with pytest.raises(InvalidInput):
        await pcore.pager.put_schedule(admin, "Bad Id", name="x", layers=layers)
    with pytest.raises(InvalidInput) as exc:
        bad = [{"name": "primary", "rotation": _rotation(["sarah"], time_zone="Europe/Atlantis")}]
        await pcore.pager.put_schedule(admin, "sre", name="SRE", layers=bad)
    assert exc.value.field == "layers"
    with pytest.raises(NotFound) as nf:
        await pcore.pager.get_schedule("nope")
    assert "warroom schedule ls" in nf.value.message


async def test_weekly_rotation_hands_off_monday_0900_berlin_across_dst(pcore: Core) -> None:
    admin = await principal(pcore, "boss", admin=True)
    await _people(pcore, admin, "sarah", "tom", "ann")
    out = await pcore.pager.put_schedule(
        admin, "sre", name="SRE", layers=[{"name": "primary", "rotation": _rotation(["sarah", "tom"])}]
    )
    assert out["id"] == "sre" and len(out["layers"]) == 1

    async def who(at: str) -> list[str]:
        rows = await pcore.pager.on_call(schedule_id="sre", at=datetime.fromisoformat(at))
        return [r["user"] for r in rows]

    # First shift from Monday 23 March 09:00 CET (08:00Z); gap before it.
    assert await who("2026-03-23T07:59:00+00:00") == []
    assert await who("2026-03-23T08:00:00+00:00") == ["sarah"]
    # Clocks go forward on 29 March: Monday 30 March 09:00 CEST is 07:00Z.
    assert await who("2026-03-30T06:59:00+00:00") == ["sarah"]
    assert await who("2026-03-30T07:00:00+00:00") == ["tom"]
    # …and back on 25 October: Monday 26 October 09:00 CET is 08:00Z again.
    assert await who("2026-10-26T07:59:00+00:00") == [await_first("2026-10-19")]
    assert await who("2026-10-26T08:00:00+00:00") == [await_first("2026-10-26")]

    shifts = await pcore.pager.shifts(
        "sre", datetime(2026, 3, 23, tzinfo=UTC), datetime(2026, 4, 6, 12, tzinfo=UTC)
    )
    assert [(s["user_id"], s["start"][:16], s["end"][:16]) for s in shifts] == [
        (None, "2026-03-23T00:00", "2026-03-23T08:00"),
        ("sarah", "2026-03-23T08:00", "2026-03-30T07:00"),
        ("tom", "2026-03-30T07:00", "2026-04-06T07:00"),
        ("sarah", "2026-04-06T07:00", "2026-04-06T12:00"),
    ]

    ovr = await pcore.pager.add_override(
        admin,
        "sre",
        user_id="ann",
        start=datetime(2026, 3, 25, 10, tzinfo=UTC),
        end=datetime(2026, 3, 25, 14, tzinfo=UTC),
    )
    assert ovr["id"].startswith("ovr_") and ovr["start"] == "2026-03-25T10:00:00Z"
    now = await pcore.pager.on_call(schedule_id="sre", at=datetime(2026, 3, 25, 12, tzinfo=UTC))
    assert [(r["user"], r["name"], r["source"]) for r in now] == [("ann", "Ann", "override")]
    assert await who("2026-03-25T14:00:00+00:00") == ["sarah"]
    with pytest.raises(InvalidInput):
        await pcore.pager.add_override(
            admin,
            "sre",
            user_id="ann",
            start=datetime(2026, 3, 25, 14, tzinfo=UTC),
            end=datetime(2026, 3, 25, 10, tzinfo=UTC),
        )
    with pytest.raises(NotFound):
        await pcore.pager.add_override(
            admin,
            "sre",
            user_id="ghost",
            start=datetime(2026, 3, 25, 10, tzinfo=UTC),
            end=datetime(2026, 3, 25, 14, tzinfo=UTC),
        )

    ics = await pcore.pager.ical("sre", datetime(2026, 3, 23, tzinfo=UTC), datetime(2026, 4, 6, tzinfo=UTC))
    assert ics.startswith("BEGIN:VCALENDAR") and ics.rstrip().endswith("END:VCALENDAR")
    assert "Sarah" in ics and "Tom" in ics and "Ann" in ics
    assert ics.count("BEGIN:VEVENT") >= 3

    gone = await pcore.pager.delete_schedule(admin, "sre")
    assert gone == {"id": "sre", "deleted": True}
    assert await pcore.pager.list_schedules() == []


def await_first(monday: str) -> str:
    """Who the two-person rotation has on the week starting `monday` (sarah on even weeks)."""
    weeks = (datetime.fromisoformat(monday) - datetime(2026, 3, 23)).days // 7
    return ["sarah", "tom"][weeks % 2]


async def test_layers_with_restrictions_cover_only_their_hours(pcore: Core) -> None:
    admin = await principal(pcore, "boss", admin=True)
    await _people(pcore, admin, "sarah", "tom")
    layers = [
        {"name": "base", "rotation": _rotation(["sarah"])},
        {
            "name": "business-hours",
            "rotation": _rotation(["tom"]),
            "restrictions": [
                {"weekdays": ["mon", "tue", "wed", "thu", "fri"], "start": "09:00", "end": "17:00"}
            ],
        },
    ]
    await pcore.pager.put_schedule(admin, "mixed", name="Mixed", layers=layers)
    day = await pcore.pager.on_call(schedule_id="mixed", at=datetime(2026, 3, 25, 10, tzinfo=UTC))
    night = await pcore.pager.on_call(schedule_id="mixed", at=datetime(2026, 3, 25, 20, tzinfo=UTC))
    sunday = await pcore.pager.on_call(schedule_id="mixed", at=datetime(2026, 3, 29, 10, tzinfo=UTC))
    assert [r["user"] for r in day] == ["tom"]
    assert [r["user"] for r in night] == ["sarah"]
    assert [r["user"] for r in sunday] == ["sarah"]


# -- policies and routes -----------------------------------------------------------------------------


async def test_policies_validate_and_routes_pick_the_most_specific(pcore: Core) -> None:
    admin = await principal(pcore, "boss", admin=True)
    sarah = await principal(pcore, "sarah")
    level = [{"targets": [{"kind": "user", "id": "sarah"}], "delay": 300}]
    with pytest.raises(Forbidden):
        await pcore.pager.put_policy(sarah, "p", name="P", levels=level)
    with pytest.raises(InvalidInput) as exc:
        await pcore.pager.put_policy(
            admin, "p", name="P", levels=[{"targets": [{"kind": "user", "id": "s"}], "delay": 0}]
        )
    assert exc.value.field == "levels"
    with pytest.raises(InvalidInput):
        await pcore.pager.put_policy(
            admin, "p", name="P", levels=[{"targets": [{"kind": "team", "id": "s"}], "delay": 60}]
        )
    for pid in ("catch-all", "database", "critical", "from-chan"):
        out = await pcore.pager.put_policy(admin, pid, name=pid, levels=level, repeat=1)
        assert out["repeat"] == 1 and out["levels"][0]["targets"] == [{"kind": "user", "id": "sarah"}]
    await pcore.pager.add_route(admin, "catch-all")
    db_route = await pcore.pager.add_route(admin, "database", service="db")
    crit = await pcore.pager.add_route(admin, "critical", severities=["P0"])
    assert crit["severities"] == ["P0"]
    await pcore.pager.add_route(admin, "from-chan", channel="payments")
    with pytest.raises(InvalidInput):
        await pcore.pager.add_route(admin, "critical", severities=["P9"])
    with pytest.raises(NotFound):
        await pcore.pager.add_route(admin, "nope")

    async def chosen(**kw: object) -> str | None:
        args = {"service": None, "integration": None, "channel": None, **kw}
        policy = await pcore.db.read(lambda c: pcore.paging.route_for(c, **args))  # type: ignore[arg-type]
        return policy.id if policy else None

    assert await chosen(service="db", priority=Priority.CRITICAL) == "database"  # scope beats severity
    assert await chosen(service="api", priority=Priority.CRITICAL) == "critical"
    assert await chosen(service="api", priority=Priority.MEDIUM) == "catch-all"
    assert await chosen(channel="payments", priority=Priority.CRITICAL) == "from-chan"
    got = await pcore.pager.get_policy("database")
    assert [r["id"] for r in got["routes"]] == [db_route["id"]]

    await pcore.pager.delete_policy(admin, "database")
    assert await chosen(service="db", priority=Priority.CRITICAL) == "critical"
    with pytest.raises(NotFound):
        await pcore.pager.get_policy("database")
    assert sorted(p["id"] for p in await pcore.pager.list_policies()) == [
        "catch-all",
        "critical",
        "from-chan",
    ]
