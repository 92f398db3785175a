"""Alert payload builders and store probes shared by the ingestion tests (services, doors, e2e).

Webhook bodies follow the shapes in tests/fixtures/webhooks/; counts are read straight from
the tables so a test can assert that something did *not* happen.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from warroom.alerts.fingerprint import label_hash
from warroom.store.tables import alerts, events, incidents

WEBHOOKS = Path(__file__).resolve().parent / "fixtures" / "webhooks"
ZERO_TIME = "0001-01-01T00:00:00Z"


def fixture(name: str) -> dict[str, Any]:
    return dict(json.loads((WEBHOOKS / name).read_text()))


def fixture_bytes(name: str) -> bytes:
    return (WEBHOOKS / name).read_bytes()


def iso(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def am_alert(
    alertname: str = "HighErrorRate",
    instance: str = "api-1:9100",
    *,
    service: str = "user-api",
    severity: str = "critical",
    status: str = "firing",
    starts_at: str = "2026-11-21T02:47:00Z",
    ends_at: str | None = None,
    with_fingerprint: bool = True,
    **labels: str,
) -> dict[str, Any]:
    """One entry of an Alertmanager v4 `alerts[]`, fingerprinted like Alertmanager does."""
    all_labels = {"alertname": alertname, "service": service, "severity": severity, "instance": instance}
    all_labels.update(labels)
    entry: dict[str, Any] = {
        "status": status,
        "labels": all_labels,
        "annotations": {"summary": f"{alertname} on {service}", "description": f"{instance} is unhappy"},
        "startsAt": starts_at,
        "endsAt": ends_at or (iso(datetime.now(UTC)) if status == "resolved" else ZERO_TIME),
        "generatorURL": "http://prometheus.example.com:9090/graph?g0.expr=up",
    }
    if with_fingerprint:
        entry["fingerprint"] = label_hash(all_labels)
    return entry


def resolved(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    now = iso(datetime.now(UTC))
    return [{**e, "status": "resolved", "endsAt": now} for e in entries]


def am_payload(entries: list[dict[str, Any]], *, receiver: str = "warroom") -> dict[str, Any]:
    """An Alertmanager webhook v4 notification carrying `entries`."""
    status = "firing" if any(e["status"] == "firing" for e in entries) else "resolved"
    common = dict(entries[0]["labels"]) if entries else {}
    for e in entries[1:]:
        common = {k: v for k, v in common.items() if e["labels"].get(k) == v}
    return {
        "version": "4",
        "groupKey": '{}:{alertname="' + common.get("alertname", "") + '"}',
        "truncatedAlerts": 0,
        "status": status,
        "receiver": receiver,
        "groupLabels": {k: v for k, v in common.items() if k in ("alertname", "service")},
        "commonLabels": common,
        "commonAnnotations": {},
        "externalURL": "http://alertmanager.example.com:9093",
        "alerts": entries,
    }


def forty_alerts(alertname: str = "HighErrorRate", severity: str = "critical") -> list[dict[str, Any]]:
    """The 02:47 storm: 40 alerts, one alertname, four instances of user-api (10 endpoints each)."""
    return [
        am_alert(alertname, f"api-{i}:9100", severity=severity, endpoint=f"/v1/e{j}")
        for i in range(1, 5)
        for j in range(10)
    ]


def body(payload: Any) -> bytes:
    return json.dumps(payload).encode()


# -- probes, run inside a read transaction: `await core.db.read(count_events)` ---------------


# What incidents themselves write. Other features react to these on their own schedule (the
# analysis pipeline, paging, postmortems); the tests here count only the incident's own changes.
LIFECYCLE_KINDS = frozenset(
    {
        "incident.triggered",
        "incident.acknowledged",
        "incident.status_changed",
        "incident.resolved",
        "incident.reopened",
        "incident.note_added",
        "incident.assigned",
        "incident.severity_changed",
        "incident.merged",
        "incident.alerts_changed",
    }
)


def _own(kind: str, data: Any) -> bool:
    if kind == "message.published":
        sender = (data or {}).get("sender") or {}
        return "analysis" not in str(sender.get("name") or "")
    return not kind.startswith("incident.") or kind in LIFECYCLE_KINDS


def count_events(conn: Any, kind: str | None = None) -> int:
    """Events on the log, without the side effects other features add asynchronously."""
    q = select(events.c.kind, events.c.data)
    if kind is not None:
        q = q.where(events.c.kind == kind)
    return sum(1 for r in conn.execute(q) if _own(r.kind, r.data))


def count_incidents(conn: Any) -> int:
    return int(conn.execute(select(func.count()).select_from(incidents)).scalar_one())


def alert_rows(conn: Any) -> list[Any]:
    return list(conn.execute(select(alerts).order_by(alerts.c.id)).all())


# Written by the analysis pipeline on its own schedule, not by the change under test.
BACKGROUND_KINDS = ("incident.analysis", "incident.postmortem")


def thread_kinds(conn: Any, thread_id: str) -> list[str]:
    rows = conn.execute(
        select(events.c.kind, events.c.data).where(events.c.thread_id == thread_id).order_by(events.c.id)
    )
    return [r.kind for r in rows if _own(r.kind, r.data)]


def ago(seconds: float) -> datetime:
    return datetime.now(UTC) - timedelta(seconds=seconds)
