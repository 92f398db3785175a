"""One normalizer per source, behind one entry point.

`normalize` takes the parsed JSON body; `normalize_body` takes the raw bytes (for doors that
verify a signature over the bytes first). Both return the alerts in payload order and raise
only PayloadError for a body that does not fit its source's documented shape, or
UnknownSourceError for a source name we do not know.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from warroom.alerts.config import DEFAULT_CONFIG, IntegrationConfig
from warroom.alerts.errors import PayloadError, UnknownSourceError
from warroom.alerts.model import AlertSource, NormalizedAlert
from warroom.alerts.normalizers.alertmanager import normalize_alertmanager
from warroom.alerts.normalizers.datadog import DATADOG_TEMPLATE, normalize_datadog
from warroom.alerts.normalizers.generic import normalize_generic
from warroom.alerts.normalizers.grafana import normalize_grafana
from warroom.alerts.normalizers.opsgenie import normalize_opsgenie
from warroom.alerts.normalizers.pagerduty import normalize_pagerduty

Normalizer = Callable[[object, IntegrationConfig], list[NormalizedAlert]]

NORMALIZERS: dict[AlertSource, Normalizer] = {
    AlertSource.ALERTMANAGER: normalize_alertmanager,
    AlertSource.GRAFANA: normalize_grafana,
    AlertSource.PAGERDUTY: normalize_pagerduty,
    AlertSource.DATADOG: normalize_datadog,
    AlertSource.OPSGENIE: normalize_opsgenie,
    AlertSource.GENERIC: normalize_generic,
}

__all__ = [
    "DATADOG_TEMPLATE",
    "NORMALIZERS",
    "Normalizer",
    "normalize",
    "normalize_body",
    "parse_source",
]


def parse_source(source: AlertSource | str) -> AlertSource:
    try:
        return AlertSource(source.strip().lower() if isinstance(source, str) else source)
    except ValueError:
        raise UnknownSourceError(str(source), ", ".join(s.value for s in AlertSource)) from None


def normalize(
    source: AlertSource | str, payload: object, config: IntegrationConfig | None = None
) -> list[NormalizedAlert]:
    return NORMALIZERS[parse_source(source)](payload, config or DEFAULT_CONFIG)


def normalize_body(
    source: AlertSource | str, body: bytes | str, config: IntegrationConfig | None = None
) -> list[NormalizedAlert]:
    resolved = parse_source(source)  # an unknown source is reported before a bad body
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError) as exc:
        # ValueError covers JSONDecodeError and undecodable bytes.
        raise PayloadError("payload", f"must be valid JSON ({exc})") from None
    return NORMALIZERS[resolved](payload, config or DEFAULT_CONFIG)
