"""Builders of plain facts for the intelligence unit tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from warroom.intelligence.facts import Change, IncidentFacts, Runbook, ServiceInfo

T0 = datetime(2024, 1, 12, 2, 47, tzinfo=UTC)


def inc(number: int = 42, **kw: Any) -> IncidentFacts:
    base: dict[str, Any] = {
        "ref": f"INC-{number}",
        "number": number,
        "title": "Database connection pool exhausted",
        "summary": "",
        "severity": 2,
        "status": "triggered",
        "service": "user-api",
        "labels": {},
        "triggered_at": T0,
    }
    base.update(kw)
    return IncidentFacts(**base)


def svc(sid: str, tier: int = 3, deps: tuple[str, ...] = (), **kw: Any) -> ServiceInfo:
    return ServiceInfo(
        id=sid,
        name=kw.pop("name", sid),
        tier=tier,
        owner_team=kw.pop("owner_team", None),
        dependencies=deps,
        stakeholders=kw.pop("stakeholders", ()),
    )


def catalog(*services: ServiceInfo) -> dict[str, ServiceInfo]:
    return {s.id: s for s in services}


def seed_catalog() -> dict[str, ServiceInfo]:
    """user-api (tier 1) with payment-api and admin-dashboard depending on it."""
    return catalog(
        svc("user-api", 1, name="User API", owner_team="backend", stakeholders=("support",)),
        svc("payment-api", 1, ("user-api",), name="Payment API", owner_team="payments"),
        svc("admin-dashboard", 2, ("user-api",), name="Admin Dashboard"),
        svc("postgres", 1),
    )


def change(
    cid: int, service: str, minutes_before: float, kind: str = "deploy", version: str | None = "v1"
) -> Change:
    return Change(cid, kind, service, version, "", "alex", T0 - timedelta(minutes=minutes_before))


def book(rid: str, **kw: Any) -> Runbook:
    return Runbook(
        id=rid,
        title=kw.get("title", rid),
        services=tuple(kw.get("services", ())),
        alertnames=tuple(kw.get("alertnames", ())),
        labels=dict(kw.get("labels", {})),
        keywords=tuple(kw.get("keywords", ())),
        steps=tuple(kw.get("steps", ())),
    )
