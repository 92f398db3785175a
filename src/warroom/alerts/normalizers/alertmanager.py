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

import re
from datetime import datetime
from urllib.parse import quote

from warroom.alerts.config import IntegrationConfig
from warroom.alerts.fingerprint import compute_fingerprint, label_identity
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


# The unsafe characters label matchers are made of; "%" first, so no escape is escaped again.
_COMMON_ESCAPES = tuple((ch, f"%{ord(ch):02X}") for ch in '%{}"=,: /')
_ESCAPED = re.compile(r"[A-Za-z0-9_.~%-]*")


def _quote_all(text: str) -> str:
    """urllib's quote(text, safe=""): for ASCII text, a few str.replace calls (in C) cover
    the usual matcher characters; anything else is escaped by one translate."""
    if not text.isascii():
        return quote(text, safe="")
    out = text
    for ch, escape in _COMMON_ESCAPES:
        if ch in out:
            out = out.replace(ch, escape)
    return out if _ESCAPED.fullmatch(out) else text.translate(_PERCENT)


def normalize_alertmanager(payload: object, config: IntegrationConfig) -> list[NormalizedAlert]:
    body = Obj.root(payload)
    reader = EntryReader(config, external_url=body.url("externalURL"), source=AlertSource.ALERTMANAGER)
    return [reader.alert(entry) for entry in body.objects("alerts", required=True)]


class EntryReader:
    """Reads the entries of one payload: what entries share is worked out once.

    A notification holds up to thousands of alerts of one group, and most of their fields
    repeat (startsAt, generatorURL, severity labels): those are kept by value for the payload.
    """

    __slots__ = ("_links", "_severity", "_silence_base", "_times", "config", "source")

    def __init__(self, config: IntegrationConfig, *, external_url: str | None, source: AlertSource) -> None:
        self.config = config
        self.source = source
        self._silence_base = f"{external_url.rstrip('/')}/#/silences/new?filter=" if external_url else None
        self._severity: dict[tuple[str | None, ...], SeverityDecision] = {}
        self._times: dict[object, datetime | None] = {}
        self._links: dict[tuple[str | None, ...], tuple[str | None, str | None, str | None]] = {}

    def alert(self, entry: Obj) -> NormalizedAlert:
        value = entry.value
        status_text = value.get("status")
        if status_text == "firing":
            status = AlertStatus.FIRING
        elif status_text == "resolved":
            status = AlertStatus.RESOLVED
        else:  # other spellings, and the error naming the field
            status = AlertStatus(entry.require_choice("status", STATUSES))
        labels = entry.string_map("labels")
        annotations = entry.string_map("annotations")
        config = self.config
        decision = label_severity(labels, config, self._severity)
        source_fingerprint = entry.text("fingerprint")
        fingerprint = silence = None
        if self._silence_base is not None and labels:
            # The silence link's matchers and the label hash come from one sort of the labels.
            label_fingerprint, matchers = label_identity(labels)
            silence = self._silence_base + _quote_all(matchers)
            if not source_fingerprint and not config.dedup_fields:
                fingerprint = label_fingerprint
        if fingerprint is None:
            fingerprint = compute_fingerprint(
                labels, source_fingerprint=source_fingerprint, dedup_fields=config.dedup_fields
            )
        return NormalizedAlert(
            source=self.source,
            fingerprint=fingerprint,
            status=status,
            title=annotations.get("summary", "").strip() or labels.get("alertname", "").strip() or "Alert",
            description=(annotations.get("description") or annotations.get("message") or "").strip(),
            severity=decision.severity,
            severity_rule=decision.rule,
            service=first_label(labels, config.service_labels),
            labels=labels,
            annotations=annotations,
            starts_at=self._time(entry, "startsAt"),
            ends_at=self._time(entry, "endsAt") if status is AlertStatus.RESOLVED else None,
            links=self._links_of(entry, annotations, silence),
            source_key=source_fingerprint,
            action=AlertAction.FIRE if status is AlertStatus.FIRING else AlertAction.RESOLVE,
            source_event=status.value,
            raw=raw_copy(entry),
        )

    def _time(self, entry: Obj, key: str) -> datetime | None:
        text = entry.value.get(key)
        if type(text) is not str:
            return entry.iso_time(key)
        if text not in self._times:
            self._times[text] = entry.iso_time(key)
        return self._times[text]

    def _links_of(self, entry: Obj, annotations: dict[str, str], silence: str | None) -> AlertLinks:
        generator = entry.value.get("generatorURL")
        key = (
            generator if type(generator) is str else None,
            annotations.get("dashboard_url"),
            annotations.get("dashboard"),
            annotations.get("runbook_url"),
            annotations.get("runbook"),
        )
        found = self._links.get(key)
        if found is None:
            found = self._links[key] = (
                entry.url("generatorURL"),
                first_url(annotations, DASHBOARD_ANNOTATIONS),
                first_url(annotations, RUNBOOK_ANNOTATIONS),
            )
        return AlertLinks(generator=found[0], dashboard=found[1], runbook=found[2], silence=silence)
