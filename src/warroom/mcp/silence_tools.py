"""Silence and maintenance-window tools: silenced alerts are stored but open and page nothing."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from mcp_types import ToolAnnotations
from pydantic import Field

from warroom.errors import InvalidInput
from warroom.mcp import incident_schemas as i
from warroom.mcp.args import when
from warroom.mcp.tools import READ, WRITE
from warroom.timeutil import parse_span, utcnow

if TYPE_CHECKING:
    from warroom.mcp.server import WarroomMCP

Matcher = Annotated[str, Field(min_length=3, max_length=500)]


def register(server: WarroomMCP) -> None:
    core = server.core
    me = server.identity.current

    @server.tool(
        title="Create a silence",
        annotations=WRITE,
        description="""Silence alerts (or plan a maintenance window): alerts whose labels match every matcher
are recorded but open no incident and page nobody until it ends.

Matchers use Alertmanager syntax: label=value, label!=value, label=~regex, label!~regex.
Give a duration (30m, 2h, 1d) or an ends_at time; starts_at defaults to now.
Example: {"matchers": ["service=user-api", "env=~prod|staging"], "duration": "2h",
"comment": "Tuesday DB maintenance"}""",
    )
    async def create_silence(
        matchers: Annotated[list[Matcher], Field(min_length=1, max_length=20)],
        duration: Annotated[str | None, Field(max_length=32, description="How long: 30m, 2h, 1d")] = None,
        ends_at: Annotated[str | None, Field(max_length=64, description="ISO 8601 end time")] = None,
        starts_at: Annotated[
            str | None, Field(max_length=64, description="ISO 8601 start time (default now)")
        ] = None,
        comment: Annotated[str, Field(max_length=2000, description="Why (shown to everyone)")] = "",
    ) -> i.SilenceOut:
        for name, value in (("starts_at", starts_at), ("ends_at", ends_at)):
            if value and parse_span(value) is not None:
                raise InvalidInput(
                    f"{name} is a point in time such as 2026-01-12T04:00:00Z; for a length use "
                    f'duration="{value.strip()}"',
                    field=name,
                )
        start = when(starts_at, "starts_at") or utcnow()
        end = when(ends_at, "ends_at")
        if end is None:
            span = parse_span(duration) if duration else None
            if span is None:
                raise InvalidInput(
                    "give a duration such as 30m, 2h or 1d, or an ends_at time", field="duration"
                )
            end = start + span
        data = await core.create_silence(
            me(), matchers=matchers, starts_at=start, ends_at=end, comment=comment
        )
        return i.SilenceOut.model_validate(data)

    @server.tool(
        title="List silences",
        annotations=READ,
        description="""List silences and maintenance windows, newest first, optionally by state.

Example: {"state": "active"}""",
    )
    async def list_silences(
        state: Literal["active", "pending", "expired"] | None = None,
    ) -> i.SilenceList:
        me()  # a connection without a principal is refused like every other call
        rows = await core.list_silences(state)
        return i.SilenceList(silences=[i.SilenceOut.model_validate(r) for r in rows])

    @server.tool(
        title="Expire a silence",
        annotations=ToolAnnotations(
            read_only_hint=False, destructive_hint=True, idempotent_hint=True, open_world_hint=False
        ),
        description="""End a silence now: matching alerts open incidents and page again from now on.

Example: {"silence_id": "sil_0123456789ab"}""",
    )
    async def expire_silence(
        silence_id: Annotated[str, Field(min_length=1, max_length=64, description="From list_silences")],
    ) -> i.SilenceOut:
        return i.SilenceOut.model_validate(await core.expire_silence(me(), silence_id))
