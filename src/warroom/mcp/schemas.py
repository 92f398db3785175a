"""Structured outputs: the shapes tools return, published as each tool's output schema.

They mirror the core's wire form (the same JSON the REST door returns), so a model that
learnt one door reads the other.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

PriorityName = Literal["critical", "high", "medium", "low"]
# Every spelling a model is likely to send; the core stores one form.
PriorityIn = Literal["critical", "high", "medium", "low", "P0", "P1", "P2", "P3"]
Visibility = Literal["public", "private", "confidential"]


class SenderOut(BaseModel):
    user_id: str | None = None
    name: str | None = None
    role: str | None = None
    ai_tool: str | None = None


class Notification(BaseModel):
    """One message of a channel, as stored."""

    id: int = Field(description="Message id: use it for in_reply_to and mark_read(up_to=...)")
    channel: str
    title: str
    body: str
    priority: PriorityName
    severity: str = Field(description="P0-P3, one-to-one with priority")
    theme: str | None = None
    tags: list[str] = Field(default_factory=list)
    thread_id: str | None = None
    in_reply_to: int | None = None
    sender: SenderOut
    links: list[dict[str, Any]] = Field(default_factory=list)
    actions: list[dict[str, Any]] = Field(default_factory=list)
    published_by: str = Field(description="The authenticated principal that published it")
    created_at: str
    received_at: str | None = None
    imported: bool = False


class PublishResult(BaseModel):
    message: Notification
    created: bool = Field(description="False when an idempotency_key replayed an earlier publish")
    resource: str = Field(description="Resource URI to read the channel's recent notifications")


class NotificationPage(BaseModel):
    """A page of messages, newest first, with cursors for both directions."""

    items: list[Notification]
    has_more: bool
    next_before: int | None = Field(default=None, description="Pass as before= for the next, older page")
    next_after: int | None = Field(default=None, description="Pass as after= for newer messages")


class ThreadOut(BaseModel):
    thread_id: str
    messages: list[Notification] = Field(description="Oldest first")
    has_more: bool


class ChannelStats(BaseModel):
    messages: int
    subscribers: int
    last_message_at: str | None = None


class AclEntry(BaseModel):
    subject: str
    permission: str


class ChannelOut(BaseModel):
    id: str
    name: str
    description: str
    visibility: Visibility
    retention_days: int | None = None
    incident_enabled: bool
    archived: bool
    created_by: str
    created_at: str
    stats: ChannelStats
    permissions: list[str] = Field(description="What you may do here: read, publish, admin")
    acl: list[AclEntry] | None = Field(default=None, description="Grants; shown to channel admins only")


class ChannelList(BaseModel):
    channels: list[ChannelOut]


class SubscriptionOut(BaseModel):
    id: str
    channel: str
    filters: dict[str, Any]
    cursor: int = Field(description="Messages with an id above this are unread")
    created_at: str
    updated_at: str
    unread: int | None = None


class SubscriptionList(BaseModel):
    subscriptions: list[SubscriptionOut]


class Unsubscribed(BaseModel):
    channel: str | None
    removed: list[str] = Field(description="Ids of the subscriptions removed")


class UnreadGroup(BaseModel):
    subscription: str
    channel: str
    cursor: int
    messages: list[Notification] = Field(description="Oldest first")
    has_more: bool
    unread: int


class UnreadOut(BaseModel):
    subscriptions: list[UnreadGroup]
    total_unread: int
