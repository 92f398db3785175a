"""Per-integration knobs that change how a payload becomes alerts.

An integration is one configured webhook (one source, one secret, one team's rules). Every
field has a default that does the expected thing for that source, so an empty config works.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from warroom.alerts.severity import SeverityPolicy
from warroom.priority import Priority

# `job` comes last because in Prometheus it names a scrape config, often an exporter
# ("node", "kubernetes-pods") rather than the service that is hurting.
DEFAULT_SERVICE_LABELS: tuple[str, ...] = ("service", "app", "job")
DEFAULT_SEVERITY_LABELS: tuple[str, ...] = ("severity", "priority")


@dataclass(frozen=True, slots=True)
class IntegrationConfig:
    severity: SeverityPolicy = field(default_factory=SeverityPolicy)
    # When set, the fingerprint is a hash of just these labels, overriding the source's own
    # fingerprint: the operator asked for coarser (or finer) dedup than the source does.
    dedup_fields: tuple[str, ...] | None = None
    # Labels read, in order, for the alert's service (label-based sources).
    service_labels: tuple[str, ...] = DEFAULT_SERVICE_LABELS
    # Labels read, in order, for the alert's severity (label-based sources).
    severity_labels: tuple[str, ...] = DEFAULT_SEVERITY_LABELS

    def __post_init__(self) -> None:
        if self.dedup_fields is not None and not self.dedup_fields:
            raise ValueError(
                "dedup_fields must name at least one label; leave it unset to use the source's "
                "fingerprint or the whole label set"
            )

    @classmethod
    def build(
        cls,
        *,
        severity_overrides: Mapping[str, object] | None = None,
        default_severity: object = Priority.MEDIUM,
        dedup_fields: Sequence[str] | None = None,
        service_labels: Sequence[str] = DEFAULT_SERVICE_LABELS,
        severity_labels: Sequence[str] = DEFAULT_SEVERITY_LABELS,
    ) -> IntegrationConfig:
        """From loosely typed settings (YAML, JSON, a form); raises ValueError naming the field."""
        return cls(
            severity=SeverityPolicy.build(severity_overrides or {}, default_severity),
            dedup_fields=tuple(dedup_fields) if dedup_fields is not None else None,
            service_labels=tuple(service_labels),
            severity_labels=tuple(severity_labels),
        )


DEFAULT_CONFIG = IntegrationConfig()
