"""What to do with one incoming alert: the grouping and lifecycle rule, as a pure function.

The ingest service looks up the facts (`GroupingInput`), calls `decide`, and executes the
`GroupingDecision`; the rule lives here, once, and is property-tested.

Rules, in order (the alert's group key selects "the group"):

firing alert
  1. already firing in an open incident             → update_only  (a resend: Alertmanager
     repeats the whole group on every change and every repeat_interval)
  2. silenced                                       → ignore_silenced
  3. in an open incident but was resolved           → join         (it flapped back; the
     incident's timeline should say so)
  4. its group has an open incident                 → join
  5. its group's last incident resolved within the reopen window → reopen
  6. otherwise                                      → new_incident
  A firing alert that is not silenced is never dropped: even after a person resolved its
  incident by hand, the next notification joins, reopens or opens one. Silence it to stop that.

resolved alert
  1. was firing in an open incident                 → resolve_part; `resolves_incident` is
     True when it was the incident's last firing alert and auto-resolve is on
  2. otherwise (never seen, already resolved, or its incident is closed) → update_only
  Silences do not apply to resolutions: a resolution never pages anyone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from warroom.alerts.model import AlertStatus

DEFAULT_REOPEN_WINDOW = timedelta(hours=1)


class GroupingAction(StrEnum):
    NEW_INCIDENT = "new_incident"
    JOIN = "join"
    UPDATE_ONLY = "update_only"
    REOPEN = "reopen"
    RESOLVE_PART = "resolve_part"
    IGNORE_SILENCED = "ignore_silenced"


@dataclass(frozen=True, slots=True)
class GroupingInput:
    status: AlertStatus
    # The stored status of this fingerprint; None when it was never seen.
    previous_status: AlertStatus | None
    # The alert is attached to an incident that is open (not resolved).
    in_open_incident: bool
    # The alert's group key has an open incident (possibly the same one).
    group_has_open_incident: bool
    # When the group's most recent incident was resolved; None if it has none, or one is open.
    group_resolved_at: datetime | None
    silenced: bool
    now: datetime
    reopen_window: timedelta = DEFAULT_REOPEN_WINDOW
    # Firing alerts in the alert's open incident, this one included (used when it resolves).
    firing_in_incident: int = 0
    auto_resolve: bool = True

    def __post_init__(self) -> None:
        if self.in_open_incident and self.previous_status is None:
            raise ValueError("an alert never seen before cannot already be in an open incident")
        if self.firing_in_incident < 0:
            raise ValueError("firing_in_incident cannot be negative")
        if self.reopen_window < timedelta(0):
            raise ValueError("reopen_window cannot be negative")
        for name in ("now", "group_resolved_at"):
            moment = getattr(self, name)
            if moment is not None and moment.utcoffset() is None:
                raise ValueError(f"{name} must be an aware datetime (UTC)")


@dataclass(frozen=True, slots=True)
class GroupingDecision:
    action: GroupingAction
    reason: str  # for the incident timeline: why this alert did what it did
    resolves_incident: bool = False


def within_reopen_window(resolved_at: datetime | None, now: datetime, window: timedelta) -> bool:
    # A resolution stamped in the future (clock skew between replicas) counts as just now.
    return resolved_at is not None and now - resolved_at <= window


def decide(facts: GroupingInput) -> GroupingDecision:
    if facts.status is AlertStatus.RESOLVED:
        return _decide_resolved(facts)
    return _decide_firing(facts)


def _decide_firing(facts: GroupingInput) -> GroupingDecision:
    if facts.in_open_incident and facts.previous_status is AlertStatus.FIRING:
        return GroupingDecision(GroupingAction.UPDATE_ONLY, "still firing; already part of an open incident")
    if facts.silenced:
        return GroupingDecision(GroupingAction.IGNORE_SILENCED, "firing but muted by a silence")
    if facts.in_open_incident:
        return GroupingDecision(GroupingAction.JOIN, "firing again within its open incident")
    if facts.group_has_open_incident:
        return GroupingDecision(GroupingAction.JOIN, "firing; its group already has an open incident")
    if within_reopen_window(facts.group_resolved_at, facts.now, facts.reopen_window):
        return GroupingDecision(
            GroupingAction.REOPEN,
            f"firing; its group's incident resolved less than {facts.reopen_window} ago",
        )
    return GroupingDecision(
        GroupingAction.NEW_INCIDENT, "firing; no open or recently resolved incident for its group"
    )


def _decide_resolved(facts: GroupingInput) -> GroupingDecision:
    if facts.previous_status is AlertStatus.FIRING and facts.in_open_incident:
        last = facts.firing_in_incident <= 1
        if last and facts.auto_resolve:
            return GroupingDecision(
                GroupingAction.RESOLVE_PART, "resolved; it was the incident's last firing alert", True
            )
        reason = (
            "resolved; it was the last firing alert but auto-resolve is off"
            if last
            else f"resolved; {facts.firing_in_incident - 1} other alert(s) still firing"
        )
        return GroupingDecision(GroupingAction.RESOLVE_PART, reason)
    if facts.previous_status is None:
        return GroupingDecision(GroupingAction.UPDATE_ONLY, "resolved before it was ever seen firing")
    return GroupingDecision(GroupingAction.UPDATE_ONLY, "resolved; not part of an open incident")
