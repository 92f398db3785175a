"""Subscriptions, unread, /api/me, tokens over HTTP, auth modes, rate limits, exposure check."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from rest_kit import assert_error, publish
from sqlalchemy import update

from warroom.config import ConfigError, Settings
from warroom.core import Core
from warroom.serve import check_exposure
from warroom.store.tables import tokens
from warroom.timeutil import utcnow


async def test_subscriptions_unread_and_mark_read(live_server: Any) -> None:
    tom = live_server.token("tom", name="Tom Rodriguez")
    async with live_server.client(live_server.token("sarah", admin=True)) as a, live_server.client(tom) as t:
        await a.post("/api/channels", json={"id": "incidents"})
        before = await publish(a, "incidents", "before tom subscribed", priority="critical")

        r = await t.post(
            "/api/subscriptions",
            json={
                "channel": "incidents",
                "filters": {"priorities": ["critical", "P1"], "tags": ["database"]},
            },
        )
        assert r.status_code == 201, r.text
        sub = r.json()
        assert sub["channel"] == "incidents" and sub["cursor"] == before["id"]
        assert sub["filters"] == {"priorities": ["critical", "high"], "tags_any": ["database"]}
        # Subscribing again with the same filters returns the same subscription.
        assert (
            await t.post(
                "/api/subscriptions",
                json={
                    "channel": "incidents",
                    "filters": {"priorities": ["high", "critical"], "tags": ["database"]},
                },
            )
        ).json()["id"] == sub["id"]
        assert_error(
            await t.post("/api/subscriptions", json={"channel": "nope"}),
            404,
            says=("warroom channel create nope",),
        )
        assert_error(
            await t.post(
                "/api/subscriptions", json={"channel": "incidents", "filters": {"priorities": ["urgent"]}}
            ),
            422,
            field="filters.priorities",
            says=("critical|high|medium|low",),
        )
        assert_error(
            await t.post("/api/subscriptions", json={"channel": "incidents", "filters": {"colour": "red"}}),
            422,
            field="filters.colour",
        )

        m1 = await publish(a, "incidents", "pool exhausted", priority="critical", tags=["database"])
        await publish(a, "incidents", "disk 80%", priority="low", tags=["database"])
        await publish(a, "incidents", "cdn slow", priority="high", tags=["cdn"])
        m2 = await publish(a, "incidents", "replica lag", priority="high", tags=["database", "replica"])

        subs = (await t.get("/api/subscriptions")).json()["subscriptions"]
        assert [(s["id"], s["unread"]) for s in subs] == [(sub["id"], 2)]
        unread = (await t.get("/api/unread")).json()["subscriptions"]
        assert len(unread) == 1 and unread[0]["subscription"] == sub["id"] and unread[0]["unread"] == 2
        assert [m["id"] for m in unread[0]["messages"]] == [m1["id"], m2["id"]]  # oldest first
        one = (await t.get(f"/api/subscriptions/{sub['id']}/unread", params={"limit": 1})).json()
        assert [m["id"] for m in one["subscriptions"][0]["messages"]] == [m1["id"]]
        assert one["subscriptions"][0]["has_more"] is True

        r = await t.post(f"/api/subscriptions/{sub['id']}/read", json={"up_to": m1["id"]})
        assert r.status_code == 200 and r.json()["cursor"] == m1["id"] and r.json()["unread"] == 1
        # Never backwards.
        r = await t.post(f"/api/subscriptions/{sub['id']}/read", json={"up_to": before["id"]})
        assert r.json()["cursor"] == m1["id"]
        r = await t.post(f"/api/subscriptions/{sub['id']}/read")
        assert r.json()["unread"] == 0 and r.json()["cursor"] == m2["id"]
        assert (await t.get("/api/unread")).json()["subscriptions"][0]["messages"] == []

        # Someone else's subscription is not found, for every verb.
        assert_error(
            await a.post(f"/api/subscriptions/{sub['id']}/read"), 404, says=("warroom subscription ls",)
        )
        assert_error(await a.delete(f"/api/subscriptions/{sub['id']}"), 404)
        assert (await a.get("/api/subscriptions")).json()["subscriptions"] == []
        assert (await a.get("/api/channels/incidents")).json()["stats"]["subscribers"] == 1

        assert (await t.delete(f"/api/subscriptions/{sub['id']}")).json() == {"removed": [sub["id"]]}
        assert (await t.get("/api/subscriptions")).json()["subscriptions"] == []
        assert_error(await t.get(f"/api/subscriptions/{sub['id']}/unread"), 404)


async def test_me_and_tokens_over_http(live_server: Any) -> None:
    async with live_server.client() as local:
        # Loopback and no token anywhere: the person at the keyboard is the local admin.
        me = (await local.get("/api/me")).json()
        assert me["id"] == "local" and me["admin"] is True and me["token"] is None
        r = await local.post(
            "/api/tokens",
            json={
                "principal": "sarah",
                "principal_name": "Sarah Chen",
                "admin": True,
                "scopes": ["read", "publish", "admin"],
            },
        )
        assert r.status_code == 201, r.text
        created = r.json()
        assert created["token"].startswith("wr_") and created["principal"] == "sarah"
        # Now a token exists: no token is 401, with a challenge and the way to get one.
        r = await local.get("/api/me")
        assert_error(r, 401, says=("bearer token", "warroom token create"))
        assert r.headers["WWW-Authenticate"].startswith("Bearer")

    async with live_server.client(created["token"]) as a:
        me = (await a.get("/api/me")).json()
        assert me == {**me, "id": "sarah", "name": "Sarah Chen", "admin": True, "token": created["id"]}
        r = await a.post(
            "/api/tokens",
            json={
                "principal": "tom",
                "name": "tom-laptop",
                "expires_at": (utcnow() + timedelta(days=30)).isoformat(),
            },
        )
        assert r.status_code == 201, r.text
        tom = r.json()
        assert tom["scopes"] == ["publish", "read"] and tom["expires_at"].endswith("Z")
        assert_error(
            await a.post("/api/tokens", json={"principal": "x", "scopes": ["root"]}), 422, field="scopes"
        )
        assert_error(
            await a.post("/api/tokens", json={"principal": "x", "expires_at": "2000-01-01T00:00:00Z"}),
            422,
            field="expires_at",
            says=("past",),
        )
        assert_error(await a.post("/api/tokens", json={"principal": "has space"}), 422, field="principal")

        listed = (await a.get("/api/tokens")).json()["tokens"]
        assert {t["id"]: t["state"] for t in listed} == {created["id"]: "active", tom["id"]: "active"}
        assert all("token" not in t and "token_hash" not in t for t in listed)  # the secret is shown once

        async with live_server.client(tom["token"]) as t:
            assert (await t.get("/api/me")).json()["id"] == "tom"
            assert [x["id"] for x in (await t.get("/api/tokens")).json()["tokens"]] == [tom["id"]]
            assert_error(
                await t.post("/api/tokens", json={"principal": "tom", "admin": True}), 403, says=("admin",)
            )
            assert_error(await t.delete(f"/api/tokens/{created['id']}"), 403)

            r = await a.delete(f"/api/tokens/{tom['id']}")
            assert r.status_code == 200 and r.json() == {"id": tom["id"], "state": "revoked"}
            r = await t.get("/api/me")
            assert_error(r, 401, says=("revoked",))
            assert "WWW-Authenticate" in r.headers
        assert_error(await a.delete(f"/api/tokens/{tom['id']}"), 409, says=("already revoked",))
        assert_error(await a.delete("/api/tokens/tok_nope"), 404, says=("warroom token list",))
        assert {t["id"]: t["state"] for t in (await a.get("/api/tokens")).json()["tokens"]}[
            tom["id"]
        ] == "revoked"


async def test_missing_bad_expired_revoked_tokens_are_401(live_server: Any) -> None:
    good = live_server.token("sarah", admin=True)
    expired = live_server.token("old", name="old")
    live_server.core.db.write_sync(
        lambda c: c.execute(
            update(tokens).where(tokens.c.name == "old").values(expires_at=utcnow() - timedelta(hours=1))
        )
    )
    revoked = live_server.token("gone", name="gone")
    live_server.core.db.write_sync(
        lambda c: c.execute(update(tokens).where(tokens.c.name == "gone").values(revoked_at=utcnow()))
    )
    cases = {
        "missing": ({}, ("bearer token",)),
        "not bearer": ({"Authorization": f"Basic {good}"}, ("Bearer <token>",)),
        "unknown": ({"Authorization": "Bearer wr_nottoken"}, ("not known",)),
        "expired": ({"Authorization": f"Bearer {expired}"}, ("expired",)),
        "revoked": ({"Authorization": f"Bearer {revoked}"}, ("revoked",)),
    }
    async with live_server.client() as c:
        for name, (headers, says) in cases.items():
            for method, path in (("GET", "/api/channels"), ("POST", "/api/channels"), ("GET", "/api/stream")):
                r = await c.request(
                    method, path, headers=headers, json={"id": "sneaky"} if method == "POST" else None
                )
                assert r.status_code == 401, (name, path, r.text)
                assert r.headers["WWW-Authenticate"] == 'Bearer realm="warroom"', name
                assert_error(r, 401, says=says)
        # A token may also come as ?access_token= (browsers' EventSource cannot send headers).
        assert (await c.get("/api/me", params={"access_token": good})).json()["id"] == "sarah"
        r = await c.get("/api/channels", headers={"Authorization": f"Bearer {good}"})
        assert r.status_code == 200 and r.json()["channels"] == []  # the unauthorized POSTs created nothing


async def test_rate_limit_is_429_with_retry_after(start_server: Any) -> None:
    srv = start_server(rate_limit_per_second=0.5, rate_limit_burst=3)
    tok = srv.token("busy")
    other = srv.token("calm")
    async with srv.client(tok) as c, srv.client(other) as o:
        codes = [(await c.get("/api/me")).status_code for _ in range(3)]
        assert codes == [200, 200, 200]
        r = await c.post("/api/channels", json={"id": "flood"})
        err = assert_error(r, 429, says=("rate limit", "retry after"))
        assert int(r.headers["Retry-After"]) >= 1
        assert err["details"]["retry_after"] > 0
        # The rejected request did nothing, and another token has its own bucket.
        r = await o.get("/api/channels")
        assert r.status_code == 200 and r.json()["channels"] == []


def test_serve_refuses_to_expose_without_tokens(settings: Settings) -> None:
    def check(**kw: Any) -> str:
        s = settings.model_copy(update=kw)
        core = Core(s)
        try:
            return check_exposure(s, core)
        finally:
            core.db.close()

    assert "local admin" in check(host="127.0.0.1")
    assert "local admin" in check(host="::1")
    with pytest.raises(ConfigError, match="--insecure") as exc:
        check(host="0.0.0.0")
    assert "warroom token create" in str(exc.value)
    with pytest.raises(ConfigError):
        check(host="192.168.1.20")
    assert "INSECURE" in check(host="0.0.0.0", insecure=True)

    core = Core(settings)
    try:
        core.db.write_sync(
            lambda c: core.identity.create_token(c, principal_id="sarah", name="t", is_admin=True)
        )
    finally:
        core.db.close()
    assert "bearer tokens required" in check(host="0.0.0.0")
    assert "1 active token(s): bearer tokens required" in check(host="127.0.0.1")

    # Only an expired token left: auth stays required (fail closed), and start-up says why.
    core = Core(settings)
    try:
        core.db.write_sync(
            lambda c: c.execute(update(tokens).values(expires_at=utcnow() - timedelta(days=1)))
        )
    finally:
        core.db.close()
    said = check(host="127.0.0.1")
    assert "0 active token(s), 1 expired (revoke or replace them): bearer tokens required" in said
