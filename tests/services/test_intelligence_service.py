"""Intelligence through the services, on SQLite and PostgreSQL: the pipeline on its own,
versioned analyses and postmortems, follow-ups, statistics, digests, search and the KB."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from alertkit import am_payload, body, forty_alerts
from warroom.alerts.integrations import IntegrationSettings
from warroom.core import Core
from warroom.errors import InvalidInput, NotFound
from warroom.identity.models import Principal
from warroom.intelligence.knowledge import read_kb_dir
from warroom.messages.models import MessageIn
from warroom.store.tables import change_events, events, incident_analyses, incident_knowledge
from warroom.timeutil import utcnow


async def wait_for(predicate: Any, timeout: float = 10.0) -> Any:
    """Poll `predicate` (sync or async) until truthy; fail on timeout. Never a fixed sleep."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        await asyncio.sleep(0.02)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.fixture
async def admin(people: Any) -> Principal:
    return await people("sarah", admin=True, name="Sarah Chen")


async def catalog(core: Core, p: Principal) -> None:
    door = core.intel_door
    await door.put_service(
        p,
        {
            "id": "user-api",
            "name": "User API",
            "tier": 1,
            "owner_team": "backend",
            "description": "Users and sessions",
        },
    )
    await door.put_service(p, {"id": "payment-api", "tier": 1, "dependencies": ["user-api"]})
    await door.put_service(p, {"id": "admin-dashboard", "tier": 2, "dependencies": ["user-api"]})
    await door.put_runbook(
        p,
        {
            "id": "db-pool",
            "title": "Database connection pool",
            "match": {"alertnames": ["HighErrorRate"]},
            "steps": ["Check the pool", "Roll back"],
        },
    )


def analysis_versions(conn: Any, number: int) -> list[int]:
    rows = conn.execute(
        select(incident_analyses.c.version)
        .where(incident_analyses.c.incident_number == number)
        .order_by(incident_analyses.c.version)
    )
    return [int(v) for v in rows.scalars()]


async def analysis_events(core: Core, p: Principal, ref: str) -> list[dict[str, Any]]:
    tl = await core.incident_timeline(p, ref)
    return [i["data"] for i in tl["items"] if i["kind"] == "incident.analysis"]


async def test_pipeline_analyses_on_trigger_reruns_on_a_change_and_skips_unchanged(
    core: Core, admin: Principal
) -> None:
    await catalog(core, admin)
    integ = await core.create_integration(
        admin, name="prod", source="alertmanager", settings=IntegrationSettings()
    )
    await core.receive_webhook(integ["id"], body(am_payload(forty_alerts())), {}, query_token=integ["secret"])

    first = (await wait_for(lambda: analysis_events(core, admin, "INC-1"), timeout=10))[0]
    a = first["analysis"]
    assert first["version"] == 1 and a["incident"] == "INC-1" and a["service"] == "user-api"
    assert a["triage"]["proposed"] == "P0" and a["triage"]["verdict"] == "confirmed"
    assert a["triage"]["blast_radius"] == ["admin-dashboard", "payment-api"]
    assert a["remediation"]["runbooks"][0]["matched_by"] == ["alertname HighErrorRate"]
    assert a["correlation"]["recent_changes"] == []
    assert first["summary"] == a["summary"] and a["summary"].startswith(
        "P0 confirmed: user-api is tier 1 and admin-dashboard and payment-api depend on it."
    )

    # A deploy of the service re-runs it on its own.
    inc = await core.get_incident(admin, "INC-1")
    await core.intel_door.record_change(
        admin,
        kind="deploy",
        service="user-api",
        version="v9.9.9",
        at=at(inc["triggered_at"]) - timedelta(minutes=7),
    )

    async def two_versions() -> list[dict[str, Any]]:
        evs = await analysis_events(core, admin, "INC-1")
        return evs if len(evs) >= 2 else []

    events_now = await wait_for(two_versions)
    assert [e["version"] for e in events_now] == [1, 2]
    chg = events_now[1]["analysis"]["correlation"]["recent_changes"]
    assert [(c["version"], c["minutes_before"]) for c in chg] == [("v9.9.9", 7)]

    # Same facts: no new version, no new timeline event.
    again = await core.db.write(lambda c: core.intel.analyse(c, admin, "INC-1"))
    assert again["unchanged"] is True and again["version"] == 2
    door = await core.intel_door.analyse(admin, "INC-1")
    assert door["unchanged"] is True
    assert await core.db.read(lambda c: analysis_versions(c, 1)) == [1, 2]
    assert len(await analysis_events(core, admin, "INC-1")) == 2
    forced = await core.intel_door.analyse(admin, "INC-1", force=True)
    assert forced["version"] == 3 and "unchanged" not in forced
    latest = await core.intel_door.analysis(admin, "INC-1")
    assert latest["version"] == 3 and (await core.intel_door.analysis(admin, "INC-1", 1))["version"] == 1


async def test_resolve_files_the_knowledge_and_drafts_a_postmortem_then_edits_version_it(
    core: Core, admin: Principal
) -> None:
    await core.create_channel(admin, "incidents", incident_enabled=True)
    await catalog(core, admin)
    done: list[tuple[int, str]] = []
    core.pipeline.done.append(lambda n, kind: done.append((n, kind)))
    inc = await core.declare_incident(
        admin, title="Connection pool exhausted", channel="incidents", severity="P1", service="user-api"
    )
    await wait_for(lambda: (1, "analyse") in done, timeout=10)
    cause = await core.publish(
        admin,
        "incidents",
        MessageIn(
            title="Root cause",
            theme="root-cause",
            thread_id=inc["thread_id"],
            body="## Root Cause\n\nConnection leak in the auth middleware.\n",
        ),
    )
    await core.publish(
        admin,
        "incidents",
        MessageIn(
            title="Decision",
            theme="incident-decision",
            thread_id=inc["thread_id"],
            in_reply_to=cause.message["id"],
            body="**Decision:** Roll back to v2.4.2\n\n## Next steps\n1. Add a leak test",
        ),
    )
    await core.set_incident_status(admin, inc["id"], "resolved", reason="rolled back")
    await wait_for(lambda: (1, "resolved") in done, timeout=10)

    know = await core.db.read(
        lambda c: c.execute(select(incident_knowledge).where(incident_knowledge.c.incident_number == 1)).one()
    )
    assert know.root_cause == "Connection leak in the auth middleware."
    assert know.resolution == "Roll back to v2.4.2"
    assert {"connection", "leak", "middleware"} <= set(know.tokens.split())

    pm = await core.intel_door.postmortem(admin, "INC-1")
    assert (pm["version"], pm["generated"], pm["versions"], pm["created_by"]) == (1, True, [1], "warroom")
    assert pm["facts"]["root_cause"] == "Connection leak in the auth middleware."
    assert pm["facts"]["action_items"] == ["Add a leak test"]
    assert "## Root cause\n\nConnection leak in the auth middleware.\n" in pm["markdown"]

    edited = await core.intel_door.edit_postmortem(admin, "INC-1", pm["markdown"] + "\nReviewed by Tom.\n")
    assert edited["version"] == 2 and edited["generated"] is False
    now = await core.intel_door.postmortem(admin, "INC-1")
    assert now["versions"] == [1, 2] and now["markdown"].endswith("Reviewed by Tom.\n")
    assert now["created_by"] == "sarah" and now["facts"] == pm["facts"]
    assert (await core.intel_door.postmortem(admin, "INC-1", 1))["markdown"] == pm["markdown"]
    with pytest.raises(InvalidInput):
        await core.intel_door.edit_postmortem(admin, "INC-1", "   ")
    tl = await core.incident_timeline(admin, "INC-1")
    assert [
        (i["data"]["version"], i["data"]["generated"])
        for i in tl["items"]
        if i["kind"] == "incident.postmortem"
    ] == [(1, True), (2, False)]

    # A later similar incident finds it, with its fix.
    second = await core.declare_incident(
        admin, title="Connection pool exhausted again", channel="incidents", severity="P2", service="user-api"
    )
    sim = await core.intel_door.similar(admin, second["id"])
    assert sim[0]["incident"] == "INC-1" and sim[0]["fix"] == "Roll back to v2.4.2"
    assert sim[0]["reason"].startswith("same service user-api; shared words: ")


async def test_followups_have_owners_and_states_and_join_the_postmortem(core: Core, admin: Principal) -> None:
    await core.create_channel(admin, "incidents", incident_enabled=True)
    await core.declare_incident(admin, title="Disk full", channel="incidents", severity="P3")
    a = await core.intel_door.add_followup(admin, "INC-1", "Rotate logs daily", "tom")
    b = await core.intel_door.add_followup(admin, "INC-1", "Alert at 80% disk", None)
    assert (a["state"], a["owner"], a["incident"]) == ("open", "tom", "INC-1")
    closed = await core.intel_door.update_followup(admin, b["id"], state="done", owner="ana")
    assert (closed["state"], closed["owner"]) == ("done", "ana")
    listed = await core.intel_door.followups(admin, "INC-1")
    assert [(f["title"], f["owner"], f["state"]) for f in listed] == [
        ("Rotate logs daily", "tom", "open"),
        ("Alert at 80% disk", "ana", "done"),
    ]
    with pytest.raises(InvalidInput, match="open, done or dropped"):
        await core.intel_door.update_followup(admin, a["id"], state="finished", owner=None)
    with pytest.raises(NotFound):
        await core.intel_door.update_followup(admin, "fu_nope", state="done", owner=None)
    pm = await core.intel_door.generate_postmortem(admin, "INC-1")
    assert pm["facts"]["action_items"] == [
        "Rotate logs daily (owner: tom) [open]",
        "Alert at 80% disk (owner: ana) [done]",
    ]


async def _crafted(core: Core, p: Principal) -> None:
    """Four incidents with known times; three in March 2024."""
    await core.create_channel(p, "incidents", incident_enabled=True)

    async def one(title: str, sev: str, svc: str, start: str, ack: float | None, res: float | None) -> str:
        t0 = at(start)
        inc = await core.declare_incident(
            p, title=title, channel="incidents", severity=sev, service=svc, at=t0
        )
        if ack is not None:
            await core.db.write(
                lambda c: core.incidents.set_status(
                    c, p, inc["id"], "acknowledged", at=t0 + timedelta(minutes=ack)
                )
            )
        if res is not None:
            await core.db.write(
                lambda c: core.incidents.set_status(
                    c, p, inc["id"], "resolved", at=t0 + timedelta(minutes=res)
                )
            )
        return str(inc["id"])

    a = await one("Pool exhausted", "P0", "user-api", "2024-03-04T10:00:00Z", 2, 30)
    await core.publish(
        p,
        "incidents",
        MessageIn(
            title="RCA",
            tags=["rca"],
            thread_id=a,
            body="## Root cause\n\nConnection leak",
            created_at=at("2024-03-04T10:10:00Z"),
        ),
    )
    await one("Login errors", "P0", "user-api", "2024-03-05T12:00:00Z", 4, 60)
    await one("Slow payments", "P2", "payment-api", "2024-03-12T08:00:00Z", 10, None)
    await one("Old one", "P1", "user-api", "2024-02-20T08:00:00Z", 1, 5)
    for ref in ("INC-1", "INC-2", "INC-4"):
        await core.db.write(lambda c, ref=ref: core.intel.remember(c, ref))


async def test_stats_by_severity_service_cause_and_period(core: Core, admin: Principal) -> None:
    await _crafted(core, admin)
    s = await core.intel_door.stats(
        admin, since=at("2024-03-01T00:00:00Z"), until=at("2024-04-01T00:00:00Z"), period="week"
    )
    assert s["total"] == {
        "count": 3,
        "open": 1,
        "mtta_minutes": 5.3,
        "mttr_minutes": 45.0,
        "median_tta_minutes": 4.0,
        "median_ttr_minutes": 45.0,
    }
    assert s["by_severity"]["P0"] == {
        "count": 2,
        "open": 0,
        "mtta_minutes": 3.0,
        "mttr_minutes": 45.0,
        "median_tta_minutes": 3.0,
        "median_ttr_minutes": 45.0,
    }
    assert s["by_severity"]["P2"]["mttr_minutes"] is None and set(s["by_severity"]) == {"P0", "P2"}
    assert {k: v["count"] for k, v in s["by_service"].items()} == {"payment-api": 1, "user-api": 2}
    assert {k: v["count"] for k, v in s["by_cause"].items()} == {"(unknown)": 2, "Connection leak": 1}
    assert {k: v["count"] for k, v in s["by_period"].items()} == {"2024-W10": 2, "2024-W11": 1}
    assert (s["since"], s["until"], s["period"]) == ("2024-03-01T00:00:00Z", "2024-04-01T00:00:00Z", "week")
    month = await core.intel_door.stats(
        admin, since=at("2024-02-01T00:00:00Z"), until=at("2024-04-01T00:00:00Z"), period="month"
    )
    assert {k: (v["count"], v["mttr_minutes"]) for k, v in month["by_period"].items()} == {
        "2024-02": (1, 5.0),
        "2024-03": (2 + 1, 45.0),
    }
    days = await core.intel_door.stats(
        admin, since=at("2024-03-05T00:00:00Z"), until=at("2024-03-06T00:00:00Z"), period="day"
    )
    assert list(days["by_period"]) == ["2024-03-05"] and days["total"]["mtta_minutes"] == 4.0
    with pytest.raises(InvalidInput, match="day, week or month"):
        await core.intel_door.stats(admin, since=at("2024-03-01T00:00:00Z"), until=None, period="year")


async def test_incident_and_channel_digests(core: Core, admin: Principal) -> None:
    await _crafted(core, admin)
    d = await core.intel_door.incident_digest(admin, "INC-1")
    assert d["text"].splitlines() == [
        "INC-1 (P0, user-api): Pool exhausted. Status: resolved.",
        "10:00 detected (Sarah Chen)",
        "10:02 acknowledged (Sarah Chen)",
        "10:10 root cause identified (Sarah Chen)",
        "10:30 resolved (Sarah Chen)",
        "Cause: Connection leak.",
        "Acknowledged after 2 minutes.",
        "Resolved after 30 minutes.",
        "People: Sarah Chen.",
    ]
    await core.create_channel(admin, "ops")
    since = utcnow() - timedelta(minutes=5)
    for title, prio in (("Deploy started", "low"), ("DB failover", "high"), ("All good", "medium")):
        await core.publish(admin, "ops", MessageIn(title=title, priority=prio))
    ops = await core.intel_door.channel_digest(admin, "ops", since)
    lines = ops["text"].splitlines()
    assert lines[0].endswith(": 3 messages in ops, 0 incidents active.")
    assert lines[1] == "Messages by priority: low 1, high 1, medium 1."
    assert len(lines) == 3 and lines[2].endswith(" Sarah Chen: DB failover")
    assert (ops["messages"], ops["incidents"], ops["has_more"]) == (3, [], False)
    everywhere = await core.intel_door.channel_digest(admin, None, since)
    assert everywhere["incidents"] == ["INC-3"]  # resolved long ago: not active; open: active
    assert "- INC-3 (P2, acknowledged): Slow payments" in everywhere["text"]


async def test_search_all_finds_incidents_messages_runbooks_and_services(
    core: Core, admin: Principal
) -> None:
    await core.create_channel(admin, "incidents", incident_enabled=True)
    await catalog(core, admin)
    await core.declare_incident(admin, title="Connection pool exhausted", channel="incidents", severity="P2")
    await core.publish(admin, "incidents", MessageIn(title="pool at 100/100", thread_id="INC-1"))
    found = await core.intel_door.search_all(admin, "pool")
    assert [i["id"] for i in found["incidents"]] == ["INC-1"]
    assert [r["id"] for r in found["runbooks"]] == ["db-pool"] and found["services"] == []
    assert {m["title"] for m in found["messages"]} >= {"pool at 100/100"}
    sessions = await core.intel_door.search_all(admin, "sessions")
    assert [s["id"] for s in sessions["services"]] == ["user-api"] and sessions["incidents"] == []


async def test_kb_import_export_round_trip(core: Core, admin: Principal, tmp_path: Path) -> None:
    src = tmp_path / "kb"
    (src / "runbooks").mkdir(parents=True)
    (src / "catalog.yaml").write_text(
        "services:\n"
        "  - id: user-api\n    name: User API\n    tier: 1\n    owner_team: backend\n"
        "    dependencies: [postgres]\n    dashboards: [https://grafana.example.com/d/users]\n"
        "  - id: postgres\n    tier: 1\n"
    )
    (src / "runbooks" / "db-pool.md").write_text(
        "---\ntitle: Database connection pool\nmatch:\n  services: [user-api]\n  keywords: [pool]\n---\n"
        "# Database connection pool\n\n1. Check pool metrics\n2. Roll back\n"
    )
    assert await core.intel_door.import_dir(admin, src) == {"services": 2, "runbooks": 1}
    rb = await core.intel_door.runbook("db-pool")
    assert rb["steps"] == ["Check pool metrics", "Roll back"] and rb["match"]["keywords"] == ["pool"]
    assert (await core.intel_door.service("postgres"))["name"] == "postgres"
    out = tmp_path / "out"
    assert await core.intel_door.export_dir(out) == {"services": 2, "runbooks": 1}
    svcs, books = read_kb_dir(out)
    assert [(s["id"], s["tier"], s["dependencies"]) for s in svcs] == [
        ("postgres", 1, []),
        ("user-api", 1, ["postgres"]),
    ]
    assert books[0]["id"] == "db-pool" and books[0]["steps"] == rb["steps"]
    # importing the export changes nothing
    before = await core.intel_door.services()
    await core.intel_door.import_dir(admin, out)
    after = await core.intel_door.services()
    assert [{k: v for k, v in s.items() if k != "updated_at"} for s in after] == [
        {k: v for k, v in s.items() if k != "updated_at"} for s in before
    ]
    with pytest.raises(InvalidInput, match="neither"):
        await core.intel_door.import_dir(admin, tmp_path / "empty")


async def test_record_change_is_idempotent_on_external_id(core: Core, admin: Principal) -> None:
    one, created = await core.intel_door.record_change(
        admin,
        kind="deploy",
        service="user-api",
        version="v1",
        external_id="ci-77",
        at=at("2024-01-12T02:15:00Z"),
    )
    two, again = await core.intel_door.record_change(
        admin, kind="deploy", service="user-api", version="v1", external_id="ci-77"
    )
    assert created is True and again is False and one == two
    assert one["at"] == "2024-01-12T02:15:00Z" and one["source"] == "api"
    assert (
        await core.db.read(lambda c: c.execute(select(func.count()).select_from(change_events)).scalar()) == 1
    )
    recorded = await core.db.read(
        lambda c: c.execute(
            select(func.count()).select_from(events).where(events.c.kind == "change.recorded")
        ).scalar()
    )
    assert recorded == 1
    with pytest.raises(InvalidInput, match="kind 'rollout' is not valid"):
        await core.intel_door.record_change(admin, kind="rollout", service="user-api")
    with pytest.raises(InvalidInput, match="time zone"):
        await core.intel_door.record_change(admin, kind="deploy", service="x", at=datetime(2024, 1, 1))
    listed = await core.intel_door.changes(service="user-api", since=datetime(2024, 1, 1, tzinfo=UTC))
    assert [c["id"] for c in listed] == [one["id"]]
