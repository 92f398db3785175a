"""Incident tools: list, read, declare and move incidents through their lifecycle.

Each tool calls one core method as the caller; the lifecycle rules (a late acknowledge never
undoes a resolve, retries are no-ops) live in the core and come back as `changed`/`note`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from mcp_types import ToolAnnotations
from pydantic import Field

from warroom.mcp import incident_schemas as i
from warroom.mcp import schemas as s
from warroom.mcp import uris
from warroom.mcp.args import IncidentRef, Reason, TimeArg, change, when
from warroom.mcp.args import incident as incident_out
from warroom.mcp.tools import IDEMPOTENT, READ, WRITE

if TYPE_CHECKING:
    from warroom.mcp.server import WarroomMCP

StatusFilter = Literal["open", "all", "triggered", "acknowledged", "investigating", "mitigating", "resolved"]
Owner = Annotated[str | None, Field(max_length=200, description="A principal id; empty string clears it")]


def register(server: WarroomMCP) -> None:
    core = server.core
    me = server.identity.current

    @server.tool(
        title="List incidents",
        annotations=READ,
        description="""List incidents you can see. Default: the open ones, worst first.

Use it for "what is on fire?", "show P0s this week" or to find an incident's id (INC-n).
status=all (or one status) lists newest first; page older with before=<next_before>.
Open incidents come worst first in one page: raise limit if has_more.
Example: {"status": "open", "severity": ["P0", "P1"]} or
{"status": "all", "since": "7d", "service": "user-api", "limit": 20}""",
    )
    async def list_incidents(
        status: StatusFilter = "open",
        severity: Annotated[
            list[s.PriorityIn] | None, Field(max_length=8, description="Only these severities")
        ] = None,
        service: Annotated[str | None, Field(max_length=200)] = None,
        channel: Annotated[str | None, Field(max_length=64)] = None,
        since: Annotated[TimeArg, Field(description="Triggered at or after: 24h, 7d or an ISO time")] = None,
        until: Annotated[TimeArg, Field(description="Triggered before this time")] = None,
        before: Annotated[int | None, Field(ge=1, description="Incident number to page before")] = None,
        limit: Annotated[int, Field(ge=1, le=200, description="Page size (1-200)")] = 50,
    ) -> i.IncidentPage:
        page = await core.list_incidents(
            me(),
            status=status,
            severity=list(severity) if severity else None,
            service=service,
            channel=channel,
            since=when(since, "since"),
            until=when(until, "until"),
            limit=limit,
            before=before,
        )
        items = [incident_out(x) for x in page["items"]]
        more = bool(page["has_more"])
        # Only number order pages by number; worst-first (open) pages by a larger limit.
        cursor = items[-1].number if more and status != "open" else None
        return i.IncidentPage(items=items, has_more=more, next_before=cursor)

    @server.tool(
        title="Get an incident",
        annotations=READ,
        description="""One incident with its alerts: status, severity, owner, every state's time.

For its whole story use get_incident_timeline; for the analysis, analyze_incident.
Example: {"incident": "INC-42"}""",
    )
    async def get_incident(incident: IncidentRef) -> i.IncidentDetail:
        data = await core.get_incident(me(), incident)
        return i.IncidentDetail.model_validate({**data, "resource": uris.incident(data["id"])})

    @server.tool(
        title="Declare an incident",
        annotations=WRITE,
        description="""Open an incident by hand: it gets an id (INC-n) and a thread, announced in the channel.

Use it when people notice a problem no alert caught. Severity P0 (critical) to P3 (low).
Example: {"title": "Checkout failing for EU customers", "severity": "P1",
"service": "payment-api", "summary": "Error rate 12% since 02:40", "channel": "incidents"}""",
    )
    async def declare_incident(
        title: Annotated[str, Field(min_length=1, max_length=200, description="One-line summary")],
        severity: Annotated[s.PriorityIn, Field(description="P0=critical ... P3=low")] = "P2",
        service: Annotated[str | None, Field(max_length=200, description="The failing service")] = None,
        summary: Annotated[str, Field(max_length=20_000, description="Markdown: what is known")] = "",
        channel: Annotated[str, Field(min_length=1, max_length=64)] = "incidents",
        thread_id: Annotated[
            str | None, Field(max_length=200, description="Use an existing thread; default: the INC-n id")
        ] = None,
    ) -> i.IncidentOut:
        data = await core.declare_incident(
            me(),
            title=title,
            channel=channel,
            severity=severity,
            service=service,
            summary=summary,
            thread_id=thread_id,
        )
        return incident_out(data)

    @server.tool(
        title="Acknowledge an incident",
        annotations=IDEMPOTENT,
        description="""Acknowledge an incident: you (the person you act for) own it and escalation stops.

Do this FIRST, before investigating, so nobody else is woken. Harmless to repeat; after a
resolve it changes nothing and says so (changed=false).
Example: {"incident": "INC-42", "reason": "Looking at the DB connection pool"}""",
    )
    async def acknowledge_incident(incident: IncidentRef, reason: Reason = "") -> i.IncidentChange:
        return change(await core.set_incident_status(me(), incident, "acknowledged", reason=reason))

    @server.tool(
        title="Update an incident's status",
        annotations=IDEMPOTENT,
        description="""Move an incident to investigating, mitigating, acknowledged or resolved, with a reason.

Any open state may move forward or back (a failed mitigation returns to investigating); a
resolved incident must be reopened first (reopen_incident).
Example: {"incident": "INC-42", "status": "mitigating", "reason": "Rolling back v2.4.3"}""",
    )
    async def update_incident_status(
        incident: IncidentRef,
        status: Literal["acknowledged", "investigating", "mitigating", "resolved"],
        reason: Reason = "",
    ) -> i.IncidentChange:
        return change(await core.set_incident_status(me(), incident, status, reason=reason))

    @server.tool(
        title="Resolve an incident",
        annotations=IDEMPOTENT,
        description="""Resolve an incident: escalation stops and a postmortem draft is prepared.

Say the cause, the fix and the impact in the reason ("Cause: ...", "Fix: ...").
Example: {"incident": "INC-42", "reason": "Cause: connection leak in v2.4.3. Fix: rolled back to v2.4.2."}""",
    )
    async def resolve_incident(incident: IncidentRef, reason: Reason = "") -> i.IncidentChange:
        return change(await core.set_incident_status(me(), incident, "resolved", reason=reason))

    @server.tool(
        title="Reopen an incident",
        annotations=IDEMPOTENT,
        description="""Reopen a resolved incident (back to triggered; escalation restarts).

Example: {"incident": "INC-42", "reason": "Errors are back after the rollback"}""",
    )
    async def reopen_incident(incident: IncidentRef, reason: Reason = "") -> i.IncidentChange:
        return change(await core.reopen_incident(me(), incident, reason=reason))

    @server.tool(
        title="Add a note to an incident",
        annotations=WRITE,
        description="""Add a note to an incident's timeline (a message in its thread, theme incident-note).

Use it for findings and context that are not status changes.
Example: {"incident": "INC-42", "text": "Pool at 100/100 on all four instances since 02:45"}""",
    )
    async def add_incident_note(
        incident: IncidentRef,
        text: Annotated[str, Field(min_length=1, max_length=20_000, description="Markdown")],
    ) -> i.NoteOut:
        msg = await core.add_incident_note(me(), incident, text)
        ref = (await core.get_incident(me(), incident))["id"]
        return i.NoteOut(incident=ref, message=s.Notification.model_validate(msg))

    @server.tool(
        title="Assign an incident",
        annotations=IDEMPOTENT,
        description="""Set who owns an incident and/or who commands it (principal ids).

Example: {"incident": "INC-42", "owner": "sarah", "commander": "tom"}""",
    )
    async def assign_incident(
        incident: IncidentRef, owner: Owner = None, commander: Owner = None
    ) -> i.IncidentOut:
        return incident_out(await core.assign_incident(me(), incident, owner=owner, commander=commander))

    @server.tool(
        title="Change an incident's severity",
        annotations=IDEMPOTENT,
        description="""Raise or lower an incident's severity (P0 critical ... P3 low), saying why.

The analysis re-runs on its own. Example: {"incident": "INC-42", "severity": "P0",
"reason": "payment-api depends on it: customers cannot pay"}""",
    )
    async def set_incident_severity(
        incident: IncidentRef, severity: s.PriorityIn, reason: Reason = ""
    ) -> i.IncidentChange:
        return change(await core.set_incident_severity(me(), incident, severity, reason=reason))

    @server.tool(
        title="Merge incidents",
        annotations=ToolAnnotations(read_only_hint=False, destructive_hint=True, open_world_hint=False),
        description="""Fold a duplicate incident into another: its alerts move over and it resolves.

Returns the incident that stays. Example: {"incident": "INC-43", "into": "INC-42"}""",
    )
    async def merge_incidents(
        incident: Annotated[
            str, Field(min_length=1, max_length=200, description="The duplicate (goes away)")
        ],
        into: Annotated[str, Field(min_length=1, max_length=200, description="The incident that stays")],
    ) -> i.IncidentOut:
        return incident_out(await core.merge_incidents(me(), incident, into))

    @server.tool(
        title="Incident timeline",
        annotations=READ,
        description="""Everything that happened to an incident, oldest first: its messages and its events
(triggered, acknowledged, paged, escalated, analysis, resolved ...), each with who and when.

Use it for "what happened?", a status report or a postmortem.
Example: {"incident": "INC-42"}""",
    )
    async def get_incident_timeline(incident: IncidentRef) -> i.TimelineOut:
        tl = await core.incident_timeline(me(), incident)
        return i.TimelineOut(
            incident=incident_out(tl["incident"]),
            items=[i.TimelineItem.model_validate(x) for x in tl["items"]],
            has_more=tl["has_more"],
        )
