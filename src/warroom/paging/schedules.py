"""On-call schedules: layered rotations plus overrides, resolved into one timeline.

Precedence, highest first:

1. overrides — the person covers [start, end) whatever the layers say; where overrides
   overlap, the one later in `Schedule.overrides` wins (the store lists them oldest first,
   so the newest decision wins);
2. layers — `Schedule.layers` is listed bottom first; a later layer covers the ones before
   it wherever it has someone, and a layer with restrictions has someone only inside its
   windows;
3. nobody — an explicit gap, never silently filled.

DST: day and week rotations and restriction windows keep their wall-clock times. A wall
time the clocks skip (02:30 on the spring-forward night) happens as many minutes later as
the jump is long (03:30); a wall time that happens twice in autumn means the first one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator

from warroom.paging.intervals import Span, clip, intersect, layer
from warroom.paging.localtime import UtcDatetime, require_range, require_utc
from warroom.paging.rotations import Rotation, ShiftUnit, Weekday
from warroom.paging.windows import BUSINESS_DAYS, TimeWindow, window_ranges

__all__ = [
    "BUSINESS_DAYS",
    "Handoff",
    "Layer",
    "Override",
    "Rotation",
    "Schedule",
    "Shift",
    "ShiftKind",
    "ShiftUnit",
    "TimeWindow",
    "Weekday",
    "next_handoff",
    "on_call_at",
    "shifts_between",
    "shifts_overlapping",
]

_FROZEN = ConfigDict(frozen=True, extra="forbid")


class Layer(BaseModel):
    model_config = _FROZEN

    name: str = Field(min_length=1)
    rotation: Rotation
    restrictions: tuple[TimeWindow, ...] = Field(
        default=(), description="Empty means always; otherwise only inside these windows."
    )


class Override(BaseModel):
    model_config = _FROZEN

    id: str = Field(min_length=1)
    user_id: str = Field(min_length=1)
    start: UtcDatetime
    end: UtcDatetime

    @model_validator(mode="after")
    def _ends_after_start(self) -> Override:
        if self.end <= self.start:
            raise ValueError("an override must end after it starts; check start and end")
        return self


class Schedule(BaseModel):
    model_config = _FROZEN

    id: str = Field(min_length=1)
    name: str = ""
    layers: tuple[Layer, ...] = Field(default=(), description="Bottom first; later layers win.")
    overrides: tuple[Override, ...] = Field(default=(), description="Later overrides win.")

    @model_validator(mode="after")
    def _override_ids_unique(self) -> Schedule:
        ids = [o.id for o in self.overrides]
        if len(ids) != len(set(ids)):
            raise ValueError("override ids must be unique within a schedule; rename the repeats")
        return self


class ShiftKind(StrEnum):
    LAYER = "layer"
    OVERRIDE = "override"
    GAP = "gap"


class Shift(BaseModel):
    """Who is on call over [start, end), and which layer shift or override says so.

    A gap has no user and no source. `layer_index` indexes `Schedule.layers`;
    `shift_number` counts that layer's rotation shifts from 0.
    """

    model_config = _FROZEN

    start: UtcDatetime
    end: UtcDatetime
    user_id: str | None
    kind: ShiftKind
    layer_index: int | None = None
    shift_number: int | None = None
    override_id: str | None = None


class Handoff(BaseModel):
    """The on-call person changes at `at`; either side may be nobody (None)."""

    model_config = _FROZEN

    at: UtcDatetime
    from_user_id: str | None
    to_user_id: str | None


@dataclass(frozen=True, slots=True)
class _Source:
    user_id: str
    kind: ShiftKind
    layer_index: int | None = None
    shift_number: int | None = None
    override_id: str | None = None


def _shift(span: Span[_Source | None]) -> Shift:
    source = span.value
    if source is None:
        return Shift(start=span.start, end=span.end, user_id=None, kind=ShiftKind.GAP)
    return Shift(
        start=span.start,
        end=span.end,
        user_id=source.user_id,
        kind=source.kind,
        layer_index=source.layer_index,
        shift_number=source.shift_number,
        override_id=source.override_id,
    )


def _layer_spans(index: int, lay: Layer, start: datetime, end: datetime) -> list[Span[_Source]]:
    rotation = lay.rotation
    spans = clip(
        (
            Span(
                s.start,
                s.end,
                _Source(rotation.participant(s.value), ShiftKind.LAYER, index, s.value),
            )
            for s in rotation.shifts(start, end)
        ),
        start,
        end,
    )
    if lay.restrictions:
        spans = intersect(spans, window_ranges(lay.restrictions, rotation.zone, start, end))
    return spans


def _override_source(override: Override) -> _Source:
    return _Source(override.user_id, ShiftKind.OVERRIDE, override_id=override.id)


def shifts_between(schedule: Schedule, start: datetime, end: datetime) -> list[Shift]:
    """The final timeline over [start, end): contiguous, non-overlapping, gaps included.

    Pieces are clipped to the range. A piece is split only where the person or the source
    changes, so one layer shift partly covered by an override shows as two pieces.
    """
    start, end = require_range(start, end)
    stack: list[list[Span[_Source]]] = [
        _layer_spans(i, lay, start, end) for i, lay in enumerate(schedule.layers)
    ]
    stack.extend(
        [Span(max(o.start, start), min(o.end, end), _override_source(o))]
        for o in schedule.overrides
        if o.end > start and o.start < end
    )
    return [_shift(span) for span in layer(stack, start, end)]


def on_call_at(schedule: Schedule, at: datetime) -> list[Shift]:
    """The shift in force at `at`, whole: an empty list when nobody is on call.

    The shift is the source's own extent (the override, or the layer shift cut to its
    restriction window), so it may reach beyond the piece of it `shifts_between` shows
    where something higher covers it. A list so callers page every entry and need no
    special case for nobody.
    """
    at = require_utc(at, "at")
    for override in reversed(schedule.overrides):
        if override.start <= at < override.end:
            return [_shift(Span(override.start, override.end, _override_source(override)))]
    for index in range(len(schedule.layers) - 1, -1, -1):
        lay = schedule.layers[index]
        number = lay.rotation.shift_number_at(at)
        if number is None:
            continue
        begin, finish = lay.rotation.handoff(number), lay.rotation.handoff(number + 1)
        for span in _layer_spans(index, lay, begin, finish):
            if span.start <= at < span.end:
                return [_shift(span)]
    return []


def _longest_source(schedule: Schedule) -> timedelta:
    lengths = [lay.rotation.longest_shift for lay in schedule.layers]
    lengths.extend(o.end - o.start for o in schedule.overrides)
    return max(lengths, default=timedelta(0))


def shifts_overlapping(schedule: Schedule, start: datetime, end: datetime) -> list[Shift]:
    """Every non-gap piece of the timeline that overlaps [start, end), not clipped.

    For calendars: a piece keeps its true bounds whatever range is asked, so it looks the
    same (and keeps its identity) in every export. Gaps are left out because one may be
    unbounded.
    """
    start, end = require_range(start, end)
    # No piece is longer than its source, so this margin reaches every piece's true edges.
    margin = _longest_source(schedule)
    return [
        shift
        for shift in shifts_between(schedule, start - margin, end + margin)
        if shift.kind is not ShiftKind.GAP and shift.end > start and shift.start < end
    ]


_SEARCH_STEP = timedelta(days=7)


def next_handoff(
    schedule: Schedule, after: datetime, *, within: timedelta = timedelta(days=366)
) -> Handoff | None:
    """The first moment strictly after `after` when the on-call person changes.

    A change of source with the same person (Bob's layer shift into Bob's override) is
    no handoff; going to or from nobody is. The search looks `within` beyond the later of
    `after` and the last override or rotation start, after which the schedule only
    repeats; None when nothing changes in that span.
    """
    after = require_utc(after, "after")
    current = on_call_at(schedule, after)
    holder = current[0].user_id if current else None
    settled = max(
        [o.end for o in schedule.overrides]
        + [lay.rotation.first_handoff for lay in schedule.layers]
        + [after]
    )
    limit = settled + within
    cursor = after
    while cursor < limit:
        stop = min(cursor + _SEARCH_STEP, limit)
        for shift in shifts_between(schedule, cursor, stop):
            if shift.user_id != holder:
                return Handoff(at=shift.start, from_user_id=holder, to_user_id=shift.user_id)
        cursor = stop
    return None
