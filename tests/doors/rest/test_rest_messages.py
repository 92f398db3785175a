"""Publishing and reading over HTTP: the seed model, idempotency, history, search, threads."""

from __future__ import annotations

from typing import Any

from rest_kit import assert_error, publish, publish_seed, scenario, seed_payload

THREAD = "incident-2024-01-12-001"


async def test_publish_full_seed_model(live_server: Any) -> None:
    async with live_server.client() as c:
        await c.post("/api/channels", json={"id": "incidents"})
        first = scenario()[0]
        payload = {
            **seed_payload(first),
            "links": [
                "https://grafana.example.com/d/db",
                {"url": "https://runbooks.example.com/db", "title": "Runbook"},
            ],
            "actions": [
                {"label": "Roll back", "action": "rollback"},
                {"label": "Dashboard", "url": "https://x.example"},
            ],
        }
        r = await c.post("/api/channels/incidents/messages", json=payload)
        assert r.status_code == 201, r.text
        m = r.json()
        src = first["message"]
        assert m["title"] == src["title"] and m["body"] == src["body"]
        assert m["priority"] == "critical" and m["severity"] == "P0"
        assert m["theme"] == "incident-alert" and m["tags"] == ["p0", "database", "production"]
        assert m["thread_id"] == THREAD and m["channel"] == "incidents"
        assert m["sender"] == src["sender"]
        # The server records who really published beside what the client declared.
        assert m["published_by"] == "local"
        assert m["links"] == [
            {"url": "https://grafana.example.com/d/db"},
            {"url": "https://runbooks.example.com/db", "title": "Runbook"},
        ]
        assert m["actions"] == [
            {"label": "Roll back", "action": "rollback"},
            {"label": "Dashboard", "url": "https://x.example"},
        ]
        assert m["created_at"].endswith("Z") and m["imported"] is False

        # Read back: by id and in history, the same message.
        got = (await c.get(f"/api/messages/{m['id']}")).json()
        assert got == {**m, "received_at": got["received_at"]}
        assert (await c.get("/api/channels/incidents/messages")).json()["items"][0]["body"] == src["body"]

        # Every documented priority spelling is accepted and stored in one form.
        for spelling, stored in (
            ("P1", "high"),
            ("MEDIUM", "medium"),
            ("5", "critical"),
            (4, "high"),
            ("1", "low"),
        ):
            r = await c.post(
                "/api/channels/incidents/messages", json={"title": f"p {spelling}", "priority": spelling}
            )
            assert r.status_code == 201, r.text
            assert r.json()["priority"] == stored
        # A reply inherits its parent's thread.
        reply = await publish(c, "incidents", "on it", in_reply_to=m["id"])
        assert reply["thread_id"] == THREAD and reply["in_reply_to"] == m["id"]
        assert_error(await c.get("/api/messages/999999"), 404, says=("999999",))


async def test_idempotency_key_header_and_body(live_server: Any) -> None:
    async with live_server.client() as c:
        await c.post("/api/channels", json={"id": "incidents"})
        body = {"title": "deploy v2.4.3 rolled back", "priority": "high"}
        r1 = await c.post(
            "/api/channels/incidents/messages", json=body, headers={"Idempotency-Key": "k-header"}
        )
        r2 = await c.post(
            "/api/channels/incidents/messages", json=body, headers={"Idempotency-Key": "k-header"}
        )
        assert r1.status_code == 201 and "Idempotent-Replayed" not in r1.headers
        assert r2.status_code == 200 and r2.headers["Idempotent-Replayed"] == "true"
        assert r2.json()["id"] == r1.json()["id"] and r2.json()["title"] == body["title"]

        b = {"title": "rollback done", "idempotency_key": "k-body"}
        r3 = await c.post("/api/channels/incidents/messages", json=b)
        r4 = await c.post("/api/channels/incidents/messages", json=b)
        assert r3.status_code == 201 and r4.status_code == 200
        assert r4.headers["Idempotent-Replayed"] == "true" and r4.json()["id"] == r3.json()["id"]

        # The same key for a different message is a conflict, not a silent replay.
        assert_error(
            await c.post(
                "/api/channels/incidents/messages", json={"title": "other", "idempotency_key": "k-body"}
            ),
            409,
            field="idempotency_key",
            says=("new key",),
        )
        page = (await c.get("/api/channels/incidents/messages")).json()
        assert [m["title"] for m in page["items"]] == ["rollback done", "deploy v2.4.3 rolled back"]
        assert (await c.get("/api/channels/incidents")).json()["stats"]["messages"] == 2


async def test_history_filters_and_paging(live_server: Any) -> None:
    async with live_server.client() as c:
        await c.post("/api/channels", json={"id": "incidents"})
        await c.post("/api/channels", json={"id": "deploys"})
        seed = await publish_seed(c)
        # The same story imported with its original 2024 times (admins may): outside since=24h.
        old = await publish(
            c,
            "incidents",
            "old pool exhaustion",
            tags=["database"],
            priority="critical",
            created_at="2024-01-12T02:47:00Z",
        )
        assert old["imported"] is True
        low = await publish(
            c,
            "incidents",
            "db vacuum finished",
            priority="low",
            tags=["database", "maintenance"],
            theme="fyi",
            sender={"user_id": "bot@company.com", "name": "DB bot"},
        )
        await publish(c, "deploys", "v2.4.2 deployed", tags=["database"], theme="deployment")

        async def hist(**params: Any) -> list[str]:
            r = await c.get("/api/channels/incidents/messages", params=params)
            assert r.status_code == 200, r.text
            return [m["title"] for m in r.json()["items"]]

        everything = await hist()
        assert len(everything) == 8 and everything[0] == low["title"]
        # Alex: everything tagged database in incidents in the last 24 hours.
        assert await hist(tag="database", since="24h") == [low["title"], seed["msg-alert"]["title"]]
        assert await hist(tag="database") == [low["title"], old["title"], seed["msg-alert"]["title"]]
        assert await hist(tags_all="database,maintenance") == [low["title"]]
        assert await hist(tag=["mitigating", "approved"]) == [
            seed["msg-mitigating"]["title"],
            seed["msg-approval"]["title"],
        ]
        assert await hist(priority="low") == [low["title"]]
        critical = [seed[r]["title"] for r in reversed(list(seed)) if seed[r]["priority"] == "critical"]
        assert len(critical) == 5  # the seed resolves at high
        assert await hist(priority="critical,low", since="24h") == [low["title"], *critical]
        assert len(await hist(min_priority="high")) == 7
        assert await hist(min_priority="P0", theme="incident-decision") == [seed["msg-approval"]["title"]]
        assert await hist(theme="incident-update") == [
            seed[r]["title"] for r in reversed(list(seed)) if seed[r]["theme"] == "incident-update"
        ]
        assert await hist(sender="tom@company.com") == [seed["msg-approval"]["title"]]
        sarah = [seed[r]["title"] for r in reversed(list(seed)) if seed[r]["sender"]["name"] == "Sarah Chen"]
        assert len(sarah) >= 3
        assert await hist(sender="Sarah Chen") == sarah
        assert await hist(sender="DB bot") == [low["title"]]
        assert await hist(q="coordinate HOTFIX") == [seed["msg-approval"]["title"]]
        assert await hist(q="connection leak", min_priority="high") == [
            seed["msg-resolved"]["title"],
            seed["msg-root-cause"]["title"],
        ]
        assert await hist(thread=THREAD, priority="critical") == critical
        t0 = seed["msg-alert"]["created_at"]
        assert await hist(since="2024-01-01T00:00:00Z", until=t0) == [old["title"]]
        assert_error(
            await c.get("/api/channels/incidents/messages", params={"since": "yesterday"}),
            422,
            field="since",
            says=("24h",),
        )
        assert_error(
            await c.get("/api/channels/incidents/messages", params={"priority": "urgent"}),
            422,
            field="priority",
            says=("critical|high|medium|low",),
        )

        # Cursor paging, newest first, both directions, no gaps and no repeats.
        ids = [m["id"] for m in (await c.get("/api/channels/incidents/messages")).json()["items"]]
        seen: list[int] = []
        before = None
        while True:
            params: dict[str, Any] = {"limit": 3}
            if before is not None:
                params["before"] = before
            page = (await c.get("/api/channels/incidents/messages", params=params)).json()
            seen += [m["id"] for m in page["items"]]
            if not page["has_more"]:
                break
            before = page["next_before"]
        assert seen == ids
        forward: list[int] = []
        after = 0
        while True:
            page = (
                await c.get("/api/channels/incidents/messages", params={"limit": 3, "after": after})
            ).json()
            forward = [m["id"] for m in page["items"]] + forward  # each page is newest first
            after = page["next_after"]
            if not page["has_more"]:
                break
        assert forward == ids
        page = (
            await c.get("/api/channels/incidents/messages", params={"limit": 2, "tag": "database"})
        ).json()
        assert page["has_more"] is True and len(page["items"]) == 2
        page2 = (
            await c.get(
                "/api/channels/incidents/messages",
                params={"limit": 2, "tag": "database", "before": page["next_before"]},
            )
        ).json()
        assert [m["title"] for m in page2["items"]] == [seed["msg-alert"]["title"]] and page2[
            "has_more"
        ] is False
        assert_error(
            await c.get("/api/channels/incidents/messages", params={"before": 5, "after": 1}),
            422,
            says=("either before or after",),
        )
        assert_error(await c.get("/api/channels/incidents/messages", params={"limit": 0}), 422, field="limit")


async def test_search_across_channels_and_threads(live_server: Any) -> None:
    alex = live_server.token("alex")
    async with live_server.client(live_server.token("sarah", admin=True)) as c, live_server.client(alex) as a:
        for cid, vis in (("incidents", "public"), ("deploys", "public"), ("security", "confidential")):
            await c.post("/api/channels", json={"id": cid, "visibility": vis})
        seed = await publish_seed(c)
        dep = await publish(c, "deploys", "v2.4.3 rollback to v2.4.2", tags=["database"], thread_id=THREAD)
        await publish(c, "security", "rollback of the WAF rules", thread_id=THREAD)

        r = await a.get("/api/messages", params={"q": "rollback"})
        assert r.status_code == 200
        found = [m["title"] for m in r.json()["items"]]
        assert dep["title"] in found and seed["msg-approval"]["title"] in found
        assert "rollback of the WAF rules" not in found  # confidential, alex may not read it
        r = await a.get("/api/messages", params={"q": "rollback", "channel": "deploys"})
        assert [m["title"] for m in r.json()["items"]] == [dep["title"]]
        r = await a.get("/api/messages", params={"tag": "database", "channel": ["incidents", "deploys"]})
        assert [m["title"] for m in r.json()["items"]] == [dep["title"], seed["msg-alert"]["title"]]
        r = await a.get("/api/messages", params={"q": "pool exhausted", "priority": "critical"})
        assert [m["id"] for m in r.json()["items"]] == [seed["msg-alert"]["id"]]
        assert_error(await a.get("/api/messages", params={"channel": "security"}), 404)

        # A thread: oldest first, across channels, only what the reader may see.
        t = (await a.get(f"/api/threads/{THREAD}")).json()
        assert t["thread_id"] == THREAD and t["has_more"] is False
        assert [m["title"] for m in t["messages"]] == [*[s["title"] for s in seed.values()], dep["title"]]
        assert t["messages"][3]["in_reply_to"] == seed["msg-root-cause"]["id"]
        admin_thread = (await c.get(f"/api/threads/{THREAD}", params={"limit": 3})).json()
        assert len(admin_thread["messages"]) == 3 and admin_thread["has_more"] is True
        assert len((await c.get(f"/api/threads/{THREAD}")).json()["messages"]) == 8
        assert_error(await a.get("/api/threads/incident-none"), 404, field="thread_id", says=("thread id",))
