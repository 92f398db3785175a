"""Prometheus Alertmanager webhook receiver, payload version 4.

One notification carries a whole group; each entry of `alerts[]` becomes one alert with its
own labels and annotations. `commonLabels`/`groupLabels` are ignored on purpose: they are a
lossy summary of the per-alert labels, and warroom regroups with its own `group_by`.

- fingerprint: the alert's `fingerprint` (Alertmanager's hash of its labels);
- title: annotation `summary`, else label `alertname`;
- description: annotation `description`, else `message`;
- service: the first of the integration's `service_labels` (default service, app, job);
- severity: the first of `severity_labels` (default severity, priority), generic table;
- links: `generatorURL`; annotation `runbook_url`/`runbook`, `dashboard_url`/`dashboard`;
  silence = `externalURL` + Alertmanager's "new silence" page pre-filled with the labels.
"""

from __future__ import annotations

from urllib.parse import quote

from warroom.alerts.config import IntegrationConfig
from warroom.alerts.fingerprint import GROUP_BY_ALL, compute_fingerprint, group_key
from warroom.alerts.model import AlertAction, AlertLinks, AlertSource, AlertStatus, NormalizedAlert
from warroom.alerts.normalizers._common import (
    DASHBOARD_ANNOTATIONS,
    RUNBOOK_ANNOTATIONS,
    first_label,
    first_url,
    label_severity,
    raw_copy,
)
from warroom.alerts.normalizers._fields import Obj
from warroom.alerts.severity import SeverityDecision

STATUSES = (AlertStatus.FIRING.value, AlertStatus.RESOLVED.value)

# quote(text, safe=""): only ASCII letters, digits and "_.-~" stay as they are.
_ALWAYS_SAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~")
_PERCENT = {c: f"%{c:02X}" for c in range(128) if chr(c) not in _ALWAYS_SAFE}


def _quote_all(text: str) -> str:
    """urllib's quote(text, safe=""), with ASCII text escaped by one translate."""
    return text.translate(_PERCENT) if text.isascii() else quote(text, safe="")


def normalize_alertmanager(payload: object, config: IntegrationConfig) -> list[NormalizedAlert]:
    body = Obj.root(payload)
    external_url = body.url("externalURL")
    memo: dict[tuple[str | None, ...], SeverityDecision] = {}
    return [
        alert_from_entry(
            entry, config, external_url=external_url, source=AlertSource.ALERTMANAGER, severity_memo=memo
        )
        for entry in body.objects("alerts", required=True)
    ]


def alert_from_entry(
    entry: Obj,
    config: IntegrationConfig,
    *,
    external_url: str | None,
    source: AlertSource,
    severity_memo: dict[tuple[str | None, ...], SeverityDecision] | None = None,
) -> NormalizedAlert:
    """One entry of `alerts[]`; Grafana's entries share this shape and add links."""
    status = AlertStatus(entry.require_choice("status", STATUSES))
    labels = entry.string_map("labels")
    annotations = entry.string_map("annotations")
    decision = label_severity(labels, config, severity_memo)
    silence = None
    if external_url and labels:
        matchers = _quote_all(group_key(labels, [GROUP_BY_ALL]))
        silence = f"{external_url.rstrip('/')}/#/silences/new?filter={matchers}"
    return NormalizedAlert(
        source=source,
        fingerprint=compute_fingerprint(
            labels, source_fingerprint=entry.text("fingerprint"), dedup_fields=config.dedup_fields
        ),
        status=status,
        title=annotations.get("summary", "").strip() or labels.get("alertname", "").strip() or "Alert",
        description=(annotations.get("description") or annotations.get("message") or "").strip(),
        severity=decision.severity,
        severity_rule=decision.rule,
        service=first_label(labels, config.service_labels),
        labels=labels,
        annotations=annotations,
        starts_at=entry.iso_time("startsAt"),
        ends_at=entry.iso_time("endsAt") if status is AlertStatus.RESOLVED else None,
        links=AlertLinks(
            generator=entry.url("generatorURL"),
            dashboard=first_url(annotations, DASHBOARD_ANNOTATIONS),
            runbook=first_url(annotations, RUNBOOK_ANNOTATIONS),
            silence=silence,
        ),
        source_key=entry.text("fingerprint"),
        action=AlertAction.FIRE if status is AlertStatus.FIRING else AlertAction.RESOLVE,
        source_event=status.value,
        raw=raw_copy(entry),
    )
