"""Structured outputs of the incident, silence and paging tools (the REST door's JSON shapes)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from warroom.mcp.schemas import Notification, PriorityName

Severity = Literal["P0", "P1", "P2", "P3"]
IncidentStatus = Literal["triggered", "acknowledged", "investigating", "mitigating", "resolved"]


class IncidentOut(BaseModel):
    """One incident as stored; `id` (INC-n) is what every other incident tool takes."""

    id: str = Field(description="INC-n: pass it as `incident` to the other incident tools")
    number: int
    thread_id: str = Field(description="The incident's thread (get_thread reads its messages)")
    title: str
    severity: Severity
    priority: PriorityName
    status: IncidentStatus
    service: str | None = None
    channel: str
    integration: str | None = None
    group_key: str | None = None
    owner: str | None = None
    commander: str | None = None
    labels: dict[str, str] = Field(default_factory=dict)
    summary: str = ""
    created_by: str | None = None
    triggered_at: str
    acknowledged_at: str | None = None
    investigating_at: str | None = None
    mitigating_at: str | None = None
    resolved_at: str | None = None
    updated_at: str | None = None
    reopen_count: int = 0
    merged_into: str | None = None
    alert_count: int = 0
    firing_count: int = 0
    open_seconds: int = Field(description="Seconds from trigger to resolve (or to now while open)")
    resource: str = Field(description="Subscribe to this resource to hear of every change")


class IncidentChange(IncidentOut):
    changed: bool = Field(description="False when the incident was already there (retries are harmless)")
    note: str | None = Field(default=None, description="What changed, or why nothing did")


class AlertOut(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: int
    source: str
    fingerprint: str
    status: str
    title: str
    severity: Severity
    severity_rule: str | None = None
    service: str | None = None
    labels: dict[str, Any] = Field(default_factory=dict)
    count: int
    silenced_by: str | None = None
    first_seen: str | None = None
    last_seen: str | None = None
    resolved_at: str | None = None


class IncidentDetail(IncidentOut):
    alerts: list[AlertOut] = Field(description="Its alerts (first 500), oldest first")


class IncidentPage(BaseModel):
    items: list[IncidentOut]
    has_more: bool
    next_before: int | None = Field(
        default=None, description="Pass as before= for the next page (not for status=open: raise limit)"
    )


class TimelineItem(BaseModel):
    id: int = Field(description="Event id on the log (a message's id for messages)")
    ts: str
    kind: str = Field(description="message.published, incident.acknowledged, incident.analysis, ...")
    status: IncidentStatus | None = Field(default=None, description="The incident's status after it")
    message: Notification | None = None
    data: dict[str, Any] | None = Field(default=None, description="What the incident event changed")


class TimelineOut(BaseModel):
    incident: IncidentOut
    items: list[TimelineItem] = Field(description="Oldest first: messages and incident events")
    has_more: bool


class NoteOut(BaseModel):
    incident: str
    message: Notification = Field(description="The note, as a message in the incident's thread")


class SilenceOut(BaseModel):
    id: str
    matchers: list[str]
    starts_at: str
    ends_at: str
    created_by: str
    comment: str
    created_at: str
    state: Literal["active", "pending", "expired"]


class SilenceList(BaseModel):
    silences: list[SilenceOut]


# -- paging ---------------------------------------------------------------------------------


class OnCallEntry(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    schedule: str
    schedule_name: str
    user: str
    name: str
    from_: str = Field(alias="from", serialization_alias="from")
    until: str
    source: str = Field(description="layer or override")


class OnCallOut(BaseModel):
    at: str
    on_call: list[OnCallEntry]
    schedules: list[str] = Field(description="Schedules that exist (ask about one with schedule=)")


class PageOut(BaseModel):
    user: str
    deliveries: list[str] = Field(
        description="Delivery ids queued, one per contact method and rule step (list_deliveries shows them)"
    )


class EscalationOut(BaseModel):
    incident: str
    policy: str
    level: int
    round: int
    step: int
    users: list[str] = Field(description="Who was paged")
    channels: list[str] = Field(description="Channels notified")
    deliveries: dict[str, list[str]] = Field(description="Delivery ids per user")


class DeliveryOut(BaseModel):
    id: str
    state: Literal["queued", "sending", "sent", "failed", "gave_up", "cancelled"]
    kind: str
    destination: str
    incident: str | None = None
    recipient: str | None = None
    contact_method: str | None = None
    attempts: int
    created_at: str | None = None
    next_attempt_at: str | None = None
    sent_at: str | None = None
    last_error: str | None = None
    title: str | None = None


class DeliveryList(BaseModel):
    deliveries: list[DeliveryOut] = Field(description="Newest first")
