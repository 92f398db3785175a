"""Opsgenie outgoing webhook integration.

Like PagerDuty, Opsgenie has deduplicated (by `alias`) before it calls us, so every delivery
is about one Opsgenie alert: `alert.alertId` is the fingerprint and the `source_key`.

- status/action from `action`: Create fires, Close and Delete resolve, Acknowledge and
  UnAcknowledge say so while firing; any other action (AddNote, Escalate, AssignOwnership …)
  is an update, resolved only if `alert.status` says closed;
- title `alert.message`; description `alert.description`;
- labels: `alert.details` as sent, plus — where details do not already set them —
  alertname (the message), entity, alias, team, source, priority and tags (comma-joined);
- service: `alert.details.service`, else `alert.entity` (Opsgenie's "affected component");
- severity: `alert.priority`, Opsgenie's P1–P5;
- starts_at `alert.createdAt`; ends_at `alert.updatedAt` when resolved (Unix milliseconds).
"""

from __future__ import annotations

from warroom.alerts.config import IntegrationConfig
from warroom.alerts.fingerprint import compute_fingerprint
from warroom.alerts.model import AlertAction, AlertSource, AlertStatus, NormalizedAlert
from warroom.alerts.normalizers._common import put_absent, raw_copy
from warroom.alerts.normalizers._fields import Obj
from warroom.alerts.severity import Candidate, Vocabulary

_ACTIONS = {
    "create": AlertAction.FIRE,
    "close": AlertAction.RESOLVE,
    "delete": AlertAction.RESOLVE,
    "acknowledge": AlertAction.ACKNOWLEDGE,
    "unacknowledge": AlertAction.UNACKNOWLEDGE,
}


def normalize_opsgenie(payload: object, config: IntegrationConfig) -> list[NormalizedAlert]:
    body = Obj.root(payload)
    action_word = body.require_text("action")
    alert = body.require_obj("alert")
    alert_id = alert.require_text("alertId")

    action = _ACTIONS.get(action_word.casefold(), AlertAction.UPDATE)
    if action is AlertAction.UPDATE:
        resolved = (alert.text("status") or "").casefold() == "closed"
    else:
        resolved = action is AlertAction.RESOLVE
    status = AlertStatus.RESOLVED if resolved else AlertStatus.FIRING

    title = alert.text("message") or f"Opsgenie alert {alert.ident('tinyId') or alert_id}"
    priority = alert.text("priority")
    labels = alert.string_map("details")
    put_absent(labels, "alertname", title)
    put_absent(labels, "entity", alert.text("entity"))
    put_absent(labels, "alias", alert.text("alias"))
    put_absent(labels, "team", alert.text("team"))
    put_absent(labels, "source", alert.text("source"))
    put_absent(labels, "priority", priority)
    put_absent(labels, "tags", ",".join(tag.strip() for tag in alert.string_list("tags") if tag.strip()))
    decision = config.severity.first_known(
        [Candidate("alert.priority", priority, Vocabulary.OPSGENIE_PRIORITY)]
    )
    service = (labels.get("service") or "").strip() or alert.text("entity")

    return [
        NormalizedAlert(
            source=AlertSource.OPSGENIE,
            fingerprint=compute_fingerprint(
                labels, source_fingerprint=alert_id, dedup_fields=config.dedup_fields
            ),
            status=status,
            title=title,
            description=alert.text("description") or "",
            severity=decision.severity,
            severity_rule=decision.rule,
            service=service,
            labels=labels,
            starts_at=alert.epoch_time("createdAt", unit_seconds=0.001),
            ends_at=alert.epoch_time("updatedAt", unit_seconds=0.001) if resolved else None,
            source_key=alert_id,
            action=action,
            source_event=action_word,
            raw=raw_copy(body),
        )
    ]
