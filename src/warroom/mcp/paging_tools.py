"""Paging tools: who is on call, page a person, escalate an incident, follow deliveries."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from mcp_types import ToolAnnotations
from pydantic import Field

from warroom.mcp import incident_schemas as i
from warroom.mcp import schemas as s
from warroom.mcp.args import IncidentRef, UserId, when
from warroom.mcp.tools import READ
from warroom.timeutil import iso, utcnow

if TYPE_CHECKING:
    from warroom.mcp.server import WarroomMCP

DeliveryState = Literal["queued", "sending", "sent", "failed", "gave_up", "cancelled"]
# Paging wakes people: never idempotent, never read-only, and it leaves this server.
PAGES = ToolAnnotations(read_only_hint=False, destructive_hint=False, open_world_hint=True)


def register(server: WarroomMCP) -> None:
    core = server.core
    pager = core.pager
    me = server.identity.current

    @server.tool(
        title="Who is on call",
        annotations=READ,
        description="""Who is on call now (or at a time), per schedule, with their shift and whether an
override put them there.

Example: {} or {"schedule": "sre", "at": "2026-01-12T02:47:00Z"}""",
    )
    async def who_is_on_call(
        schedule: Annotated[str | None, Field(max_length=100, description="One schedule id")] = None,
        at: Annotated[str | None, Field(max_length=64, description="ISO 8601 time; default now")] = None,
    ) -> i.OnCallOut:
        me()
        moment = when(at, "at") or utcnow()
        rows = await pager.on_call(schedule_id=schedule, at=moment)
        names = [x["id"] for x in await pager.list_schedules()]
        return i.OnCallOut(
            at=iso(moment) or "",
            on_call=[i.OnCallEntry.model_validate(r) for r in rows],
            schedules=names,
        )

    @server.tool(
        title="Page a person",
        annotations=PAGES,
        description="""Page one person now through their contact methods and notification rules
(Slack, ntfy, email, PagerDuty ...). This wakes them up: use it when a human is needed.

Name the incident so the page lands on its timeline.
Example: {"user_id": "tom", "title": "Need approval to roll back user-api", "incident": "INC-42",
"priority": "critical"}""",
    )
    async def page_user(
        user_id: UserId,
        title: Annotated[str, Field(min_length=1, max_length=200)],
        body: Annotated[str, Field(max_length=10_000)] = "",
        priority: Annotated[
            s.PriorityIn, Field(description="critical pages follow 'important' rules")
        ] = "high",
        incident: Annotated[
            str | None, Field(min_length=1, max_length=200, description="INC-n this page is about")
        ] = None,
    ) -> i.PageOut:
        out = await pager.page_user(
            me(), user_id, title=title, body=body, priority=priority, incident=incident
        )
        return i.PageOut.model_validate(out)

    @server.tool(
        title="Escalate an incident",
        annotations=PAGES,
        description="""Page the next level of the incident's escalation policy now, without waiting for its
delay. Later levels keep their delays from now. Needs a policy routed to the incident.

Example: {"incident": "INC-42"}""",
    )
    async def escalate_incident(incident: IncidentRef) -> i.EscalationOut:
        return i.EscalationOut.model_validate(await pager.escalate(me(), incident))

    @server.tool(
        title="List deliveries",
        annotations=READ,
        description="""Pages and notifications sent (or being tried), newest first: state, attempts, error.

gave_up is the dead-letter list (retry_delivery sends one again). Without incident you see
your own deliveries (admins: all).
Example: {"incident": "INC-42"} or {"state": ["failed", "gave_up"]}""",
    )
    async def list_deliveries(
        state: Annotated[list[DeliveryState] | None, Field(max_length=6)] = None,
        incident: Annotated[str | None, Field(min_length=1, max_length=200)] = None,
        limit: Annotated[int, Field(ge=1, le=200)] = 50,
    ) -> i.DeliveryList:
        rows = await pager.deliveries(
            me(), state=",".join(state) if state else None, incident=incident, limit=limit
        )
        return i.DeliveryList(deliveries=[i.DeliveryOut.model_validate(r) for r in rows])

    @server.tool(
        title="Retry a delivery",
        annotations=PAGES,
        description="""Send a failed or dead-lettered delivery again (same id, so receivers deduplicate).

Example: {"delivery_id": "dlv_0123456789ab"}""",
    )
    async def retry_delivery(
        delivery_id: Annotated[str, Field(min_length=1, max_length=64, description="From list_deliveries")],
    ) -> i.DeliveryOut:
        return i.DeliveryOut.model_validate(await pager.retry_delivery(me(), delivery_id))
