"""On-call paging, pure: schedules, calendar export, escalation, routing, personal rules.

No I/O and no clock: every function takes the instants it needs, and returns aware UTC
datetimes.
"""

from warroom.paging.escalation import (
    EscalationLevel,
    EscalationPolicy,
    EscalationStep,
    Target,
    TargetKind,
    next_step,
    plan,
    steps_due,
)
from warroom.paging.ical import export_ical, shift_uid
from warroom.paging.routing import Route, choose_route
from warroom.paging.rules import (
    Notification,
    NotificationRule,
    UserNotificationRules,
    notifications_due,
    notifications_for,
)
from warroom.paging.schedules import (
    BUSINESS_DAYS,
    Handoff,
    Layer,
    Override,
    Rotation,
    Schedule,
    Shift,
    ShiftKind,
    ShiftUnit,
    TimeWindow,
    Weekday,
    next_handoff,
    on_call_at,
    shifts_between,
    shifts_overlapping,
)

__all__ = [
    "BUSINESS_DAYS",
    "EscalationLevel",
    "EscalationPolicy",
    "EscalationStep",
    "Handoff",
    "Layer",
    "Notification",
    "NotificationRule",
    "Override",
    "Rotation",
    "Route",
    "Schedule",
    "Shift",
    "ShiftKind",
    "ShiftUnit",
    "Target",
    "TargetKind",
    "TimeWindow",
    "UserNotificationRules",
    "Weekday",
    "choose_route",
    "export_ical",
    "next_handoff",
    "next_step",
    "notifications_due",
    "notifications_for",
    "on_call_at",
    "plan",
    "shift_uid",
    "shifts_between",
    "shifts_overlapping",
    "steps_due",
]
