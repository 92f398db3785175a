"""The facts an analysis is computed from, gathered by the service, kept plain."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class ServiceInfo:
    id: str
    name: str
    tier: int
    owner_team: str | None
    dependencies: tuple[str, ...]
    stakeholders: tuple[str, ...]
    runbook_links: tuple[str, ...] = ()
    dashboards: tuple[str, ...] = ()


@dataclass(frozen=True)
class IncidentFacts:
    ref: str
    number: int
    title: str
    summary: str
    severity: int
    status: str
    service: str | None
    labels: dict[str, str]
    triggered_at: datetime
    resolved_at: datetime | None = None
    acknowledged_at: datetime | None = None
    root_cause: str = ""
    resolution: str = ""
    alertnames: tuple[str, ...] = ()


@dataclass(frozen=True)
class Change:
    id: int
    kind: str
    service: str
    version: str | None
    description: str
    author: str | None
    at: datetime
    url: str | None = None


@dataclass(frozen=True)
class Runbook:
    id: str
    title: str
    services: tuple[str, ...]
    alertnames: tuple[str, ...]
    labels: dict[str, str]
    keywords: tuple[str, ...]
    steps: tuple[str, ...]


@dataclass(frozen=True)
class OnCallFacts:
    now: list[dict[str, Any]] = field(default_factory=list)  # [{user, name, schedule}]
    next: list[dict[str, Any]] = field(default_factory=list)  # who the policy pages next
    policy: str | None = None
