"""Incidents over Streamable HTTP on the real server, in both protocol eras: the tools, the
incident:// resource and its updates when REST moves an incident, ACLs included."""

from __future__ import annotations

import json
from typing import Any

import anyio
import pytest
from mcp_kit import IGNORE_DEPRECATION, Updates, http_client, make_token, text
from mcp_types import PromptReference, TextContent, TextResourceContents

pytestmark = IGNORE_DEPRECATION
ERAS = [("legacy", "2025-11-25"), ("auto", "2026-07-28")]


async def call(c: Any, name: str, args: dict[str, Any]) -> dict[str, Any]:
    r = await c.call_tool(name, args)
    assert not r.is_error, text(r)
    return dict(r.structured_content)


@pytest.mark.parametrize(("mode", "version"), ERAS)
async def test_rest_acknowledge_notifies_incident_subscribers(
    live_server: Any, mode: str, version: str
) -> None:
    admin = live_server.token("admin", admin=True, name="Ada Admin")
    tom = live_server.token("tom", name="Tom Rodriguez")
    async with live_server.client(admin) as rest:
        for body in (
            {"id": "security-incidents", "visibility": "confidential", "incident_enabled": True},
            {"id": "incidents", "incident_enabled": True},
        ):
            assert (await rest.post("/api/channels", json=body)).status_code == 201
        r = await rest.post(
            "/api/incidents", json={"title": "Breach", "channel": "security-incidents", "severity": "P0"}
        )
        secret = r.json()["id"]
        r = await rest.post("/api/incidents", json={"title": "DB pool exhausted", "severity": "P1"})
        public = r.json()["id"]
        assert (secret, public) == ("INC-1", "INC-2")
        pub_uri, sec_uri = f"incident://{public}", f"incident://{secret}"
        updates = Updates()
        async with http_client(live_server.url, tom, mode, updates) as c:
            assert c.protocol_version == version
            listed = await call(c, "list_incidents", {})
            assert [x["id"] for x in listed["items"]] == [public]  # the confidential one: invisible
            if mode == "legacy":
                await c.subscribe_resource(pub_uri)
                with pytest.raises(Exception, match="does not exist"):
                    await c.subscribe_resource(sec_uri)
                assert (await rest.post(f"/api/incidents/{secret}/acknowledge")).status_code == 200
                r = await rest.post(f"/api/incidents/{public}/acknowledge", json={"reason": "on it"})
                assert r.status_code == 200 and r.json()["status"] == "acknowledged"
                await updates.wait_for(pub_uri)
            else:
                async with c.listen(resource_subscriptions=[sec_uri, pub_uri]) as sub:
                    assert (await rest.post(f"/api/incidents/{secret}/acknowledge")).status_code == 200
                    r = await rest.post(f"/api/incidents/{public}/acknowledge", json={"reason": "on it"})
                    assert r.status_code == 200
                    with anyio.fail_after(5):
                        async for ev in sub:
                            updates.uris.append(ev.uri)
                            break
            assert set(updates.uris) == {pub_uri}  # never the confidential incident
            doc = await c.read_resource(pub_uri)
            first = doc.contents[0]
            assert isinstance(first, TextResourceContents)
            data = json.loads(first.text)
            assert data["incident"]["status"] == "acknowledged" and data["incident"]["owner"] == "admin"
            ack = next(it for it in data["timeline"] if it["kind"] == "incident.acknowledged")
            assert ack["data"]["reason"] == "on it" and ack["data"]["by_name"] == "Ada Admin"


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_incident_tools_prompts_and_errors_over_http(live_server: Any) -> None:
    sarah = make_token(live_server.core, "sarah", name="Sarah Chen", ai_tool="ChatGPT")
    async with live_server.client(live_server.token("admin", admin=True)) as rest:
        assert (
            await rest.post("/api/channels", json={"id": "incidents", "incident_enabled": True})
        ).status_code == 201
    for n, (mode, version) in enumerate(ERAS, start=1):
        async with http_client(live_server.url, sarah, mode) as c:
            assert c.protocol_version == version
            inc = await call(c, "declare_incident", {"title": f"Checkout failing {mode}", "severity": "P0"})
            assert inc["id"] == f"INC-{n}" and inc["created_by"] == "sarah"
            ack = await call(c, "acknowledge_incident", {"incident": inc["id"], "reason": "👀 looking"})
            assert (ack["status"], ack["owner"], ack["changed"]) == ("acknowledged", "sarah", True)
            res = await call(c, "resolve_incident", {"incident": inc["id"], "reason": "Cause: bad flag."})
            assert res["status"] == "resolved"
            digest = await call(c, "summarize", {"incident": inc["id"]})
            assert digest["text"].startswith(f"{inc['id']} (P0, no service): Checkout failing {mode}.")
            assert "People: Sarah Chen (ChatGPT)." in digest["text"]
            comp = await c.complete(
                PromptReference(type="ref/prompt", name="incident_briefing"),
                {"name": "incident", "value": "INC"},
            )
            assert comp.completion.values == [f"INC-{i}" for i in range(n, 0, -1)]
            brief = await c.get_prompt("incident_briefing", {"incident": inc["id"]})
            content = brief.messages[0].content
            assert isinstance(content, TextContent)
            assert f"Brief me on incident {inc['id']}: Checkout failing {mode}." in content.text
            assert "Status: resolved, P0" in content.text and "owner sarah" in content.text
            r = await c.call_tool("acknowledge_incident", {"incident": "INC-404"})
            assert r.is_error and text(r).startswith(
                "not_found [incident]: incident 'INC-404' does not exist"
            )
            r = await c.call_tool("update_incident_status", {"incident": inc["id"], "status": "paused"})
            assert r.is_error and "status" in text(r) and "'mitigating'" in text(r)
