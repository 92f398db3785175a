"""Resources (channel feeds, channel info, threads, my subscriptions, the message schema) and
completions for their arguments."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from mcp_types import (
    Completion,
    CompletionArgument,
    CompletionContext,
    PromptReference,
    ResourceTemplateReference,
)

from warroom.identity.models import Principal
from warroom.mcp import schemas as s
from warroom.mcp import uris
from warroom.mcp.incident_resources import incident_ids
from warroom.messages.filters import MessageFilter
from warroom.messages.models import WELL_KNOWN_THEMES, MessageIn

if TYPE_CHECKING:
    from warroom.mcp.server import WarroomMCP

JSON = "application/json"
RECENT_LIMIT = 50
MAX_COMPLETIONS = 100


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=1)


def notification_schema() -> dict[str, Any]:
    return {
        "description": "What publish_notification accepts (input) and what every read returns (stored).",
        "input": MessageIn.model_json_schema(),
        "stored": s.Notification.model_json_schema(),
        "priorities": {"critical": "P0", "high": "P1", "medium": "P2", "low": "P3"},
        "well_known_themes": list(WELL_KNOWN_THEMES),
    }


async def channel_ids(server: WarroomMCP, p: Principal) -> list[str]:
    return [c["id"] for c in await server.core.list_channels(p)]


async def recent_thread_ids(server: WarroomMCP, p: Principal) -> list[str]:
    """Thread ids of recent messages the principal may read, newest first."""
    page = await server.core.history(p, None, MessageFilter(), limit=500)
    seen: dict[str, None] = {}
    for m in page["items"]:
        if m.get("thread_id"):
            seen.setdefault(m["thread_id"], None)
    return list(seen)


def _complete(values: list[str], prefix: str) -> Completion:
    hits = [v for v in values if v.startswith(prefix)]
    return Completion(values=hits[:MAX_COMPLETIONS], total=len(hits), has_more=len(hits) > MAX_COMPLETIONS)


def register(server: WarroomMCP) -> None:
    core = server.core
    me = server.identity.current

    @server.resource(
        uris.RECENT,
        name="recent_notifications",
        title="Recent notifications of a channel",
        description=f"The newest {RECENT_LIMIT} messages of a channel, newest first (JSON). "
        "Subscribe to be told when a message lands.",
        mime_type=JSON,
    )
    async def recent(channel: str) -> str:
        page = await core.history(me(), [channel], MessageFilter(), limit=RECENT_LIMIT)
        return _dump({"channel": channel, **page})

    @server.resource(
        uris.CHANNEL_INFO,
        name="channel_info",
        title="Channel information",
        description="A channel's description, visibility, stats and your permissions (JSON).",
        mime_type=JSON,
    )
    async def info(channel: str) -> str:
        return _dump(await core.get_channel(me(), channel))

    @server.resource(
        uris.THREAD,
        name="thread",
        title="Incident thread",
        description="Every message of a thread, oldest first (JSON). An incident's thread id is its id.",
        mime_type=JSON,
    )
    async def thread(thread_id: str) -> str:
        return _dump(await core.thread(me(), thread_id))

    @server.resource(
        uris.MINE,
        name="my_subscriptions",
        title="My subscriptions",
        description="Your subscriptions with filters and unread counts (JSON).",
        mime_type=JSON,
    )
    async def mine() -> str:
        return _dump({"subscriptions": await core.list_subscriptions(me())})

    @server.resource(
        uris.SCHEMA,
        name="notification_schema",
        title="Notification schema",
        description="JSON Schema of a notification: what to publish and what reads return.",
        mime_type=JSON,
    )
    def schema() -> str:
        return _dump(notification_schema())

    async def complete(
        ref: ResourceTemplateReference | PromptReference,
        argument: CompletionArgument,
        context: CompletionContext | None,
    ) -> Completion | None:
        p = me()
        prefix = argument.value or ""
        if argument.name == "channel":
            return _complete(await channel_ids(server, p), prefix)
        if argument.name == "thread_id":
            return _complete(await recent_thread_ids(server, p), prefix)
        if argument.name == "incident" or (
            argument.name == "id" and isinstance(ref, ResourceTemplateReference) and ref.uri == uris.INCIDENT
        ):
            return _complete(
                await incident_ids(core, p), prefix.upper() if prefix[:4].lower() == "inc-" else prefix
            )
        if isinstance(ref, PromptReference) and argument.name == "severity":
            return _complete(["P0", "P1", "P2", "P3", "critical", "high", "medium", "low"], prefix)
        if isinstance(ref, PromptReference) and argument.name == "since":
            return _complete(["30m", "1h", "8h", "24h", "7d"], prefix)
        return None

    # The SDK's decorator is untyped; register through it once, explicitly.
    server.completion()(complete)  # type: ignore[no-untyped-call]
