"""Incident prompts: a briefing and a postmortem review, with the structured facts embedded.

The server computes the facts (analysis, timeline, figures); the prompt asks the model for
the prose and to say which fact each conclusion rests on.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from mcp.server.mcpserver import UserMessage

from warroom.errors import NotFound
from warroom.mcp.incident_resources import latest_analysis
from warroom.mcp.prompts import timeline

if TYPE_CHECKING:
    from warroom.mcp.server import WarroomMCP

MAX_ITEMS = 300


def _event_line(item: dict[str, Any]) -> str:
    d = item.get("data") or {}
    who = d.get("by_name") or d.get("by") or "warroom"
    what = item["kind"].removeprefix("incident.")
    detail = []
    if d.get("to_status"):
        detail.append(f"{d.get('from_status')} → {d['to_status']}")
    if d.get("to_severity"):
        detail.append(f"{d.get('from_severity')} → {d['to_severity']}")
    if d.get("users"):
        detail.append("paged " + ", ".join(d["users"]))
    if d.get("user"):
        detail.append(f"paged {d['user']}")
    if d.get("summary"):
        detail.append(str(d["summary"]))
    if d.get("reason"):
        detail.append(f"reason: {d['reason']}")
    return f"- e{item['id']} {item['ts']} [{what}] {who}" + (": " + "; ".join(detail) if detail else "")


def timeline_text(items: list[dict[str, Any]]) -> str:
    """Messages and incident events, oldest first, one line (or a few) each."""
    lines = [timeline([it["message"]]) if "message" in it else _event_line(it) for it in items[:MAX_ITEMS]]
    more = (
        f"\n({len(items) - MAX_ITEMS} more items: call get_incident_timeline)"
        if len(items) > MAX_ITEMS
        else ""
    )
    return ("\n".join(lines) or "(nothing yet)") + more


def _facts_block(value: Any) -> str:
    return "```json\n" + json.dumps(value, ensure_ascii=False, indent=1) + "\n```"


def _figures(f: dict[str, Any]) -> str:
    fig = f["figures"]

    def m(v: float | None) -> str:
        return "not reached" if v is None else f"{v} min"

    return (
        f"time to acknowledge {m(fig['time_to_acknowledge_minutes'])}, "
        f"to mitigate {m(fig['time_to_mitigate_minutes'])}, to resolve {m(fig['time_to_resolve_minutes'])}"
    )


def register(server: WarroomMCP) -> None:
    core = server.core
    me = server.identity.current

    @server.prompt(
        name="incident_briefing",
        title="Incident briefing",
        description="Brief me on an incident (INC-n): status, owner and on call, timeline, likely cause, "
        "similar incidents, runbook steps and next actions. The incident, its analysis, timeline and "
        "figures are embedded.",
    )
    async def incident_briefing(incident: str) -> list[UserMessage]:
        p = me()
        inc = await core.get_incident(p, incident)
        ref = inc["id"]
        analysis = await latest_analysis(core, p, ref) or await core.intel_door.analyse(p, ref, force=False)
        tl = await core.incident_timeline(p, ref)
        facts = (await core.intel_door.incident_digest(p, ref))["facts"]
        alerts = [
            {k: a[k] for k in ("title", "status", "severity", "service", "count", "labels")}
            for a in inc.pop("alerts")[:20]
        ]
        text = f"""Brief me on incident {ref}: {inc["title"]}.

Lead with what needs doing now. Then give: status and severity (and whether the analysis
proposes another, with its factors), who owns it, who is on call and who is paged next; a
short timeline with times and people; the likely cause with the facts behind it (recent
changes, similar past incidents and how they were fixed); the runbook steps that apply; and
a status update I can post. Say which fact each conclusion rests on; invent none. If it is
still unacknowledged, say so first: acknowledge_incident before investigating.

Status: {inc["status"]}, {inc["severity"]}, service {inc["service"] or "unknown"}, \
owner {inc["owner"] or "nobody"}.
Figures: {_figures(facts)}.

Analysis (version {analysis.get("version")}): {analysis["summary"]}

Timeline ({len(tl["items"])} items, oldest first):
{timeline_text(tl["items"])}

Structured facts:
{_facts_block({"incident": inc, "alerts": alerts, "analysis": analysis, "figures": facts["figures"]})}"""
        return [UserMessage(text)]

    @server.prompt(
        name="postmortem_review",
        title="Postmortem review",
        description="Review and finish the blameless postmortem of an incident (INC-n). The stored draft "
        "(if any), its facts (timeline, root cause, decisions, action items, figures, participants) "
        "and the whole timeline are embedded.",
    )
    async def postmortem_review(incident: str) -> list[UserMessage]:
        p = me()
        digest = await core.intel_door.incident_digest(p, incident)
        ref, facts = digest["incident"], digest["facts"]
        try:
            pm: dict[str, Any] | None = await core.intel_door.postmortem(p, ref)
        except NotFound:
            pm = None
        tl = await core.incident_timeline(p, ref)
        if pm:
            how = "generated" if pm["generated"] else f"edited by {pm['created_by']}"
            draft = f"The stored draft (version {pm['version']}, {how}):\n\n{pm['markdown']}"
        else:
            draft = "No draft is stored yet: write one from the facts (generate_postmortem stores a draft)."
        head = f"{facts['title']} ({facts['severity']}, {facts['status']})"
        text = f"""Review the postmortem of incident {ref}: {head}.

Keep it blameless: describe systems and decisions, never fault people. Check it against the
facts below and fix what disagrees: the figures ({_figures(facts)}), the timeline, the root
cause and the decisions (with who made them and what they answered). Every action item needs
an owner and a state; list missing ones. Then give the finished markdown; store it with
edit_postmortem.

{draft}

Timeline ({len(tl["items"])} items, oldest first):
{timeline_text(tl["items"])}

Structured facts:
{_facts_block(facts)}"""
        return [UserMessage(text)]
