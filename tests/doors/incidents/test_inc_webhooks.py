"""The webhook door over a real socket: every way to authenticate, idempotency, bad input,
oversize bodies, and a new incident reaching a live SSE stream."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import time
from typing import Any

import pytest
from inc_kit import assert_error, create_integration, stream

from alertkit import alert_rows, am_alert, am_payload, body, count_events, fixture, fixture_bytes

SQLITE_ONLY = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def sign(secret: str, raw: bytes) -> str:
    return hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()


async def stored(srv: Any) -> int:
    return len(await srv.core.db.read(alert_rows))


async def test_token_in_url_bearer_or_header_and_wrong_tokens(live_server: Any) -> None:
    async with (
        live_server.client(live_server.token("admin", admin=True)) as admin,
        live_server.client() as anon,
    ):
        integ = await create_integration(admin)
        assert integ["webhook_url"].endswith("/api/webhooks/prod")
        assert integ["webhook_url_with_token"].endswith(f"?token={integ['secret']}")
        secret = integ["secret"]
        url = "/api/webhooks/prod"
        raw = body(am_payload([am_alert()]))

        before = await live_server.core.db.read(count_events)
        for headers, params in [
            ({"Authorization": "Bearer whs_wrong"}, {}),
            ({}, {"token": "whs_wrong"}),
            ({"X-Warroom-Token": secret[:-1]}, {}),
            ({}, {}),
            ({"X-Warroom-Signature": "sha256=" + "0" * 64}, {}),
        ]:
            r = await anon.post(url, content=raw, headers=headers, params=params)
            assert_error(r, 401)
        assert await stored(live_server) == 0
        assert await live_server.core.db.read(count_events) == before

        r = await anon.post(url, content=raw, params={"token": secret})
        assert r.status_code == 202, r.text
        out = r.json()
        assert out["status"] == "accepted" and out["new_alerts"] == 1 and out["incidents_opened"] == ["INC-1"]
        r = await anon.post(url, content=raw, headers={"Authorization": f"Bearer {secret}"})
        assert r.status_code == 202 and r.json()["updated_alerts"] == 1
        r = await anon.post(url, content=raw, headers={"X-Warroom-Token": secret})
        assert r.status_code == 202 and r.json()["updated_alerts"] == 1

        assert_error(
            await anon.post("/api/webhooks/nope", content=raw, params={"token": secret}), 404, "nope"
        )

        # After a rotation the old secret stops working.
        r = await admin.post("/api/integrations/prod/rotate-secret")
        assert r.status_code == 200 and r.json()["secret"] != secret
        assert_error(await anon.post(url, content=raw, params={"token": secret}), 401)
        r = await anon.post(url, content=raw, params={"token": r.json()["secret"]})
        assert r.status_code == 202


async def test_pagerduty_signature_and_idempotent_delivery(live_server: Any) -> None:
    async with (
        live_server.client(live_server.token("admin", admin=True)) as admin,
        live_server.client() as anon,
    ):
        integ = await create_integration(admin, "pd", "pagerduty")
        secret = integ["secret"]
        raw = fixture_bytes("pagerduty-v3-incident-triggered.json")
        good = sign(secret, raw)
        url = "/api/webhooks/pd"

        for header in [f"v1={sign('old-secret', raw)}", "v1=zz", "v0=" + good, f"v1={good[:-2]}"]:
            r = await anon.post(url, content=raw, headers={"X-PagerDuty-Signature": header})
            assert_error(r, 401, "X-PagerDuty-Signature")
        # A body changed after signing is refused too.
        assert_error(
            await anon.post(url, content=raw + b" ", headers={"X-PagerDuty-Signature": f"v1={good}"}), 401
        )
        assert await stored(live_server) == 0

        headers = {
            "X-PagerDuty-Signature": f"v1={sign('old-secret', raw)}, v1={good}",
            "X-Webhook-Id": "wh-1",
        }
        r = await anon.post(url, content=raw, headers=headers)
        assert r.status_code == 202, r.text
        first = r.json()
        assert first["status"] == "accepted" and first["incidents_opened"] == ["INC-1"]
        events = await live_server.core.db.read(count_events)

        r = await anon.post(url, content=raw, headers=headers)  # PagerDuty retries the same delivery
        assert r.status_code == 200
        assert r.json() == {**first, "status": "duplicate"}
        assert await live_server.core.db.read(count_events) == events
        (row,) = await live_server.core.db.read(alert_rows)
        assert row.count == 1

        # The acknowledgement, signed, acknowledges the incident.
        ack = fixture_bytes("pagerduty-v3-incident-acknowledged.json")
        r = await anon.post(
            url,
            content=ack,
            headers={"X-PagerDuty-Signature": f"v1={sign(secret, ack)}", "X-Webhook-Id": "wh-2"},
        )
        assert r.status_code == 202 and r.json()["incidents_acknowledged"] == ["INC-1"]
        r = await admin.get("/api/incidents/INC-1")
        assert r.json()["status"] == "acknowledged"


@SQLITE_ONLY
async def test_grafana_signature_with_a_configured_header(live_server: Any) -> None:
    async with (
        live_server.client(live_server.token("admin", admin=True)) as admin,
        live_server.client() as anon,
    ):
        integ = await create_integration(
            admin, "graf", "grafana", signature_header="X-Grafana-Alert-Signature"
        )
        raw = fixture_bytes("grafana-unified-firing.json")
        sig = sign(integ["secret"], raw)
        # The default header name is not the configured one: no credentials.
        assert_error(
            await anon.post("/api/webhooks/graf", content=raw, headers={"X-Grafana-Alerting-Signature": sig}),
            401,
        )
        assert_error(
            await anon.post(
                "/api/webhooks/graf", content=raw, headers={"X-Grafana-Alert-Signature": "0" * 64}
            ),
            401,
        )
        r = await anon.post("/api/webhooks/graf", content=raw, headers={"X-Grafana-Alert-Signature": sig})
        assert r.status_code == 202, r.text
        inc = (await admin.get("/api/incidents/INC-1")).json()
        assert inc["service"] == "payment-api" and inc["severity"] == "P1"


@SQLITE_ONLY
async def test_generic_hmac(live_server: Any) -> None:
    async with (
        live_server.client(live_server.token("admin", admin=True)) as admin,
        live_server.client() as anon,
    ):
        integ = await create_integration(admin, "script", "generic")
        raw = fixture_bytes("generic.json")
        for value in (f"sha256={sign(integ['secret'], raw)}", sign(integ["secret"], raw)):
            r = await anon.post("/api/webhooks/script", content=raw, headers={"X-Warroom-Signature": value})
            assert r.status_code == 202, r.text
        assert_error(
            await anon.post(
                "/api/webhooks/script",
                content=raw,
                headers={"X-Warroom-Signature": "sha256=" + sign("nope", raw)},
            ),
            401,
        )
        (row,) = await live_server.core.db.read(alert_rows)
        assert row.count == 2 and row.service == "postgres"


@SQLITE_ONLY
async def test_malformed_payloads_get_400_naming_the_field(live_server: Any) -> None:
    async with (
        live_server.client(live_server.token("admin", admin=True)) as admin,
        live_server.client() as anon,
    ):
        am = await create_integration(admin)
        pd = await create_integration(admin, "pd", "pagerduty")
        gen = await create_integration(admin, "gen", "generic")

        async def post(integ: dict[str, Any], content: bytes) -> Any:
            return await anon.post(
                f"/api/webhooks/{integ['id']}", content=content, params={"token": integ["secret"]}
            )

        assert_error(await post(am, b"{not json"), 400, "JSON", field="body")
        assert_error(await post(am, b'{"version": "4"}'), 400, field="alerts")
        bad = am_payload([am_alert(), am_alert(instance="api-2")])
        bad["alerts"][1]["labels"] = ["not", "an", "object"]
        assert_error(await post(am, body(bad)), 400, "alerts[1].labels")
        bad = am_payload([am_alert()])
        bad["alerts"][0]["status"] = "exploded"
        assert_error(await post(am, body(bad)), 400, "alerts[0].status")
        pd_body = fixture("pagerduty-v3-incident-triggered.json")
        del pd_body["event"]["event_type"]
        assert_error(await post(pd, body(pd_body)), 400, "event.event_type")
        assert_error(await post(gen, body({"severity": "high"})), 400, "title")
        # A refused delivery stores nothing, not even its valid alerts.
        assert await stored(live_server) == 0

        huge = body(am_payload([am_alert(instance=f"api-{i}", pad="x" * 2000) for i in range(600)]))
        assert len(huge) > live_server.settings.max_request_bytes
        r = await post(am, huge)
        assert r.status_code == 413, r.text
        assert await stored(live_server) == 0


async def test_new_incident_reaches_a_live_stream(live_server: Any) -> None:
    token = live_server.token("admin", admin=True)
    async with (
        live_server.client(token) as admin,
        live_server.client(token) as listener,
        live_server.client() as anon,
    ):
        integ = await create_integration(admin)
        async with stream(listener, kind="incident") as events:
            sent = time.monotonic()
            r = await anon.post(
                "/api/webhooks/prod",
                content=body(am_payload([am_alert()])),
                params={"token": integ["secret"]},
            )
            assert r.status_code == 202
            ev = await events.until("incident.triggered", timeout=5)
            assert time.monotonic() - sent < 5
            assert ev["kind"] == "incident.triggered" and ev["data"]["incident"]["id"] == "INC-1"
            assert ev["data"]["incident"]["severity"] == "P0"


@SQLITE_ONLY
async def test_server_keeps_answering_during_a_storm(live_server: Any) -> None:
    async with (
        live_server.client(live_server.token("admin", admin=True)) as admin,
        live_server.client() as anon,
    ):
        integ = await create_integration(admin)

        async def sender(k: int) -> None:
            for b in range(5):
                entries = [am_alert(f"Storm{k}", f"h-{b}-{i}") for i in range(100)]
                r = await anon.post(
                    "/api/webhooks/prod", content=body(am_payload(entries)), params={"token": integ["secret"]}
                )
                assert r.status_code == 202

        storm = asyncio.gather(*(sender(k) for k in range(4)))
        slowest = 0.0
        while not storm.done():
            t = time.monotonic()
            r = await admin.get("/api/incidents")
            slowest = max(slowest, time.monotonic() - t)
            assert r.status_code == 200
            await asyncio.wait([storm], timeout=0.05)
        await storm
        assert slowest < 5
        page = (await admin.get("/api/incidents")).json()
        assert sorted(i["alert_count"] for i in page["items"]) == [500] * 4
