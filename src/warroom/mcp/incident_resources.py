"""The `incident://{id}` resource: an incident with its alerts, latest analysis and timeline."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from warroom.errors import NotFound
from warroom.identity.models import Principal
from warroom.mcp import uris

if TYPE_CHECKING:
    from warroom.core import Core
    from warroom.mcp.server import WarroomMCP


async def latest_analysis(core: Core, p: Principal, ref: str) -> dict[str, Any] | None:
    try:
        return await core.intel_door.analysis(p, ref)
    except NotFound as exc:
        if exc.field == "analysis":  # none yet; an unknown incident still fails
            return None
        raise


async def incident_document(core: Core, p: Principal, ref: str) -> dict[str, Any]:
    inc = await core.get_incident(p, ref)
    tl = await core.incident_timeline(p, inc["id"])
    return {
        "incident": inc,
        "analysis": await latest_analysis(core, p, inc["id"]),
        "timeline": tl["items"],
        "timeline_has_more": tl["has_more"],
        "resource": uris.incident(inc["id"]),
    }


async def incident_ids(core: Core, p: Principal) -> list[str]:
    """Open incidents first (worst first), then the rest newest first."""
    open_ = await core.list_incidents(p, status="open", limit=200)
    every = await core.list_incidents(p, status="all", limit=200)
    seen: dict[str, None] = {}
    for row in [*open_["items"], *every["items"]]:
        seen.setdefault(row["id"], None)
    return list(seen)


def register(server: WarroomMCP) -> None:
    core = server.core
    me = server.identity.current

    @server.resource(
        uris.INCIDENT,
        name="incident",
        title="Incident",
        description="An incident (id INC-n) with its alerts, its latest analysis and its whole timeline "
        "(JSON). Subscribe to be told of every change: status, notes, pages, analysis.",
        mime_type="application/json",
    )
    async def incident(id: str) -> str:
        return json.dumps(await incident_document(core, me(), id), ensure_ascii=False, indent=1)
