"""The canonical alert: what every source's webhook becomes before any rule looks at it.

Normalizers build these; the ingest service fingerprints, groups and stores them. Nothing
here knows about HTTP or the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from warroom.priority import Priority


class AlertSource(StrEnum):
    ALERTMANAGER = "alertmanager"
    GRAFANA = "grafana"
    PAGERDUTY = "pagerduty"
    DATADOG = "datadog"
    OPSGENIE = "opsgenie"
    GENERIC = "generic"


class AlertStatus(StrEnum):
    FIRING = "firing"
    RESOLVED = "resolved"


class AlertAction(StrEnum):
    """What the source says happened, beyond firing/resolved.

    Sources that run their own incident lifecycle (PagerDuty, Opsgenie) tell us about
    acknowledgements too; the service mirrors those onto the matching incident. Label-based
    sources only ever fire and resolve.
    """

    FIRE = "fire"
    ACKNOWLEDGE = "acknowledge"
    UNACKNOWLEDGE = "unacknowledge"
    RESOLVE = "resolve"
    # Anything else the source reports (reassigned, note added, priority changed …): the
    # alert's fields may have changed but its lifecycle has not.
    UPDATE = "update"


@dataclass(frozen=True, slots=True)
class AlertLinks:
    """Optional http(s) URLs; anything else is dropped by the normalizers, never rendered."""

    generator: str | None = None  # the query or rule that produced the alert
    dashboard: str | None = None
    panel: str | None = None
    runbook: str | None = None
    silence: str | None = None  # where to silence it at the source
    source: str | None = None  # the alert or incident page at the source

    def as_dict(self) -> dict[str, str]:
        """Only the links that are set, for storage and rendering."""
        pairs = {
            "generator": self.generator,
            "dashboard": self.dashboard,
            "panel": self.panel,
            "runbook": self.runbook,
            "silence": self.silence,
            "source": self.source,
        }
        return {name: url for name, url in pairs.items() if url is not None}


@dataclass(frozen=True, slots=True)
class NormalizedAlert:
    """One alert from one source, in warroom's words.

    `fingerprint` identifies the alert across notifications (see `fingerprint.py` for the
    order of rules); `source_key` is the source's own id for the thing, when it has one
    (PagerDuty incident id, Opsgenie alertId, Datadog alert cycle key), so the service can
    call the source back. `raw` keeps the per-alert payload as received, for audit and for
    fields we do not model.
    """

    source: AlertSource
    fingerprint: str
    status: AlertStatus
    title: str
    severity: Priority
    severity_rule: str
    description: str = ""
    service: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    links: AlertLinks = field(default_factory=AlertLinks)
    source_key: str | None = None
    action: AlertAction = AlertAction.FIRE
    # The source's own word for the event (`incident.acknowledged`, `Close`, `Re-Triggered`),
    # kept verbatim for the timeline.
    source_event: str | None = None
    raw: dict[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("starts_at", "ends_at"):
            moment = getattr(self, name)
            if moment is not None and moment.utcoffset() is None:
                raise ValueError(f"{name} must be an aware datetime (UTC), got {moment!r}")
        if not self.fingerprint:
            raise ValueError("fingerprint must not be empty")

    @property
    def is_firing(self) -> bool:
        return self.status is AlertStatus.FIRING
