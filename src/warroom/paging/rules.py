"""Personal notification rules: how each person wants to be reached once paged.

Unlike escalation levels, a rule's delay counts from the moment the person was paged, not
from the previous rule: "ntfy now, PagerDuty after 2 minutes, phone after 5" reads the way
people write it. Important pages (critical by default) follow their own list, so someone
can be woken for a P0 and merely emailed for a P3.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import NamedTuple

from pydantic import BaseModel, ConfigDict, Field, field_validator

from warroom.errors import InvalidInput
from warroom.paging.localtime import require_utc
from warroom.paging.routing import PriorityField
from warroom.priority import Priority

_FROZEN = ConfigDict(frozen=True, extra="forbid")


class NotificationRule(BaseModel):
    model_config = _FROZEN

    contact_method_id: str = Field(min_length=1)
    delay: timedelta = Field(default=timedelta(0), description="After being paged.")

    @field_validator("delay")
    @classmethod
    def _not_negative(cls, value: timedelta) -> timedelta:
        if value < timedelta(0):
            raise ValueError("delay counts from the page and cannot be negative; use 0 for now")
        return value


class UserNotificationRules(BaseModel):
    model_config = _FROZEN

    important: tuple[NotificationRule, ...] = ()
    other: tuple[NotificationRule, ...] = ()
    important_priorities: frozenset[PriorityField] = frozenset({Priority.CRITICAL})

    def rules_for(self, priority: Priority) -> tuple[NotificationRule, ...]:
        return self.important if priority in self.important_priorities else self.other


class Notification(NamedTuple):
    contact_method_id: str
    due_at: datetime


def notifications_for(
    user_rules: UserNotificationRules, priority: Priority, paged_at: datetime
) -> list[Notification]:
    """Where and when to notify a person paged at `paged_at`, soonest first.

    Rules due at the same moment keep the order the person gave them; the same method at
    the same moment is sent once.
    """
    paged_at = require_utc(paged_at, "paged_at")
    return _unique(
        Notification(rule.contact_method_id, paged_at + rule.delay)
        for rule in sorted(user_rules.rules_for(priority), key=lambda r: r.delay)
    )


def notifications_due(
    user_rules: UserNotificationRules,
    priority: Priority,
    paged_at: datetime,
    now: datetime,
    already_sent: int,
) -> list[Notification]:
    """As `steps_due` for escalation: the notifications due by `now` not yet sent."""
    if already_sent < 0:
        raise InvalidInput(f"already_sent must be 0 or more, got {already_sent}", field="already_sent")
    now = require_utc(now, "now")
    planned = notifications_for(user_rules, priority, paged_at)
    return [n for n in planned[already_sent:] if n.due_at <= now]


def _unique(notifications: Iterable[Notification]) -> list[Notification]:
    seen: set[Notification] = set()
    out: list[Notification] = []
    for notification in notifications:
        if notification not in seen:
            seen.add(notification)
            out.append(notification)
    return out
