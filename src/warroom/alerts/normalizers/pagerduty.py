"""PagerDuty V3 webhook subscriptions (`event.resource_type` = incident).

PagerDuty has already deduplicated by the time it calls us: every delivery is about one
PagerDuty incident, so the incident id is both the fingerprint and the `source_key` the
service uses to acknowledge or resolve the matching warroom incident.

- status/action from `event.event_type`: triggered and reopened fire, acknowledged and
  unacknowledged keep it firing while saying so, resolved resolves; any other incident event
  (escalated, reassigned, priority_updated …) is an update whose status follows
  `data.status`;
- title `data.title`; description `data.resolve_reason` when there is one;
- service `data.service.summary`;
- severity: `data.priority.summary` (PagerDuty P1–P5), else `data.urgency`;
- starts_at `data.created_at`; ends_at `event.occurred_at` when resolved;
- link `data.html_url`.

Events whose data is not an incident — the `pagey.ping` sent when a subscription is
created, service events, notes (`incident.annotated` carries the note, not the incident) —
yield no alerts: nothing in them describes an alert.
"""

from __future__ import annotations

from warroom.alerts.config import IntegrationConfig
from warroom.alerts.fingerprint import compute_fingerprint
from warroom.alerts.model import AlertAction, AlertLinks, AlertSource, AlertStatus, NormalizedAlert
from warroom.alerts.normalizers._common import put_absent, raw_copy
from warroom.alerts.normalizers._fields import Obj
from warroom.alerts.severity import Candidate, Vocabulary

_ACTIONS = {
    "incident.triggered": AlertAction.FIRE,
    "incident.reopened": AlertAction.FIRE,
    "incident.acknowledged": AlertAction.ACKNOWLEDGE,
    "incident.unacknowledged": AlertAction.UNACKNOWLEDGE,
    "incident.resolved": AlertAction.RESOLVE,
}


def normalize_pagerduty(payload: object, config: IntegrationConfig) -> list[NormalizedAlert]:
    body = Obj.root(payload)
    event = body.require_obj("event")
    event_type = event.require_text("event_type")
    data = event.obj("data")
    if (
        event.text("resource_type") != "incident"
        or data is None
        or data.text("type") not in (None, "incident")
    ):
        return []

    incident_id = data.require_text("id")
    action = _ACTIONS.get(event_type, AlertAction.UPDATE)
    if action is AlertAction.UPDATE:
        resolved = data.text("status") == "resolved"
    else:
        resolved = action is AlertAction.RESOLVE
    status = AlertStatus.RESOLVED if resolved else AlertStatus.FIRING

    service_ref = data.obj("service")
    priority_ref = data.obj("priority")
    policy_ref = data.obj("escalation_policy")
    service = service_ref.text("summary") if service_ref else None
    priority = priority_ref.text("summary") if priority_ref else None
    urgency = data.text("urgency")
    title = data.text("title") or f"PagerDuty incident {incident_id}"
    number = data.ident("number")

    decision = config.severity.first_known(
        [
            Candidate("priority", priority, Vocabulary.PAGERDUTY_PRIORITY),
            Candidate("urgency", urgency, Vocabulary.PAGERDUTY_URGENCY),
        ]
    )
    labels: dict[str, str] = {}
    put_absent(labels, "alertname", title)
    put_absent(labels, "service", service)
    put_absent(labels, "priority", priority)
    put_absent(labels, "urgency", urgency)
    put_absent(labels, "incident_key", data.text("incident_key"))
    put_absent(labels, "incident_number", number)
    put_absent(labels, "escalation_policy", policy_ref.text("summary") if policy_ref else None)
    resolve_reason = data.text("resolve_reason")
    annotations = {"resolve_reason": resolve_reason} if resolve_reason else {}

    return [
        NormalizedAlert(
            source=AlertSource.PAGERDUTY,
            fingerprint=compute_fingerprint(
                labels, source_fingerprint=incident_id, dedup_fields=config.dedup_fields
            ),
            status=status,
            title=title,
            description=resolve_reason or "",
            severity=decision.severity,
            severity_rule=decision.rule,
            service=service,
            labels=labels,
            annotations=annotations,
            starts_at=data.iso_time("created_at"),
            ends_at=event.iso_time("occurred_at") if resolved else None,
            links=AlertLinks(source=data.url("html_url")),
            source_key=incident_id,
            action=action,
            source_event=event_type,
            raw=raw_copy(body),
        )
    ]
