"""The canonical alert and the integration config refuse values that would break later."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from warroom.alerts import AlertLinks, AlertSource, AlertStatus, IntegrationConfig, NormalizedAlert
from warroom.alerts.errors import PayloadError
from warroom.errors import InvalidInput
from warroom.priority import Priority


def alert(**kw: object) -> NormalizedAlert:
    base: dict[str, object] = {
        "source": AlertSource.GENERIC,
        "fingerprint": "fp",
        "status": AlertStatus.FIRING,
        "title": "t",
        "severity": Priority.LOW,
        "severity_rule": "r",
    }
    base.update(kw)
    return NormalizedAlert(**base)  # type: ignore[arg-type]


def test_defaults_and_links() -> None:
    a = alert(links=AlertLinks(runbook="https://rb.example/"))
    assert a.is_firing
    assert a.labels == {} and a.raw == {}
    assert a.links.as_dict() == {"runbook": "https://rb.example/"}


def test_refuses_naive_times_and_empty_fingerprint() -> None:
    with pytest.raises(ValueError, match="starts_at must be an aware datetime"):
        alert(starts_at=datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="fingerprint"):
        alert(fingerprint="")
    assert alert(ends_at=datetime(2026, 1, 1, tzinfo=UTC)).ends_at is not None


def test_config_build_and_validation() -> None:
    config = IntegrationConfig.build(severity_overrides={"sev1": "P0"}, dedup_fields=["alertname"])
    assert config.severity.overrides == {"sev1": Priority.CRITICAL}
    assert config.dedup_fields == ("alertname",)
    with pytest.raises(ValueError, match="dedup_fields must name at least one label"):
        IntegrationConfig.build(dedup_fields=[])


def test_payload_error_sits_in_the_core_hierarchy() -> None:
    error = PayloadError("alerts[0].labels", "must be an object of strings")
    assert isinstance(error, InvalidInput) and isinstance(error, ValueError)
    assert error.status == 400
    assert error.to_dict() == {
        "code": "bad_payload",
        "message": "alerts[0].labels must be an object of strings",
        "field": "alerts[0].labels",
    }
