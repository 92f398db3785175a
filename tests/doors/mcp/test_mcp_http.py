"""Streamable HTTP at /mcp on the real server (uvicorn on loopback), in both protocol eras."""

from __future__ import annotations

from typing import Any

import anyio
import httpx
import pytest
from mcp_kit import IGNORE_DEPRECATION, Updates, http_client, make_token, scenario, text

pytestmark = IGNORE_DEPRECATION
ERAS = [("legacy", "2025-11-25"), ("auto", "2026-07-28")]
INIT = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-11-25",
        "capabilities": {},
        "clientInfo": {"name": "t", "version": "1"},
    },
}
ACCEPT = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


async def call(c: Any, name: str, args: dict[str, Any]) -> dict[str, Any]:
    r = await c.call_tool(name, args)
    assert not r.is_error, text(r)
    return dict(r.structured_content)


async def test_local_principal_on_loopback_without_tokens(live_server: Any) -> None:
    for mode, version in ERAS:
        async with http_client(live_server.url, None, mode) as c:
            assert c.protocol_version == version
            ch = await call(c, "create_channel", {"channel_id": f"ops-{mode}"})
            assert ch["created_by"] == "local" and "admin" in ch["permissions"]
            typo = await c.call_tool("create_channel", {"channel_id": f"x-{mode}", "visiblity": "private"})
            assert typo.is_error and "unknown argument(s): visiblity" in text(typo)
            assert (await c.call_tool("list_channels", {})).structured_content is not None


async def test_bearer_auth_and_dns_rebinding(live_server: Any) -> None:
    token = live_server.token("sarah", name="Sarah Chen")
    async with httpx.AsyncClient(base_url=live_server.url, timeout=10) as raw:
        r = await raw.post("/mcp", json=INIT, headers=ACCEPT)
        assert r.status_code == 401
        assert r.headers["www-authenticate"] == 'Bearer realm="warroom"'
        assert "bearer token is required" in r.json()["error"]["message"]
        r = await raw.post("/mcp", json=INIT, headers={**ACCEPT, "Authorization": "Bearer nope"})
        assert r.status_code == 401 and 'error="invalid_token"' in r.headers["www-authenticate"]
        assert "token is not known" in r.json()["error"]["message"]
        authed = {**ACCEPT, "Authorization": f"Bearer {token}"}
        r = await raw.post("/mcp", json=INIT, headers={**authed, "Host": "evil.example"})
        assert r.status_code == 421
        r = await raw.post("/mcp", json=INIT, headers={**authed, "Origin": "http://evil.example"})
        assert r.status_code == 403
        modern = {**authed, "Origin": "http://evil.example", "MCP-Protocol-Version": "2026-07-28"}
        r = await raw.post(
            "/mcp",
            json={"jsonrpc": "2.0", "id": 1, "method": "server/discover", "params": {}},
            headers=modern,
        )
        assert r.status_code == 403
        r = await raw.post(
            "/mcp", json=INIT, headers={**authed, "Origin": f"http://127.0.0.1:{live_server.port}"}
        )
        assert r.status_code == 200
    for mode, version in ERAS:
        async with http_client(live_server.url, token, mode) as c:
            assert c.protocol_version == version
            assert c.instructions and "Acknowledge first" in c.instructions
            await call(c, "create_channel", {"channel_id": f"war-{mode}"})
            pub = await call(c, "publish_notification", {"channel": f"war-{mode}", "title": "hello"})
            assert (
                pub["message"]["published_by"] == "sarah" and pub["message"]["sender"]["name"] == "Sarah Chen"
            )


@pytest.mark.parametrize(("mode", "version"), ERAS)
async def test_rest_publish_notifies_mcp_listener(live_server: Any, mode: str, version: str) -> None:
    admin = live_server.token("admin", admin=True)
    tom = live_server.token("tom", name="Tom Rodriguez")
    async with live_server.client(admin) as rest:
        assert (await rest.post("/api/channels", json={"id": "incidents"})).status_code == 201
        assert (
            await rest.post("/api/channels", json={"id": "security-incidents", "visibility": "confidential"})
        ).status_code == 201
        updates = Updates()
        async with http_client(live_server.url, tom, mode, updates) as c:
            assert c.protocol_version == version
            listed = await call(c, "list_channels", {})
            assert [x["id"] for x in listed["channels"]] == ["incidents"]  # confidential: invisible
            uris = ["notification://incidents/recent", "thread://sec-7"]
            if mode == "legacy":
                for uri in uris:
                    await c.subscribe_resource(uri)
                r = await rest.post(
                    "/api/channels/security-incidents/messages",
                    json={"title": "breach", "thread_id": "sec-7"},
                )
                assert r.status_code == 201
                r = await rest.post(
                    "/api/channels/incidents/messages", json={"title": "P0: DB pool", "priority": "critical"}
                )
                assert r.status_code == 201
                await updates.wait_for("notification://incidents/recent")
            else:
                async with c.listen(resource_subscriptions=uris) as sub:
                    r = await rest.post(
                        "/api/channels/security-incidents/messages",
                        json={"title": "breach", "thread_id": "sec-7"},
                    )
                    assert r.status_code == 201
                    r = await rest.post(
                        "/api/channels/incidents/messages",
                        json={"title": "P0: DB pool", "priority": "critical"},
                    )
                    assert r.status_code == 201
                    with anyio.fail_after(5):
                        async for ev in sub:
                            updates.uris.append(ev.uri)
                            break
            assert updates.uris == ["notification://incidents/recent"]  # never the confidential thread
            recent = await c.read_resource("notification://incidents/recent")
            assert '"P0: DB pool"' in recent.contents[0].text  # type: ignore[union-attr]


async def test_seed_scenario_three_principals(live_server: Any) -> None:
    """The 2:47 AM incident: Monitoring alerts, Sarah (ChatGPT) responds, Tom (Claude) approves,
    Alex (Gemini) arrives late and reads the whole thread in one call."""
    steps = scenario()
    tokens = {
        "monitoring@company.com": make_token(
            live_server.core, "monitoring", name="Production Monitoring", ai_tool="Claude", role="System"
        ),
        "sarah@company.com": make_token(
            live_server.core, "sarah", name="Sarah Chen", role="SRE", ai_tool="ChatGPT"
        ),
        "tom@company.com": make_token(
            live_server.core, "tom", name="Tom Rodriguez", role="Engineering Lead", ai_tool="Claude"
        ),
    }
    alex = make_token(live_server.core, "alex", name="Alex", ai_tool="Gemini")
    async with http_client(live_server.url, tokens["monitoring@company.com"], "auto") as mon:
        await call(
            mon,
            "create_channel",
            {
                "channel_id": "incidents",
                "name": "Incidents",
                "description": "Production incident coordination",
            },
        )
    tom_updates = Updates()
    ids: dict[str, int] = {}
    async with (
        http_client(live_server.url, tokens["monitoring@company.com"], "auto") as monitoring,
        http_client(
            live_server.url, tokens["sarah@company.com"], "auto"
        ) as sarah,  # ChatGPT: remote connector, 2026 era
        http_client(
            live_server.url, tokens["tom@company.com"], "legacy", tom_updates
        ) as tom,  # Claude: 2025 sessions
    ):
        clients = {"monitoring@company.com": monitoring, "sarah@company.com": sarah, "tom@company.com": tom}
        sub = await call(
            tom, "subscribe_to_channel", {"channel": "incidents", "priority_filter": ["critical", "high"]}
        )
        await tom.subscribe_resource("notification://incidents/recent")
        for step in steps:
            msg = dict(step["message"])
            channel = msg.pop("channel")
            who = msg["sender"]["user_id"]
            if "in_reply_to" in msg:
                msg["in_reply_to"] = ids[msg["in_reply_to"]]
            if step["ref"] == "msg-approval":
                # Tom is told a new critical message arrived and asks for the status
                await tom_updates.wait_for("notification://incidents/recent")
                unread = await call(tom, "get_unread", {})
                assert [m["title"] for m in unread["subscriptions"][0]["messages"]][
                    -1
                ] == "🔍 Root Cause Identified"
                status = await call(tom, "get_thread", {"thread_id": "incident-2024-01-12-001"})
                assert status["messages"][-1]["body"].endswith("Need approval to proceed with rollback.")
                await call(tom, "mark_read", {"subscription_id": sub["id"]})
            out = await call(clients[who], "publish_notification", {"channel": channel, **msg})
            ids[step["ref"]] = out["message"]["id"]
            assert out["message"]["published_by"] == who.split("@")[0]
            assert out["message"]["sender"]["ai_tool"] == msg["sender"]["ai_tool"]
    async with http_client(live_server.url, alex, "auto") as gemini:
        thread = await call(gemini, "get_thread", {"thread_id": "incident-2024-01-12-001"})
        assert [m["title"] for m in thread["messages"]] == [s["message"]["title"] for s in steps]
        assert [m["sender"]["name"] for m in thread["messages"]] == [
            "Production Monitoring",
            "Sarah Chen",
            "Sarah Chen",
            "Tom Rodriguez",
            "Sarah Chen",
            "Sarah Chen",
        ]
        approval = thread["messages"][3]
        assert approval["theme"] == "incident-decision" and approval["in_reply_to"] == ids["msg-root-cause"]
        assert (
            thread["messages"][-1]["theme"] == "incident-resolved"
            and thread["messages"][-1]["priority"] == "high"
        )
        decisions = await call(
            gemini,
            "get_notifications",
            {"channel": "incidents", "themes": ["incident-decision"], "since": "24h"},
        )
        assert [m["id"] for m in decisions["items"]] == [ids["msg-approval"]]
        brief = await gemini.get_prompt("thread_briefing", {"thread_id": "incident-2024-01-12-001"})
        body = brief.messages[0].content.text  # type: ignore[union-attr]
        assert "6 messages" in body and "Tom Rodriguez via Claude" in body and "INCIDENT RESOLVED" in body
        missed = await gemini.get_prompt("what_did_i_miss", {"channel": "incidents", "since": "1h"})
        assert "6 messages" in missed.messages[0].content.text  # type: ignore[union-attr]
