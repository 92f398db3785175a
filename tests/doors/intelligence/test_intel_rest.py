"""The intelligence REST routes through a real server (uvicorn on loopback)."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path
from typing import Any

import httpx
import pytest
from intel_kit import FIXTURES, assert_error, wait_for
from pydantic import SecretStr

from warroom.identity.models import Scope


async def setup(c: httpx.AsyncClient) -> None:
    r = await c.post("/api/channels", json={"id": "incidents", "incident_enabled": True})
    assert r.status_code == 201, r.text
    for sid, body in {
        "user-api": {
            "name": "User API",
            "tier": 1,
            "owner_team": "backend",
            "description": "Users and sessions",
        },
        "payment-api": {"tier": 1, "dependencies": ["user-api"]},
        "admin-dashboard": {"tier": 2, "dependencies": ["user-api"]},
    }.items():
        r = await c.put(f"/api/services/{sid}", json=body)
        assert r.status_code == 200 and r.json()["id"] == sid, r.text
    r = await c.put(
        "/api/runbooks/db-pool",
        json={
            "title": "Database connection pool",
            "match": {"services": ["user-api"], "keywords": ["pool"]},
            "steps": ["Check pool metrics", "Roll back"],
        },
    )
    assert r.status_code == 200 and r.json()["steps"] == ["Check pool metrics", "Roll back"]


async def test_intelligence_routes_end_to_end(live_server: Any) -> None:
    async with live_server.client(live_server.token("sarah", admin=True, name="Sarah Chen")) as c:
        await setup(c)
        r = await c.post(
            "/api/incidents",
            json={"title": "Connection pool exhausted", "severity": "P2", "service": "user-api"},
        )
        assert r.status_code == 201

        async def analysed() -> Any:
            r = await c.get("/api/incidents/INC-1/analysis")
            return r.json() if r.status_code == 200 else None

        a = await wait_for(analysed)
        assert a["version"] == 1 and a["triage"]["proposed"] == "P0" and a["triage"]["verdict"] == "raise"
        assert a["remediation"]["runbooks"][0]["runbook"] == "db-pool"
        inc = (await c.get("/api/incidents/INC-1")).json()

        change = {
            "kind": "deploy",
            "service": "user-api",
            "version": "v2.4.3",
            "at": inc["triggered_at"],
            "external_id": "ci-1",
            "description": "auth refactor",
        }
        r = await c.post("/api/changes", json=change)
        assert r.status_code == 201 and r.json()["version"] == "v2.4.3"
        again = await c.post("/api/changes", json=change)
        assert again.status_code == 200 and again.json()["id"] == r.json()["id"]
        listed = (await c.get("/api/changes", params={"service": "user-api", "since": "3650d"})).json()
        assert [x["version"] for x in listed["changes"]] == ["v2.4.3"]

        async def rerun() -> Any:
            r = await c.get("/api/incidents/INC-1/analysis")
            return r.json() if r.json()["version"] >= 2 else None

        a2 = await wait_for(rerun)
        assert a2["correlation"]["recent_changes"][0]["minutes_before"] == 0
        r = await c.post("/api/incidents/INC-1/analysis")
        assert r.status_code == 200 and r.json()["unchanged"] is True and r.json()["version"] == 2
        r = await c.post("/api/incidents/INC-1/analysis", params={"force": "true"})
        assert r.json()["version"] == 3
        assert (await c.get("/api/incidents/INC-1/analysis", params={"version": 1})).json()["version"] == 1

        r = await c.get("/api/incidents/INC-1/runbooks")
        assert [b["runbook"] for b in r.json()["runbooks"]] == ["db-pool"]
        assert (await c.get("/api/incidents/INC-1/similar")).json() == {"incident": "INC-1", "similar": []}

        r = await c.post("/api/incidents/INC-1/followups", json={"title": "Add a leak test", "owner": "tom"})
        assert r.status_code == 201
        fid = r.json()["id"]
        r = await c.patch(f"/api/followups/{fid}", json={"state": "done"})
        assert r.json()["state"] == "done" and r.json()["owner"] == "tom"
        assert [f["state"] for f in (await c.get("/api/incidents/INC-1/followups")).json()["followups"]] == [
            "done"
        ]

        r = await c.post("/api/incidents/INC-1/resolve", json={"reason": "rolled back"})
        assert r.status_code == 200

        async def drafted() -> Any:
            r = await c.get("/api/incidents/INC-1/postmortem")
            return r.json() if r.status_code == 200 else None

        pm = await wait_for(drafted)
        assert pm["generated"] is True and pm["versions"] == [1]
        assert "- [ ] Add a leak test (owner: tom) [done]" in pm["markdown"]
        r = await c.put("/api/incidents/INC-1/postmortem", json={"markdown": "# Edited\n"})
        assert r.status_code == 200 and r.json()["version"] == 2
        r = await c.post("/api/incidents/INC-1/postmortem")
        assert r.status_code == 201 and r.json()["version"] == 3
        md = await c.get("/api/incidents/INC-1/postmortem", params={"format": "markdown", "version": 2})
        assert md.text == "# Edited\n" and md.headers["content-type"].startswith("text/markdown")
        assert 'filename="INC-1-postmortem.md"' in md.headers["content-disposition"]

        s = (await c.get("/api/incidents/INC-1/summary")).json()
        assert s["incident"] == "INC-1" and s["text"].startswith(
            "INC-1 (P2, user-api): Connection pool exhausted."
        )
        d = (await c.get("/api/digest", params={"channel": "incidents", "since": "1h"})).json()
        assert d["incidents"] == ["INC-1"] and d["channel"] == "incidents"
        st = (await c.get("/api/stats", params={"since": "1d", "period": "day"})).json()
        assert st["total"]["count"] == 1 and st["by_severity"]["P2"]["count"] == 1
        assert st["by_service"]["user-api"]["count"] == 1
        found = (await c.get("/api/search", params={"q": "pool"})).json()
        assert [i["id"] for i in found["incidents"]] == ["INC-1"] and [
            b["id"] for b in found["runbooks"]
        ] == ["db-pool"]
        assert [
            s["id"] for s in (await c.get("/api/search", params={"q": "sessions"})).json()["services"]
        ] == ["user-api"]

        # knowledge base CRUD
        assert [s["id"] for s in (await c.get("/api/services")).json()["services"]] == [
            "admin-dashboard",
            "payment-api",
            "user-api",
        ]
        assert (await c.get("/api/services/user-api")).json()["owner_team"] == "backend"
        assert (await c.delete("/api/services/admin-dashboard")).json() == {
            "id": "admin-dashboard",
            "deleted": True,
        }
        assert_error(await c.get("/api/services/admin-dashboard"), 404, "not in the catalog")
        assert (await c.delete("/api/runbooks/db-pool")).json()["deleted"] is True
        assert (await c.get("/api/runbooks")).json() == {"runbooks": []}


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_intelligence_errors(live_server: Any) -> None:
    live_server.core.pipeline.debounce = 3600  # keep the pipeline out of it: "no analysis yet" stays true
    admin = live_server.token("sarah", admin=True)
    reader = live_server.token("rita", scopes=frozenset({Scope.READ}))
    async with live_server.client(admin) as c:
        await c.post("/api/channels", json={"id": "incidents", "incident_enabled": True})
        await c.post("/api/incidents", json={"title": "Disk full", "severity": "P3"})
        assert_error(await c.get("/api/incidents/INC-99/analysis"), 404)
        assert_error(await c.post("/api/incidents/INC-99/analysis"), 404)
        assert_error(await c.get("/api/incidents/INC-1/analysis"), 404, "has no analysis yet")
        assert_error(await c.get("/api/incidents/INC-1/postmortem"), 404, "has no postmortem yet")
        assert_error(await c.get("/api/stats", params={"period": "year"}), 422, "day, week or month")
        assert_error(await c.get("/api/stats", params={"since": "yesterday"}), 422, "not valid")
        assert_error(await c.get("/api/stats", params={"until": "soon"}), 422, "not valid")
        assert_error(
            await c.post("/api/changes", json={"kind": "rollout", "service": "x"}), 422, "kind 'rollout'"
        )
        assert_error(
            await c.post("/api/changes", json={"service": "x", "at": "2024-01-01T00:00:00"}), 422, "time zone"
        )
        assert_error(await c.post("/api/changes", json={"kind": "deploy"}), 422)
        assert_error(await c.put("/api/services/Bad Id", json={}), 422, "lowercase")
        assert_error(await c.put("/api/services/x", json={"tier": 7}), 422, "tier")
        assert_error(await c.put("/api/runbooks/x", json={"title": ""}), 422)
        assert_error(await c.patch("/api/followups/fu_nope", json={"state": "done"}), 404)
        r = await c.post("/api/incidents/INC-1/followups", json={"title": "x"})
        assert_error(
            await c.patch(f"/api/followups/{r.json()['id']}", json={"state": "closed"}), 422, "open, done"
        )
        assert_error(await c.put("/api/incidents/INC-1/postmortem", json={"markdown": ""}), 422)
    async with live_server.client(reader) as c:  # read scope only
        assert_error(await c.put("/api/services/x", json={}), 403, "publish scope")
        assert_error(await c.post("/api/changes", json={"service": "x"}), 403)
    async with live_server.client() as c:
        assert_error(await c.get("/api/stats"), 401)


GITHUB = (FIXTURES / "github-deployment-status.json").read_bytes()
HEADERS = {"X-GitHub-Event": "deployment_status", "Content-Type": "application/json"}


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_github_deployment_status_without_a_secret(live_server: Any) -> None:
    token = live_server.token("ci", admin=True)
    async with live_server.client() as c:
        url = f"/api/changes/github?access_token={token}"
        r = await c.post(url, content=GITHUB, headers=HEADERS)
        assert r.status_code == 201, r.text
        ch = r.json()
        assert (ch["kind"], ch["service"], ch["version"], ch["at"], ch["source"]) == (
            "deploy",
            "user-api",
            "v2.4.3",
            "2026-11-21T02:15:00Z",
            "github",
        )
        assert ch["author"] == "deploy-bot" and ch["url"] == "https://ci.example.com/deploys/8812"
        assert (
            ch["external_id"] == "github:1873001"
            and ch["description"] == "Release v2.4.3: auth middleware refactor"
        )
        again = await c.post(url, content=GITHUB, headers=HEADERS)
        assert again.status_code == 200 and again.json()["id"] == ch["id"]
        pong = await c.post(url, content=b'{"zen": "hi"}', headers={"X-GitHub-Event": "ping"})
        assert pong.json() == {"status": "pong"}
        failed = GITHUB.replace(b'"state": "success"', b'"state": "failure"')
        r = await c.post(url, content=failed, headers=HEADERS)
        assert r.status_code == 200 and r.json()["status"] == "ignored"
        assert_error(
            await c.post(url, content=b'{"action": "created"}', headers=HEADERS), 422, "deployment_status"
        )
        assert_error(await c.post("/api/changes/github", content=GITHUB, headers=HEADERS), 401)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_github_deployment_status_with_the_hmac_secret(settings: Any, request: Any) -> None:
    root = request.config.pluginmanager.get_plugin(str(Path(__file__).parents[2] / "conftest.py"))
    srv = root.LiveServer(settings.model_copy(update={"github_webhook_secret": SecretStr("s3cret")}))
    srv.start()
    try:
        token = srv.token("ci", admin=True)
        url = f"/api/changes/github?access_token={token}"
        good = "sha256=" + hmac.new(b"s3cret", GITHUB, hashlib.sha256).hexdigest()
        async with srv.client() as c:
            assert_error(await c.post(url, content=GITHUB, headers=HEADERS), 401, "X-Hub-Signature-256")
            bad = {**HEADERS, "X-Hub-Signature-256": "sha256=" + "0" * 64}
            assert_error(await c.post(url, content=GITHUB, headers=bad), 401, "does not match")
            tampered = GITHUB.replace(b"v2.4.3", b"v6.6.6")
            signed = {**HEADERS, "X-Hub-Signature-256": good}
            assert_error(await c.post(url, content=tampered, headers=signed), 401)
            r = await c.post(url, content=GITHUB, headers=signed)
            assert r.status_code == 201 and r.json()["version"] == "v2.4.3"
    finally:
        srv.stop()
