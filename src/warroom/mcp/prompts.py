"""Prompts: Notify-MCP's two templates and the war room's briefings, with the data embedded."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from mcp.server.mcpserver import UserMessage

from warroom.errors import InvalidInput
from warroom.mcp.tools import make_filter
from warroom.priority import PriorityError, parse_priority

if TYPE_CHECKING:
    from warroom.mcp.server import WarroomMCP

MAX_MESSAGES = 200


def timeline(messages: list[dict[str, Any]]) -> str:
    """Messages as a compact, oldest-first timeline a model can summarise."""
    lines = []
    for m in messages:
        who = m["sender"].get("name") or m["published_by"]
        tool = f" via {m['sender']['ai_tool']}" if m["sender"].get("ai_tool") else ""
        theme = f" [{m['theme']}]" if m.get("theme") else ""
        reply = f" (reply to #{m['in_reply_to']})" if m.get("in_reply_to") else ""
        lines.append(
            f"- #{m['id']} {m['created_at']} {m['priority'].upper()}{theme} {who}{tool}{reply}: "
            f"{m['title']}\n  " + (m["body"] or "").replace("\n", "\n  ")
        )
    return "\n".join(lines) if lines else "(no messages)"


def _priority(severity: str) -> str:
    try:
        return parse_priority(severity).value
    except PriorityError as exc:
        raise InvalidInput(str(exc), field="severity") from None


def register(server: WarroomMCP) -> None:
    core = server.core
    me = server.identity.current

    @server.prompt(
        name="send_alert",
        title="Send an alert",
        description="Draft and publish a critical alert (Notify-MCP template), with the right priority, "
        "theme and a new incident thread.",
    )
    def send_alert(
        alert_title: str, severity: str, impact: str, channel: str = "incidents", service: str = ""
    ) -> list[UserMessage]:
        priority = _priority(severity)
        call = {
            "channel": channel,
            "title": f"🚨 {severity.upper()}: {alert_title}",
            "priority": priority,
            "theme": "incident-alert",
            "tags": [t for t in (severity.lower(), service.lower()) if t],
            "thread_id": "incident-<yyyy-mm-dd>-<nnn>",
        }
        text = f"""Create a critical alert notification and publish it with publish_notification.

Title: {alert_title}
Severity: {severity} (priority "{priority}")
Impact: {impact}
{f"Service: {service}" if service else ""}

Write a markdown body with: Alert details (severity, service, impact), Symptoms, Affected
services, Monitoring links if known, and "Action Required". Start a new incident thread:
pick a thread_id such as incident-<date>-<nnn> and use it for every follow-up.
Call publish_notification with arguments like:
{json.dumps(call, ensure_ascii=False, indent=1)}"""
        return [UserMessage(text)]

    @server.prompt(
        name="create_decision_notification",
        title="Record a decision",
        description="Draft and publish a decision (Notify-MCP template) as an incident-decision message, "
        "in the incident's thread when there is one.",
    )
    def create_decision_notification(
        decision_title: str, context: str, decision: str, channel: str = "incidents", thread_id: str = ""
    ) -> list[UserMessage]:
        call: dict[str, Any] = {
            "channel": channel,
            "title": f"✅ {decision_title}",
            "priority": "high",
            "theme": "incident-decision",
        }
        if thread_id:
            call["thread_id"] = thread_id
        text = f"""Create a decision notification and publish it with publish_notification.

Title: {decision_title}
Context: {context}
Decision: {decision}

Format the body in markdown: **Decision**, **Authority** (who decided), **Context**, and
what happens next. Use priority "critical" if this unblocks an ongoing P0. If the decision
answers a message (an approval request), pass in_reply_to=<that message's id>.
Call publish_notification with arguments like:
{json.dumps(call, ensure_ascii=False, indent=1)}"""
        return [UserMessage(text)]

    @server.prompt(
        name="what_did_i_miss",
        title="What did I miss?",
        description="Summarise a channel since a time (e.g. 8h): the messages are embedded, oldest first.",
    )
    async def what_did_i_miss(channel: str, since: str = "8h") -> list[UserMessage]:
        f = make_filter(since=since)
        page = await core.history(me(), [channel], f, limit=MAX_MESSAGES)
        messages = list(reversed(page["items"]))
        more = " (older messages exist; call get_notifications to page)" if page["has_more"] else ""
        text = f"""I was away. Tell me what happened in #{channel} since {since}.

Lead with anything still open that needs me (ongoing incidents, unanswered questions,
pending approvals), then resolved incidents with cause and fix, then the rest in one line
each. Name who did what and on which assistant.

{len(messages)} messages{more}:
{timeline(messages)}"""
        return [UserMessage(text)]

    @server.prompt(
        name="thread_briefing",
        title="Thread briefing",
        description="Brief me on one thread (an incident): status, timeline, decisions, open items. "
        "The whole thread is embedded.",
    )
    async def thread_briefing(thread_id: str) -> list[UserMessage]:
        t = await core.thread(me(), thread_id, limit=MAX_MESSAGES)
        msgs = t["messages"]
        first, last = msgs[0], msgs[-1]
        text = f"""Brief me on thread {thread_id}.

Give: current status (open or resolved, from the latest message), duration
({first["created_at"]} to {last["created_at"]}), a timeline with times and owners, the
decisions and who made them, the root cause if known, and the next steps.

{len(msgs)} messages, oldest first:
{timeline(msgs)}"""
        return [UserMessage(text)]
