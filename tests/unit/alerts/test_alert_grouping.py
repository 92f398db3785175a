"""The grouping decision: a table of cases, then the invariants that hold for every input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from warroom.alerts.grouping import (
    GroupingAction,
    GroupingInput,
    decide,
    within_reopen_window,
)
from warroom.alerts.model import AlertStatus

NOW = datetime(2026, 11, 21, 3, 0, tzinfo=UTC)
FIRING, RESOLVED = AlertStatus.FIRING, AlertStatus.RESOLVED
A = GroupingAction


def facts(**kw: Any) -> GroupingInput:
    base: dict[str, Any] = {
        "status": FIRING,
        "previous_status": None,
        "in_open_incident": False,
        "group_has_open_incident": False,
        "group_resolved_at": None,
        "silenced": False,
        "now": NOW,
    }
    base.update(kw)
    return GroupingInput(**base)


@pytest.mark.parametrize(
    ("kw", "action"),
    [
        ({}, A.NEW_INCIDENT),
        ({"group_has_open_incident": True}, A.JOIN),
        ({"group_resolved_at": NOW - timedelta(minutes=30)}, A.REOPEN),
        ({"group_resolved_at": NOW - timedelta(hours=2)}, A.NEW_INCIDENT),
        ({"group_resolved_at": NOW + timedelta(seconds=5)}, A.REOPEN),  # clock skew
        ({"silenced": True}, A.IGNORE_SILENCED),
        ({"silenced": True, "group_has_open_incident": True}, A.IGNORE_SILENCED),
        (
            {"previous_status": FIRING, "in_open_incident": True, "group_has_open_incident": True},
            A.UPDATE_ONLY,
        ),
        (
            {
                "previous_status": FIRING,
                "in_open_incident": True,
                "group_has_open_incident": True,
                "silenced": True,
            },
            A.UPDATE_ONLY,
        ),
        ({"previous_status": RESOLVED, "in_open_incident": True, "group_has_open_incident": True}, A.JOIN),
        # its incident was resolved by a person while it kept firing: a firing alert is never dropped
        ({"previous_status": FIRING, "group_resolved_at": NOW - timedelta(minutes=5)}, A.REOPEN),
        ({"status": RESOLVED}, A.UPDATE_ONLY),
        ({"status": RESOLVED, "previous_status": RESOLVED}, A.UPDATE_ONLY),
        ({"status": RESOLVED, "previous_status": FIRING}, A.UPDATE_ONLY),
        (
            {
                "status": RESOLVED,
                "previous_status": FIRING,
                "in_open_incident": True,
                "firing_in_incident": 3,
            },
            A.RESOLVE_PART,
        ),
        ({"status": RESOLVED, "previous_status": RESOLVED, "in_open_incident": True}, A.UPDATE_ONLY),
    ],
)
def test_decision_table(kw: dict[str, Any], action: GroupingAction) -> None:
    decision = decide(facts(**kw))
    assert decision.action is action
    assert decision.reason


def test_last_firing_alert_resolves_the_incident_unless_auto_resolve_is_off() -> None:
    last = {"status": RESOLVED, "previous_status": FIRING, "in_open_incident": True, "firing_in_incident": 1}
    decision = decide(facts(**last))
    assert (decision.action, decision.resolves_incident) == (A.RESOLVE_PART, True)
    decision = decide(facts(**last, auto_resolve=False))
    assert (decision.action, decision.resolves_incident) == (A.RESOLVE_PART, False)
    assert "auto-resolve is off" in decision.reason
    decision = decide(facts(**{**last, "firing_in_incident": 2}))
    assert decision.resolves_incident is False
    assert "1 other alert(s) still firing" in decision.reason


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"in_open_incident": True}, "never seen before"),
        ({"firing_in_incident": -1}, "negative"),
        ({"reopen_window": timedelta(seconds=-1)}, "negative"),
        ({"now": datetime(2026, 1, 1)}, "aware"),
    ],
)
def test_inconsistent_facts_are_refused(kw: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        facts(**kw)


statuses = st.sampled_from([FIRING, RESOLVED])


@st.composite
def inputs(draw: st.DrawFn) -> GroupingInput:
    previous = draw(st.one_of(st.none(), statuses))
    return GroupingInput(
        status=draw(statuses),
        previous_status=previous,
        in_open_incident=previous is not None and draw(st.booleans()),
        group_has_open_incident=draw(st.booleans()),
        group_resolved_at=draw(
            st.one_of(st.none(), st.integers(-600, 600).map(lambda m: NOW - timedelta(minutes=m)))
        ),
        silenced=draw(st.booleans()),
        now=NOW,
        reopen_window=timedelta(minutes=draw(st.integers(0, 300))),
        firing_in_incident=draw(st.integers(0, 5)),
        auto_resolve=draw(st.booleans()),
    )


@given(f=inputs())
def test_invariants(f: GroupingInput) -> None:
    decision = decide(f)
    assert decision.reason
    if f.status is RESOLVED:
        # a resolution never opens, joins, reopens or is silenced
        assert decision.action in (A.RESOLVE_PART, A.UPDATE_ONLY)
    else:
        assert decision.action is not A.RESOLVE_PART
        if not f.silenced:
            assert decision.action is not A.IGNORE_SILENCED
        if f.silenced:
            # a silenced alert never creates or grows an incident
            assert decision.action in (A.IGNORE_SILENCED, A.UPDATE_ONLY)
        if decision.action is A.UPDATE_ONLY:
            assert f.in_open_incident and f.previous_status is FIRING
        if decision.action is A.REOPEN:
            assert not f.group_has_open_incident and not f.in_open_incident
            assert within_reopen_window(f.group_resolved_at, f.now, f.reopen_window)
        if decision.action is A.NEW_INCIDENT:
            assert not f.group_has_open_incident and not f.in_open_incident
    if decision.resolves_incident:
        assert decision.action is A.RESOLVE_PART and f.auto_resolve and f.firing_in_incident <= 1


@given(f=inputs(), extra=st.integers(0, 300))
def test_a_wider_reopen_window_never_turns_a_reopen_into_something_else(f: GroupingInput, extra: int) -> None:
    wider = GroupingInput(
        **{
            **{k: getattr(f, k) for k in f.__slots__},
            "reopen_window": f.reopen_window + timedelta(minutes=extra),
        }
    )
    if decide(f).action is A.REOPEN:
        assert decide(wider).action is A.REOPEN


@given(f=inputs())
def test_silence_only_ever_quiets(f: GroupingInput) -> None:
    loud = decide(GroupingInput(**{**{k: getattr(f, k) for k in f.__slots__}, "silenced": False}))
    quiet = decide(GroupingInput(**{**{k: getattr(f, k) for k in f.__slots__}, "silenced": True}))
    if loud.action in (A.UPDATE_ONLY, A.RESOLVE_PART):
        assert quiet == loud
