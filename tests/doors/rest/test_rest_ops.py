"""Operations endpoints: health, readiness, Prometheus metrics, OpenAPI and its docs page."""

from __future__ import annotations

import re
from typing import Any

from rest_kit import publish, sse


def metric(text: str, name: str, labels: str = "") -> float:
    m = re.search(rf"^{re.escape(name)}{re.escape(labels)} ([0-9.e+]+)$", text, re.MULTILINE)
    return float(m.group(1)) if m else 0.0


async def test_health_ready_metrics_docs(live_server: Any) -> None:
    async with live_server.client() as c:
        r = await c.get("/healthz")
        assert r.status_code == 200 and r.json()["status"] == "ok" and r.json()["version"]
        r = await c.get("/readyz")
        assert r.status_code == 200 and r.json()["status"] == "ready"
        assert r.json()["database"] == live_server.core.db.dialect

        await c.post("/api/channels", json={"id": "incidents"})
        before = (await c.get("/metrics")).text
        m = await publish(c, "incidents", "counted")
        await c.post("/api/channels/incidents/messages", json={"title": "counted", "idempotency_key": "k"})
        await c.post("/api/channels/incidents/messages", json={"title": "counted", "idempotency_key": "k"})
        r = await c.get("/metrics")
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
        after = r.text
        name, labels = "warroom_messages_published_total", '{channel="incidents"}'
        # Two new messages; the idempotent replay is not a publish.
        assert metric(after, name, labels) - metric(before, name, labels) == 2
        assert "warroom_http_request_duration_seconds_bucket" in after
        assert 'route="/api/channels/{channel}/messages"' in after
        assert (await c.get("/readyz")).json()["last_event_id"] >= m["id"]

        async with sse(c, "/api/stream", params={"since": m["id"]}) as st:
            await st.next()
            during = (await c.get("/metrics")).text
            assert metric(during, "warroom_stream_clients", '{transport="sse"}') == 1

        spec = (await c.get("/openapi.json")).json()
        assert spec["info"]["title"] == "warroom"
        paths = spec["paths"]
        for path in (
            "/api/channels",
            "/api/channels/{channel}/messages",
            "/api/stream",
            "/api/messages",
            "/api/threads/{thread_id}",
            "/api/subscriptions",
            "/api/unread",
            "/api/tokens",
            "/api/me",
        ):
            assert path in paths, path
        params = [p["name"] for p in paths["/api/stream"]["get"]["parameters"]]
        assert params.count("since") == 1  # one meaning: the event id to resume after
        docs = await c.get("/docs")
        assert docs.status_code == 200 and "swagger" in docs.text.lower() and "/openapi.json" in docs.text
        r = await c.get("/api/nothing-here")
        assert r.status_code == 404 and "/docs" in r.json()["error"]["message"]
