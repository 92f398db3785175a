"""Structured outputs of the intelligence tools: analysis, runbooks, postmortems, numbers, digests.

Each conclusion carries the facts it came from (`factors`, `reason`, `matched_by`), so a
model can explain it rather than invent one. Extra keys the core adds later pass through.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from warroom.mcp.incident_schemas import IncidentOut, Severity
from warroom.mcp.schemas import Notification


class Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class Triage(Open):
    current: Severity
    proposed: Severity
    verdict: Literal["confirmed", "raise", "lower"] = Field(description="What the facts say of the severity")
    factors: list[str] = Field(description="Each fact the verdict rests on")
    blast_radius: list[str] = Field(description="Services that depend on the failing one")


class SimilarIncident(Open):
    incident: str
    title: str
    score: float = Field(description="0-1, higher is more similar")
    reason: str = Field(description="Why it is similar")
    triggered_at: str | None = None
    root_cause: str = ""
    fix: str = ""


class RecentChange(Open):
    change: int
    kind: str
    service: str
    version: str | None = None
    at: str | None = None
    minutes_before: float | None = Field(default=None, description="Minutes before the trigger")
    reason: str = ""


class RunbookHit(Open):
    runbook: str = Field(description="Runbook id (get_runbook reads it whole)")
    title: str
    matched_by: list[str] = Field(description="What about the incident matched the runbook's rules")
    steps: list[str]


class Correlation(Open):
    similar_incidents: list[SimilarIncident]
    recent_changes: list[RecentChange]
    concurrent_incidents: list[dict[str, Any]]


class Remediation(Open):
    runbooks: list[RunbookHit]
    past_fixes: list[dict[str, Any]]


class Comms(Open):
    on_call: list[dict[str, Any]] = Field(description="Who is on call now for the incident's policy")
    next: list[dict[str, Any]] = Field(description="Who the policy pages next")
    policy: str | None = None
    stakeholders: list[str]
    status_update: str = Field(description="A draft status update")


class AnalysisOut(Open):
    incident: str
    version: int = Field(description="Analyses are versioned; each is an incident.analysis event")
    unchanged: bool = Field(default=False, description="True when the facts had not changed since the last")
    service: str | None = None
    generated_at: str
    summary: str = Field(description="The whole analysis in a few plain sentences")
    triage: Triage
    correlation: Correlation
    remediation: Remediation
    comms: Comms


class SimilarOut(BaseModel):
    incident: str
    similar: list[SimilarIncident] = Field(description="Best first")


class RunbookOut(Open):
    id: str
    title: str
    steps: list[str]
    matched_by: list[str] | None = Field(default=None, description="Set when matched to an incident")
    match: dict[str, Any] | None = Field(default=None, description="The runbook's match rules")
    body: str | None = None


class RunbookList(BaseModel):
    incident: str | None = Field(
        default=None, description="The incident the runbooks match, if one was named"
    )
    runbooks: list[RunbookOut]


class ChangeOut(BaseModel):
    id: int
    kind: Literal["deploy", "config", "feature_flag", "other"]
    service: str
    version: str | None = None
    description: str = ""
    author: str | None = None
    source: str
    url: str | None = None
    external_id: str | None = None
    at: str
    created: bool = Field(description="False when external_id replayed an earlier record")


class PostmortemOut(BaseModel):
    incident: str
    version: int
    generated: bool = Field(description="True for a generated draft, False for a human edit")
    created_by: str | None = None
    created_at: str | None = None
    versions: list[int] | None = None
    markdown: str
    facts: dict[str, Any] = Field(
        description="What the draft was written from: timeline, decisions, root cause, figures, "
        "participants and action items"
    )


class Figures(BaseModel):
    count: int
    open: int
    mtta_minutes: float | None = Field(default=None, description="Mean time to acknowledge")
    mttr_minutes: float | None = Field(default=None, description="Mean time to resolve")
    median_tta_minutes: float | None = None
    median_ttr_minutes: float | None = None


class StatsOut(BaseModel):
    since: str
    until: str
    period: Literal["day", "week", "month"]
    total: Figures
    by_severity: dict[str, Figures]
    by_service: dict[str, Figures]
    by_cause: dict[str, Figures]
    by_period: dict[str, Figures] = Field(description="Keys: 2026-01-12, 2026-W02 or 2026-01")


class DigestOut(BaseModel):
    kind: Literal["incident", "channel"]
    text: str = Field(description="A deterministic plain-language summary")
    incident: str | None = None
    channel: str | None = None
    since: str | None = None
    messages: int | None = Field(default=None, description="Messages read (channel digest)")
    incidents: list[str] | None = Field(default=None, description="Incidents active in the window")
    has_more: bool | None = None
    facts: dict[str, Any] | None = Field(default=None, description="An incident's facts (figures, ...)")


class SearchOut(BaseModel):
    query: str
    incidents: list[IncidentOut]
    messages: list[Notification]
    runbooks: list[dict[str, Any]]
    services: list[dict[str, Any]]
