"""Message filters: one definition, applied to history queries and to every live stream.

`matches` is the in-memory rule streams use; `warroom.messages.queries` renders the same
filter to SQL for history. A property test holds the two to the same answers.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from warroom.priority import Priority, parse_priority
from warroom.timeutil import parse_time


@dataclass(frozen=True)
class MessageFilter:
    priorities: frozenset[Priority] = frozenset()
    min_priority: Priority | None = None
    tags_any: frozenset[str] = frozenset()
    tags_all: frozenset[str] = frozenset()
    themes: frozenset[str] = frozenset()
    senders: frozenset[str] = frozenset()
    threads: frozenset[str] = frozenset()
    text: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    @property
    def is_empty(self) -> bool:
        return self == MessageFilter()

    def matches(self, m: dict[str, Any]) -> bool:
        """`m` is a message in wire form (see MessageService.to_wire)."""
        prio = Priority(m["priority"])
        if self.priorities and prio not in self.priorities:
            return False
        if self.min_priority is not None and not prio.at_least(self.min_priority):
            return False
        tags = m.get("tags") or ()
        if self.tags_any and not self.tags_any.intersection(tags):
            return False
        if self.tags_all and not self.tags_all.issubset(tags):
            return False
        if self.themes and m.get("theme") not in self.themes:
            return False
        if self.threads and m.get("thread_id") not in self.threads:
            return False
        if self.senders:
            sender = m.get("sender") or {}
            who = {sender.get("user_id"), sender.get("name"), m.get("published_by")}
            if not self.senders.intersection(who):
                return False
        if self.text:
            needle = self.text.lower()
            hay = f"{m.get('title', '')}\n{m.get('body', '')}".lower()
            if not all(word in hay for word in needle.split()):
                return False
        # since/until bound history queries only: a live stream is bounded by its cursor.
        return True

    def to_dict(self) -> dict[str, Any]:
        """The stored / wire form of a filter (subscriptions keep this)."""
        out: dict[str, Any] = {}
        if self.priorities:
            out["priorities"] = sorted((p.value for p in self.priorities), key=lambda v: Priority(v).rank)
        if self.min_priority:
            out["min_priority"] = self.min_priority.value
        for name in ("tags_any", "tags_all", "themes", "senders", "threads"):
            values = getattr(self, name)
            if values:
                out[name] = sorted(values)
        if self.text:
            out["text"] = self.text
        return out


def _set(values: Iterable[str] | str | None, *, lower: bool = True) -> frozenset[str]:
    if values is None:
        return frozenset()
    if isinstance(values, str):
        values = values.split(",")
    out = {v.strip() for v in values if v and v.strip()}
    return frozenset(v.lower() for v in out) if lower else frozenset(out)


def build_filter(
    *,
    priorities: Iterable[str] | str | None = None,
    min_priority: str | None = None,
    tags: Iterable[str] | str | None = None,
    tags_all: Iterable[str] | str | None = None,
    themes: Iterable[str] | str | None = None,
    senders: Iterable[str] | str | None = None,
    threads: Iterable[str] | str | None = None,
    text: str | None = None,
    since: str | datetime | None = None,
    until: str | datetime | None = None,
) -> MessageFilter:
    """Build a filter from door input; raises ValueError naming the bad part."""
    prios = frozenset(parse_priority(p) for p in _set(priorities))
    return MessageFilter(
        priorities=prios,
        min_priority=parse_priority(min_priority) if min_priority else None,
        tags_any=_set(tags),
        tags_all=_set(tags_all),
        themes=_set(themes),
        senders=_set(senders, lower=False),
        threads=_set(threads, lower=False),
        text=text.strip() or None if text else None,
        since=parse_time(since) if since else None,
        until=parse_time(until) if until else None,
    )


def filter_from_dict(d: dict[str, Any]) -> MessageFilter:
    return build_filter(
        priorities=d.get("priorities"),
        min_priority=d.get("min_priority"),
        tags=d.get("tags_any") or d.get("tags"),
        tags_all=d.get("tags_all"),
        themes=d.get("themes"),
        senders=d.get("senders"),
        threads=d.get("threads"),
        text=d.get("text"),
    )
