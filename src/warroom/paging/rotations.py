"""Rotations: participants taking turns, handing off on a wall-clock or fixed-length beat.

Day and week shifts are counted in the rotation's own time zone, so "Monday 09:00
Europe/Berlin" stays 09:00 in Berlin after a DST change and that week is 167 or 169 hours
long. Hour shifts are fixed durations measured from the first handoff, because a 12-hour
shift is a promise about how long someone works, not about the clock on the wall.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from enum import IntEnum, StrEnum
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from warroom.paging.intervals import Span
from warroom.paging.localtime import ZoneName, local_date, local_to_utc, zone


class ShiftUnit(StrEnum):
    HOURS = "hours"
    DAYS = "days"
    WEEKS = "weeks"


class Weekday(IntEnum):
    """Numbered as `date.weekday()` numbers them, so no conversion is ever needed."""

    MONDAY = 0
    TUESDAY = 1
    WEDNESDAY = 2
    THURSDAY = 3
    FRIDAY = 4
    SATURDAY = 5
    SUNDAY = 6


_WEEKDAY_NAMES = {day.name.lower(): day for day in Weekday} | {day.name.lower()[:3]: day for day in Weekday}


def _parse_weekday(value: Any) -> Any:
    if isinstance(value, str) and value.strip().lower() in _WEEKDAY_NAMES:
        return _WEEKDAY_NAMES[value.strip().lower()]
    return value


# People and config files say "monday" or "mon"; code says Weekday.MONDAY or 0.
WeekdayField = Annotated[Weekday, BeforeValidator(_parse_weekday)]


def _naive_time(value: time) -> time:
    if value.tzinfo is not None:
        raise ValueError("give the time of day without a zone; the rotation's time_zone applies")
    return value


class Rotation(BaseModel):
    """Participants take turns, the first from the first handoff on or after `start`.

    Before that first handoff the rotation has nobody. For weekly rotations the first
    handoff is the first `handoff_weekday` on or after `start` (the weekday of `start`
    itself when not given).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    participants: tuple[str, ...] = Field(min_length=1)
    unit: ShiftUnit
    length: int = Field(default=1, ge=1)
    time_zone: ZoneName
    start: date
    handoff_time: time = time(9, 0)
    handoff_weekday: WeekdayField | None = None

    @field_validator("participants")
    @classmethod
    def _no_blank_participants(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if any(not p.strip() for p in value):
            raise ValueError("participants must be non-empty user ids")
        return value

    @field_validator("handoff_time")
    @classmethod
    def _handoff_time_is_local(cls, value: time) -> time:
        return _naive_time(value)

    @model_validator(mode="after")
    def _weekday_only_for_weeks(self) -> Rotation:
        if self.handoff_weekday is not None and self.unit is not ShiftUnit.WEEKS:
            raise ValueError("handoff_weekday only applies to weekly rotations; remove it")
        return self

    @property
    def zone(self) -> ZoneInfo:
        return zone(self.time_zone)

    @property
    def first_handoff_date(self) -> date:
        if self.handoff_weekday is None:
            return self.start
        ahead = (self.handoff_weekday - self.start.weekday()) % 7
        return self.start + timedelta(days=ahead)

    @property
    def first_handoff(self) -> datetime:
        return local_to_utc(self.first_handoff_date, self.handoff_time, self.zone)

    @property
    def _period_days(self) -> int:
        return self.length * (7 if self.unit is ShiftUnit.WEEKS else 1)

    @property
    def longest_shift(self) -> timedelta:
        """An upper bound on any shift's length; wall-clock shifts stretch over DST changes."""
        if self.unit is ShiftUnit.HOURS:
            return timedelta(hours=self.length)
        return timedelta(days=self._period_days + 1)

    def handoff(self, number: int) -> datetime:
        """When shift `number` (0 is the first) begins."""
        if self.unit is ShiftUnit.HOURS:
            return self.first_handoff + number * timedelta(hours=self.length)
        day = self.first_handoff_date + timedelta(days=number * self._period_days)
        return local_to_utc(day, self.handoff_time, self.zone)

    def participant(self, number: int) -> str:
        return self.participants[number % len(self.participants)]

    def shift_number_at(self, at: datetime) -> int | None:
        """The number of the shift holding instant `at`, None before the rotation begins."""
        first = self.first_handoff
        if at < first:
            return None
        if self.unit is ShiftUnit.HOURS:
            return (at - first) // timedelta(hours=self.length)
        elapsed = (local_date(at, self.zone) - self.first_handoff_date).days
        number = max(0, elapsed // self._period_days)
        # The local date guesses right except around the handoff time itself.
        while number > 0 and self.handoff(number) > at:
            number -= 1
        while self.handoff(number + 1) <= at:
            number += 1
        return number

    def shifts(self, start: datetime, end: datetime) -> list[Span[int]]:
        """Every shift overlapping [start, end), whole, valued with its shift number."""
        number = self.shift_number_at(start)
        if number is None:
            number = 0
        out: list[Span[int]] = []
        begin = self.handoff(number)
        while begin < end:
            finish = self.handoff(number + 1)
            if finish > start:
                out.append(Span(begin, finish, number))
            number += 1
            begin = finish
        return out
