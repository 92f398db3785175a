from datetime import UTC, date, datetime, time, timedelta

import pytest
from pydantic import ValidationError

from warroom.errors import InvalidInput
from warroom.paging.schedules import (
    BUSINESS_DAYS,
    Handoff,
    Layer,
    Override,
    Rotation,
    Schedule,
    Shift,
    ShiftKind,
    ShiftUnit,
    TimeWindow,
    Weekday,
    next_handoff,
    on_call_at,
    shifts_between,
    shifts_overlapping,
)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def weekly(*people: str, start: date = date(2024, 1, 1)) -> Layer:
    # 2024-01-01 is a Monday; Berlin is on CET (+01:00) all January.
    return Layer(
        name="primary",
        rotation=Rotation(
            participants=people,
            unit=ShiftUnit.WEEKS,
            time_zone="Europe/Berlin",
            start=start,
            handoff_weekday=Weekday.MONDAY,
        ),
    )


def business_hours(*people: str) -> Layer:
    return Layer(
        name="business hours",
        rotation=Rotation(
            participants=people, unit=ShiftUnit.DAYS, time_zone="Europe/Berlin", start=date(2024, 1, 1)
        ),
        restrictions=(TimeWindow(weekdays=BUSINESS_DAYS, start=time(9), end=time(17)),),
    )


def who(shifts: list[Shift]) -> list[tuple[datetime, datetime, str | None]]:
    return [(s.start, s.end, s.user_id) for s in shifts]


def layer_shift(start: datetime, end: datetime, user: str, layer: int, number: int) -> Shift:
    return Shift(
        start=start,
        end=end,
        user_id=user,
        kind=ShiftKind.LAYER,
        layer_index=layer,
        shift_number=number,
    )


def test_single_layer_weekly_rotation() -> None:
    schedule = Schedule(id="s1", layers=(weekly("ann", "bob"),))
    assert on_call_at(schedule, utc(2024, 1, 3)) == [
        layer_shift(utc(2024, 1, 1, 8), utc(2024, 1, 8, 8), "ann", 0, 0)
    ]
    assert on_call_at(schedule, utc(2024, 1, 8, 8))[0].user_id == "bob"
    assert on_call_at(schedule, utc(2024, 1, 15, 8))[0].user_id == "ann"


def test_gap_before_the_rotation_starts_is_explicit() -> None:
    schedule = Schedule(id="s1", layers=(weekly("ann", "bob"),))
    assert on_call_at(schedule, utc(2024, 1, 1, 7)) == []
    assert shifts_between(schedule, utc(2024, 1, 1), utc(2024, 1, 2)) == [
        Shift(start=utc(2024, 1, 1), end=utc(2024, 1, 1, 8), user_id=None, kind=ShiftKind.GAP),
        layer_shift(utc(2024, 1, 1, 8), utc(2024, 1, 2), "ann", 0, 0),
    ]


def test_an_empty_schedule_is_one_gap() -> None:
    schedule = Schedule(id="empty")
    assert on_call_at(schedule, utc(2024, 1, 1)) == []
    assert who(shifts_between(schedule, utc(2024, 1, 1), utc(2024, 1, 2))) == [
        (utc(2024, 1, 1), utc(2024, 1, 2), None)
    ]
    assert shifts_between(schedule, utc(2024, 1, 1), utc(2024, 1, 1)) == []
    assert next_handoff(schedule, utc(2024, 1, 1)) is None


def test_override_spanning_a_handoff() -> None:
    cover = Override(id="o1", user_id="xia", start=utc(2024, 1, 7, 19), end=utc(2024, 1, 9, 7))
    schedule = Schedule(id="s1", layers=(weekly("ann", "bob"),), overrides=(cover,))
    assert shifts_between(schedule, utc(2024, 1, 7), utc(2024, 1, 10)) == [
        layer_shift(utc(2024, 1, 7), utc(2024, 1, 7, 19), "ann", 0, 0),
        Shift(
            start=utc(2024, 1, 7, 19),
            end=utc(2024, 1, 9, 7),
            user_id="xia",
            kind=ShiftKind.OVERRIDE,
            override_id="o1",
        ),
        layer_shift(utc(2024, 1, 9, 7), utc(2024, 1, 10), "bob", 0, 1),
    ]
    # The Monday 09:00 handoff happens underneath the override.
    assert on_call_at(schedule, utc(2024, 1, 8, 8))[0].override_id == "o1"
    assert on_call_at(schedule, utc(2024, 1, 9, 7))[0].user_id == "bob"
    assert next_handoff(schedule, utc(2024, 1, 7)) == Handoff(
        at=utc(2024, 1, 7, 19), from_user_id="ann", to_user_id="xia"
    )
    assert next_handoff(schedule, utc(2024, 1, 8, 12)) == Handoff(
        at=utc(2024, 1, 9, 7), from_user_id="xia", to_user_id="bob"
    )


def test_the_later_override_wins_where_overrides_overlap() -> None:
    first = Override(id="o1", user_id="xia", start=utc(2024, 1, 2), end=utc(2024, 1, 4))
    second = Override(id="o2", user_id="yan", start=utc(2024, 1, 3), end=utc(2024, 1, 5))
    schedule = Schedule(id="s1", layers=(weekly("ann"),), overrides=(first, second))
    assert who(shifts_between(schedule, utc(2024, 1, 2), utc(2024, 1, 6))) == [
        (utc(2024, 1, 2), utc(2024, 1, 3), "xia"),
        (utc(2024, 1, 3), utc(2024, 1, 5), "yan"),
        (utc(2024, 1, 5), utc(2024, 1, 6), "ann"),
    ]
    assert on_call_at(schedule, utc(2024, 1, 3, 12))[0].override_id == "o2"


def test_override_over_nobody_and_handoff_from_nobody() -> None:
    cover = Override(id="o1", user_id="xia", start=utc(2024, 1, 1), end=utc(2024, 1, 2))
    schedule = Schedule(id="s1", overrides=(cover,))
    assert who(shifts_between(schedule, utc(2023, 12, 31), utc(2024, 1, 3))) == [
        (utc(2023, 12, 31), utc(2024, 1, 1), None),
        (utc(2024, 1, 1), utc(2024, 1, 2), "xia"),
        (utc(2024, 1, 2), utc(2024, 1, 3), None),
    ]
    assert next_handoff(schedule, utc(2023, 12, 1)) == Handoff(
        at=utc(2024, 1, 1), from_user_id=None, to_user_id="xia"
    )
    assert next_handoff(schedule, utc(2024, 1, 1)) == Handoff(
        at=utc(2024, 1, 2), from_user_id="xia", to_user_id=None
    )
    assert next_handoff(schedule, utc(2024, 1, 2)) is None


def test_business_hours_layer_covers_the_base_layer_only_in_its_windows() -> None:
    schedule = Schedule(id="s1", layers=(weekly("ann", "bob"), business_hours("cy", "dee")))
    assert shifts_between(schedule, utc(2024, 1, 1), utc(2024, 1, 3)) == [
        Shift(start=utc(2024, 1, 1), end=utc(2024, 1, 1, 8), user_id=None, kind=ShiftKind.GAP),
        layer_shift(utc(2024, 1, 1, 8), utc(2024, 1, 1, 16), "cy", 1, 0),
        layer_shift(utc(2024, 1, 1, 16), utc(2024, 1, 2, 8), "ann", 0, 0),
        layer_shift(utc(2024, 1, 2, 8), utc(2024, 1, 2, 16), "dee", 1, 1),
        layer_shift(utc(2024, 1, 2, 16), utc(2024, 1, 3), "ann", 0, 0),
    ]
    # Saturday 10:00 Berlin: outside the window, so the base layer has it.
    assert on_call_at(schedule, utc(2024, 1, 6, 9))[0].user_id == "ann"
    # The restricted shift is the daily shift cut to 09:00-17:00.
    assert on_call_at(schedule, utc(2024, 1, 2, 12)) == [
        layer_shift(utc(2024, 1, 2, 8), utc(2024, 1, 2, 16), "dee", 1, 1)
    ]
    assert next_handoff(schedule, utc(2024, 1, 1, 12)) == Handoff(
        at=utc(2024, 1, 1, 16), from_user_id="cy", to_user_id="ann"
    )


def test_restriction_windows_keep_local_time_across_dst() -> None:
    schedule = Schedule(id="s1", layers=(business_hours("cy"),))
    # Friday before the switch: 09:00-17:00 CET; Monday after: 09:00-17:00 CEST.
    assert who(shifts_between(schedule, utc(2024, 3, 29), utc(2024, 3, 30))) == [
        (utc(2024, 3, 29), utc(2024, 3, 29, 8), None),
        (utc(2024, 3, 29, 8), utc(2024, 3, 29, 16), "cy"),
        (utc(2024, 3, 29, 16), utc(2024, 3, 30), None),
    ]
    assert [s for s in who(shifts_between(schedule, utc(2024, 4, 1), utc(2024, 4, 2))) if s[2]] == [
        (utc(2024, 4, 1, 7), utc(2024, 4, 1, 15), "cy")
    ]


def test_night_window_runs_past_midnight_into_the_next_day() -> None:
    nights = Layer(
        name="friday night",
        rotation=Rotation(
            participants=("nox",), unit=ShiftUnit.WEEKS, time_zone="UTC", start=date(2024, 1, 1)
        ),
        restrictions=(TimeWindow(weekdays=frozenset({Weekday.FRIDAY}), start=time(22), end=time(6)),),
    )
    schedule = Schedule(id="s1", layers=(weekly("ann"), nights))
    assert who(shifts_between(schedule, utc(2024, 1, 5, 12), utc(2024, 1, 6, 12))) == [
        (utc(2024, 1, 5, 12), utc(2024, 1, 5, 22), "ann"),
        (utc(2024, 1, 5, 22), utc(2024, 1, 6, 6), "nox"),
        (utc(2024, 1, 6, 6), utc(2024, 1, 6, 12), "ann"),
    ]
    # Querying from inside the night still finds the window that opened the day before.
    assert on_call_at(schedule, utc(2024, 1, 6, 3))[0].start == utc(2024, 1, 5, 22)


def test_a_whole_day_window_and_windows_that_touch_merge() -> None:
    always = Layer(
        name="weekend",
        rotation=Rotation(
            participants=("wen",), unit=ShiftUnit.WEEKS, time_zone="UTC", start=date(2024, 1, 1)
        ),
        restrictions=(
            TimeWindow(weekdays=frozenset({Weekday.SATURDAY, Weekday.SUNDAY}), start=time(0), end=time(0)),
        ),
    )
    schedule = Schedule(id="s1", layers=(weekly("ann"), always))
    assert who(shifts_between(schedule, utc(2024, 1, 5), utc(2024, 1, 9))) == [
        (utc(2024, 1, 5), utc(2024, 1, 6), "ann"),
        (utc(2024, 1, 6), utc(2024, 1, 8), "wen"),
        (utc(2024, 1, 8), utc(2024, 1, 8, 8), "ann"),  # ann's shift 0 ends at 09:00 Berlin
        (utc(2024, 1, 8, 8), utc(2024, 1, 9), "ann"),
    ]


def test_a_handoff_below_a_covering_layer_does_not_split_it() -> None:
    daily = Layer(
        name="daily",
        rotation=Rotation(
            participants=("ann", "bob"), unit=ShiftUnit.DAYS, time_zone="UTC", start=date(2024, 1, 1)
        ),
    )
    top = weekly("zed")
    schedule = Schedule(id="s1", layers=(daily, top))
    assert shifts_between(schedule, utc(2024, 1, 2), utc(2024, 1, 5)) == [
        layer_shift(utc(2024, 1, 2), utc(2024, 1, 5), "zed", 1, 0)
    ]
    # Same person, next rotation shift: a new piece, but no handoff.
    assert [s.shift_number for s in shifts_between(schedule, utc(2024, 1, 7), utc(2024, 1, 9))] == [
        0,
        1,
    ]
    assert next_handoff(schedule, utc(2024, 1, 2), within=timedelta(days=30)) is None


def test_next_handoff_at_a_weekly_dst_handoff() -> None:
    schedule = Schedule(id="s1", layers=(weekly("ann", "bob", start=date(2024, 3, 25)),))
    assert next_handoff(schedule, utc(2024, 3, 28)) == Handoff(
        at=utc(2024, 4, 1, 7), from_user_id="ann", to_user_id="bob"
    )
    assert next_handoff(schedule, utc(2024, 4, 1, 7)) == Handoff(
        at=utc(2024, 4, 8, 7), from_user_id="bob", to_user_id="ann"
    )


def test_shifts_overlapping_keeps_true_bounds() -> None:
    cover = Override(id="o1", user_id="xia", start=utc(2024, 1, 7, 19), end=utc(2024, 1, 9, 7))
    schedule = Schedule(id="s1", layers=(weekly("ann", "bob"),), overrides=(cover,))
    assert who(shifts_overlapping(schedule, utc(2024, 1, 8), utc(2024, 1, 10))) == [
        (utc(2024, 1, 7, 19), utc(2024, 1, 9, 7), "xia"),
        (utc(2024, 1, 9, 7), utc(2024, 1, 15, 8), "bob"),
    ]
    assert who(shifts_overlapping(schedule, utc(2024, 1, 3), utc(2024, 1, 4))) == [
        (utc(2024, 1, 1, 8), utc(2024, 1, 7, 19), "ann"),
    ]


def test_times_in_other_zones_are_accepted_and_answers_are_utc() -> None:
    from zoneinfo import ZoneInfo

    schedule = Schedule(id="s1", layers=(weekly("ann", "bob"),))
    berlin_nine = datetime(2024, 1, 8, 9, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    [shift] = on_call_at(schedule, berlin_nine)
    assert shift.user_id == "bob"
    assert shift.start.tzinfo is UTC


def test_naive_times_and_reversed_ranges_are_rejected() -> None:
    schedule = Schedule(id="s1", layers=(weekly("ann"),))
    with pytest.raises(InvalidInput, match="time zone aware"):
        on_call_at(schedule, datetime(2024, 1, 1))
    with pytest.raises(InvalidInput, match="before start"):
        shifts_between(schedule, utc(2024, 1, 2), utc(2024, 1, 1))
    with pytest.raises(ValidationError, match="end after it starts"):
        Override(id="o", user_id="x", start=utc(2024, 1, 2), end=utc(2024, 1, 2))
    twice = Override(id="o", user_id="x", start=utc(2024, 1, 1), end=utc(2024, 1, 2))
    with pytest.raises(ValidationError, match="unique"):
        Schedule(id="s", overrides=(twice, twice))
    with pytest.raises(ValidationError, match="timezone"):
        Override(id="o", user_id="x", start=datetime(2024, 1, 1), end=utc(2024, 1, 2))
