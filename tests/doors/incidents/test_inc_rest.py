"""Incident, silence and integration routes over a real socket, with their 4xx answers."""

from __future__ import annotations

from typing import Any

import pytest
from inc_kit import assert_error, create_integration

from alertkit import am_alert, am_payload, body
from warroom.identity.models import Scope

SQLITE_ONLY = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


async def incidents_channel(c: Any) -> None:
    r = await c.post("/api/channels", json={"id": "incidents", "incident_enabled": True})
    assert r.status_code == 201, r.text


async def test_incident_routes_through_a_whole_lifecycle(live_server: Any) -> None:
    async with live_server.client(live_server.token("sarah", admin=True, name="Sarah Chen")) as c:
        await incidents_channel(c)
        r = await c.post(
            "/api/incidents",
            json={
                "title": "Checkout is down",
                "severity": "critical",
                "service": "checkout",
                "summary": "500s everywhere",
            },
        )
        assert r.status_code == 201, r.text
        inc = r.json()
        assert inc["id"] == "INC-1" and inc["thread_id"] == "INC-1" and inc["severity"] == "P0"
        assert inc["status"] == "triggered" and inc["created_by"] == "sarah"
        r = await c.post(
            "/api/incidents", json={"title": "Slow search", "severity": "P3", "service": "search"}
        )
        assert r.json()["id"] == "INC-2"

        r = await c.post("/api/incidents/INC-1/acknowledge", json={"reason": "on it"})
        assert r.status_code == 200 and r.json()["status"] == "acknowledged" and r.json()["changed"]
        assert r.json()["owner"] == "sarah"
        for status in ("investigating", "mitigating"):
            r = await c.post(
                "/api/incidents/INC-1/status", json={"status": status, "reason": f"now {status}"}
            )
            assert r.status_code == 200 and r.json()["status"] == status
        r = await c.post("/api/incidents/INC-1/notes", json={"text": "Rolled back v2.4.3\nmore details"})
        assert (
            r.status_code == 201 and r.json()["theme"] == "incident-note" and r.json()["thread_id"] == "INC-1"
        )
        r = await c.post("/api/incidents/INC-1/assign", json={"owner": "mike", "commander": "sarah"})
        assert r.status_code == 200 and r.json()["owner"] == "mike" and r.json()["commander"] == "sarah"
        r = await c.post("/api/incidents/INC-1/severity", json={"severity": "P1", "reason": "contained"})
        assert r.status_code == 200 and r.json()["severity"] == "P1"

        # Filters.
        items = (await c.get("/api/incidents")).json()["items"]
        assert [i["id"] for i in items] == ["INC-1", "INC-2"]  # open, worst first
        assert [
            i["id"] for i in (await c.get("/api/incidents", params={"severity": "P3"})).json()["items"]
        ] == ["INC-2"]
        assert [
            i["id"] for i in (await c.get("/api/incidents", params={"service": "checkout"})).json()["items"]
        ] == ["INC-1"]
        got = (await c.get("/api/incidents", params={"status": "mitigating"})).json()["items"]
        assert [i["id"] for i in got] == ["INC-1"]
        assert len((await c.get("/api/incidents", params={"since": "1h"})).json()["items"]) == 2
        assert (await c.get("/api/incidents", params={"since": "2099-01-01T00:00:00Z"})).json()["items"] == []

        r = await c.post("/api/incidents/INC-1/resolve", json={"reason": "fixed"})
        assert r.status_code == 200 and r.json()["status"] == "resolved" and r.json()["resolved_at"]
        # Resolving a resolved incident is a no-op; a late acknowledge too; mitigating is a conflict.
        r = await c.post("/api/incidents/INC-1/resolve")
        assert (
            r.status_code == 200 and r.json()["changed"] is False and r.json()["note"] == "already resolved"
        )
        r = await c.post("/api/incidents/INC-1/acknowledge")
        assert (
            r.status_code == 200 and r.json()["changed"] is False and "late acknowledge" in r.json()["note"]
        )
        assert_error(
            await c.post("/api/incidents/INC-1/status", json={"status": "mitigating"}), 409, "reopen"
        )
        assert_error(
            await c.post("/api/incidents/INC-1/status", json={"status": "closed"}), 422, field="status"
        )
        assert [i["id"] for i in (await c.get("/api/incidents")).json()["items"]] == ["INC-2"]
        assert [
            i["id"] for i in (await c.get("/api/incidents", params={"status": "resolved"})).json()["items"]
        ] == ["INC-1"]

        r = await c.post("/api/incidents/INC-1/reopen", json={"reason": "it is back"})
        assert r.status_code == 200 and r.json()["status"] == "triggered" and r.json()["reopen_count"] == 1
        # Stamps of the first visit survive a reopen.
        first = inc_stamps = (await c.get("/api/incidents/INC-1")).json()
        assert (
            inc_stamps["acknowledged_at"]
            and inc_stamps["mitigating_at"]
            and inc_stamps["resolved_at"] is None
        )
        r = await c.post("/api/incidents/INC-1/acknowledge")
        assert (await c.get("/api/incidents/INC-1")).json()["acknowledged_at"] == first["acknowledged_at"]

        # Merge INC-2 into INC-1.
        r = await c.post("/api/incidents/INC-2/merge", json={"into": "INC-1"})
        assert r.status_code == 200, r.text
        two = (await c.get("/api/incidents/INC-2")).json()
        assert two["merged_into"] == "INC-1" and two["status"] == "resolved"
        assert [
            i["id"] for i in (await c.get("/api/incidents", params={"status": "all"})).json()["items"]
        ] == ["INC-1"]
        assert_error(await c.post("/api/incidents/INC-1/merge", json={"into": "INC-1"}), 422)

        tl = (await c.get("/api/incidents/INC-1/timeline")).json()
        kinds = [i["kind"] for i in tl["items"]]
        for kind in (
            "incident.triggered",
            "incident.acknowledged",
            "incident.status_changed",
            "incident.note_added",
            "incident.assigned",
            "incident.severity_changed",
            "incident.resolved",
            "incident.reopened",
            "incident.merged",
        ):
            assert kind in kinds, (kind, kinds)
        messages = [i["message"] for i in tl["items"] if "message" in i]
        assert all(m["sender"]["user_id"] == "sarah" for m in messages)
        assert any(m["body"] == "fixed" and m["theme"] == "incident-resolved" for m in messages)
        ids = [i["id"] for i in tl["items"]]
        assert ids == sorted(ids)


async def test_incident_errors(live_server: Any) -> None:
    async with live_server.client(live_server.token("sarah", admin=True)) as c, live_server.client() as anon:
        assert_error(await anon.get("/api/incidents"), 401)
        await incidents_channel(c)
        assert_error(await c.get("/api/incidents/INC-99"), 404, "INC-99")
        assert_error(await c.get("/api/incidents/INC-99/timeline"), 404)
        assert_error(await c.post("/api/incidents/INC-99/acknowledge"), 404)
        assert_error(await c.post("/api/incidents", json={"title": "x", "severity": "urgent"}), 422)
        assert_error(await c.post("/api/incidents", json={"title": "x", "channel": "nope"}), 404)
        assert_error(await c.get("/api/incidents", params={"status": "closed"}), 422)
        r = await c.post("/api/incidents", json={"title": "x", "thread_id": "t-1"})
        assert r.status_code == 201
        assert_error(
            await c.post("/api/incidents", json={"title": "y", "thread_id": "t-1"}), 409, field="thread_id"
        )
        assert (await c.get("/api/incidents/t-1")).json()["id"] == "INC-1"  # found by its thread too
        assert_error(await c.post("/api/incidents/INC-1/notes", json={"text": ""}), 422)
        assert_error(await c.post("/api/incidents/INC-1/assign", json={}), 422, field="owner")


@SQLITE_ONLY
async def test_confidential_incident_is_invisible_to_others(live_server: Any) -> None:
    async with (
        live_server.client(live_server.token("sec", groups=["security"])) as sec,
        live_server.client(live_server.token("dev")) as dev,
    ):
        r = await sec.post("/api/channels", json={"id": "security-incidents", "visibility": "confidential"})
        assert r.status_code == 201, r.text
        r = await sec.post("/api/incidents", json={"title": "Breach", "channel": "security-incidents"})
        assert r.status_code == 201, r.text
        assert [i["id"] for i in (await sec.get("/api/incidents")).json()["items"]] == ["INC-1"]
        assert (await dev.get("/api/incidents")).json()["items"] == []
        for path in ("/api/incidents/INC-1", "/api/incidents/INC-1/timeline"):
            assert_error(await dev.get(path), 404)
        assert_error(await dev.post("/api/incidents/INC-1/acknowledge"), 404)


async def test_silences_rest(live_server: Any) -> None:
    async with (
        live_server.client(live_server.token("sarah", admin=True)) as c,
        live_server.client(live_server.token("reader", scopes=frozenset({Scope.READ}))) as reader,
        live_server.client() as anon,
    ):
        integ = await create_integration(c)
        r = await c.post(
            "/api/silences",
            json={
                "matchers": ['service="user-api"', 'env=~"prod|staging"'],
                "duration": "2h",
                "comment": "DB failover",
            },
        )
        assert r.status_code == 201, r.text
        sil = r.json()
        assert sil["state"] == "active" and sil["comment"] == "DB failover" and sil["id"].startswith("sil_")
        assert sil["matchers"] == ['service="user-api"', 'env=~"prod|staging"']
        r = await c.post(
            "/api/silences",
            json={
                "matchers": ["service=payments"],
                "starts_at": "2099-11-24T22:00:00Z",
                "ends_at": "2099-11-25T02:00:00Z",
            },
        )
        assert r.status_code == 201 and r.json()["state"] == "pending"
        assert [
            s["id"] for s in (await c.get("/api/silences", params={"state": "active"})).json()["silences"]
        ] == [sil["id"]]
        assert len((await c.get("/api/silences")).json()["silences"]) == 2

        r = await anon.post(
            "/api/webhooks/prod",
            content=body(am_payload([am_alert(env="prod")])),
            params={"token": integ["secret"]},
        )
        assert r.json()["silenced"] == 1 and r.json()["incidents_opened"] == []

        assert_error(
            await c.post("/api/silences", json={"matchers": ['env!="x"'], "duration": "1h"}),
            422,
            field="matchers",
        )
        assert_error(
            await c.post("/api/silences", json={"matchers": ['a=~"("'], "duration": "1h"}),
            422,
            field="matchers",
        )
        assert_error(await c.post("/api/silences", json={"matchers": ["a=b"]}), 422, field="ends_at")
        assert_error(
            await c.post("/api/silences", json={"matchers": ["a=b"], "duration": "soon"}),
            422,
            field="duration",
        )
        assert_error(await c.get("/api/silences", params={"state": "gone"}), 422, field="state")
        assert_error(await reader.post("/api/silences", json={"matchers": ["a=b"], "duration": "1h"}), 403)
        assert_error(await c.delete("/api/silences/sil_nope"), 404)

        r = await c.delete(f"/api/silences/{sil['id']}")
        assert r.status_code == 200 and r.json()["state"] == "expired"
        r = await anon.post(
            "/api/webhooks/prod",
            content=body(am_payload([am_alert(env="prod")])),
            params={"token": integ["secret"]},
        )
        assert r.json()["incidents_opened"] == ["INC-1"]


@SQLITE_ONLY
async def test_integrations_rest_is_admin_only(live_server: Any) -> None:
    async with (
        live_server.client(live_server.token("root", admin=True)) as admin,
        live_server.client(live_server.token("dev")) as dev,
    ):
        assert_error(
            await dev.post("/api/integrations", json={"name": "x", "source": "alertmanager"}), 403, "admin"
        )
        assert_error(await dev.get("/api/integrations"), 403)
        integ = await create_integration(
            admin, "prod", "alertmanager", group_by=["alertname"], severity_overrides={"warning": "P1"}
        )
        assert integ["channel"] == "incidents" and integ["secret"].startswith("whs_")
        assert integ["config"]["group_by"] == ["alertname"]
        ch = (await admin.get("/api/channels/incidents")).json()
        assert ch.get("incident_enabled") is True
        assert_error(await dev.post("/api/integrations/prod/rotate-secret"), 403)
        assert_error(await dev.delete("/api/integrations/prod"), 403)
        listed = (await admin.get("/api/integrations")).json()["integrations"]
        assert [i["id"] for i in listed] == ["prod"] and "secret" not in listed[0]
        assert_error(
            await admin.post("/api/integrations", json={"name": "prod", "source": "alertmanager"}), 409
        )
        assert_error(
            await admin.post("/api/integrations", json={"name": "x", "source": "nagios"}), 422, field="source"
        )
        assert_error(
            await admin.post("/api/integrations", json={"name": "Bad Name", "source": "generic"}), 422
        )
        assert_error(
            await admin.post(
                "/api/integrations",
                json={"name": "y", "source": "generic", "config": {"stale_after_seconds": 1}},
            ),
            422,
        )
        r = await admin.get("/api/integrations/templates/datadog")
        assert "$ALERT_CYCLE_KEY" in json_text(r.json())
        r = await admin.delete("/api/integrations/prod")
        assert r.status_code == 200 and r.json()["deleted"] is True
        assert_error(await admin.delete("/api/integrations/prod"), 404)


def json_text(value: Any) -> str:
    import json

    return json.dumps(value)
