"""`warroom mcp` as a real subprocess over stdio: against the store, and as a bridge to a server."""

from __future__ import annotations

from typing import Any

import anyio
import pytest
from mcp import Client
from mcp_kit import IGNORE_DEPRECATION, Updates, make_token, stdio_params, text
from mcp_types import ResourceTemplateReference

from warroom.config import Settings
from warroom.core import Core
from warroom.identity.models import LOCAL
from warroom.messages.models import MessageIn

pytestmark = IGNORE_DEPRECATION
ERAS = [("legacy", "2025-11-25"), ("auto", "2026-07-28")]


def store_env(settings: Settings) -> dict[str, str]:
    assert settings.database_url is not None
    return {
        "WARROOM_DATABASE_URL": settings.database_url.get_secret_value(),
        "WARROOM_DATA_DIR": str(settings.data_dir),
        "WARROOM_STREAM_POLL_SECONDS": "0.2",
        "WARROOM_SQLITE_SYNCHRONOUS": "NORMAL",
    }


async def call(c: Any, name: str, args: dict[str, Any]) -> dict[str, Any]:
    r = await c.call_tool(name, args)
    assert not r.is_error, text(r)
    return dict(r.structured_content)


@pytest.mark.parametrize(("mode", "version"), ERAS)
async def test_stdio_against_the_store(core: Core, settings: Settings, mode: str, version: str) -> None:
    token = make_token(core, "tom", name="Tom Rodriguez", ai_tool="Claude")
    await core.create_channel(LOCAL, "incidents")
    updates = Updates()
    params = stdio_params([], {**store_env(settings), "WARROOM_TOKEN": token})
    async with Client(params, mode=mode, message_handler=updates) as c:
        assert c.protocol_version == version
        assert c.instructions and "one incident = one thread_id" in c.instructions
        out = await call(
            c, "publish_notification", {"channel": "incidents", "title": "from stdio", "thread_id": "t-1"}
        )
        assert out["message"]["published_by"] == "tom" and out["message"]["sender"]["ai_tool"] == "Claude"
        # the same store, seen from this process
        page = await core.history(
            LOCAL, ["incidents"], __import__("warroom.messages.filters", fromlist=["x"]).MessageFilter()
        )
        assert [m["title"] for m in page["items"]] == ["from stdio"]
        bad = await c.call_tool(
            "publish_notification", {"channel": "incidents", "title": "x", "priority": "urgent"}
        )
        assert bad.is_error and "priority" in text(bad) and "'critical'" in text(bad)
        # a misspelt argument is refused, not silently dropped (it would publish at medium)
        typo = await c.call_tool(
            "publish_notification", {"channel": "incidents", "title": "x", "priorty": "critical"}
        )
        assert typo.is_error and "unknown argument(s): priorty" in text(typo)
        assert "priority" in text(typo).split("Its arguments are:")[1]
        tools = {t.name: t for t in (await c.list_tools()).tools}
        assert tools["publish_notification"].input_schema.get("additionalProperties") is False
        # another process publishes: the event log tells the stdio server, which tells the client
        if mode == "legacy":
            await c.subscribe_resource("thread://t-1")
            await core.publish(LOCAL, "incidents", MessageIn(title="from elsewhere", thread_id="t-1"))
            await updates.wait_for("thread://t-1", within=10)
        else:
            async with c.listen(resource_subscriptions=["thread://t-1"]) as sub:
                await core.publish(LOCAL, "incidents", MessageIn(title="from elsewhere", thread_id="t-1"))
                with anyio.fail_after(10):
                    async for ev in sub:
                        assert ev.uri == "thread://t-1"
                        break
        thread = await call(c, "get_thread", {"thread_id": "t-1"})
        assert [m["title"] for m in thread["messages"]] == ["from stdio", "from elsewhere"]


async def test_stdio_without_token_is_the_local_user(core: Core, settings: Settings) -> None:
    async with Client(stdio_params([], store_env(settings)), mode="auto") as c:
        ch = await call(c, "create_channel", {"channel_id": "ops"})
        assert ch["created_by"] == "local" and "admin" in ch["permissions"]


@pytest.mark.parametrize("local_mode", ["legacy", "auto"])
async def test_bridge_to_a_team_server(live_server: Any, local_mode: str) -> None:
    sarah = live_server.token("sarah", name="Sarah Chen")
    admin = live_server.token("admin", admin=True)
    async with live_server.client(admin) as rest:
        await rest.post("/api/channels", json={"id": "incidents"})
        await rest.post("/api/channels", json={"id": "security-incidents", "visibility": "confidential"})
        updates = Updates()
        params = stdio_params(["--remote", live_server.url, "--token", sarah], {})
        async with Client(params, mode=local_mode, message_handler=updates) as c:
            assert c.instructions and "Acknowledge first" in c.instructions  # the remote's, passed on
            tools = {t.name: t for t in (await c.list_tools()).tools}
            assert "publish_notification" in tools and tools["publish_notification"].output_schema
            out = await call(
                c, "publish_notification", {"channel": "incidents", "title": "via bridge", "thread_id": "b-1"}
            )
            assert out["message"]["published_by"] == "sarah"  # identity is the remote's
            assert [x["id"] for x in (await call(c, "list_channels", {}))["channels"]] == ["incidents"]
            bad = await c.call_tool("get_channel_info", {"channel": "security-incidents"})
            assert bad.is_error and "does not exist" in text(bad)
            rr = await c.read_resource("thread://b-1")
            assert "via bridge" in rr.contents[0].text  # type: ignore[union-attr]
            comp = await c.complete(
                ResourceTemplateReference(type="ref/resource", uri="notification://{channel}/recent"),
                {"name": "channel", "value": "inc"},
            )
            assert comp.completion.values == ["incidents"]
            p = await c.get_prompt("thread_briefing", {"thread_id": "b-1"})
            assert "via bridge" in p.messages[0].content.text  # type: ignore[union-attr]
            # a REST publish on the team server reaches the local client through the bridge
            if local_mode == "legacy":
                await c.subscribe_resource("notification://incidents/recent")
                await rest.post("/api/channels/incidents/messages", json={"title": "from REST"})
                await updates.wait_for("notification://incidents/recent", within=10)
            else:
                async with c.listen(resource_subscriptions=["notification://incidents/recent"]) as sub:
                    await rest.post("/api/channels/incidents/messages", json={"title": "from REST"})
                    with anyio.fail_after(10):
                        async for ev in sub:
                            assert ev.uri == "notification://incidents/recent"
                            break
