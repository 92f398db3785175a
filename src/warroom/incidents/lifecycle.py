"""The incident lifecycle as pure rules.

triggered → acknowledged → investigating → mitigating → resolved, plus reopen.

- Any open state may move to any later open state, or back to an earlier one other than
  `triggered` (a mitigation that failed goes back to investigating). Skipping is allowed:
  resolving straight from triggered is fine.
- `resolved` is left only by `reopen`, which returns to `triggered`.
- Moves that change nothing are no-ops, not errors, so retries are harmless; a late
  acknowledge after a resolve is a no-op that says so, never an undo.
- The first time a state is reached stamps its time (acknowledged_at, …); later visits
  keep the first stamp, which is what time-to-acknowledge needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Status(StrEnum):
    TRIGGERED = "triggered"
    ACKNOWLEDGED = "acknowledged"
    INVESTIGATING = "investigating"
    MITIGATING = "mitigating"
    RESOLVED = "resolved"

    @property
    def is_open(self) -> bool:
        return self is not Status.RESOLVED


ORDER = list(Status)
STAMP = {
    Status.ACKNOWLEDGED: "acknowledged_at",
    Status.INVESTIGATING: "investigating_at",
    Status.MITIGATING: "mitigating_at",
    Status.RESOLVED: "resolved_at",
}


@dataclass(frozen=True)
class Move:
    changed: bool
    to: Status
    note: str  # why nothing changed, or what did


def parse_status(value: str) -> Status:
    try:
        return Status(value.strip().lower())
    except ValueError:
        raise ValueError(
            f"status {value!r} is not valid; use acknowledged, investigating, mitigating or resolved "
            "(or reopen a resolved incident)"
        ) from None


def move(current: Status, target: Status) -> Move:
    """Decide a status change; raises ValueError only for moves that make no sense."""
    if target is current:
        return Move(False, current, f"already {current.value}")
    if current is Status.RESOLVED:
        if target is Status.ACKNOWLEDGED:
            return Move(False, current, "already resolved; a late acknowledge changes nothing")
        raise ValueError(f"the incident is resolved; reopen it before moving it to {target.value}")
    if target is Status.TRIGGERED:
        raise ValueError("an open incident cannot go back to triggered; it already has a responder")
    if target is Status.ACKNOWLEDGED and ORDER.index(current) > ORDER.index(Status.ACKNOWLEDGED):
        return Move(False, current, f"already {current.value}, which implies acknowledged")
    return Move(True, target, f"{current.value} → {target.value}")


def reopen(current: Status) -> Move:
    if current is not Status.RESOLVED:
        return Move(False, current, f"the incident is {current.value}, not resolved")
    return Move(True, Status.TRIGGERED, "resolved → triggered (reopened)")
