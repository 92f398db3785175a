"""Algebraic properties of the timeline, over random rotations, windows and overrides."""

import itertools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from warroom.paging.schedules import (
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
)

# Lord Howe moves its clocks by 30 minutes; Kolkata never moves them.
ZONES = ["Europe/Berlin", "America/New_York", "UTC", "Australia/Lord_Howe", "Asia/Kolkata"]
PEOPLE = ["ann", "bob", "cy", "dee"]
EPOCH = datetime(2024, 1, 1, tzinfo=UTC)

# Half hours include 02:00 and 02:30, the wall times DST skips or repeats.
wall_times = st.builds(time, st.integers(0, 23), st.sampled_from([0, 30]))
weekdays = st.sampled_from(list(Weekday))


@st.composite
def rotations(draw: st.DrawFn) -> Rotation:
    unit = draw(st.sampled_from(list(ShiftUnit)))
    return Rotation(
        participants=tuple(draw(st.lists(st.sampled_from(PEOPLE), min_size=1, max_size=4))),
        unit=unit,
        length=draw(st.integers(1, 30) if unit is ShiftUnit.HOURS else st.integers(1, 3)),
        time_zone=draw(st.sampled_from(ZONES)),
        start=draw(st.dates(date(2023, 12, 1), date(2024, 12, 31))),
        handoff_time=draw(wall_times),
        handoff_weekday=draw(st.none() | weekdays) if unit is ShiftUnit.WEEKS else None,
    )


windows = st.builds(
    TimeWindow,
    weekdays=st.frozensets(weekdays, min_size=1),
    start=wall_times,
    end=wall_times,
)

layers = st.builds(
    Layer,
    name=st.just("layer"),
    rotation=rotations(),
    restrictions=st.lists(windows, max_size=2).map(tuple),
)

instants = st.integers(0, 400 * 24 * 60).map(lambda minutes: EPOCH + timedelta(minutes=minutes))


@st.composite
def overrides(draw: st.DrawFn) -> tuple[Override, ...]:
    out = []
    for index in range(draw(st.integers(0, 3))):
        start = draw(instants)
        length = timedelta(minutes=draw(st.integers(1, 10 * 24 * 60)))
        user = draw(st.sampled_from([*PEOPLE, "xia"]))
        out.append(Override(id=f"o{index}", user_id=user, start=start, end=start + length))
    return tuple(out)


schedules = st.builds(
    Schedule,
    id=st.just("s"),
    layers=st.lists(layers, max_size=3).map(tuple),
    overrides=overrides(),
)


@st.composite
def ranges(draw: st.DrawFn) -> tuple[datetime, datetime]:
    start = draw(instants)
    return start, start + timedelta(minutes=draw(st.integers(0, 20 * 24 * 60)))


def identity(shift: Shift) -> tuple[object, ...]:
    return (shift.user_id, shift.kind, shift.layer_index, shift.shift_number, shift.override_id)


SLOW = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SLOW
@given(schedules, ranges())
def test_timeline_is_a_contiguous_non_overlapping_cover(
    schedule: Schedule, span: tuple[datetime, datetime]
) -> None:
    start, end = span
    shifts = shifts_between(schedule, start, end)
    if start == end:
        assert shifts == []
        return
    assert shifts[0].start == start
    assert shifts[-1].end == end
    for shift in shifts:
        assert shift.start < shift.end
        assert (shift.kind is ShiftKind.GAP) == (shift.user_id is None)
    for before, after in itertools.pairwise(shifts):
        assert before.end == after.start
        # Maximal: a split always means a different person or source.
        assert identity(before) != identity(after)


@SLOW
@given(schedules, ranges(), st.lists(st.floats(0, 1, exclude_max=True), min_size=1, max_size=8))
def test_timeline_agrees_with_on_call_at(
    schedule: Schedule, span: tuple[datetime, datetime], fractions: list[float]
) -> None:
    start, end = span
    shifts = shifts_between(schedule, start, end)
    for fraction in fractions:
        at = start + (end - start) * fraction
        if at >= end:
            continue
        [piece] = [s for s in shifts if s.start <= at < s.end]
        in_force = on_call_at(schedule, at)
        if piece.kind is ShiftKind.GAP:
            assert in_force == []
        else:
            [source] = in_force
            assert identity(source) == identity(piece)
            assert source.start <= piece.start and piece.end <= source.end


@SLOW
@given(schedules, ranges(), st.floats(0, 1))
def test_splitting_the_range_changes_nothing(
    schedule: Schedule, span: tuple[datetime, datetime], fraction: float
) -> None:
    start, end = span
    middle = min(start + (end - start) * fraction, end)
    whole = shifts_between(schedule, start, end)
    parts = shifts_between(schedule, start, middle) + shifts_between(schedule, middle, end)
    joined: list[Shift] = []
    for shift in parts:
        if joined and identity(joined[-1]) == identity(shift) and joined[-1].end == shift.start:
            joined[-1] = joined[-1].model_copy(update={"end": shift.end})
        else:
            joined.append(shift)
    assert joined == whole


@settings(max_examples=60, deadline=None)
@given(schedules, instants)
def test_next_handoff_is_the_first_change_of_person(schedule: Schedule, after: datetime) -> None:
    handoff = next_handoff(schedule, after, within=timedelta(days=20))
    before = on_call_at(schedule, after)
    holder = before[0].user_id if before else None
    if handoff is None:
        return
    assert handoff.at > after
    assert handoff.from_user_id == holder
    assert handoff.from_user_id != handoff.to_user_id
    arriving = on_call_at(schedule, handoff.at)
    assert (arriving[0].user_id if arriving else None) == handoff.to_user_id
    assert {s.user_id for s in shifts_between(schedule, after, handoff.at)} == {holder}


@settings(max_examples=200, deadline=None)
@given(rotations(), st.integers(0, 200))
def test_wall_clock_handoffs_keep_their_local_time(rotation: Rotation, number: int) -> None:
    begin, finish = rotation.handoff(number), rotation.handoff(number + 1)
    assert begin < finish
    assert rotation.shift_number_at(begin) == number
    assert rotation.shift_number_at(finish - timedelta(microseconds=1)) == number
    if rotation.unit is ShiftUnit.HOURS:
        assert finish - begin == timedelta(hours=rotation.length)
        return
    tz = ZoneInfo(rotation.time_zone)
    local = begin.astimezone(tz)
    wanted = datetime.combine(local.date(), rotation.handoff_time)
    exists = (
        datetime.combine(local.date(), rotation.handoff_time, tzinfo=tz)
        .astimezone(UTC)
        .astimezone(tz)
        .replace(tzinfo=None)
        == wanted
    )
    if exists:
        assert local.replace(tzinfo=None) == wanted
    else:
        # Skipped by a DST jump: the handoff is as late as the jump is long, same day.
        assert local.date() == wanted.date()
        assert local.replace(tzinfo=None) > wanted
    if rotation.handoff_weekday is not None:
        assert wanted.weekday() == rotation.handoff_weekday
