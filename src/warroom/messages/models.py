"""The message model of the design doc, as accepted at every door."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from warroom.priority import Priority, parse_priority

SLUG = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
# Ids are 64-bit in both stores; a larger number can name no message.
MAX_ID = 2**63 - 1
NUL_RULE = "must not contain NUL (\\u0000) characters; remove them"


def reject_nul(value: Any) -> Any:
    """PostgreSQL text cannot hold NUL; refuse it at the door on every store alike."""
    if isinstance(value, str) and "\x00" in value:
        raise ValueError(NUL_RULE)
    if isinstance(value, list) and any(isinstance(v, str) and "\x00" in v for v in value):
        raise ValueError(NUL_RULE)
    return value


class _Input(BaseModel):
    """Every text field of a publish refuses NUL, naming the field."""

    @field_validator("*")
    @classmethod
    def _no_nul(cls, v: Any) -> Any:
        return reject_nul(v)


WELL_KNOWN_THEMES = (
    "incident-alert",
    "incident-update",
    "incident-decision",
    "incident-resolved",
    "root-cause",
    "blocker",
    "deployment",
    "status-update",
    "question",
    "fyi",
)


def _priority(value: Any) -> Priority:
    return parse_priority(value)


PriorityField = Annotated[Priority, BeforeValidator(_priority)]


class Sender(_Input):
    """Who the client says it is; the server records the authenticated principal beside it."""

    model_config = ConfigDict(extra="forbid")
    user_id: str | None = Field(default=None, max_length=200)
    name: str | None = Field(default=None, max_length=200)
    role: str | None = Field(default=None, max_length=100)
    ai_tool: str | None = Field(default=None, max_length=100)


class Link(_Input):
    model_config = ConfigDict(extra="forbid")
    url: str = Field(min_length=1, max_length=2000)
    title: str | None = Field(default=None, max_length=200)


class Action(_Input):
    """A suggested next step: a label, optionally a URL to open or a named action."""

    model_config = ConfigDict(extra="forbid")
    label: str = Field(min_length=1, max_length=100)
    url: str | None = Field(default=None, max_length=2000)
    action: str | None = Field(default=None, max_length=100)


def _links(value: Any) -> Any:
    # Notify-MCP clients send plain URL strings; accept both shapes.
    if isinstance(value, list):
        return [{"url": v} if isinstance(v, str) else v for v in value]
    return value


class MessageIn(_Input):
    """A publish request. `channel` comes from the route or tool argument."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: str = Field(min_length=1, max_length=200)
    body: str = ""
    priority: PriorityField = Priority.MEDIUM
    theme: str | None = Field(default=None, max_length=64)
    tags: list[str] = Field(default_factory=list)
    thread_id: str | None = Field(default=None, min_length=1, max_length=200)
    in_reply_to: int | None = Field(default=None, ge=1, le=MAX_ID)
    sender: Sender | None = None
    links: Annotated[list[Link], BeforeValidator(_links)] = Field(default_factory=list)
    actions: list[Action] = Field(default_factory=list)
    idempotency_key: str | None = Field(default=None, min_length=1, max_length=200)
    created_at: datetime | None = Field(
        default=None,
        description="Only for admins importing history: the original time; marks the message imported.",
    )

    @field_validator("created_at")
    @classmethod
    def _created_at(cls, v: datetime | None) -> datetime | None:
        if v is not None and v.tzinfo is not None:
            try:
                v.astimezone(UTC)
            except OverflowError:
                raise ValueError(
                    "created_at is out of range; give a real time such as 2024-01-12T02:47:00Z"
                ) from None
        return v

    @field_validator("theme")
    @classmethod
    def _theme(cls, v: str | None) -> str | None:
        if v is None or v == "":
            return None
        v = v.lower()
        if not SLUG.match(v):
            raise ValueError(
                "theme must be a slug: lowercase letters, digits, '.', '_' or '-', "
                "starting with a letter or digit, at most 64 characters (e.g. incident-update)"
            )
        return v

    @field_validator("tags")
    @classmethod
    def _tags(cls, v: list[str]) -> list[str]:
        seen: dict[str, None] = {}
        for raw in v:
            tag = raw.strip().lower()
            if not tag:
                raise ValueError("tags must not be empty strings")
            seen.setdefault(tag, None)
        return list(seen)
