"""Time on the wire: ISO 8601 with Z, spans like 24h, naive means UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from warroom.timeutil import iso, parse_span, parse_time, utcnow

NOW = datetime(2026, 1, 12, 2, 47, tzinfo=UTC)


def test_utcnow_is_aware_utc() -> None:
    now = utcnow()
    assert now.tzinfo is not None and now.utcoffset() == timedelta(0)


def test_iso_uses_z_and_converts_to_utc() -> None:
    assert iso(NOW) == "2026-01-12T02:47:00Z"
    plus2 = datetime(2026, 1, 12, 4, 47, tzinfo=timezone(timedelta(hours=2)))
    assert iso(plus2) == "2026-01-12T02:47:00Z"
    assert iso(None) is None
    assert iso(datetime(2026, 1, 12, 2, 47, 0, 123456, tzinfo=UTC)) == "2026-01-12T02:47:00.123456Z"


@pytest.mark.parametrize(
    ("text", "delta"),
    [
        ("30s", timedelta(seconds=30)),
        ("30m", timedelta(minutes=30)),
        ("24h", timedelta(hours=24)),
        ("7d", timedelta(days=7)),
        ("2w", timedelta(weeks=2)),
        ("1.5h", timedelta(minutes=90)),
        (" 24H ", timedelta(hours=24)),
        ("0s", timedelta(0)),
    ],
)
def test_spans(text: str, delta: timedelta) -> None:
    assert parse_span(text) == delta
    assert parse_time(text, now=NOW) == NOW - delta


@pytest.mark.parametrize("text", ["", "h", "24", "24 hours", "-1h", "1y", "1h30m", "P1D"])
def test_not_spans(text: str) -> None:
    assert parse_span(text) is None


def test_span_defaults_to_now() -> None:
    before = utcnow()
    got = parse_time("1h")
    after = utcnow()
    assert before - timedelta(hours=1) <= got <= after - timedelta(hours=1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-01-12T02:47:00Z", NOW),
        ("2026-01-12T02:47:00z", NOW),
        ("2026-01-12T02:47:00+00:00", NOW),
        ("2026-01-12T04:47:00+02:00", NOW),
        ("2026-01-12T02:47:00", NOW),  # naive means UTC
        ("2026-01-12 02:47", NOW),
        ("  2026-01-12T02:47:00Z  ", NOW),
    ],
)
def test_iso_times(text: str, expected: datetime) -> None:
    got = parse_time(text)
    assert got == expected
    assert got.tzinfo is not None


def test_offset_times_keep_their_instant() -> None:
    got = parse_time("2026-01-12T04:47:00+02:00")
    assert got.utcoffset() == timedelta(hours=2)
    assert got.astimezone(UTC) == NOW


def test_datetimes_pass_through_and_naive_becomes_utc() -> None:
    assert parse_time(NOW) is NOW
    naive = datetime(2026, 1, 12, 2, 47)
    assert parse_time(naive) == NOW


@pytest.mark.parametrize("bad", ["yesterday", "2026-13-01", "12/01/2026", "24 h ago", "now"])
def test_bad_times_say_what_is_accepted(bad: str) -> None:
    with pytest.raises(ValueError) as exc:
        parse_time(bad)
    message = str(exc.value)
    assert repr(bad) in message and "24h" in message and "ISO 8601" in message


@given(
    st.datetimes(
        min_value=datetime(1970, 1, 2),
        max_value=datetime(9999, 1, 1),
        timezones=st.sampled_from(
            [UTC, timezone(timedelta(hours=5, minutes=30)), timezone(-timedelta(hours=8))]
        ),
    )
)
def test_iso_round_trips(dt: datetime) -> None:
    text = iso(dt)
    assert text is not None and text.endswith("Z")
    assert parse_time(text) == dt


@given(st.integers(0, 10_000), st.sampled_from(["s", "m", "h", "d", "w"]))
def test_span_units_scale(n: int, unit: str) -> None:
    seconds = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}[unit]
    assert parse_span(f"{n}{unit}") == timedelta(seconds=n * seconds)
