"""A blameless postmortem draft from an incident's timeline: facts first, then markdown.

What counts as what, so the draft can be checked:

- detected / acknowledged / mitigation started / resolved: the incident's own stamps
  (moves by people, by alerts, or by the themed messages of the seed's workflow);
- root cause: the first message themed `root-cause` or tagged `root-cause*`/`rca`;
- decisions: messages themed `incident-decision`, with what they reply to;
- action items: numbered or bulleted lines under a "Next steps", "Action items" or
  "Follow-up" heading in any message, plus the incident's follow-up tasks;
- participants: every sender of the thread, with the assistant each used.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from warroom.timeutil import iso

_EMOJI = re.compile(r"^[^\w(\[]+", re.UNICODE)
_HEADING_ACTIONS = re.compile(r"^\s*#{1,6}\s*(next steps?|action items?|follow[- ]?ups?)\b", re.IGNORECASE)
_ITEM = re.compile(r"^\s*(?:\d+[.)]|[-*+])\s+(?:\[[ xX]\]\s*)?(.+?)\s*$")
_CAUSE_LINE = re.compile(r"^\s*[-*]?\s*\*\*(cause|root cause)\s*:?\*\*\s*:?\s*(.+)$", re.IGNORECASE)
_IMPACT_LINE = re.compile(r"^\s*[-*]?\s*\*\*impact\s*:?\*\*\s*:?\s*(.+)$", re.IGNORECASE)
_DECISION_LINE = re.compile(r"^\s*\*\*decision\s*:?\*\*\s*:?\s*(.+)$", re.IGNORECASE)


def parse_dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def clean_title(title: str) -> str:
    return _EMOJI.sub("", title).strip()


def minutes(a: datetime | None, b: datetime | None) -> float | None:
    if a is None or b is None:
        return None
    return round((b - a).total_seconds() / 60, 1)


def _first_paragraph_after_heading(body: str, heading: str) -> str:
    lines = body.splitlines()
    for i, line in enumerate(lines):
        if re.match(rf"^\s*#{{1,6}}\s*{heading}\b", line, re.IGNORECASE):
            para = []
            for nxt in lines[i + 1 :]:
                if nxt.strip().startswith("#"):
                    break
                if nxt.strip():
                    para.append(nxt.strip())
                elif para:
                    break
            return " ".join(para)
    return ""


def action_items(body: str) -> list[str]:
    items: list[str] = []
    inside = False
    for line in body.splitlines():
        if line.strip().startswith("#"):
            inside = bool(_HEADING_ACTIONS.match(line))
            continue
        if inside:
            m = _ITEM.match(line)
            if m:
                items.append(m.group(1).strip())
    return items


def _who(m: dict[str, Any]) -> str:
    s = m.get("sender") or {}
    return str(s.get("name") or s.get("user_id") or m.get("published_by"))


def facts(
    incident: dict[str, Any], timeline: list[dict[str, Any]], followups: list[dict[str, Any]]
) -> dict[str, Any]:
    messages = [i["message"] for i in timeline if "message" in i]
    events = [i for i in timeline if "message" not in i]
    by_id = {m["id"]: m for m in messages}
    triggered = parse_dt(incident["triggered_at"])
    acked = parse_dt(incident.get("acknowledged_at"))
    mitigating = parse_dt(incident.get("mitigating_at"))
    resolved = parse_dt(incident.get("resolved_at"))

    def actor_of(kinds: tuple[str, ...], to_status: str | None = None) -> str | None:
        for e in events:
            d = e.get("data") or {}
            if e["kind"] in kinds and (to_status is None or d.get("to_status") in (to_status, None)):
                return str(d.get("by_name") or d.get("by") or "") or None
        return None

    root = next(
        (
            m
            for m in messages
            if m.get("theme") == "root-cause"
            or any(t.startswith("root-cause") or t == "rca" for t in m.get("tags") or [])
        ),
        None,
    )
    cause = ""
    for m in messages:
        for line in (m.get("body") or "").splitlines():
            c = _CAUSE_LINE.match(line)
            if c:
                cause = c.group(2).strip()
    root_text = ""
    if root is not None:
        root_text = _first_paragraph_after_heading(root.get("body") or "", "root cause") or clean_title(
            root["title"]
        )
    impact = ""
    for m in messages:
        for line in (m.get("body") or "").splitlines():
            im = _IMPACT_LINE.match(line)
            if im and not impact:
                impact = im.group(1).strip()
    decisions = []
    for m in messages:
        if m.get("theme") != "incident-decision":
            continue
        text = next(
            (d.group(1).strip() for d in map(_DECISION_LINE.match, (m.get("body") or "").splitlines()) if d),
            "",
        )
        parent = by_id.get(m.get("in_reply_to")) if m.get("in_reply_to") else None
        decisions.append(
            {
                "at": m["created_at"],
                "by": _who(m),
                "title": clean_title(m["title"]),
                "decision": text or clean_title(m["title"]),
                "message_id": m["id"],
                "in_reply_to": m.get("in_reply_to"),
                "replying_to": clean_title(parent["title"]) if parent else None,
            }
        )
    items: list[str] = []
    for m in messages:
        for it in action_items(m.get("body") or ""):
            if it not in items:
                items.append(it)
    for f in followups:
        label = f"{f['title']}" + (f" (owner: {f['owner']})" if f.get("owner") else "") + f" [{f['state']}]"
        items.append(label)
    participants: list[dict[str, Any]] = []
    seen: set[str] = set()
    for m in messages:
        s = m.get("sender") or {}
        key = str(s.get("user_id") or s.get("name"))
        if key in seen or key == "warroom":
            continue
        seen.add(key)
        participants.append(
            {"name": _who(m), "role": s.get("role"), "ai_tool": s.get("ai_tool"), "user_id": s.get("user_id")}
        )

    def msg_actor(tags: set[str]) -> str | None:
        m = next((m for m in messages if tags & set(m.get("tags") or [])), None)
        return _who(m) if m else None

    timeline_rows = [
        {"at": iso(triggered), "what": "detected", "who": _who(messages[0]) if messages else None}
    ]
    if acked:
        timeline_rows.append(
            {
                "at": iso(acked),
                "what": "acknowledged",
                "who": msg_actor({"acknowledged", "investigating"})
                or actor_of(("incident.acknowledged", "incident.status_changed")),
            }
        )
    if root is not None:
        timeline_rows.append({"at": root["created_at"], "what": "root cause identified", "who": _who(root)})
    for d in decisions:
        timeline_rows.append({"at": d["at"], "what": f"decision: {d['decision']}", "who": d["by"]})
    if mitigating:
        timeline_rows.append(
            {
                "at": iso(mitigating),
                "what": "mitigation started",
                "who": msg_actor({"mitigating"}) or actor_of(("incident.status_changed",), "mitigating"),
            }
        )
    if resolved:
        timeline_rows.append(
            {
                "at": iso(resolved),
                "what": "resolved",
                "who": msg_actor({"resolved"}) or actor_of(("incident.resolved",)),
            }
        )
    timeline_rows.sort(key=lambda r: r["at"] or "")
    return {
        "incident": incident["id"],
        "title": incident["title"],
        "severity": incident["severity"],
        "service": incident.get("service"),
        "status": incident["status"],
        "summary": incident.get("summary", ""),
        "impact": impact,
        "cause": cause or root_text,
        "root_cause": root_text,
        "root_cause_message": root["id"] if root else None,
        "decisions": decisions,
        "action_items": items,
        "participants": participants,
        "timeline": timeline_rows,
        "figures": {
            "time_to_acknowledge_minutes": minutes(triggered, acked),
            "time_to_mitigate_minutes": minutes(triggered, mitigating),
            "time_to_resolve_minutes": minutes(triggered, resolved),
        },
        "messages": len(messages),
    }


def _hhmm(value: str | None) -> str:
    dt = parse_dt(value)
    return dt.strftime("%Y-%m-%d %H:%M UTC") if dt else "-"


def fmt_minutes(v: float | None) -> str:
    if v is None:
        return "not reached"
    return f"{int(v)} minute{'s' if int(v) != 1 else ''}" if float(v).is_integer() else f"{v} minutes"


def render(f: dict[str, Any], *, generated_at: str) -> str:
    fig = f["figures"]
    out = [
        f"# Postmortem: {f['title']} ({f['incident']})",
        "",
        f"_Blameless draft generated {generated_at} from the incident timeline. Edit freely; every "
        "statement below comes from a message or an incident change._",
        "",
        "## Summary",
        "",
        f"{f['severity']} incident on {f['service'] or 'an unnamed service'}, "
        f"resolved after {fmt_minutes(fig['time_to_resolve_minutes'])}"
        if fig["time_to_resolve_minutes"] is not None
        else f"{f['severity']} incident on {f['service'] or 'an unnamed service'}, {f['status']}.",
        "",
    ]
    if f["cause"]:
        out += [f"Cause: {f['cause']}", ""]
    out += ["## Impact", "", f["impact"] or "_Describe who was affected and how._", ""]
    out += ["## Timeline", "", "| time | what | who |", "|---|---|---|"]
    out += [f"| {_hhmm(r['at'])} | {r['what']} | {r['who'] or '-'} |" for r in f["timeline"]]
    out += ["", "## Root cause", "", f["root_cause"] or "_Not identified in the timeline yet._", ""]
    out += ["## Decisions", ""]
    if f["decisions"]:
        for d in f["decisions"]:
            reply = f' (replying to "{d["replying_to"]}")' if d["replying_to"] else ""
            out.append(f"- {_hhmm(d['at'])}: {d['by']}: {d['decision']}{reply}")
    else:
        out.append("_No decision messages (theme incident-decision)._")
    out += ["", "## Action items", ""]
    out += [f"- [ ] {i}" for i in f["action_items"]] or ["_None recorded yet._"]
    out += [
        "",
        "## Figures",
        "",
        f"- Time to acknowledge: {fmt_minutes(fig['time_to_acknowledge_minutes'])}",
        f"- Time to mitigate: {fmt_minutes(fig['time_to_mitigate_minutes'])}",
        f"- Time to resolve: {fmt_minutes(fig['time_to_resolve_minutes'])}",
        "",
        "## Participants",
        "",
    ]
    for p in f["participants"]:
        extra = ", ".join(
            x for x in (p.get("role"), f"via {p['ai_tool']}" if p.get("ai_tool") else None) if x
        )
        out.append(f"- {p['name']}" + (f" ({extra})" if extra else ""))
    return "\n".join(out) + "\n"
