"""Channels over HTTP: create, list with stats, show, update, archive, ACLs and visibility."""

from __future__ import annotations

from typing import Any

from rest_kit import assert_error, publish


async def test_channel_crud_and_archive(live_server: Any) -> None:
    async with live_server.client() as c:
        r = await c.post(
            "/api/channels",
            json={
                "id": "incidents",
                "name": "Incidents",
                "description": "prod incidents",
                "incident_enabled": True,
            },
        )
        assert r.status_code == 201, r.text
        ch = r.json()
        assert ch["id"] == "incidents" and ch["visibility"] == "public" and ch["incident_enabled"] is True
        assert ch["stats"] == {"messages": 0, "subscribers": 0, "last_message_at": None}

        assert_error(
            await c.post("/api/channels", json={"id": "incidents"}),
            409,
            field="channel",
            says=("already exists",),
        )
        assert_error(
            await c.post("/api/channels", json={"id": "Bad Name!"}), 422, field="channel", says=("lowercase",)
        )
        assert_error(
            await c.post("/api/channels", json={"id": "x", "visibility": "secret"}),
            422,
            field="visibility",
            says=("public, private or confidential",),
        )
        assert_error(
            await c.post("/api/channels", json={"id": "y", "retention_days": 0}), 422, field="retention_days"
        )

        await publish(c, "incidents", "first", priority="high")
        await c.post("/api/subscriptions", json={"channel": "incidents"})

        listed = (await c.get("/api/channels")).json()["channels"]
        assert [x["id"] for x in listed] == ["incidents"]
        stats = listed[0]["stats"]
        assert stats["messages"] == 1 and stats["subscribers"] == 1 and stats["last_message_at"].endswith("Z")

        shown = (await c.get("/api/channels/incidents")).json()
        assert shown["name"] == "Incidents" and shown["stats"]["messages"] == 1
        assert "acl" in shown  # the creator administers it

        r = await c.patch(
            "/api/channels/incidents", json={"description": "P0-P3 incidents", "retention_days": 30}
        )
        assert r.status_code == 200, r.text
        assert r.json()["description"] == "P0-P3 incidents" and r.json()["retention_days"] == 30
        assert_error(
            await c.patch("/api/channels/incidents", json={"colour": "red"}),
            422,
            field="colour",
            says=("not a known field",),
        )

        r = await c.post("/api/channels/incidents/archive")
        assert r.status_code == 200 and r.json()["archived"] is True
        assert (await c.get("/api/channels")).json()["channels"] == []
        archived = (await c.get("/api/channels", params={"include_archived": "true"})).json()["channels"]
        assert [x["id"] for x in archived] == ["incidents"]
        # History stays readable, publishing stops with a message saying how to unarchive.
        assert len((await c.get("/api/channels/incidents/messages")).json()["items"]) == 1
        assert_error(
            await c.post("/api/channels/incidents/messages", json={"title": "late"}),
            409,
            field="channel",
            says=("archived", '"archived": false'),
        )
        r = await c.patch("/api/channels/incidents", json={"archived": False})
        assert r.json()["archived"] is False
        await publish(c, "incidents", "after unarchive")
        assert (await c.get("/api/channels/incidents")).json()["stats"]["messages"] == 2

        assert_error(
            await c.get("/api/channels/nope"),
            404,
            field="channel",
            says=("'nope' does not exist", "warroom channel create nope"),
        )


async def test_visibility_and_acl_via_patch(live_server: Any) -> None:
    admin = live_server.token("sarah", admin=True)
    tom = live_server.token("tom")
    ann = live_server.token("ann", groups=["sre"])
    async with live_server.client(admin) as a, live_server.client(tom) as t, live_server.client(ann) as n:
        for cid, vis in (("security", "confidential"), ("leads", "private"), ("general", "public")):
            r = await a.post("/api/channels", json={"id": cid, "visibility": vis})
            assert r.status_code == 201, r.text
        await publish(a, "security", "CVE in openssl", priority="critical")
        await publish(a, "leads", "budget")

        # Confidential: a non-member gets exactly what a missing channel gives.
        hidden = (await t.get("/api/channels/security")).json()["error"]
        missing = (await t.get("/api/channels/securityx")).json()["error"]
        assert (await t.get("/api/channels/security")).status_code == 404
        assert hidden["code"] == missing["code"] and hidden.get("field") == missing.get("field")
        assert hidden["message"] == missing["message"].replace("securityx", "security")
        for method, path, body in (
            ("GET", "/api/channels/security/messages", None),
            ("POST", "/api/channels/security/messages", {"title": "probe"}),
            ("GET", "/api/channels/security/stream", None),
        ):
            r = await t.request(method, path, json=body)
            assert r.status_code == 404, r.text
            assert r.json()["error"]["message"] == missing["message"].replace("securityx", "security")
        assert_error(await t.post("/api/channels", json={"id": "security"}), 409, says=("taken",))
        assert "security" not in [c["id"] for c in (await t.get("/api/channels")).json()["channels"]]
        search = (await t.get("/api/messages", params={"q": "openssl"})).json()
        assert search["items"] == []

        # Private: listed, but reading and publishing are 403 saying how to get access.
        listed = {c["id"]: c for c in (await t.get("/api/channels")).json()["channels"]}
        assert listed["leads"]["permissions"] == [] and "acl" not in listed["leads"]
        assert_error(await t.get("/api/channels/leads/messages"), 403, says=("warroom channel grant leads",))
        assert_error(
            await t.post("/api/channels/leads/messages", json={"title": "hi"}), 403, says=("may not publish",)
        )
        assert_error(
            await t.patch("/api/channels/general", json={"description": "mine"}), 403, says=("administer",)
        )

        # Grants through PATCH: tom reads security, the sre group publishes to leads.
        r = await a.patch(
            "/api/channels/security", json={"acl": [{"subject": "principal:tom", "permission": "read"}]}
        )
        assert r.status_code == 200 and r.json()["acl"] == [
            {"subject": "principal:tom", "permission": "read"}
        ]
        r = await a.patch(
            "/api/channels/leads", json={"acl": [{"subject": "group:sre", "permission": "publish"}]}
        )
        assert r.status_code == 200, r.text
        assert_error(
            await a.patch(
                "/api/channels/leads", json={"acl": [{"subject": "group:sre", "permission": "own"}]}
            ),
            422,
            says=("read, publish or admin",),
        )
        assert_error(
            await a.patch("/api/channels/leads", json={"acl": [{"subject": "sre", "permission": "read"}]}),
            422,
            says=("principal:<id>, group:<name> or *",),
        )
        # The rejected PATCHes left the grant in place.
        assert (await a.get("/api/channels/leads")).json()["acl"] == [
            {"subject": "group:sre", "permission": "publish"}
        ]

        page = (await t.get("/api/channels/security/messages")).json()
        assert [m["title"] for m in page["items"]] == ["CVE in openssl"]
        assert_error(await t.post("/api/channels/security/messages", json={"title": "x"}), 403)
        assert (await t.get("/api/channels/security")).json()["permissions"] == ["read"]

        r = await n.post("/api/channels/leads/messages", json={"title": "from the sre group"})
        assert r.status_code == 201, r.text
        assert r.json()["published_by"] == "ann"
        assert_error(await t.get("/api/channels/leads/messages"), 403)
