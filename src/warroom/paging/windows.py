"""Restriction windows: the weekly wall-clock hours a layer is allowed to cover."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, field_validator

from warroom.paging.intervals import Range, union
from warroom.paging.localtime import local_date, local_to_utc
from warroom.paging.rotations import Weekday, WeekdayField


class TimeWindow(BaseModel):
    """From `start` to `end` local time, beginning on each of `weekdays`.

    An `end` at or before `start` runs past midnight into the next day, so 17:00–09:00 is a
    night that belongs to the weekday it begins on, and 00:00–00:00 is a whole day.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    weekdays: frozenset[WeekdayField] = Field(default=frozenset(Weekday), min_length=1)
    start: time
    end: time

    @field_validator("start", "end")
    @classmethod
    def _local(cls, value: time) -> time:
        if value.tzinfo is not None:
            raise ValueError("give the time of day without a zone; the layer's time_zone applies")
        return value

    @property
    def wraps(self) -> bool:
        return self.end <= self.start


BUSINESS_DAYS = frozenset(
    {Weekday.MONDAY, Weekday.TUESDAY, Weekday.WEDNESDAY, Weekday.THURSDAY, Weekday.FRIDAY}
)


def window_ranges(windows: Iterable[TimeWindow], tz: ZoneInfo, start: datetime, end: datetime) -> list[Range]:
    """The instants of [start, end) inside any window, as sorted disjoint UTC ranges."""
    occurrences: list[Range] = []
    # A window that wraps midnight may have begun the local day before `start`.
    first = local_date(start, tz) - timedelta(days=1)
    last = local_date(end, tz)
    for window in windows:
        day = first
        while day <= last:
            if day.weekday() in window.weekdays:
                opens = local_to_utc(day, window.start, tz)
                closes_on = day + timedelta(days=1) if window.wraps else day
                closes = local_to_utc(closes_on, window.end, tz)
                lo, hi = max(opens, start), min(closes, end)
                if lo < hi:
                    occurrences.append((lo, hi))
            day += timedelta(days=1)
    return union(occurrences)
