"""Acceptance for the intelligence issue: the seed's 2:47 AM incident, replayed with its times.

With a v2.4.3 deploy of user-api at 02:15 and one similar resolved incident in the store,
the analysis names the deploy and the similar incident, and the timeline, summary and
postmortem give the facts of shared/scenarios/README.md.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from warroom.core import Core
from warroom.identity.models import LOCAL
from warroom.messages.models import MessageIn

SCENARIO = Path(__file__).parent.parent / "fixtures" / "scenarios" / "incident-2am.jsonl"
THREAD = "incident-2024-01-12-001"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


async def seed_knowledge(core: Core) -> str:
    """The catalog, the deploy and one similar incident from December; returns its id."""
    await core.create_channel(LOCAL, "incidents", incident_enabled=True)
    kb = core.intel_door
    await kb.put_service(
        LOCAL,
        {
            "id": "user-api",
            "name": "User API",
            "tier": 1,
            "owner_team": "backend",
            "stakeholders": ["support"],
        },
    )
    await kb.put_service(
        LOCAL,
        {
            "id": "payment-api",
            "name": "Payment API",
            "tier": 1,
            "dependencies": ["user-api"],
            "owner_team": "payments",
        },
    )
    await kb.put_service(
        LOCAL, {"id": "admin-dashboard", "name": "Admin Dashboard", "tier": 2, "dependencies": ["user-api"]}
    )
    await kb.put_runbook(
        LOCAL,
        {
            "id": "db-pool",
            "title": "Database connection pool",
            "match": {"services": ["user-api"], "keywords": ["connection", "pool"]},
            "steps": [
                "Check pool metrics",
                "Find leaking callers",
                "Roll back the last deploy",
                "Restart app servers",
            ],
        },
    )
    await kb.record_change(
        LOCAL,
        kind="deploy",
        service="user-api",
        version="v2.4.3",
        description="auth middleware refactor",
        at=at("2024-01-12T02:15:00Z"),
        external_id="deploy-243",
    )
    past = await core.declare_incident(
        LOCAL,
        title="Database connection pool exhausted on user-api",
        channel="incidents",
        severity="P1",
        service="user-api",
        summary="Connection pool at 100/100 after the v2.3.0 deploy",
        at=at("2023-12-01T10:00:00Z"),
    )
    await core.publish(
        LOCAL,
        "incidents",
        MessageIn(
            title="Root cause",
            theme="root-cause",
            tags=["root-cause"],
            thread_id=past["thread_id"],
            body="## Root Cause\n\nConnection leak after a deploy.\n",
            created_at=at("2023-12-01T10:10:00Z"),
        ),
    )
    await core.publish(
        LOCAL,
        "incidents",
        MessageIn(
            title="Decision",
            theme="incident-decision",
            thread_id=past["thread_id"],
            body="**Decision:** Rollback to v2.2.9",
            created_at=at("2023-12-01T10:12:00Z"),
        ),
    )
    await core.set_incident_status(LOCAL, past["id"], "resolved", reason="rolled back")
    await core.db.write(lambda c: core.intel.remember(c, past["id"]))
    return str(past["id"])


async def replay(core: Core) -> dict[str, int]:
    ids: dict[str, int] = {}
    for line in SCENARIO.read_text().splitlines():
        step: dict[str, Any] = orjson.loads(line)
        m = dict(step["message"])
        channel = m.pop("channel")
        if m.get("in_reply_to"):
            m["in_reply_to"] = ids[m["in_reply_to"]]
        pub = await core.publish(LOCAL, channel, MessageIn.model_validate({**m, "created_at": step["at"]}))
        ids[step["ref"]] = pub.message["id"]
    return ids


async def test_seed_incident_analysis_timeline_summary_and_postmortem(core: Core) -> None:
    past = await seed_knowledge(core)
    ids = await replay(core)

    inc = await core.get_incident(LOCAL, THREAD)
    assert inc["status"] == "resolved"
    assert inc["triggered_at"] == "2024-01-12T02:47:00Z"
    assert inc["acknowledged_at"] == "2024-01-12T02:48:00Z"
    assert inc["mitigating_at"] == "2024-01-12T02:55:00Z"
    assert inc["resolved_at"] == "2024-01-12T02:59:00Z"

    analysis = await core.intel_door.analyse(LOCAL, inc["id"])
    assert analysis["service"] == "user-api"
    deploy = analysis["correlation"]["recent_changes"][0]
    assert (deploy["version"], deploy["minutes_before"]) == ("v2.4.3", 32)
    assert [s["incident"] for s in analysis["correlation"]["similar_incidents"]][:1] == [past]
    assert analysis["triage"]["proposed"] == "P0"
    assert set(analysis["triage"]["blast_radius"]) == {"payment-api", "admin-dashboard"}
    assert analysis["remediation"]["runbooks"][0]["runbook"] == "db-pool"
    assert "v2.4.3 of user-api was deployed 32 minutes before the first alert" in analysis["summary"]
    assert past in analysis["summary"]

    pm = await core.intel_door.generate_postmortem(LOCAL, inc["id"])
    facts = pm["facts"]
    assert facts["figures"]["time_to_acknowledge_minutes"] == 1.0
    assert facts["figures"]["time_to_resolve_minutes"] == 12.0
    assert [(r["at"][11:16], r["what"], r["who"]) for r in facts["timeline"]] == [
        ("02:47", "detected", "Production Monitoring"),
        ("02:48", "acknowledged", "Sarah Chen"),
        ("02:52", "root cause identified", "Sarah Chen"),
        ("02:53", "decision: Rollback to v2.4.2 approved", "Tom Rodriguez"),
        ("02:55", "mitigation started", "Sarah Chen"),
        ("02:59", "resolved", "Sarah Chen"),
    ]
    assert len(facts["decisions"]) == 1
    decision = facts["decisions"][0]
    assert (
        decision["in_reply_to"] == ids["msg-root-cause"]
        and decision["replying_to"] == "Root Cause Identified"
    )
    assert [(p["name"], p["ai_tool"]) for p in facts["participants"]] == [
        ("Production Monitoring", "Claude"),
        ("Sarah Chen", "ChatGPT"),
        ("Tom Rodriguez", "Claude"),
    ]
    assert facts["cause"] == "Connection leak in v2.4.3 deployment"
    assert "Hotfix PR for connection leak" in facts["action_items"]
    assert "- Time to acknowledge: 1 minute" in pm["markdown"]
    assert "- Time to resolve: 12 minutes" in pm["markdown"]

    summary = await core.intel_door.incident_digest(LOCAL, inc["id"])
    assert "02:53 decision: Rollback to v2.4.2 approved (Tom Rodriguez)" in summary["text"]
    assert "Resolved after 12 minutes." in summary["text"]
    assert "Sarah Chen (ChatGPT)" in summary["text"]

    stats = await core.intel_door.stats(
        LOCAL, since=at("2024-01-01T00:00:00Z"), until=at("2024-02-01T00:00:00Z"), period="month"
    )
    assert stats["by_severity"]["P0"]["count"] == 1
    assert stats["total"]["mttr_minutes"] == 12.0 and stats["total"]["mtta_minutes"] == 1.0
