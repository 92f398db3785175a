"""Paging over REST: every route through a live server, with its 4xx answers."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.parametrize("backend", ["sqlite"])

ROTATION = {
    "participants": ["sarah", "tom"],
    "unit": "weeks",
    "time_zone": "Europe/Berlin",
    "start": "2026-03-23",
    "handoff_time": "09:00",
}


async def test_people_contacts_and_errors(live_server: Any) -> None:
    admin = live_server.client(live_server.token("boss", admin=True))
    tom = live_server.client(live_server.token("tom"))
    async with admin, tom:
        r = await admin.put("/api/users/sarah", json={"name": "Sarah Chen", "time_zone": "Europe/Berlin"})
        assert r.status_code == 200 and r.json()["time_zone"] == "Europe/Berlin"
        r = await admin.put("/api/users/sarah", json={"time_zone": "Europe/Narnia"})
        assert r.status_code == 422
        assert r.json()["error"]["field"] == "time_zone" and "Europe/Narnia" in r.json()["error"]["message"]
        assert (await tom.put("/api/users/newbie", json={"name": "N"})).status_code == 403
        assert (await tom.put("/api/users/sarah", json={"time_zone": "UTC"})).status_code == 403
        assert (await admin.get("/api/users/ghost")).status_code == 404
        assert (await admin.put("/api/users/sarah", json={"shoe_size": 9})).status_code == 422

        r = await admin.post(
            "/api/users/sarah/contacts", json={"kind": "apprise", "target": "ntfy://sarah-pager"}
        )
        assert r.status_code == 201
        cm = r.json()
        assert cm["kind"] == "apprise" and cm["target"] == "ntfy://sarah-pager" and cm["user"] == "sarah"
        r = await admin.post("/api/users/sarah/contacts", json={"kind": "fax", "target": "+1"})
        assert r.status_code == 422 and r.json()["error"]["field"] == "kind"
        assert (await tom.post("/api/contacts/" + cm["id"] + "/test")).status_code == 403
        r = await admin.post(f"/api/contacts/{cm['id']}/test")
        assert (
            r.status_code == 202
            and r.json()["contact"] == cm["id"]
            and r.json()["delivery"].startswith("dlv_")
        )
        rules = {"important": [{"contact_method_id": cm["id"], "delay": 0}], "other": []}
        r = await admin.put("/api/users/sarah", json={"rules": rules})
        assert r.status_code == 200 and r.json()["rules"]["important"][0]["contact_method_id"] == cm["id"]
        users = (await admin.get("/api/users")).json()["users"]
        assert [u["id"] for u in users if u["id"] == "sarah"] == ["sarah"]
        assert (await tom.request("DELETE", f"/api/contacts/{cm['id']}")).status_code == 403
        assert (await admin.request("DELETE", f"/api/contacts/{cm['id']}")).json() == {
            "id": cm["id"],
            "deleted": True,
        }
        assert (await admin.request("DELETE", f"/api/contacts/{cm['id']}")).status_code == 404


async def test_schedules_oncall_ical_and_errors(live_server: Any) -> None:
    admin = live_server.client(live_server.token("boss", admin=True))
    tom = live_server.client(live_server.token("tom"))
    async with admin, tom:
        for u in ("sarah", "tom"):
            await admin.put(f"/api/users/{u}", json={"name": u.title()})
        body = {"name": "SRE", "layers": [{"name": "primary", "rotation": ROTATION}]}
        assert (await tom.put("/api/schedules/sre", json=body)).status_code == 403
        bad = {
            "name": "SRE",
            "layers": [{"name": "p", "rotation": {**ROTATION, "time_zone": "Nowhere/City"}}],
        }
        r = await admin.put("/api/schedules/sre", json=bad)
        assert r.status_code == 422 and r.json()["error"]["field"] == "layers"
        r = await admin.put("/api/schedules/sre", json=body)
        assert r.status_code == 200 and r.json()["id"] == "sre"
        assert (await admin.get("/api/schedules/nope")).status_code == 404
        assert (await admin.get("/api/schedules/nope/shifts")).status_code == 404
        assert [s["id"] for s in (await admin.get("/api/schedules")).json()["schedules"]] == ["sre"]

        r = await admin.get("/api/oncall", params={"schedule": "sre", "at": "2026-03-30T07:30:00Z"})
        assert r.json() == {
            "at": "2026-03-30T07:30:00Z",
            "on_call": [
                {
                    "schedule": "sre",
                    "schedule_name": "SRE",
                    "user": "tom",
                    "name": "Tom",
                    "from": "2026-03-30T07:00:00Z",
                    "until": "2026-04-06T07:00:00Z",
                    "source": "layer",
                }
            ],
        }
        assert (await admin.get("/api/oncall", params={"at": "yesterday-ish"})).status_code == 422
        r = await admin.post(
            "/api/schedules/sre/overrides",
            json={"user": "sarah", "start": "2026-03-31T00:00:00Z", "end": "2026-04-01T00:00:00Z"},
        )
        assert r.status_code == 201 and r.json()["user"] == "sarah"
        r = await admin.get("/api/oncall", params={"schedule": "sre", "at": "2026-03-31T12:00:00Z"})
        assert [(o["user"], o["source"]) for o in r.json()["on_call"]] == [("sarah", "override")]
        r = await admin.get(
            "/api/schedules/sre/shifts",
            params={"start": "2026-03-30T00:00:00Z", "end": "2026-04-02T00:00:00Z"},
        )
        assert [(s["user_id"], s["kind"]) for s in r.json()["shifts"]] == [
            ("sarah", "layer"),
            ("tom", "layer"),
            ("sarah", "override"),
            ("tom", "layer"),
        ]
        r = await admin.get(
            "/api/schedules/sre/ical", params={"start": "2026-03-23T00:00:00Z", "end": "2026-04-20T00:00:00Z"}
        )
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/calendar")
        assert r.text.startswith("BEGIN:VCALENDAR") and "Tom" in r.text
        assert (await admin.request("DELETE", "/api/schedules/sre")).json() == {"id": "sre", "deleted": True}
        assert (await admin.request("DELETE", "/api/schedules/sre")).status_code == 404


async def test_policies_routes_pages_escalation_and_deliveries(live_server: Any) -> None:
    admin = live_server.client(live_server.token("boss", admin=True))
    tom = live_server.client(live_server.token("tom"))
    async with admin, tom:
        await admin.put("/api/users/sarah", json={"name": "Sarah"})
        await admin.post("/api/users/sarah/contacts", json={"kind": "apprise", "target": "ntfy://sarah"})
        levels = [{"targets": [{"kind": "user", "id": "sarah"}], "delay": 300}]
        assert (
            await tom.put("/api/policies/main", json={"name": "Main", "levels": levels})
        ).status_code == 403
        r = await admin.put(
            "/api/policies/main", json={"name": "Main", "levels": [{"targets": [], "delay": 300}]}
        )
        assert r.status_code == 422
        r = await admin.put("/api/policies/main", json={"name": "Main", "levels": levels, "repeat": 2})
        assert r.status_code == 200 and r.json()["repeat"] == 2 and r.json()["routes"] == []
        assert (await admin.get("/api/policies/nope")).status_code == 404
        assert (await admin.post("/api/policies/nope/routes", json={})).status_code == 404
        r = await admin.post(
            "/api/policies/main/routes", json={"service": "db", "severities": ["P0", "high"]}
        )
        assert r.status_code == 201 and r.json()["severities"] == ["P0", "P1"]
        route = r.json()["id"]
        assert [x["id"] for x in (await admin.get("/api/policies/main")).json()["routes"]] == [route]
        assert [p["id"] for p in (await admin.get("/api/policies")).json()["policies"]] == ["main"]

        await admin.post("/api/channels", json={"id": "incidents", "incident_enabled": True})
        inc = (
            await admin.post("/api/incidents", json={"title": "x", "severity": "P2", "service": "api"})
        ).json()
        r = await admin.post(f"/api/incidents/{inc['id']}/escalate")
        assert r.status_code == 409 and "policy" in r.json()["error"]["message"]
        assert (await admin.post("/api/incidents/INC-999/escalate")).status_code == 404

        r = await admin.post("/api/users/sarah/page", json={"title": "look", "incident": inc["id"]})
        assert r.status_code == 202 and r.json()["user"] == "sarah" and len(r.json()["deliveries"]) == 1
        assert (await admin.post("/api/users/ghost/page", json={"title": "x"})).status_code == 404
        assert (
            await admin.post("/api/users/sarah/page", json={"title": "x", "priority": "urgent-ish"})
        ).status_code == 422
        ds = (await admin.get("/api/deliveries", params={"incident": inc["id"]})).json()["deliveries"]
        assert [(d["recipient"], d["incident"], d["title"]) for d in ds] == [("sarah", inc["id"], "look")]
        assert (await tom.get("/api/deliveries")).json()["deliveries"] == []  # not tom's
        assert (await admin.get("/api/deliveries", params={"limit": 0})).status_code == 422
        assert (await admin.post("/api/deliveries/dlv_missing/retry")).status_code == 404

        assert (await admin.request("DELETE", f"/api/routes/{route}")).status_code == 200
        assert (await admin.request("DELETE", "/api/policies/main")).json() == {"id": "main", "deleted": True}
        assert (await admin.get("/api/policies")).json()["policies"] == []
