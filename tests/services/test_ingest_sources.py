"""Every source's real payload shape through ingestion: PagerDuty, Opsgenie, Datadog, Grafana,
generic JSON. SQLite and PostgreSQL."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from alertkit import alert_rows, body, fixture
from warroom.alerts.integrations import IntegrationSettings
from warroom.core import Core
from warroom.identity.models import Principal


@pytest.fixture
async def admin(people: Any) -> Principal:
    return await people("sarah", admin=True)


async def setup(core: Core, admin: Principal, source: str, **config: Any) -> dict[str, Any]:
    return await core.create_integration(
        admin, name=source, source=source, settings=IntegrationSettings(**config)
    )


async def send(
    core: Core, integ: dict[str, Any], payload: Any, delivery: str | None = None
) -> dict[str, Any]:
    out, _ = await core.receive_webhook(
        integ["id"], body(payload), {"authorization": f"Bearer {integ['secret']}"}, delivery_id=delivery
    )
    return out


async def test_pagerduty_triggered_acknowledged_resolved(core: Core, admin: Principal) -> None:
    integ = await setup(core, admin, "pagerduty")
    out = await send(core, integ, fixture("pagerduty-v3-incident-triggered.json"))
    assert out["incidents_opened"] == ["INC-1"]
    inc = await core.get_incident(admin, "INC-1")
    assert inc["title"] == "Database connection pool exhausted on user-api"
    assert inc["severity"] == "P0" and inc["service"] == "user-api"  # PagerDuty's P1 is the worst
    (alert,) = inc["alerts"]
    assert alert["source_key"] == "Q2K8DCB7QZ1NWY" and alert["severity_rule"]

    out = await send(core, integ, fixture("pagerduty-v3-incident-acknowledged.json"))
    assert out["incidents_acknowledged"] == ["INC-1"] and out["incidents_opened"] == []
    inc = await core.get_incident(admin, "INC-1")
    assert inc["status"] == "acknowledged" and inc["acknowledged_at"]
    tl = await core.incident_timeline(admin, "INC-1")
    ack = [i for i in tl["items"] if i["kind"] == "incident.acknowledged"]
    assert len(ack) == 1 and "pagerduty" in ack[0]["data"]["reason"]

    out = await send(core, integ, fixture("pagerduty-v3-incident-resolved.json"))
    assert out["incidents_resolved"] == ["INC-1"]
    assert (await core.get_incident(admin, "INC-1"))["status"] == "resolved"
    # A late acknowledge from PagerDuty never undoes the resolve.
    out = await send(core, integ, fixture("pagerduty-v3-incident-acknowledged.json"))
    assert out["incidents_acknowledged"] == []
    assert (await core.get_incident(admin, "INC-1"))["status"] == "resolved"


async def test_opsgenie_create_and_close(core: Core, admin: Principal) -> None:
    integ = await setup(core, admin, "opsgenie")
    create = fixture("opsgenie-create.json")
    out = await send(core, integ, create)
    assert out["incidents_opened"] == ["INC-1"]
    inc = await core.get_incident(admin, "INC-1")
    assert inc["service"] == "auth-service" and inc["severity"] == "P0"  # Opsgenie P1 is the worst
    close = copy.deepcopy(create)
    close["action"] = "Close"
    close["alert"]["status"] = "closed"
    out = await send(core, integ, close)
    assert out["resolved_alerts"] == 1 and out["incidents_resolved"] == ["INC-1"]
    (row,) = await core.db.read(alert_rows)
    assert row.status == "resolved" and row.source_key == "70413a06-38d6-4c85-92b8-5ebc900d42e2"


async def test_datadog_template_cycle(core: Core, admin: Principal) -> None:
    integ = await setup(core, admin, "datadog")
    fired = fixture("datadog-template.json")
    out = await send(core, integ, fired)
    assert out["incidents_opened"] == ["INC-1"]
    inc = await core.get_incident(admin, "INC-1")
    assert inc["service"] == "user-api" and inc["severity"] == "P0"  # Datadog's P1 is the worst
    assert inc["alerts"][0]["source_key"] == "7321546729281027400"
    # The same cycle re-notifying is a repeat; recovery resolves it.
    again = {**fired, "id": "7321546729281027999"}
    out = await send(core, integ, again)
    assert out["updated_alerts"] == 1 and out["new_alerts"] == 0
    recovered = {
        **fired,
        "alert_transition": "Recovered",
        "alert_status": "Recovered",
        "alert_type": "success",
    }
    out = await send(core, integ, recovered)
    assert out["incidents_resolved"] == ["INC-1"]
    # A new cycle is a new alert.
    out = await send(core, integ, {**fired, "alert_cycle_key": "7321546729281099999"})
    assert out["new_alerts"] == 1 and out["incidents_reopened"] == ["INC-1"]


async def test_grafana_unified_alerting(core: Core, admin: Principal) -> None:
    integ = await setup(core, admin, "grafana", severity_overrides={"high": "P0"})
    payload = fixture("grafana-unified-firing.json")
    out = await send(core, integ, payload)
    assert out["incidents_opened"] == ["INC-1"]
    inc = await core.get_incident(admin, "INC-1")
    assert inc["service"] == "payment-api" and inc["severity"] == "P0"  # the override applies
    (a,) = inc["alerts"]
    assert a["fingerprint"] == "2c7d9e0f1a3b4c5d" and "override" in a["severity_rule"].lower()
    assert a["links"]["dashboard"].startswith("https://grafana.example.com/d/payments")
    assert a["links"]["silence"].startswith("https://grafana.example.com/alerting/silence")
    resolved = copy.deepcopy(payload)
    resolved["status"] = "resolved"
    resolved["alerts"][0]["status"] = "resolved"
    resolved["alerts"][0]["endsAt"] = "2026-11-21T03:30:00Z"
    out = await send(core, integ, resolved)
    assert out["incidents_resolved"] == ["INC-1"]


async def test_generic_json_and_idempotency_key(core: Core, admin: Principal) -> None:
    integ = await setup(core, admin, "generic")
    payload = fixture("generic.json")
    out = await send(core, integ, payload, delivery="k-1")
    assert out["incidents_opened"] == ["INC-1"]
    replay, replayed = await core.receive_webhook(
        "generic", body(payload), {"authorization": f"Bearer {integ['secret']}"}, delivery_id="k-1"
    )
    assert replayed and replay == out
    inc = await core.get_incident(admin, "INC-1")
    assert inc["service"] == "postgres" and inc["severity"] == "P1"
    assert inc["alerts"][0]["count"] == 1  # the replay changed nothing
    out = await send(core, integ, [{**payload, "status": "resolved"}])
    assert out["incidents_resolved"] == ["INC-1"]


async def test_unknown_severity_is_mapped_by_a_stated_rule(core: Core, admin: Principal) -> None:
    integ = await setup(core, admin, "generic", default_severity="P3")
    await send(core, integ, {"title": "odd", "severity": "purple", "service": "x"})
    (row,) = await core.db.read(alert_rows)
    assert row.severity == 3 and "purple" in row.severity_rule
