import itertools
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from warroom.errors import InvalidInput
from warroom.paging.escalation import (
    EscalationLevel,
    EscalationPolicy,
    EscalationStep,
    Target,
    TargetKind,
    next_step,
    plan,
    steps_due,
)

TRIGGERED = datetime(2026, 1, 12, 2, 47, tzinfo=UTC)


def at(hour: int, minute: int) -> datetime:
    return datetime(2026, 1, 12, hour, minute, tzinfo=UTC)


POLICY = EscalationPolicy(
    id="p1",
    levels=(
        EscalationLevel(targets=(Target.user("ann"),), delay=timedelta(minutes=5)),
        EscalationLevel(targets=(Target.schedule("primary"),), delay=timedelta(minutes=10)),
        EscalationLevel(
            targets=(Target.channel("incidents"), Target.user("cto")), delay=timedelta(minutes=15)
        ),
    ),
    repeat=1,
)


def summary(steps: list[EscalationStep]) -> list[tuple[int, int, int, datetime]]:
    return [(s.index, s.level_index, s.round, s.due_at) for s in steps]


def test_plan_fires_each_level_after_the_previous_levels_delay() -> None:
    steps = plan(POLICY, TRIGGERED)
    assert summary(steps) == [
        (0, 0, 0, at(2, 47)),
        (1, 1, 0, at(2, 52)),
        (2, 2, 0, at(3, 2)),
        (3, 0, 1, at(3, 17)),  # the last level's 15 minutes lead back to level 0
        (4, 1, 1, at(3, 22)),
        (5, 2, 1, at(3, 32)),
    ]
    assert steps[2].targets == (
        Target(kind=TargetKind.CHANNEL, id="incidents"),
        Target(kind=TargetKind.USER, id="cto"),
    )
    assert POLICY.step_count == 6


def test_no_repeat_means_one_round() -> None:
    once = POLICY.model_copy(update={"repeat": 0})
    assert [s.due_at for s in plan(once, TRIGGERED)] == [at(2, 47), at(2, 52), at(3, 2)]


def test_next_step() -> None:
    step = next_step(POLICY, TRIGGERED, 0)
    assert step is not None and step.due_at == TRIGGERED and step.level_index == 0
    step = next_step(POLICY, TRIGGERED, 4)
    assert step is not None and (step.level_index, step.round, step.due_at) == (1, 1, at(3, 22))
    assert next_step(POLICY, TRIGGERED, 6) is None


def test_steps_due_fires_exactly_the_missing_steps() -> None:
    assert summary(steps_due(POLICY, TRIGGERED, at(2, 47), 0)) == [(0, 0, 0, at(2, 47))]
    assert steps_due(POLICY, TRIGGERED, at(2, 51), 1) == []
    assert [s.index for s in steps_due(POLICY, TRIGGERED, at(2, 52), 1)] == [1]
    # The worker was down from 02:53 to 03:25, having fired two steps.
    assert [s.index for s in steps_due(POLICY, TRIGGERED, at(3, 25), 2)] == [2, 3, 4]
    assert steps_due(POLICY, TRIGGERED, at(9, 0), 6) == []


def test_invalid_inputs() -> None:
    with pytest.raises(ValidationError, match="positive"):
        EscalationLevel(targets=(Target.user("a"),), delay=timedelta(0))
    with pytest.raises(ValidationError):
        EscalationPolicy(id="p", levels=())
    with pytest.raises(ValidationError):
        EscalationLevel(targets=())
    with pytest.raises(ValidationError):
        EscalationPolicy(id="p", levels=POLICY.levels, repeat=-1)
    with pytest.raises(InvalidInput, match="0 or more"):
        steps_due(POLICY, TRIGGERED, TRIGGERED, -1)
    with pytest.raises(InvalidInput, match="time zone aware"):
        plan(POLICY, datetime(2026, 1, 12))


def test_targets_parse_from_json() -> None:
    level = EscalationLevel.model_validate({"targets": [{"kind": "schedule", "id": "s1"}]})
    assert level.targets == (Target.schedule("s1"),)
    assert level.delay == timedelta(minutes=30)


policies = st.builds(
    EscalationPolicy,
    id=st.just("p"),
    levels=st.lists(
        st.builds(
            EscalationLevel,
            targets=st.just((Target.user("u"),)),
            delay=st.integers(1, 120).map(lambda m: timedelta(minutes=m)),
        ),
        min_size=1,
        max_size=5,
    ).map(tuple),
    repeat=st.integers(0, 3),
)


@given(policies, st.lists(st.integers(0, 2000), max_size=10))
def test_a_resumed_worker_fires_each_step_once_in_order(policy: EscalationPolicy, ticks: list[int]) -> None:
    fired: list[EscalationStep] = []
    for minute in sorted(ticks):
        now = TRIGGERED + timedelta(minutes=minute)
        due = steps_due(policy, TRIGGERED, now, len(fired))
        assert all(step.due_at <= now for step in due)
        fired.extend(due)
        upcoming = next_step(policy, TRIGGERED, len(fired))
        assert upcoming is None or upcoming.due_at > now
    last = TRIGGERED + timedelta(minutes=max(ticks, default=-1))
    full = plan(policy, TRIGGERED)
    assert fired == [s for s in full if s.due_at <= last]
    assert [s.index for s in full] == list(range(policy.step_count))
    assert all(a.due_at < b.due_at for a, b in itertools.pairwise(full))
