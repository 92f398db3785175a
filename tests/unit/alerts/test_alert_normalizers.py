"""Every fixture normalizes to the values a responder would expect, and bad bodies say where."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from warroom.alerts import (
    AlertAction,
    AlertSource,
    AlertStatus,
    IntegrationConfig,
    PayloadError,
    UnknownSourceError,
    normalize,
    normalize_body,
)
from warroom.alerts.fingerprint import label_hash
from warroom.alerts.normalizers.alertmanager import _quote_all
from warroom.alerts.normalizers.datadog import DATADOG_TEMPLATE
from warroom.priority import Priority

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "webhooks"


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


# --- Alertmanager -----------------------------------------------------------------------


def test_alertmanager_firing_fixture() -> None:
    first, second = normalize("alertmanager", load("alertmanager-v4-firing.json"))
    assert first.source is AlertSource.ALERTMANAGER
    assert first.fingerprint == "5f0c8a7d3e1b2a49"
    assert second.fingerprint == "9b3e1f20c4d5a678"
    assert first.status is AlertStatus.FIRING
    assert first.action is AlertAction.FIRE
    assert first.title == "Database connection pool exhausted (100/100 in use)"
    assert first.description == "Error rate 0% -> 98% in 5 minutes; request queue 1,247 pending."
    assert first.severity is Priority.CRITICAL
    assert first.severity_rule == "label severity=critical → P0 (built-in)"
    assert first.service == "user-api"
    assert first.labels["instance"] == "api-1:9100"
    assert second.labels["instance"] == "api-2:9100"
    assert first.starts_at == datetime(2026, 11, 21, 2, 47, tzinfo=UTC)
    assert first.ends_at is None  # Go's zero time means "not ended"
    assert first.links.generator == (
        "http://prometheus.example.com:9090/graph?g0.expr=db_pool_in_use+%3E%3D+100"
    )
    assert first.links.runbook == "https://runbooks.example.com/db-pool"
    assert first.links.silence is not None
    assert first.links.silence.startswith("http://alertmanager.example.com:9093/#/silences/new?filter=%7B")
    assert "instance%3D%22api-1%3A9100%22" in first.links.silence
    assert first.raw["fingerprint"] == "5f0c8a7d3e1b2a49"


def test_alertmanager_resolved_fixture_keeps_fingerprints_and_sets_end() -> None:
    firing = normalize("alertmanager", load("alertmanager-v4-firing.json"))
    resolved = normalize("alertmanager", load("alertmanager-v4-resolved.json"))
    assert [a.fingerprint for a in resolved] == [a.fingerprint for a in firing]
    assert [a.status for a in resolved] == [AlertStatus.RESOLVED] * 2
    assert [a.action for a in resolved] == [AlertAction.RESOLVE] * 2
    assert resolved[0].ends_at == at("2026-11-21T02:59:00Z")
    assert resolved[1].ends_at == at("2026-11-21T02:59:10Z")


def test_alertmanager_uses_each_alerts_own_labels_not_common_labels() -> None:
    payload = load("alertmanager-v4-firing.json")
    payload["commonLabels"] = {"service": "wrong"}
    alerts = normalize("alertmanager", payload)
    assert {a.service for a in alerts} == {"user-api"}


def test_alertmanager_service_fallbacks_follow_configured_order() -> None:
    payload = load("alertmanager-v4-firing.json")
    for entry in payload["alerts"]:
        del entry["labels"]["service"]
        entry["labels"]["job"] = "node"
        entry["labels"]["app"] = "user-api-app"
    assert normalize("alertmanager", payload)[0].service == "user-api-app"
    job_first = IntegrationConfig.build(service_labels=["job", "app"])
    assert normalize("alertmanager", payload, job_first)[0].service == "node"
    for entry in payload["alerts"]:
        del entry["labels"]["app"], entry["labels"]["job"]
    assert normalize("alertmanager", payload)[0].service is None


def test_alertmanager_without_fingerprint_hashes_labels() -> None:
    payload = load("alertmanager-v4-firing.json")
    del payload["alerts"][0]["fingerprint"]
    alert = normalize("alertmanager", payload)[0]
    assert alert.fingerprint == label_hash(payload["alerts"][0]["labels"])
    assert len(alert.fingerprint) == 16


def test_dedup_fields_override_the_sources_fingerprint() -> None:
    config = IntegrationConfig.build(dedup_fields=["alertname", "service"])
    first, second = normalize("alertmanager", load("alertmanager-v4-firing.json"), config)
    assert first.fingerprint == second.fingerprint  # both instances collapse into one alert
    assert first.fingerprint != "5f0c8a7d3e1b2a49"
    assert first.source_key == "5f0c8a7d3e1b2a49"  # the source's id is still there


def test_alertmanager_title_falls_back_to_alertname_and_severity_to_default() -> None:
    payload = load("alertmanager-v4-firing.json")
    entry = payload["alerts"][0]
    entry["annotations"] = {}
    del entry["labels"]["severity"]
    alert = normalize("alertmanager", payload)[0]
    assert alert.title == "DatabaseConnectionPoolExhausted"
    assert alert.description == ""
    assert alert.severity is Priority.MEDIUM
    assert alert.severity_rule == (
        "no severity given (looked at label severity, label priority) → P2 (default for missing)"
    )


def test_alertmanager_severity_override_and_unknown_default() -> None:
    payload = load("alertmanager-v4-firing.json")
    payload["alerts"][0]["labels"]["severity"] = "disaster"
    alert = normalize("alertmanager", payload)[0]
    assert alert.severity is Priority.MEDIUM
    assert alert.severity_rule == "label severity: unknown value 'disaster' → P2 (default for unknown)"
    config = IntegrationConfig.build(severity_overrides={"Disaster": "P0"}, default_severity="low")
    alert = normalize("alertmanager", payload, config)[0]
    assert alert.severity is Priority.CRITICAL
    assert alert.severity_rule == "label severity=disaster → P0 (integration override)"


def test_unsafe_links_are_dropped_not_rendered() -> None:
    payload = load("alertmanager-v4-firing.json")
    payload["alerts"][0]["generatorURL"] = "javascript:alert(1)"
    payload["alerts"][0]["annotations"]["runbook_url"] = "/relative/path"
    alert = normalize("alertmanager", payload)[0]
    assert alert.links.generator is None
    assert alert.links.runbook is None


def test_alertmanager_nanosecond_and_offset_times_become_utc() -> None:
    payload = load("alertmanager-v4-firing.json")
    payload["alerts"][0]["startsAt"] = "2026-11-21T04:47:00.123456789+02:00"
    alert = normalize("alertmanager", payload)[0]
    assert alert.starts_at == datetime(2026, 11, 21, 2, 47, 0, 123456, tzinfo=UTC)


@pytest.mark.parametrize(
    ("mutate", "path", "expected"),
    [
        (lambda p: p.pop("alerts"), "alerts", "is required and must be an array of objects"),
        (lambda p: p.update(alerts={}), "alerts", "must be an array of objects, got an object"),
        (lambda p: p["alerts"].append(3), "alerts[2]", "must be an object, got a number"),
        (
            lambda p: p["alerts"][1].update(labels=["a"]),
            "alerts[1].labels",
            "must be an object of strings, got an array",
        ),
        (
            lambda p: p["alerts"][1]["labels"].update(port=9100),
            "alerts[1].labels",
            "must be an object of strings; alerts[1].labels.port is a number",
        ),
        (
            lambda p: p["alerts"][0].update(status="pending"),
            "alerts[0].status",
            "must be one of firing, resolved, got 'pending'",
        ),
        (lambda p: p["alerts"][0].pop("status"), "alerts[0].status", "is required"),
        (
            lambda p: p["alerts"][0].update(startsAt="yesterday"),
            "alerts[0].startsAt",
            "must be an ISO 8601 time",
        ),
        (lambda p: p["alerts"][0].update(fingerprint=7), "alerts[0].fingerprint", "must be a string"),
    ],
)
def test_alertmanager_errors_name_the_field(mutate: Any, path: str, expected: str) -> None:
    payload = load("alertmanager-v4-firing.json")
    mutate(payload)
    with pytest.raises(PayloadError) as caught:
        normalize("alertmanager", payload)
    assert caught.value.path == path
    assert str(caught.value).startswith(f"{path} {expected}")
    assert caught.value.field == path  # the core hierarchy carries it to every door
    assert caught.value.status == 400  # the door refuses the whole delivery


def test_payload_that_is_not_an_object() -> None:
    with pytest.raises(PayloadError, match=r"^payload must be a JSON object, got an array$"):
        normalize("alertmanager", [])


# --- Grafana ----------------------------------------------------------------------------


def test_grafana_fixture() -> None:
    (alert,) = normalize("grafana", load("grafana-unified-firing.json"))
    assert alert.source is AlertSource.GRAFANA
    assert alert.fingerprint == "2c7d9e0f1a3b4c5d"
    assert alert.status is AlertStatus.FIRING
    assert alert.title == "p99 latency above 2s on payment-api"
    assert alert.description == "p99 latency 2.31s for 5 minutes"
    assert alert.severity is Priority.HIGH
    assert alert.severity_rule == "label severity=high → P1 (built-in)"
    assert alert.service == "payment-api"
    assert alert.labels["grafana_folder"] == "Production"
    assert alert.starts_at == at("2026-11-21T03:10:00Z")
    assert alert.ends_at is None
    assert alert.links.generator == "https://grafana.example.com/alerting/grafana/bf2k3q9xyz/view?orgId=1"
    assert alert.links.dashboard == "https://grafana.example.com/d/payments?orgId=1"
    assert alert.links.panel == "https://grafana.example.com/d/payments?orgId=1&viewPanel=4"
    assert alert.links.silence == (
        "https://grafana.example.com/alerting/silence/new?alertmanager=grafana"
        "&matcher=alertname%3DPaymentLatencyHigh"
    )
    assert str(alert.raw["valueString"]).startswith("[ var='B'")


def test_grafana_errors_name_the_field() -> None:
    payload = load("grafana-unified-firing.json")
    payload["alerts"][0]["dashboardURL"] = {"url": "x"}
    with pytest.raises(PayloadError, match=r"^alerts\[0\]\.dashboardURL must be a string, got an object$"):
        normalize("grafana", payload)


# --- PagerDuty --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "status", "action"),
    [
        ("pagerduty-v3-incident-triggered.json", AlertStatus.FIRING, AlertAction.FIRE),
        ("pagerduty-v3-incident-acknowledged.json", AlertStatus.FIRING, AlertAction.ACKNOWLEDGE),
        ("pagerduty-v3-incident-resolved.json", AlertStatus.RESOLVED, AlertAction.RESOLVE),
    ],
)
def test_pagerduty_fixtures(name: str, status: AlertStatus, action: AlertAction) -> None:
    (alert,) = normalize("pagerduty", load(name))
    assert alert.source is AlertSource.PAGERDUTY
    assert alert.fingerprint == "Q2K8DCB7QZ1NWY"
    assert alert.source_key == "Q2K8DCB7QZ1NWY"
    assert alert.status is status
    assert alert.action is action
    assert alert.source_event == name.removeprefix("pagerduty-v3-").removesuffix(".json").replace("-", ".")
    assert alert.title == "Database connection pool exhausted on user-api"
    assert alert.service == "user-api"
    assert alert.severity is Priority.CRITICAL
    assert alert.severity_rule == "priority=P1 → P0 (built-in, PagerDuty priority P1–P5)"
    assert alert.labels["incident_key"] == "db-pool-user-api"
    assert alert.labels["incident_number"] == "4211"
    assert alert.labels["urgency"] == "high"
    assert alert.starts_at == at("2026-11-21T02:47:05Z")
    assert alert.links.source == "https://acme.pagerduty.com/incidents/Q2K8DCB7QZ1NWY"


def test_pagerduty_resolved_carries_reason_and_end() -> None:
    (alert,) = normalize("pagerduty", load("pagerduty-v3-incident-resolved.json"))
    assert alert.description == "Rolled back to v2.4.2"
    assert alert.annotations == {"resolve_reason": "Rolled back to v2.4.2"}
    assert alert.ends_at == datetime(2026, 11, 21, 2, 59, 2, 771000, tzinfo=UTC)


def test_pagerduty_urgency_when_no_priority() -> None:
    payload = load("pagerduty-v3-incident-triggered.json")
    payload["event"]["data"]["priority"] = None
    payload["event"]["data"]["urgency"] = "low"
    (alert,) = normalize("pagerduty", payload)
    assert alert.severity is Priority.LOW
    assert alert.severity_rule == "urgency=low → P3 (built-in, PagerDuty urgency)"


def test_pagerduty_custom_priority_name_falls_back_to_urgency() -> None:
    payload = load("pagerduty-v3-incident-triggered.json")
    payload["event"]["data"]["priority"]["summary"] = "SEV-1"
    (alert,) = normalize("pagerduty", payload)
    assert alert.severity is Priority.HIGH
    assert alert.severity_rule.startswith("urgency=high → P1")


def test_pagerduty_other_incident_events_are_updates() -> None:
    payload = load("pagerduty-v3-incident-acknowledged.json")
    payload["event"]["event_type"] = "incident.reassigned"
    (alert,) = normalize("pagerduty", payload)
    assert alert.action is AlertAction.UPDATE
    assert alert.status is AlertStatus.FIRING
    payload["event"]["data"]["status"] = "resolved"
    assert normalize("pagerduty", payload)[0].status is AlertStatus.RESOLVED


def test_pagerduty_non_incident_events_yield_nothing() -> None:
    ping = {"event": {"id": "x", "event_type": "pagey.ping", "resource_type": "pagey", "data": None}}
    assert normalize("pagerduty", ping) == []
    note = load("pagerduty-v3-incident-triggered.json")
    note["event"]["event_type"] = "incident.annotated"
    note["event"]["data"] = {"type": "incident_note", "content": "looking", "incident": {"id": "Q2"}}
    assert normalize("pagerduty", note) == []


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda p: p.pop("event"), "event is required and must be an object"),
        (lambda p: p["event"].pop("event_type"), "event.event_type is required"),
        (lambda p: p["event"]["data"].pop("id"), "event.data.id is required"),
        (lambda p: p["event"]["data"].update(service="user-api"), "event.data.service must be an object"),
        (lambda p: p["event"]["data"].update(created_at=5), "event.data.created_at must be an ISO 8601"),
    ],
)
def test_pagerduty_errors_name_the_field(mutate: Any, message: str) -> None:
    payload = load("pagerduty-v3-incident-triggered.json")
    mutate(payload)
    with pytest.raises(PayloadError) as caught:
        normalize("pagerduty", payload)
    assert str(caught.value).startswith(message)


# --- Datadog ----------------------------------------------------------------------------


def test_datadog_fixture() -> None:
    (alert,) = normalize("datadog", load("datadog-template.json"))
    assert alert.source is AlertSource.DATADOG
    assert alert.fingerprint == "7321546729281027400"
    assert alert.source_key == "7321546729281027400"
    assert alert.status is AlertStatus.FIRING
    assert alert.source_event == "Triggered"
    assert alert.title == "Error rate above 50%"
    assert alert.description == "Error rate is 98.2% on user-api (threshold 50%)."
    assert alert.severity is Priority.CRITICAL
    assert alert.severity_rule == "priority=P1 → P0 (built-in, Datadog monitor priority P1–P5)"
    assert alert.service == "user-api"
    assert alert.labels == {
        "env": "production",
        "service": "user-api",
        "team": "backend",
        "alertname": "Error rate above 50%",
        "host": "api-1",
        "monitor_id": "132456789",
        "priority": "P1",
        "alert_type": "error",
    }
    assert alert.starts_at == datetime.fromtimestamp(1763693220, tz=UTC)
    assert alert.links.source == "https://app.datadoghq.com/event/event?id=7321546729281027415"


def test_datadog_recovery_keeps_fingerprint_and_title() -> None:
    payload = load("datadog-template.json")
    triggered = normalize("datadog", payload)[0]
    payload.update(
        title="[P1] [Recovered on {service:user-api}] Error rate above 50%",
        alert_transition="Recovered",
        alert_status="Recovered",
        alert_type="success",
    )
    recovered = normalize("datadog", payload)[0]
    assert recovered.status is AlertStatus.RESOLVED
    assert recovered.action is AlertAction.RESOLVE
    assert recovered.fingerprint == triggered.fingerprint
    assert recovered.title == triggered.title


def test_datadog_severity_falls_back_to_alert_type_then_event_priority() -> None:
    payload = load("datadog-template.json")
    payload["priority"] = "normal"
    alert = normalize("datadog", payload)[0]
    assert alert.severity is Priority.HIGH
    assert alert.severity_rule == "alert_type=error → P1 (built-in, Datadog alert type)"
    payload["alert_type"] = ""
    alert = normalize("datadog", payload)[0]
    assert alert.severity is Priority.MEDIUM
    assert alert.severity_rule == "priority=normal → P2 (built-in, Datadog event priority)"


def test_datadog_empty_variables_read_as_unset() -> None:
    payload = {key: "" for key in load("datadog-template.json")}
    (alert,) = normalize("datadog", payload)
    assert alert.title == "Datadog alert"
    assert alert.status is AlertStatus.FIRING
    assert len(alert.fingerprint) == 16  # no cycle key: a hash of the labels
    assert alert.service is None


def test_datadog_multi_value_and_bare_tags() -> None:
    payload = load("datadog-template.json")
    payload["tags"] = "env:prod, env:canary,critical,env:prod"
    labels = normalize("datadog", payload)[0].labels
    assert labels["env"] == "prod,canary"
    assert labels["critical"] == ""


def test_datadog_template_is_the_shape_we_parse() -> None:
    template = json.loads(DATADOG_TEMPLATE)
    assert set(template) == set(load("datadog-template.json"))


def test_datadog_bad_date() -> None:
    payload = load("datadog-template.json")
    payload["date"] = "last tuesday"
    with pytest.raises(PayloadError, match=r"^date must be a Unix time in milliseconds"):
        normalize("datadog", payload)


# --- Opsgenie ---------------------------------------------------------------------------


def test_opsgenie_fixture() -> None:
    (alert,) = normalize("opsgenie", load("opsgenie-create.json"))
    assert alert.source is AlertSource.OPSGENIE
    assert alert.fingerprint == "70413a06-38d6-4c85-92b8-5ebc900d42e2"
    assert alert.source_key == "70413a06-38d6-4c85-92b8-5ebc900d42e2"
    assert alert.status is AlertStatus.FIRING
    assert alert.action is AlertAction.FIRE
    assert alert.source_event == "Create"
    assert alert.title == "Brute force attack detected on login endpoints"
    assert alert.description == "Credential stuffing, 10,000 attempts/minute against /login"
    assert alert.severity is Priority.CRITICAL
    assert alert.severity_rule == "alert.priority=P1 → P0 (built-in, Opsgenie priority P1–P5)"
    assert alert.service == "auth-service"
    assert alert.labels["rate"] == "10000/min"
    assert alert.labels["alias"] == "bruteforce-login-auth-service"
    assert alert.labels["tags"] == "security,p0,confidential"
    assert alert.labels["team"] == "security"
    assert alert.starts_at == datetime.fromtimestamp(1763693100, tz=UTC)
    assert alert.ends_at is None


@pytest.mark.parametrize(
    ("action", "status", "expected"),
    [
        ("Close", AlertStatus.RESOLVED, AlertAction.RESOLVE),
        ("Acknowledge", AlertStatus.FIRING, AlertAction.ACKNOWLEDGE),
        ("UnAcknowledge", AlertStatus.FIRING, AlertAction.UNACKNOWLEDGE),
        ("AddNote", AlertStatus.FIRING, AlertAction.UPDATE),
        ("Delete", AlertStatus.RESOLVED, AlertAction.RESOLVE),
    ],
)
def test_opsgenie_actions(action: str, status: AlertStatus, expected: AlertAction) -> None:
    payload = load("opsgenie-create.json")
    payload["action"] = action
    (alert,) = normalize("opsgenie", payload)
    assert (alert.status, alert.action, alert.source_event) == (status, expected, action)
    if status is AlertStatus.RESOLVED:
        assert alert.ends_at == datetime.fromtimestamp(1763693100, tz=UTC)


def test_opsgenie_priority_table_and_entity_fallback() -> None:
    payload = load("opsgenie-create.json")
    del payload["alert"]["details"]["service"]
    for raw, expected in [("P2", "high"), ("P3", "medium"), ("P4", "low"), ("P5", "low")]:
        payload["alert"]["priority"] = raw
        alert = normalize("opsgenie", payload)[0]
        assert alert.severity == expected
        assert alert.service == "auth-service"  # from entity


def test_opsgenie_errors_name_the_field() -> None:
    payload = load("opsgenie-create.json")
    payload["alert"]["details"]["rate"] = 10000
    with pytest.raises(
        PayloadError, match=r"^alert\.details must be an object of strings; alert\.details\.rate"
    ):
        normalize("opsgenie", payload)
    payload = load("opsgenie-create.json")
    payload["alert"]["tags"] = "security"
    with pytest.raises(PayloadError, match=r"^alert\.tags must be an array of strings"):
        normalize("opsgenie", payload)


# --- generic ----------------------------------------------------------------------------


def test_generic_fixture() -> None:
    (alert,) = normalize("generic", load("generic.json"))
    assert alert.source is AlertSource.GENERIC
    assert alert.fingerprint == "disk-full-db-replica-3"
    assert alert.status is AlertStatus.FIRING
    assert alert.title == "Disk 95% full on db-replica-3"
    assert alert.description == "/var/lib/postgresql at 95% (threshold 90%)"
    assert alert.severity is Priority.HIGH
    assert alert.severity_rule == "severity=high → P1 (built-in)"
    assert alert.service == "postgres"
    assert alert.labels == {
        "host": "db-replica-3",
        "mount": "/var/lib/postgresql",
        "alertname": "Disk 95% full on db-replica-3",
        "service": "postgres",
    }
    assert alert.starts_at == at("2026-11-21T04:02:00Z")
    assert alert.links.source == "https://monitoring.example.com/hosts/db-replica-3"


def test_generic_minimal_and_batch() -> None:
    alerts = normalize("generic", [{"title": "a"}, {"title": "b", "severity": 5, "status": "RESOLVED"}])
    assert [a.title for a in alerts] == ["a", "b"]
    assert alerts[0].severity is Priority.MEDIUM
    assert alerts[0].severity_rule == "no severity given → P2 (default for missing)"
    assert alerts[0].fingerprint == label_hash({"alertname": "a"})
    assert alerts[1].severity is Priority.CRITICAL  # ntfy's 5
    assert alerts[1].status is AlertStatus.RESOLVED


def test_generic_canonical_fields_win_over_aliases() -> None:
    body = {
        "title": "t",
        "fingerprint": "fp",
        "dedup_key": "dk",
        "starts_at": 1_700_000_000,
        "timestamp": "2020-01-01T00:00:00",
        "links": {"source": "https://a.example/", "runbook": "https://rb.example/"},
        "url": "https://b.example/",
    }
    (alert,) = normalize("generic", body)
    assert alert.fingerprint == "fp"
    assert alert.starts_at == datetime.fromtimestamp(1_700_000_000, tz=UTC)
    assert alert.links.source == "https://a.example/"
    assert alert.links.runbook == "https://rb.example/"


def test_generic_naive_time_means_utc() -> None:
    (alert,) = normalize("generic", {"title": "t", "starts_at": "2026-01-12T02:47:00"})
    assert alert.starts_at == datetime(2026, 1, 12, 2, 47, tzinfo=UTC)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "title is required and must be a non-empty string"),
        ({"title": "  "}, "title is required and must be a non-empty string"),
        ({"title": 3}, "title must be a string, got a number"),
        ({"title": "t", "severity": True}, "severity must be a string or an integer"),
        ({"title": "t", "status": "open"}, "status must be one of firing, resolved, got 'open'"),
        ({"title": "t", "labels": {"a": None}}, "labels must be an object of strings; labels.a is null"),
        ({"title": "t", "links": []}, "links must be an object, got an array"),
        ({"title": "t", "starts_at": 1e300}, "starts_at is out of range for a Unix time in seconds"),
        ({"title": "t", "ends_at": [1]}, "ends_at must be an ISO 8601 time"),
    ],
)
def test_generic_errors_name_the_field(body: dict[str, Any], message: str) -> None:
    with pytest.raises(PayloadError) as caught:
        normalize("generic", body)
    assert str(caught.value).startswith(message)


def test_generic_batch_error_names_the_index() -> None:
    with pytest.raises(PayloadError, match=r"^\[1\]\.title is required"):
        normalize("generic", [{"title": "ok"}, {"severity": "high"}])


def test_odd_keys_are_quoted_in_paths() -> None:
    with pytest.raises(
        PayloadError,
        match=r"^labels\['my label'\]|^labels must be an object of strings; labels\['my label'\]",
    ):
        normalize("generic", {"title": "t", "labels": {"my label": 1}})


# --- dispatcher -------------------------------------------------------------------------


def test_normalize_body_parses_json_and_rejects_garbage() -> None:
    raw = (FIXTURES / "generic.json").read_bytes()
    assert normalize_body("generic", raw)[0].title == "Disk 95% full on db-replica-3"
    with pytest.raises(PayloadError, match=r"^payload must be valid JSON"):
        normalize_body("generic", b"{nope")
    with pytest.raises(PayloadError, match=r"^payload must be valid JSON"):
        normalize_body("generic", b"\xff\xfe")
    with pytest.raises(PayloadError, match=r"^payload must be valid JSON"):
        normalize_body("generic", b"[" * 100_000)


def test_unknown_source() -> None:
    with pytest.raises(
        UnknownSourceError, match="alert source 'nagios' is not known; use one of alertmanager"
    ):
        normalize("nagios", {})
    assert normalize(" Generic ", {"title": "t"})[0].source is AlertSource.GENERIC


def test_raw_is_a_copy() -> None:
    payload = load("opsgenie-create.json")
    (alert,) = normalize("opsgenie", payload)
    before = copy.deepcopy(alert.raw)
    payload["alert"]["message"] = "changed"
    assert alert.raw == before


def test_pagerduty_incident_data_without_type_is_still_an_incident() -> None:
    payload = load("pagerduty-v3-incident-triggered.json")
    del payload["event"]["data"]["type"]
    assert normalize("pagerduty", payload)[0].source_key == "Q2K8DCB7QZ1NWY"


@given(text=st.text(alphabet='abZ09_.-~%{}"=,: /\\\n!@#$&*()[]+é', max_size=40))
def test_silence_matchers_are_escaped_as_urllib_would(text: str) -> None:
    assert _quote_all(text) == quote(text, safe="")
