"""Wall-clock arithmetic for schedules: local dates and times in IANA zones, UTC out.

Schedules are written in local time ("Monday 09:00 Europe/Berlin") but every instant the
domain returns is an aware UTC datetime, so callers never compare across zones.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from functools import cache
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, AwareDatetime

from warroom.errors import InvalidInput


@cache
def zone(name: str) -> ZoneInfo:
    """The IANA zone called `name`; ValueError (for pydantic) says what a valid name looks like."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"time zone {name!r} is unknown; use an IANA name such as Europe/Berlin or UTC"
        ) from None


def check_zone(name: str) -> str:
    zone(name)
    return name


def _as_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


# Model fields: reject naive datetimes at the edge, store one canonical form.
UtcDatetime = Annotated[AwareDatetime, AfterValidator(_as_utc)]
ZoneName = Annotated[str, AfterValidator(check_zone)]


def require_utc(value: datetime, name: str) -> datetime:
    """Function arguments get the same rule as model fields: aware in, UTC out."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput(
            f"{name} must be a time zone aware datetime; add a zone, e.g. 2026-01-12T02:47:00Z",
            field=name,
        )
    return value.astimezone(UTC)


def require_range(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    start = require_utc(start, "start")
    end = require_utc(end, "end")
    if end < start:
        raise InvalidInput(
            f"end {end.isoformat()} is before start {start.isoformat()}; swap them",
            field="end",
        )
    return start, end


def local_to_utc(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The UTC instant of wall-clock `day at` in `tz`.

    fold=0 decides the two DST edge cases, both documented in schedules.py: a wall time
    skipped in spring lands as many minutes later as the gap is long (02:30 → 03:30), and a
    wall time that happens twice in autumn means its first occurrence.
    """
    return datetime.combine(day, at.replace(tzinfo=None, fold=0), tzinfo=tz).astimezone(UTC)


def local_date(instant: datetime, tz: ZoneInfo) -> date:
    return instant.astimezone(tz).date()
