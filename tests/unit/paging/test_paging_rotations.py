from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from warroom.paging.rotations import Rotation, ShiftUnit, Weekday

BERLIN = ZoneInfo("Europe/Berlin")


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def weekly_berlin() -> Rotation:
    # Starts on a Wednesday; the first handoff is the following Monday.
    return Rotation(
        participants=("ann", "bob", "cy"),
        unit=ShiftUnit.WEEKS,
        time_zone="Europe/Berlin",
        start=date(2024, 3, 20),
        handoff_time=time(9, 0),
        handoff_weekday=Weekday.MONDAY,
    )


def test_weekly_first_handoff_is_the_first_matching_weekday() -> None:
    rotation = weekly_berlin()
    assert rotation.first_handoff_date == date(2024, 3, 25)
    assert rotation.first_handoff == utc(2024, 3, 25, 8)  # 09:00 CET


def test_weekly_handoff_keeps_local_time_across_spring_forward() -> None:
    rotation = weekly_berlin()
    # 2024-03-31 is the last Sunday of March: CET → CEST inside shift 0.
    assert rotation.handoff(1) == utc(2024, 4, 1, 7)  # 09:00 CEST
    assert rotation.handoff(1) - rotation.handoff(0) == timedelta(hours=167)
    assert rotation.handoff(1).astimezone(BERLIN).time() == time(9, 0)
    assert rotation.shift_number_at(utc(2024, 4, 1, 6, 59)) == 0
    assert rotation.shift_number_at(utc(2024, 4, 1, 7)) == 1
    assert rotation.participant(1) == "bob"


def test_weekly_handoff_keeps_local_time_across_fall_back() -> None:
    rotation = weekly_berlin()
    # 30 weeks after 2024-03-25 is 2024-10-21; 2024-10-27 is the last Sunday of October.
    assert rotation.handoff(30) == utc(2024, 10, 21, 7)  # 09:00 CEST
    assert rotation.handoff(31) == utc(2024, 10, 28, 8)  # 09:00 CET
    assert rotation.handoff(31) - rotation.handoff(30) == timedelta(hours=169)
    assert rotation.shift_number_at(utc(2024, 10, 28, 7, 59)) == 30
    assert rotation.participant(30) == "ann"
    assert rotation.participant(31) == "bob"


def test_daily_new_york_across_both_transitions() -> None:
    rotation = Rotation(
        participants=("ann", "bob"),
        unit=ShiftUnit.DAYS,
        time_zone="America/New_York",
        start=date(2024, 3, 8),
    )
    assert [rotation.handoff(n) for n in range(4)] == [
        utc(2024, 3, 8, 14),  # 09:00 EST
        utc(2024, 3, 9, 14),
        utc(2024, 3, 10, 13),  # 09:00 EDT, clocks moved at 02:00 that morning
        utc(2024, 3, 11, 13),
    ]
    november = (date(2024, 11, 2) - date(2024, 3, 8)).days
    assert rotation.handoff(november) == utc(2024, 11, 2, 13)
    assert rotation.handoff(november + 1) == utc(2024, 11, 3, 14)


def test_handoff_at_a_skipped_wall_time_moves_later_by_the_gap() -> None:
    rotation = Rotation(
        participants=("ann",),
        unit=ShiftUnit.DAYS,
        time_zone="Europe/Berlin",
        start=date(2024, 3, 30),
        handoff_time=time(2, 30),
    )
    assert rotation.handoff(0) == utc(2024, 3, 30, 1, 30)  # 02:30 CET
    assert rotation.handoff(1) == utc(2024, 3, 31, 1, 30)  # "02:30" does not exist: 03:30 CEST
    assert rotation.handoff(1).astimezone(BERLIN).time() == time(3, 30)
    assert rotation.handoff(2) == utc(2024, 4, 1, 0, 30)  # 02:30 CEST


def test_handoff_at_a_repeated_wall_time_is_the_first_occurrence() -> None:
    rotation = Rotation(
        participants=("ann",),
        unit=ShiftUnit.DAYS,
        time_zone="Europe/Berlin",
        start=date(2024, 10, 27),
        handoff_time=time(2, 30),
    )
    assert rotation.handoff(0) == utc(2024, 10, 27, 0, 30)  # 02:30 CEST, not CET


def test_hour_shifts_are_fixed_durations_across_dst() -> None:
    rotation = Rotation(
        participants=("ann", "bob"),
        unit=ShiftUnit.HOURS,
        length=12,
        time_zone="Europe/Berlin",
        start=date(2024, 3, 30),
        handoff_time=time(8, 0),
    )
    assert [rotation.handoff(n) for n in range(3)] == [
        utc(2024, 3, 30, 7),
        utc(2024, 3, 30, 19),
        utc(2024, 3, 31, 7),
    ]
    # Twelve hours, not "08:00 local": the wall clock moved underneath the shift.
    assert rotation.handoff(2).astimezone(BERLIN).time() == time(9, 0)
    assert rotation.shift_number_at(utc(2024, 3, 31, 6, 59)) == 1
    assert rotation.participant(1) == "bob"


def test_multi_day_shifts() -> None:
    rotation = Rotation(
        participants=("ann", "bob"),
        unit=ShiftUnit.DAYS,
        length=3,
        time_zone="UTC",
        start=date(2024, 1, 1),
        handoff_time=time(0, 0),
    )
    assert rotation.shift_number_at(utc(2024, 1, 3, 23, 59)) == 0
    assert rotation.shift_number_at(utc(2024, 1, 4)) == 1
    assert rotation.shift_number_at(utc(2024, 1, 10)) == 3
    assert rotation.participant(3) == "bob"


def test_before_the_first_handoff_there_is_no_shift() -> None:
    rotation = weekly_berlin()
    assert rotation.shift_number_at(utc(2024, 3, 25, 7, 59)) is None
    assert [s.value for s in rotation.shifts(utc(2024, 3, 20), utc(2024, 4, 2))] == [0, 1]


def test_shifts_are_whole_and_overlap_the_range() -> None:
    rotation = weekly_berlin()
    spans = rotation.shifts(utc(2024, 4, 3), utc(2024, 4, 9))
    assert [(s.start, s.end, s.value) for s in spans] == [
        (utc(2024, 4, 1, 7), utc(2024, 4, 8, 7), 1),
        (utc(2024, 4, 8, 7), utc(2024, 4, 15, 7), 2),
    ]


@pytest.mark.parametrize("spelling", ["monday", "Mon", "MONDAY", 0])
def test_weekday_spellings(spelling: object) -> None:
    rotation = Rotation.model_validate(
        {
            "participants": ["ann"],
            "unit": "weeks",
            "time_zone": "UTC",
            "start": "2024-01-03",
            "handoff_weekday": spelling,
        }
    )
    assert rotation.handoff_weekday is Weekday.MONDAY
    assert rotation.first_handoff_date == date(2024, 1, 8)


def test_weekly_without_weekday_uses_the_start_date() -> None:
    rotation = Rotation(participants=("ann",), unit=ShiftUnit.WEEKS, time_zone="UTC", start=date(2024, 1, 3))
    assert rotation.first_handoff == utc(2024, 1, 3, 9)
    assert rotation.handoff(1) == utc(2024, 1, 10, 9)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"time_zone": "Mars/Olympus"}, "IANA"),
        ({"participants": ()}, "at least 1"),
        ({"participants": ("ann", " ")}, "non-empty"),
        ({"length": 0}, "greater than or equal to 1"),
        ({"unit": "days", "handoff_weekday": 0}, "only applies to weekly"),
        ({"handoff_time": time(9, 0, tzinfo=UTC)}, "without a zone"),
    ],
)
def test_invalid_rotations_say_what_is_wrong(changes: dict[str, object], message: str) -> None:
    fields: dict[str, object] = {
        "participants": ("ann",),
        "unit": "weeks",
        "time_zone": "Europe/Berlin",
        "start": date(2024, 1, 1),
    }
    with pytest.raises(ValidationError, match=message):
        Rotation.model_validate(fields | changes)
