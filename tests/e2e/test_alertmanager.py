"""End to end with a real Prometheus Alertmanager posting its own webhooks to warroom.

Alerts are pushed into Alertmanager's API (as Prometheus would); Alertmanager groups them and
notifies warroom's webhook with the integration's token in the URL. One incident must open for
the four instances of user-api, and resolve when Alertmanager sends the resolved notification.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from amkit import alertmanager, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.parametrize("backend", ["sqlite"], indirect=True)]


def rfc3339(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def alerts(ends_at: datetime | None = None) -> list[dict[str, Any]]:
    now = datetime.now(UTC)
    out = []
    for i in range(1, 5):
        a: dict[str, Any] = {
            "labels": {
                "alertname": "DatabaseConnectionPoolExhausted",
                "service": "user-api",
                "severity": "critical",
                "env": "production",
                "instance": f"api-{i}:9100",
            },
            "annotations": {
                "summary": "Database connection pool exhausted",
                "runbook_url": "https://runbooks.example.com/db",
            },
            "startsAt": rfc3339(now - timedelta(minutes=5)),
            "generatorURL": "http://prometheus.example.com:9090/graph?g0.expr=db_pool_in_use",
        }
        if ends_at is not None:
            a["endsAt"] = rfc3339(ends_at)
        out.append(a)
    return out


async def test_alertmanager_opens_one_incident_and_resolves_it(live_server: Any, tmp_path: Path) -> None:
    async with live_server.client(live_server.token("sarah", admin=True)) as c:
        r = await c.post("/api/integrations", json={"name": "prod", "source": "alertmanager"})
        assert r.status_code == 201, r.text
        hook = r.json()["webhook_url_with_token"].replace(
            r.json()["webhook_url"].split("/api/")[0], live_server.url
        )

        with alertmanager(hook, tmp_path / "am") as am:
            am.push(alerts())

            async def opened() -> Any:
                items = (await c.get("/api/incidents")).json()["items"]
                return items if items and items[0]["alert_count"] == 4 else None

            try:
                items = await wait_for(opened, timeout=20, interval=0.1)
            except AssertionError:
                raise AssertionError(f"no incident with 4 alerts; alertmanager log:\n{am.logs()}") from None
            assert len(items) == 1
            inc = items[0]
            assert inc["id"] == "INC-1" and inc["severity"] == "P0" and inc["service"] == "user-api"
            assert inc["firing_count"] == 4 and inc["status"] == "triggered"
            full = (await c.get("/api/incidents/INC-1")).json()
            assert {a["source"] for a in full["alerts"]} == {"alertmanager"}
            assert sorted(a["labels"]["instance"] for a in full["alerts"]) == [
                f"api-{i}:9100" for i in range(1, 5)
            ]
            assert all(a["links"].get("runbook") == "https://runbooks.example.com/db" for a in full["alerts"])

            # Prometheus stops firing them: the same alerts with endsAt in the past.
            am.push(alerts(ends_at=datetime.now(UTC) - timedelta(seconds=1)))

            async def resolved() -> Any:
                got = (await c.get("/api/incidents/INC-1")).json()
                return got if got["status"] == "resolved" else None

            try:
                done = await wait_for(resolved, timeout=20, interval=0.1)
            except AssertionError:
                raise AssertionError(f"INC-1 did not resolve; alertmanager log:\n{am.logs()}") from None
            assert done["firing_count"] == 0 and {a["status"] for a in done["alerts"]} == {"resolved"}
            all_items = (await c.get("/api/incidents", params={"status": "all"})).json()["items"]
            assert [i["id"] for i in all_items] == ["INC-1"]  # resends never opened another
