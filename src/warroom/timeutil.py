"""Time on the wire: aware UTC datetimes, ISO 8601 with `Z`, and relative spans like `24h`."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

_SPAN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d|w)\s*$", re.IGNORECASE)
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso(dt: datetime | None) -> str | None:
    if dt is None:
        return None
    return dt.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse_span(value: str) -> timedelta | None:
    m = _SPAN.match(value)
    if not m:
        return None
    return timedelta(seconds=float(m.group(1)) * _UNITS[m.group(2).lower()])


def parse_time(value: str | datetime, *, now: datetime | None = None) -> datetime:
    """Accept `24h`/`30m`/`7d` (that long ago) or an ISO 8601 time; naive means UTC."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    try:
        span = parse_span(value)
        if span is not None:
            return (now or utcnow()) - span
    except OverflowError:
        raise ValueError(f"time span {value!r} is out of range; use something like 24h or 7d") from None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        dt = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"time {value!r} is not valid; use a span such as 30m, 24h, 7d or an ISO 8601 "
            "time such as 2026-01-12T02:47:00Z"
        ) from None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)
