"""Whatever JSON arrives, a normalizer returns alerts or raises PayloadError — nothing else."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from warroom.alerts import AlertSource, NormalizedAlert, PayloadError, normalize, normalize_body

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "webhooks"
FIXTURE_FOR = {
    AlertSource.ALERTMANAGER: ["alertmanager-v4-firing.json", "alertmanager-v4-resolved.json"],
    AlertSource.GRAFANA: ["grafana-unified-firing.json"],
    AlertSource.PAGERDUTY: [
        "pagerduty-v3-incident-triggered.json",
        "pagerduty-v3-incident-acknowledged.json",
        "pagerduty-v3-incident-resolved.json",
    ],
    AlertSource.DATADOG: ["datadog-template.json"],
    AlertSource.OPSGENIE: ["opsgenie-create.json"],
    AlertSource.GENERIC: ["generic.json"],
}
FIXTURES_BY_SOURCE = {
    source: [json.loads((FIXTURES / name).read_text()) for name in names]
    for source, names in FIXTURE_FOR.items()
}

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    st.text(max_size=12),
    st.sampled_from(
        ["", "firing", "resolved", "P1", "critical", "2026-11-21T02:47:00Z", "0", "1e400", "http://x"]
    ),
)
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.text(max_size=8), children, max_size=4),
    ),
    max_leaves=20,
)


def check(source: AlertSource, payload: object) -> None:
    try:
        alerts = normalize(source, payload)
    except PayloadError as exc:
        assert exc.path
        assert str(exc).startswith(exc.path)
        return
    for alert in alerts:
        assert isinstance(alert, NormalizedAlert)
        assert alert.fingerprint
        assert alert.title
        assert alert.severity_rule
        for moment in (alert.starts_at, alert.ends_at):
            assert moment is None or moment.utcoffset() is not None


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(source=st.sampled_from(list(AlertSource)), payload=json_values)
def test_arbitrary_json_raises_only_payload_error(source: AlertSource, payload: object) -> None:
    check(source, payload)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*prefix, index))
    return found


def _replaced(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {**value, head: _replaced(value[head], rest, new)}
    copy = list(value)
    copy[head] = _replaced(copy[head], rest, new)
    return copy


def _deleted(value: Any, path: tuple[Any, ...]) -> Any:
    if len(path) == 1:
        if isinstance(value, dict):
            return {k: v for k, v in value.items() if k != path[0]}
        return [v for i, v in enumerate(value) if i != path[0]]
    head = path[0]
    if isinstance(value, dict):
        return {**value, head: _deleted(value[head], path[1:])}
    copy = list(value)
    copy[head] = _deleted(copy[head], path[1:])
    return copy


@st.composite
def mutated_fixtures(draw: st.DrawFn) -> tuple[AlertSource, Any]:
    """A real payload with one to three fields replaced or removed: near-misses find more bugs."""
    source = draw(st.sampled_from(list(AlertSource)))
    payload = draw(st.sampled_from(FIXTURES_BY_SOURCE[source]))
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        path = draw(st.sampled_from(_paths(payload)))
        if path and draw(st.booleans()):
            payload = _deleted(payload, path)
        else:
            payload = _replaced(payload, path, draw(json_values))
    return source, payload


@settings(max_examples=600, suppress_health_check=[HealthCheck.too_slow])
@given(case=mutated_fixtures())
def test_mutated_fixtures_raise_only_payload_error(case: tuple[AlertSource, Any]) -> None:
    check(*case)


@settings(max_examples=200)
@given(source=st.sampled_from(list(AlertSource)), body=st.binary(max_size=64))
def test_arbitrary_bytes_raise_only_payload_error(source: AlertSource, body: bytes) -> None:
    with contextlib.suppress(PayloadError):
        normalize_body(source, body)
