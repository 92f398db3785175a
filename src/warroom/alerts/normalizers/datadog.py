"""Datadog webhooks, with the body template warroom documents (`DATADOG_TEMPLATE`).

Datadog has no fixed body: the user pastes a template whose `$VARIABLES` Datadog fills in.
An empty variable arrives as "", which reads as unset. Every field is optional; fields that
are present must be strings (ids and dates may also be numbers).

- fingerprint and source_key: `alert_cycle_key` ($ALERT_CYCLE_KEY), which stays the same from
  trigger to recovery; without it, a hash of the labels;
- status: `alert_transition` (Recovered → resolved; Triggered, Re-Triggered, Warn, Re-Warn,
  No Data, Re-No Data, Renotify → firing), else `alert_status` read the same way, else
  `alert_type` success → resolved, else firing;
- title: `title` without Datadog's "[Triggered on …]" / "[P1]" prefixes, which change with
  every transition and would make one alert look like several;
- description: `body` without the `%%%` markdown fences;
- labels: the `key:value` pairs of `tags` (a tag without a value becomes a label with an
  empty value), plus alertname (the clean title), host, monitor_id, priority, alert_type;
- service: tag `service`;
- severity: `priority` when it is P1–P5 (monitor priority), else `alert_type`
  (error/warning/info/success), else `priority` normal/low (event priority);
- starts_at: `date` (Unix milliseconds); link `link`.
"""

from __future__ import annotations

import re

from warroom.alerts.config import IntegrationConfig
from warroom.alerts.fingerprint import compute_fingerprint
from warroom.alerts.model import AlertAction, AlertLinks, AlertSource, AlertStatus, NormalizedAlert
from warroom.alerts.normalizers._common import put_absent, raw_copy
from warroom.alerts.normalizers._fields import Obj
from warroom.alerts.severity import Candidate, Vocabulary

DATADOG_TEMPLATE = """\
{
  "id": "$ID",
  "title": "$EVENT_TITLE",
  "body": "$EVENT_MSG",
  "alert_id": "$ALERT_ID",
  "alert_cycle_key": "$ALERT_CYCLE_KEY",
  "alert_status": "$ALERT_STATUS",
  "alert_transition": "$ALERT_TRANSITION",
  "alert_type": "$ALERT_TYPE",
  "priority": "$ALERT_PRIORITY",
  "hostname": "$HOSTNAME",
  "tags": "$TAGS",
  "link": "$LINK",
  "date": "$DATE",
  "org_id": "$ORG_ID"
}
"""

_TRANSITIONS = {
    "recovered": AlertStatus.RESOLVED,
    "triggered": AlertStatus.FIRING,
    "re-triggered": AlertStatus.FIRING,
    "warn": AlertStatus.FIRING,
    "re-warn": AlertStatus.FIRING,
    "no data": AlertStatus.FIRING,
    "re-no data": AlertStatus.FIRING,
    "renotify": AlertStatus.FIRING,
}
_PREFIX = re.compile(r"^\s*\[([^\]]*)\]\s*")
_PREFIX_WORD = re.compile(r"^(p\d|triggered|recovered|warn|no data|re-|renotify)", re.IGNORECASE)
_FENCE = re.compile(r"^\s*%%%\s*$", re.MULTILINE)


def normalize_datadog(payload: object, config: IntegrationConfig) -> list[NormalizedAlert]:
    body = Obj.root(payload)
    transition = body.text("alert_transition")
    alert_type = body.text("alert_type")
    status = _status(transition, body.text("alert_status"), alert_type)
    priority = body.text("priority")
    title = _clean_title(body.text("title")) or _fallback_title(body)
    cycle_key = body.ident("alert_cycle_key")

    labels = _tags(body)
    put_absent(labels, "alertname", title)
    put_absent(labels, "host", body.text("hostname"))
    put_absent(labels, "monitor_id", body.ident("alert_id"))
    put_absent(labels, "priority", priority)
    put_absent(labels, "alert_type", alert_type)

    decision = config.severity.first_known(
        [
            Candidate("priority", priority, Vocabulary.DATADOG_MONITOR_PRIORITY),
            Candidate("alert_type", alert_type, Vocabulary.DATADOG_ALERT_TYPE),
            Candidate("priority", priority, Vocabulary.DATADOG_EVENT_PRIORITY),
        ]
    )
    text = body.text("body") or ""
    return [
        NormalizedAlert(
            source=AlertSource.DATADOG,
            fingerprint=compute_fingerprint(
                labels, source_fingerprint=cycle_key, dedup_fields=config.dedup_fields
            ),
            status=status,
            title=title,
            description=_FENCE.sub("", text).strip(),
            severity=decision.severity,
            severity_rule=decision.rule,
            service=labels.get("service") or None,
            labels=labels,
            starts_at=body.epoch_time("date", unit_seconds=0.001),
            links=AlertLinks(source=body.url("link")),
            source_key=cycle_key,
            action=AlertAction.RESOLVE if status is AlertStatus.RESOLVED else AlertAction.FIRE,
            source_event=transition,
            raw=raw_copy(body),
        )
    ]


def _status(transition: str | None, alert_status: str | None, alert_type: str | None) -> AlertStatus:
    for word in (transition, alert_status):
        if word and word.casefold() in _TRANSITIONS:
            return _TRANSITIONS[word.casefold()]
    if alert_type and alert_type.casefold() == "success":
        return AlertStatus.RESOLVED
    return AlertStatus.FIRING


def _clean_title(title: str | None) -> str | None:
    if title is None:
        return None
    while (match := _PREFIX.match(title)) and _PREFIX_WORD.match(match.group(1).strip()):
        title = title[match.end() :]
    return title.strip() or None


def _fallback_title(body: Obj) -> str:
    monitor = body.ident("alert_id")
    return f"Datadog monitor {monitor}" if monitor else "Datadog alert"


def _tags(body: Obj) -> dict[str, str]:
    values: dict[str, list[str]] = {}
    for tag in (body.text("tags") or "").split(","):
        name, _, value = tag.partition(":")
        name, value = name.strip(), value.strip()
        if not name:
            continue
        # Datadog allows one key with several values (env:prod,env:canary); keep them all.
        seen = values.setdefault(name, [])
        if value and value not in seen:
            seen.append(value)
    return {name: ",".join(seen) for name, seen in values.items()}
