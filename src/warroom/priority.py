"""Priorities and severities: one vocabulary, many spellings.

The design fixes `critical | high | medium | low` as the stored form, one-to-one with the
severities `P0 | P1 | P2 | P3`. Input is forgiving because alerts and people arrive with
every spelling: any case, the severity names, and ntfy's numbers 1–5 (5 is the most urgent).
"""

from __future__ import annotations

from enum import StrEnum


class Priority(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"

    @property
    def rank(self) -> int:
        """0 for critical … 3 for low: smaller is more urgent, as with P0–P3."""
        return _RANK[self]

    @property
    def severity(self) -> str:
        return f"P{self.rank}"

    @classmethod
    def from_rank(cls, rank: int) -> Priority:
        return _BY_RANK[rank]

    def at_least(self, other: Priority) -> bool:
        """True when self is as urgent as `other` or more."""
        return self.rank <= other.rank


_RANK = {Priority.CRITICAL: 0, Priority.HIGH: 1, Priority.MEDIUM: 2, Priority.LOW: 3}
_BY_RANK = {rank: p for p, rank in _RANK.items()}

# ntfy: 5=max/urgent, 4=high, 3=default, 2=low, 1=min. Two ntfy levels fold into `low`.
_NTFY = {
    "5": Priority.CRITICAL,
    "4": Priority.HIGH,
    "3": Priority.MEDIUM,
    "2": Priority.LOW,
    "1": Priority.LOW,
}
_SEVERITY = {
    "p0": Priority.CRITICAL,
    "p1": Priority.HIGH,
    "p2": Priority.MEDIUM,
    "p3": Priority.LOW,
}

ACCEPTED_SPELLINGS = "critical|high|medium|low, P0-P3, or 1-5 (ntfy: 5 is the most urgent)"


class PriorityError(ValueError):
    """A value that is no spelling of a priority."""


def parse_priority(value: object) -> Priority:
    """Accept every documented spelling; raise PriorityError naming what is accepted."""
    if isinstance(value, Priority):
        return value
    if isinstance(value, bool):  # bool is an int subclass; True is not a priority
        raise PriorityError(f"priority {value!r} is not valid; use {ACCEPTED_SPELLINGS}")
    if isinstance(value, int):
        value = str(value)
    if not isinstance(value, str):
        raise PriorityError(f"priority must be a string or number; use {ACCEPTED_SPELLINGS}")
    key = value.strip().lower()
    if key in _NTFY:
        return _NTFY[key]
    if key in _SEVERITY:
        return _SEVERITY[key]
    try:
        return Priority(key)
    except ValueError:
        raise PriorityError(f"priority {value!r} is not valid; use {ACCEPTED_SPELLINGS}") from None
