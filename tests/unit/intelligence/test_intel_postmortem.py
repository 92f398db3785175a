"""Postmortem facts and markdown from synthetic timelines."""

from __future__ import annotations

from typing import Any

from warroom.intelligence import postmortem as PM

INCIDENT = {
    "id": "INC-7",
    "title": "Checkout latency",
    "severity": "P1",
    "service": "checkout",
    "status": "resolved",
    "summary": "p99 over 2s",
    "triggered_at": "2024-03-01T10:00:00Z",
    "acknowledged_at": "2024-03-01T10:03:00Z",
    "mitigating_at": None,
    "resolved_at": "2024-03-01T10:45:30Z",
}


def msg(mid: int, at: str, title: str, who: str, **kw: Any) -> dict[str, Any]:
    sender = {
        "user_id": kw.pop("user_id", who.split()[0].lower()),
        "name": who,
        "role": kw.pop("role", None),
        "ai_tool": kw.pop("ai_tool", None),
    }
    return {
        "id": mid,
        "ts": at,
        "kind": "message.published",
        "message": {
            "id": mid,
            "created_at": at,
            "title": title,
            "sender": sender,
            "body": kw.pop("body", ""),
            "tags": kw.pop("tags", []),
            "theme": kw.pop("theme", None),
            **kw,
        },
    }


def event(eid: int, kind: str, **data: Any) -> dict[str, Any]:
    return {"id": eid, "ts": "2024-03-01T10:03:00Z", "kind": kind, "data": data}


TIMELINE = [
    msg(1, "2024-03-01T10:00:00Z", "🚨 Checkout latency", "Grafana", user_id="grafana-bot"),
    event(2, "incident.acknowledged", by="ana", by_name="Ana Lima", to_status="acknowledged"),
    msg(
        3,
        "2024-03-01T10:10:00Z",
        "🔍 Root Cause Identified",
        "Ana Lima",
        theme="root-cause",
        ai_tool="Claude",
        body="## Root Cause\n\nA slow query on orders\nafter the index was dropped.\n\n"
        "## Impact\n\nmore text",
    ),
    msg(
        4,
        "2024-03-01T10:12:00Z",
        "✅ Decision",
        "Bo Chen",
        theme="incident-decision",
        in_reply_to=3,
        role="lead",
        body="Context first\n**Decision:** Recreate the index",
    ),
    msg(
        5,
        "2024-03-01T10:20:00Z",
        "Plan",
        "Ana Lima",
        ai_tool="Claude",
        body="intro\n- not an item\n## Next steps\n1. Add an index check to CI\n2) Page on slow queries\n"
        "## Notes\n- not an item either\n### Action items\n- [ ] Review ORM defaults\n"
        "* [x] Add an index check to CI",
    ),
    msg(
        6,
        "2024-03-01T10:30:00Z",
        "Update",
        "Cy Diaz",
        body="**Impact:** 12% of checkouts slow\n**Cause:** missing index",
    ),
    msg(7, "2024-03-01T10:31:00Z", "ok", "warroom", user_id="warroom"),
    msg(
        8, "2024-03-01T10:40:00Z", "Decision without text", "Bo Chen", theme="incident-decision", role="lead"
    ),
    event(9, "incident.resolved", by="bo", by_name="Bo Chen", to_status="resolved"),
]


def test_action_items_come_from_lists_under_their_headings_only() -> None:
    body = TIMELINE[4]["message"]["body"]
    assert PM.action_items(body) == [
        "Add an index check to CI",
        "Page on slow queries",
        "Review ORM defaults",
        "Add an index check to CI",
    ]
    assert PM.action_items("## Follow-ups\n- one\n\n# Summary\n- two") == ["one"]
    assert PM.action_items("- loose item\n1. another") == []


def test_facts_from_a_synthetic_timeline() -> None:
    followups = [
        {"title": "Alert on dropped indexes", "owner": "ana", "state": "open"},
        {"title": "Write the runbook", "owner": None, "state": "done"},
    ]
    f = PM.facts(INCIDENT, TIMELINE, followups)
    assert f["root_cause"] == "A slow query on orders after the index was dropped."
    assert f["root_cause_message"] == 3
    assert f["cause"] == "missing index" and f["impact"] == "12% of checkouts slow"
    assert f["decisions"] == [
        {
            "at": "2024-03-01T10:12:00Z",
            "by": "Bo Chen",
            "title": "Decision",
            "decision": "Recreate the index",
            "message_id": 4,
            "in_reply_to": 3,
            "replying_to": "Root Cause Identified",
        },
        {
            "at": "2024-03-01T10:40:00Z",
            "by": "Bo Chen",
            "title": "Decision without text",
            "decision": "Decision without text",
            "message_id": 8,
            "in_reply_to": None,
            "replying_to": None,
        },
    ]
    assert f["action_items"] == [
        "Add an index check to CI",
        "Page on slow queries",
        "Review ORM defaults",
        "Alert on dropped indexes (owner: ana) [open]",
        "Write the runbook [done]",
    ]
    assert [(p["name"], p["role"], p["ai_tool"]) for p in f["participants"]] == [
        ("Grafana", None, None),
        ("Ana Lima", None, "Claude"),
        ("Bo Chen", "lead", None),
        ("Cy Diaz", None, None),
    ]
    assert f["figures"] == {
        "time_to_acknowledge_minutes": 3.0,
        "time_to_mitigate_minutes": None,
        "time_to_resolve_minutes": 45.5,
    }
    assert [(r["at"][11:16], r["what"], r["who"]) for r in f["timeline"]] == [
        ("10:00", "detected", "Grafana"),
        ("10:03", "acknowledged", "Ana Lima"),
        ("10:10", "root cause identified", "Ana Lima"),
        ("10:12", "decision: Recreate the index", "Bo Chen"),
        ("10:40", "decision: Decision without text", "Bo Chen"),
        ("10:45", "resolved", "Bo Chen"),
    ]
    assert f["messages"] == 7


def test_tag_rca_marks_the_root_cause_and_the_title_stands_in_for_a_missing_heading() -> None:
    tl = [msg(1, "2024-03-01T10:05:00Z", "🔥 Cert expired on the LB", "Ana Lima", tags=["rca"])]
    f = PM.facts(INCIDENT, tl, [])
    assert f["root_cause"] == "Cert expired on the LB" and f["cause"] == "Cert expired on the LB"


def test_render_has_every_section_with_the_figures() -> None:
    f = PM.facts(INCIDENT, TIMELINE, [{"title": "Alert on dropped indexes", "owner": "ana", "state": "open"}])
    md = PM.render(f, generated_at="2024-03-02T00:00:00Z")
    sections = [ln for ln in md.splitlines() if ln.startswith("## ")]
    assert sections == [
        "## Summary",
        "## Impact",
        "## Timeline",
        "## Root cause",
        "## Decisions",
        "## Action items",
        "## Figures",
        "## Participants",
    ]
    assert md.startswith("# Postmortem: Checkout latency (INC-7)\n")
    assert "P1 incident on checkout, resolved after 45.5 minutes" in md
    assert "| 2024-03-01 10:12 UTC | decision: Recreate the index | Bo Chen |" in md
    assert '- 2024-03-01 10:12 UTC: Bo Chen: Recreate the index (replying to "Root Cause Identified")' in md
    assert "- [ ] Page on slow queries\n" in md and "- [ ] Alert on dropped indexes (owner: ana) [open]" in md
    assert "- Time to acknowledge: 3 minutes" in md
    assert "- Time to mitigate: not reached" in md
    assert "- Time to resolve: 45.5 minutes" in md
    assert "- Ana Lima (via Claude)\n" in md and "- Bo Chen (lead)\n" in md


def test_an_empty_open_incident_renders_placeholders() -> None:
    open_inc = {**INCIDENT, "status": "triggered", "acknowledged_at": None, "resolved_at": None}
    f = PM.facts(open_inc, [], [])
    md = PM.render(f, generated_at="now")
    assert f["figures"]["time_to_resolve_minutes"] is None and f["timeline"][0]["who"] is None
    assert "P1 incident on checkout, triggered." in md
    assert "_Not identified in the timeline yet._" in md
    assert "_No decision messages (theme incident-decision)._" in md
    assert "_None recorded yet._" in md
    assert PM.fmt_minutes(1.0) == "1 minute" and PM.fmt_minutes(12.0) == "12 minutes"
