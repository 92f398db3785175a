"""Query parameters shared by history, search, unread and streams."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Query, Request

from warroom.core import Core
from warroom.errors import InvalidInput
from warroom.messages.filters import MessageFilter, build_filter
from warroom.messages.models import NUL_RULE
from warroom.priority import PriorityError


def core_of(request: Request) -> Core:
    core: Core = request.app.state.core
    return core


def csv(values: list[str] | None) -> list[str] | None:
    if not values:
        return None
    out = [v.strip() for item in values for v in item.split(",") if v.strip()]
    return out or None


@dataclass
class StreamFilterParams:
    """The filters of a live stream: there, `since` is an event id (see routes.streams)."""

    priority: list[str] | None = Query(None, description="priorities to include, e.g. critical,high")
    min_priority: str | None = Query(None, description="include this priority and more urgent ones")
    tag: list[str] | None = Query(None, description="messages with ANY of these tags")
    tags_all: list[str] | None = Query(None, description="messages with ALL of these tags")
    theme: list[str] | None = Query(None)
    sender: list[str] | None = Query(None, description="sender user_id or name, or publishing principal")
    thread: list[str] | None = Query(None)
    q: str | None = Query(None, description="full-text search words (all must match)")

    def build(self) -> MessageFilter:
        for name, value in vars(self).items():
            values = value if isinstance(value, list) else [value]
            if any(isinstance(v, str) and "\x00" in v for v in values):
                raise InvalidInput(f"{name} {NUL_RULE}", field=name)
        try:
            return build_filter(
                priorities=csv(self.priority),
                min_priority=self.min_priority,
                tags=csv(self.tag),
                tags_all=csv(self.tags_all),
                themes=csv(self.theme),
                senders=csv(self.sender),
                threads=csv(self.thread),
                text=self.q,
                since=getattr(self, "since", None),
                until=getattr(self, "until", None),
            )
        except PriorityError as exc:
            raise InvalidInput(str(exc), field="priority") from None
        except ValueError as exc:
            raise InvalidInput(str(exc), field="since") from None


@dataclass
class FilterParams(StreamFilterParams):
    """History and search filters: a stream's, plus a time window."""

    since: str | None = Query(None, description="24h, 30m, 7d or an ISO 8601 time")
    until: str | None = Query(None)
