"""The MCP door through the SDK's in-process Client, in both protocol eras, on both stores."""

from __future__ import annotations

import json
from typing import Any

import anyio
import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError
from mcp_kit import IGNORE_DEPRECATION, INCIDENT_TOOLS, INTEL_TOOLS, PAGING_TOOLS, Updates, principal, text
from mcp_types import PromptReference, ResourceTemplateReference, TextContent, TextResourceContents

from warroom.core import Core
from warroom.identity.models import LOCAL
from warroom.mcp import build_server
from warroom.mcp.server import INSTRUCTIONS
from warroom.messages.models import MessageIn

pytestmark = IGNORE_DEPRECATION
MODES = ["legacy", "auto"]
TOOLS = {
    "publish_notification",
    "subscribe_to_channel",
    "unsubscribe_from_channel",
    "list_channels",
    "create_channel",
    "get_my_subscriptions",
    "get_notifications",
    "search_notifications",
    "get_thread",
    "get_unread",
    "mark_read",
    "get_channel_info",
}


async def call(c: Client, name: str, args: dict[str, Any]) -> dict[str, Any]:
    r = await c.call_tool(name, args)
    assert not r.is_error, text(r)
    assert r.structured_content is not None
    return dict(r.structured_content)


async def error(c: Client, name: str, args: dict[str, Any]) -> str:
    r = await c.call_tool(name, args)
    assert r.is_error, r.structured_content
    msg = text(r)
    assert not msg.startswith("Error executing tool"), msg
    return msg


def resource_json(contents: list[Any]) -> Any:
    first = contents[0]
    assert isinstance(first, TextResourceContents)
    assert first.mime_type == "application/json"
    return json.loads(first.text)


@pytest.mark.parametrize("mode", MODES)
async def test_handshake_lists_everything(core: Core, mode: str) -> None:
    async with Client(build_server(core, LOCAL), mode=mode) as c:
        assert c.protocol_version == ("2025-11-25" if mode == "legacy" else "2026-07-28")
        assert c.instructions == INSTRUCTIONS
        assert "Acknowledge first" in (c.instructions or "")
        tools = {t.name: t for t in (await c.list_tools()).tools}
        assert set(tools) == TOOLS | INCIDENT_TOOLS | PAGING_TOOLS | INTEL_TOOLS
        for t in tools.values():
            assert t.output_schema is not None, t.name
            assert t.description and "Example" in t.description, t.name
        pub = tools["publish_notification"].input_schema
        assert pub["required"] == ["channel", "title"]
        assert pub["properties"]["priority"]["enum"] == [
            "critical",
            "high",
            "medium",
            "low",
            "P0",
            "P1",
            "P2",
            "P3",
        ]
        assert pub["properties"]["title"]["maxLength"] == 200
        assert tools["get_notifications"].input_schema["properties"]["limit"]["maximum"] == 200
        # Notify-MCP's argument names still work
        sub = tools["subscribe_to_channel"].input_schema["properties"]
        assert {"priority_filter", "tag_filter"} <= set(sub)
        assert {"channel_id", "name", "description"} <= set(
            tools["create_channel"].input_schema["properties"]
        )
        templates = {t.uri_template for t in (await c.list_resource_templates()).resource_templates}
        assert templates == {
            "notification://{channel}/recent",
            "channel://{channel}/info",
            "thread://{thread_id}",
            "incident://{id}",
        }
        statics = {str(r.uri) for r in (await c.list_resources()).resources}
        assert statics == {"schema://notification", "subscription://mine"}
        prompts = {p.name: p for p in (await c.list_prompts()).prompts}
        assert set(prompts) == {
            "send_alert",
            "create_decision_notification",
            "what_did_i_miss",
            "thread_briefing",
            "incident_briefing",
            "postmortem_review",
        }
        args = {a.name: a.required for a in prompts["send_alert"].arguments or []}
        assert args == {
            "alert_title": True,
            "severity": True,
            "impact": True,
            "channel": False,
            "service": False,
        }
        assert {a.name for a in prompts["what_did_i_miss"].arguments or []} == {"channel", "since"}


@pytest.mark.parametrize("mode", MODES)
async def test_every_tool(core: Core, mode: str) -> None:
    sarah, _ = await principal(core, "sarah", name="Sarah Chen", role="SRE", ai_tool="ChatGPT")
    async with Client(build_server(core, sarah), mode=mode) as c:
        ch = await call(
            c, "create_channel", {"channel_id": "incidents", "name": "Incidents", "description": "P0s"}
        )
        assert (
            ch["id"] == "incidents"
            and ch["created_by"] == "sarah"
            and ch["permissions"] == ["publish", "read"]
        )  # token scopes cap
        listed = await call(c, "list_channels", {})
        assert [x["id"] for x in listed["channels"]] == ["incidents"]

        sub = await call(
            c, "subscribe_to_channel", {"channel": "incidents", "priority_filter": ["critical", "high"]}
        )
        assert sub["filters"] == {"priorities": ["critical", "high"]} and sub["channel"] == "incidents"

        first = await call(
            c,
            "publish_notification",
            {
                "channel": "incidents",
                "title": "DB down",
                "body": "**pool** exhausted",
                "priority": "P0",
                "theme": "Incident-Alert",
                "tags": ["p0", "Database"],
                "thread_id": "inc-1",
                "links": [{"url": "https://grafana.example/d/1", "title": "Grafana"}],
                "actions": [{"label": "Roll back", "action": "rollback"}],
            },
        )
        m1 = first["message"]
        assert first["created"] is True and first["resource"] == "notification://incidents/recent"
        assert (m1["priority"], m1["severity"], m1["theme"], m1["tags"]) == (
            "critical",
            "P0",
            "incident-alert",
            ["p0", "database"],
        )
        # the sender defaults from the principal's profile
        assert m1["sender"] == {"user_id": "sarah", "name": "Sarah Chen", "role": "SRE", "ai_tool": "ChatGPT"}
        assert m1["published_by"] == "sarah" and m1["links"][0]["title"] == "Grafana"

        reply = await call(
            c,
            "publish_notification",
            {
                "channel": "incidents",
                "title": "Investigating",
                "in_reply_to": m1["id"],
                "priority": "high",
                "sender": {"name": "Sarah C.", "ai_tool": "ChatGPT"},
                "idempotency_key": "ack-1",
            },
        )
        m2 = reply["message"]
        assert (
            m2["thread_id"] == "inc-1"
            and m2["in_reply_to"] == m1["id"]
            and m2["sender"]["name"] == "Sarah C."
        )
        again = await call(
            c,
            "publish_notification",
            {"channel": "incidents", "title": "Investigating", "idempotency_key": "ack-1"},
        )
        assert again["created"] is False and again["message"]["id"] == m2["id"]
        low = (
            await call(
                c, "publish_notification", {"channel": "incidents", "title": "fyi: noise", "priority": "low"}
            )
        )["message"]

        page = await call(c, "get_notifications", {"channel": "incidents", "since": "24h"})
        assert [m["id"] for m in page["items"]] == [low["id"], m2["id"], m1["id"]]
        crit = await call(c, "get_notifications", {"channel": "incidents", "priorities": ["critical"]})
        assert [m["id"] for m in crit["items"]] == [m1["id"]]
        tagged = await call(c, "get_notifications", {"tags": ["database"], "themes": ["incident-alert"]})
        assert [m["id"] for m in tagged["items"]] == [m1["id"]]
        paged = await call(c, "get_notifications", {"channel": "incidents", "limit": 2})
        assert paged["has_more"] is True and len(paged["items"]) == 2
        older = await call(c, "get_notifications", {"channel": "incidents", "before": paged["next_before"]})
        assert [m["id"] for m in older["items"]] == [m1["id"]]
        assert (
            await call(c, "get_notifications", {"channel": "incidents", "since": "2099-01-01T00:00:00Z"})
        )["items"] == []

        found = await call(c, "search_notifications", {"query": "pool"})
        assert [m["id"] for m in found["items"]] == [m1["id"]]
        assert (await call(c, "search_notifications", {"query": "nothing-like-this"}))["items"] == []

        thread = await call(c, "get_thread", {"thread_id": "inc-1"})
        assert [m["id"] for m in thread["messages"]] == [m1["id"], m2["id"]]

        unread = await call(c, "get_unread", {})
        (group,) = unread["subscriptions"]
        assert [m["id"] for m in group["messages"]] == [m1["id"], m2["id"]]  # low filtered out
        assert unread["total_unread"] == 2
        marked = await call(c, "mark_read", {"channel": "incidents", "up_to": m1["id"]})
        assert marked["subscriptions"][0]["unread"] == 1
        marked = await call(c, "mark_read", {"subscription_id": sub["id"]})
        assert marked["subscriptions"][0]["unread"] == 0
        assert (await call(c, "get_unread", {}))["total_unread"] == 0

        mine = await call(c, "get_my_subscriptions", {})
        assert [s["id"] for s in mine["subscriptions"]] == [sub["id"]]
        info = await call(c, "get_channel_info", {"channel": "incidents"})
        assert (
            info["stats"]["messages"] == 3
            and info["stats"]["subscribers"] == 1
            and info["description"] == "P0s"
        )

        gone = await call(c, "unsubscribe_from_channel", {"channel": "incidents"})
        assert gone["removed"] == [sub["id"]]
        assert (await call(c, "get_my_subscriptions", {}))["subscriptions"] == []


@pytest.mark.parametrize("mode", MODES)
async def test_bad_arguments_say_how_to_fix(core: Core, mode: str) -> None:
    async with Client(build_server(core, LOCAL), mode=mode) as c:
        await call(c, "create_channel", {"channel_id": "incidents"})
        msg = await error(
            c, "publish_notification", {"channel": "incidents", "title": "x", "priority": "urgent"}
        )
        assert "priority" in msg and "'critical'" in msg and "Fix them" in msg
        msg = await error(c, "publish_notification", {"channel": "incidents"})
        assert "title: is required" in msg
        msg = await error(c, "publish_notification", {"channel": "nope", "title": "x"})
        assert msg.startswith("not_found [channel]") and "create_channel" in msg
        msg = await error(
            c, "publish_notification", {"channel": "incidents", "title": "x", "theme": "Not A Slug!"}
        )
        assert "theme must be a slug" in msg
        msg = await error(
            c, "publish_notification", {"channel": "incidents", "title": "x", "in_reply_to": 999}
        )
        assert "in_reply_to 999 is not a message of channel 'incidents'" in msg
        msg = await error(
            c, "publish_notification", {"channel": "incidents", "title": "x", "in_reply_to": "msg-root-cause"}
        )
        assert "in_reply_to" in msg
        msg = await error(c, "create_channel", {"channel_id": "Bad Name"})
        assert "channel id 'Bad Name' is not valid" in msg
        msg = await error(c, "create_channel", {"channel_id": "incidents"})
        assert msg.startswith("conflict") and "already exists" in msg
        msg = await error(c, "get_notifications", {"since": "yesterday"})
        assert "use a span such as 30m, 24h, 7d" in msg
        msg = await error(c, "get_notifications", {"limit": 1000})
        assert "limit" in msg and "200" in msg
        msg = await error(c, "get_thread", {"thread_id": "no-such-thread"})
        assert "thread 'no-such-thread' has no messages you can read" in msg
        msg = await error(c, "mark_read", {})
        assert "name a subscription_id or a channel" in msg
        msg = await error(c, "unsubscribe_from_channel", {"channel": "incidents"})
        assert "you have no subscription to channel 'incidents'" in msg
        msg = await error(c, "subscribe_to_channel", {"channel": "incidents", "priority_filter": ["sev1"]})
        assert "priority_filter" in msg
        msg = await error(c, "no_such_tool", {})
        assert "publish_notification" in msg


@pytest.mark.parametrize("mode", MODES)
async def test_resources_prompts_completions(core: Core, mode: str) -> None:
    await core.create_channel(LOCAL, "incidents")
    await core.create_channel(LOCAL, "infra")
    a = await core.publish(
        LOCAL,
        "incidents",
        MessageIn(
            title="Pool exhausted", priority="critical", thread_id="incident-7", theme="incident-alert"
        ),
    )
    b = await core.publish(
        LOCAL,
        "incidents",
        MessageIn(
            title="Rolled back", body="fixed by rollback", thread_id="incident-7", theme="incident-resolved"
        ),
    )
    await core.subscribe(
        LOCAL, "incidents", __import__("warroom.messages.filters", fromlist=["x"]).MessageFilter()
    )
    async with Client(build_server(core, LOCAL), mode=mode) as c:
        recent = resource_json((await c.read_resource("notification://incidents/recent")).contents)
        assert [m["id"] for m in recent["items"]] == [b.message["id"], a.message["id"]]
        info = resource_json((await c.read_resource("channel://incidents/info")).contents)
        assert info["id"] == "incidents" and info["stats"]["messages"] == 2
        thread = resource_json((await c.read_resource("thread://incident-7")).contents)
        assert [m["title"] for m in thread["messages"]] == ["Pool exhausted", "Rolled back"]
        mine = resource_json((await c.read_resource("subscription://mine")).contents)
        assert mine["subscriptions"][0]["channel"] == "incidents"
        schema = resource_json((await c.read_resource("schema://notification")).contents)
        assert "title" in schema["input"]["properties"] and schema["priorities"]["critical"] == "P0"
        with pytest.raises(MCPError) as exc:
            await c.read_resource("notification://nope/recent")
        assert "channel 'nope' does not exist" in exc.value.error.message

        comp = await c.complete(
            ResourceTemplateReference(type="ref/resource", uri="notification://{channel}/recent"),
            {"name": "channel", "value": "in"},
        )
        assert comp.completion.values == ["incidents", "infra"]
        comp = await c.complete(
            ResourceTemplateReference(type="ref/resource", uri="channel://{channel}/info"),
            {"name": "channel", "value": "inf"},
        )
        assert comp.completion.values == ["infra"]
        comp = await c.complete(
            ResourceTemplateReference(type="ref/resource", uri="thread://{thread_id}"),
            {"name": "thread_id", "value": "incident-"},
        )
        assert comp.completion.values == ["incident-7"]
        comp = await c.complete(
            PromptReference(type="ref/prompt", name="what_did_i_miss"), {"name": "channel", "value": "inc"}
        )
        assert comp.completion.values == ["incidents"]
        comp = await c.complete(
            PromptReference(type="ref/prompt", name="thread_briefing"), {"name": "thread_id", "value": "i"}
        )
        assert comp.completion.values == ["incident-7"]
        comp = await c.complete(
            PromptReference(type="ref/prompt", name="send_alert"), {"name": "severity", "value": "P"}
        )
        assert comp.completion.values == ["P0", "P1", "P2", "P3"]

        def prompt_text(result: Any) -> str:
            content = result.messages[0].content
            assert isinstance(content, TextContent)
            return content.text

        p = prompt_text(
            await c.get_prompt(
                "send_alert", {"alert_title": "DB down", "severity": "P0", "impact": "all API 500"}
            )
        )
        assert '"priority": "critical"' in p and "all API 500" in p and '"theme": "incident-alert"' in p
        p = prompt_text(
            await c.get_prompt(
                "create_decision_notification",
                {
                    "decision_title": "Rollback approved",
                    "context": "leak",
                    "decision": "roll back",
                    "thread_id": "incident-7",
                },
            )
        )
        assert '"theme": "incident-decision"' in p and '"thread_id": "incident-7"' in p
        p = prompt_text(await c.get_prompt("what_did_i_miss", {"channel": "incidents", "since": "24h"}))
        assert "2 messages" in p and p.index("Pool exhausted") < p.index("Rolled back")
        p = prompt_text(await c.get_prompt("thread_briefing", {"thread_id": "incident-7"}))
        assert "fixed by rollback" in p and f"#{a.message['id']}" in p
        with pytest.raises(MCPError) as exc:
            await c.get_prompt("send_alert", {"alert_title": "x", "severity": "sev9", "impact": "y"})
        assert "priority 'sev9' is not valid" in exc.value.error.message
        with pytest.raises(MCPError) as exc:
            await c.get_prompt("thread_briefing", {"thread_id": "nope"})
        assert "thread 'nope' has no messages" in exc.value.error.message


async def test_confidential_channel_is_invisible(core: Core) -> None:
    admin, _ = await principal(core, "sec-lead", admin=True)
    tom, _ = await principal(core, "tom", name="Tom Rodriguez")
    await core.create_channel(admin, "security-incidents", visibility="confidential")
    await core.create_channel(admin, "incidents")
    await core.publish(
        admin, "security-incidents", MessageIn(title="Brute force", thread_id="sec-1", body="CONFIDENTIAL")
    )
    for mode in MODES:
        async with Client(build_server(core, tom), mode=mode) as c:
            listed = await call(c, "list_channels", {})
            assert [x["id"] for x in listed["channels"]] == ["incidents"]
            for name, args in [
                ("get_channel_info", {"channel": "security-incidents"}),
                ("get_notifications", {"channel": "security-incidents"}),
                ("publish_notification", {"channel": "security-incidents", "title": "x"}),
                ("subscribe_to_channel", {"channel": "security-incidents"}),
            ]:
                msg = await error(c, name, args)
                assert "channel 'security-incidents' does not exist" in msg, (name, msg)
            assert (await call(c, "search_notifications", {"query": "brute"}))["items"] == []
            assert "has no messages you can read" in await error(c, "get_thread", {"thread_id": "sec-1"})
            comp = await c.complete(
                ResourceTemplateReference(type="ref/resource", uri="channel://{channel}/info"),
                {"name": "channel", "value": "s"},
            )
            assert comp.completion.values == []
            with pytest.raises(MCPError):
                await c.read_resource("notification://security-incidents/recent")
    async with Client(build_server(core, admin), mode="auto") as c:
        assert (await call(c, "search_notifications", {"query": "brute"}))["items"][0][
            "title"
        ] == "Brute force"


async def test_updates_reach_both_eras_and_respect_acls(core: Core) -> None:
    admin, _ = await principal(core, "sec-lead", admin=True)
    tom, _ = await principal(core, "tom")
    await core.create_channel(admin, "incidents")
    await core.create_channel(admin, "security-incidents", visibility="confidential")
    legacy_updates, tom_legacy = Updates(), Updates()
    async with (
        Client(build_server(core, admin), mode="legacy", message_handler=legacy_updates) as old,
        Client(build_server(core, tom), mode="legacy", message_handler=tom_legacy) as tom_old,
        Client(build_server(core, admin), mode="auto") as new,
        Client(build_server(core, tom), mode="auto") as tom_new,
    ):
        assert old.server_capabilities.resources is not None and old.server_capabilities.resources.subscribe
        await old.subscribe_resource("notification://incidents/recent")
        await old.subscribe_resource("thread://sec-1")
        await tom_old.subscribe_resource("thread://sec-1")
        with pytest.raises(MCPError) as exc:  # Tom cannot even learn the channel exists
            await tom_old.subscribe_resource("notification://security-incidents/recent")
        assert "does not exist" in exc.value.error.message
        async with (
            new.listen(resource_subscriptions=["thread://inc-9", "channel://incidents/info"]) as sub,
            tom_new.listen(resource_subscriptions=["thread://sec-1", "thread://inc-9"]) as tom_sub,
        ):
            assert sub.honored.resource_subscriptions == ["thread://inc-9", "channel://incidents/info"]
            # a publish from outside MCP (as REST would) goes through the event log
            await core.publish(admin, "security-incidents", MessageIn(title="breach", thread_id="sec-1"))
            await core.publish(admin, "incidents", MessageIn(title="db", thread_id="inc-9"))
            await legacy_updates.wait_for("notification://incidents/recent")
            await legacy_updates.wait_for("thread://sec-1")
            got: list[str] = []
            with anyio.fail_after(5):
                async for ev in sub:
                    got.append(ev.uri)
                    if {"thread://inc-9", "channel://incidents/info"} <= set(got):
                        break
            with anyio.fail_after(5):
                async for ev in tom_sub:
                    assert ev.uri == "thread://inc-9"  # never thread://sec-1: confidential
                    break
        # Tom's legacy session heard nothing of the confidential thread
        assert "thread://sec-1" not in tom_legacy.uris
