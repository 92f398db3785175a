"""Argument types shared by the incident, paging and intelligence tools, and their parsing."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import Field

from warroom.errors import InvalidInput
from warroom.mcp import incident_schemas as i
from warroom.mcp import uris
from warroom.timeutil import parse_time

IncidentRef = Annotated[
    str,
    Field(
        min_length=1,
        max_length=200,
        description="The incident: INC-42, 42, or its thread id (list_incidents shows them)",
    ),
]
Reason = Annotated[str, Field(max_length=5000, description="Why: shown on the timeline and in the thread")]
UserId = Annotated[
    str, Field(min_length=1, max_length=200, description="A person's principal id, e.g. sarah")
]
TimeArg = Annotated[
    str | None,
    Field(max_length=64, description="A span back from now (30m, 24h, 7d) or an ISO 8601 time"),
]


def when(value: str | None, field: str) -> datetime | None:
    """A door time argument; a bad one is a tool error naming the argument."""
    if value is None or not value.strip():
        return None
    try:
        return parse_time(value)
    except ValueError as exc:
        raise InvalidInput(str(exc), field=field) from None


def incident(data: dict[str, Any]) -> i.IncidentOut:
    return i.IncidentOut.model_validate({**data, "resource": uris.incident(data["id"])})


def change(data: dict[str, Any]) -> i.IncidentChange:
    return i.IncidentChange.model_validate({**data, "resource": uris.incident(data["id"])})
