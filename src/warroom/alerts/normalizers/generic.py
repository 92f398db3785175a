"""Any JSON: the schema a custom script can send without reading anyone else's docs.

The body is one alert object, or a JSON array of them. Fields (unknown ones are ignored and
kept in `raw`):

==============  ========  ==============================================================
field           required  meaning
==============  ========  ==============================================================
title           yes       non-empty string
status          no        "firing" (default) or "resolved", any case
severity        no        any spelling in the generic severity table, or ntfy's 1–5
service         no        string; else labels service, app, job (the integration's order)
description     no        string
fingerprint     no        string identifying the alert across sends (alias: dedup_key);
                          default: a hash of the labels (which include title and service)
labels          no        object of strings
annotations     no        object of strings
links           no        object with any of generator, dashboard, panel, runbook, silence,
                          source — each an http(s) URL
url             no        alias for links.source
starts_at       no        ISO 8601 (naive means UTC) or Unix seconds (alias: timestamp)
ends_at         no        same
==============  ========  ==============================================================

Where both a field and its alias are set, the field wins. `alertname` (the title) and
`service` are added to the labels unless the sender set them, so generic alerts group and
silence like every other source.
"""

from __future__ import annotations

from datetime import datetime

from warroom.alerts.config import IntegrationConfig
from warroom.alerts.errors import PayloadError
from warroom.alerts.fingerprint import compute_fingerprint
from warroom.alerts.model import AlertAction, AlertLinks, AlertSource, AlertStatus, NormalizedAlert
from warroom.alerts.normalizers._common import first_label, put_absent, raw_copy
from warroom.alerts.normalizers._fields import Obj, parse_epoch, parse_iso

STATUSES = (AlertStatus.FIRING.value, AlertStatus.RESOLVED.value)


def normalize_generic(payload: object, config: IntegrationConfig) -> list[NormalizedAlert]:
    if isinstance(payload, list):
        return [_alert(Obj.root(item, f"[{index}]"), config) for index, item in enumerate(payload)]
    return [_alert(Obj.root(payload), config)]


def _alert(body: Obj, config: IntegrationConfig) -> NormalizedAlert:
    title = body.require_text("title")
    status = AlertStatus(body.choice("status", STATUSES) or AlertStatus.FIRING.value)
    labels = body.string_map("labels")
    service = body.text("service") or first_label(labels, config.service_labels)
    put_absent(labels, "alertname", title)
    put_absent(labels, "service", service)
    decision = config.severity.map(_severity(body), where="severity")
    fingerprint_key = "fingerprint" if body.has("fingerprint") else "dedup_key"
    source_fingerprint = body.text(fingerprint_key)
    links = body.obj("links")
    return NormalizedAlert(
        source=AlertSource.GENERIC,
        fingerprint=compute_fingerprint(
            labels, source_fingerprint=source_fingerprint, dedup_fields=config.dedup_fields
        ),
        status=status,
        title=title,
        description=body.text("description") or "",
        severity=decision.severity,
        severity_rule=decision.rule,
        service=service,
        labels=labels,
        annotations=body.string_map("annotations"),
        starts_at=_time(body, "starts_at", "timestamp"),
        ends_at=_time(body, "ends_at"),
        links=AlertLinks(
            generator=links.url("generator") if links else None,
            dashboard=links.url("dashboard") if links else None,
            panel=links.url("panel") if links else None,
            runbook=links.url("runbook") if links else None,
            silence=links.url("silence") if links else None,
            source=(links.url("source") if links else None) or body.url("url"),
        ),
        source_key=source_fingerprint,
        action=AlertAction.FIRE if status is AlertStatus.FIRING else AlertAction.RESOLVE,
        source_event=status.value,
        raw=raw_copy(body),
    )


def _severity(body: Obj) -> str | None:
    value = body.get("severity")
    # ntfy numbers arrive as JSON numbers from scripts; bool is an int but never a severity.
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if value is not None and not isinstance(value, str):
        raise PayloadError(body.where("severity"), 'must be a string or an integer, such as "high" or 4')
    return body.text("severity")


def _time(body: Obj, key: str, alias: str | None = None) -> datetime | None:
    if not body.has(key) and alias is not None:
        key = alias
    value = body.get(key)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return parse_epoch(value, body.where(key), unit_seconds=1)
    return parse_iso(value, body.where(key))
