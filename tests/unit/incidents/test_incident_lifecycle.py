"""The incident lifecycle rules: every move, no-ops, late acknowledge, reopen, and a property."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from warroom.incidents.lifecycle import ORDER, STAMP, Status, move, parse_status, reopen

OPEN = [s for s in ORDER if s.is_open]


def test_statuses_in_order() -> None:
    assert [s.value for s in ORDER] == [
        "triggered",
        "acknowledged",
        "investigating",
        "mitigating",
        "resolved",
    ]
    assert [s.is_open for s in ORDER] == [True, True, True, True, False]
    assert set(STAMP) == set(ORDER) - {Status.TRIGGERED}


@pytest.mark.parametrize("text", ["acknowledged", " Mitigating ", "RESOLVED"])
def test_parse_status(text: str) -> None:
    assert parse_status(text).value == text.strip().lower()


def test_parse_status_says_what_is_valid() -> None:
    with pytest.raises(ValueError, match="acknowledged, investigating, mitigating or resolved"):
        parse_status("closed")


@pytest.mark.parametrize("current", ORDER)
def test_same_status_is_a_noop(current: Status) -> None:
    m = move(current, current)
    assert not m.changed and m.to is current and m.note == f"already {current.value}"


@pytest.mark.parametrize("current", OPEN)
@pytest.mark.parametrize("target", [Status.INVESTIGATING, Status.MITIGATING, Status.RESOLVED])
def test_open_states_move_forward_and_back_but_not_to_triggered(current: Status, target: Status) -> None:
    m = move(current, target)
    if current is target:
        assert not m.changed
    else:
        assert m.changed and m.to is target and m.note == f"{current.value} → {target.value}"


def test_skipping_forward_is_allowed() -> None:
    assert move(Status.TRIGGERED, Status.RESOLVED).changed
    assert move(Status.TRIGGERED, Status.MITIGATING).changed
    assert move(Status.TRIGGERED, Status.ACKNOWLEDGED).changed


def test_failed_mitigation_goes_back_to_investigating() -> None:
    m = move(Status.MITIGATING, Status.INVESTIGATING)
    assert m.changed and m.to is Status.INVESTIGATING


@pytest.mark.parametrize("current", [Status.INVESTIGATING, Status.MITIGATING])
def test_acknowledge_after_a_later_state_is_a_noop(current: Status) -> None:
    m = move(current, Status.ACKNOWLEDGED)
    assert not m.changed and m.to is current and "implies acknowledged" in m.note


@pytest.mark.parametrize("current", [Status.ACKNOWLEDGED, Status.INVESTIGATING, Status.MITIGATING])
def test_an_open_incident_cannot_go_back_to_triggered(current: Status) -> None:
    with pytest.raises(ValueError, match="cannot go back to triggered"):
        move(current, Status.TRIGGERED)


def test_late_acknowledge_after_resolve_changes_nothing_and_says_so() -> None:
    m = move(Status.RESOLVED, Status.ACKNOWLEDGED)
    assert not m.changed and m.to is Status.RESOLVED
    assert "late acknowledge changes nothing" in m.note


@pytest.mark.parametrize("target", [Status.TRIGGERED, Status.INVESTIGATING, Status.MITIGATING])
def test_resolved_only_leaves_through_reopen(target: Status) -> None:
    with pytest.raises(ValueError, match="reopen it"):
        move(Status.RESOLVED, target)


def test_reopen() -> None:
    m = reopen(Status.RESOLVED)
    assert m.changed and m.to is Status.TRIGGERED and "reopened" in m.note
    for s in OPEN:
        r = reopen(s)
        assert not r.changed and r.to is s and "not resolved" in r.note


# -- property: a random sequence of moves, applied like the service applies them ----------

ACTIONS = st.lists(st.one_of(st.sampled_from(ORDER), st.just("reopen")), max_size=40)


@given(ACTIONS)
def test_random_sequences_leave_resolved_only_by_reopen_and_stamp_once(actions: list[Status | str]) -> None:
    status = Status.TRIGGERED
    stamps: dict[str, int] = {}
    for step, action in enumerate(actions):
        before = status
        if action == "reopen":
            m = reopen(status)
        else:
            assert isinstance(action, Status)
            try:
                m = move(status, action)
            except ValueError:
                # Only nonsensical moves raise: back to triggered, or out of resolved.
                assert action is Status.TRIGGERED or status is Status.RESOLVED
                continue
        if m.changed:
            assert m.to is not before
            status = m.to
            name = STAMP.get(status)
            if name is not None:
                stamps.setdefault(name, step)  # the first time a state is reached, never again
        else:
            assert m.to is before
        if before is Status.RESOLVED and status is not Status.RESOLVED:
            assert action == "reopen" and status is Status.TRIGGERED
        if action == "reopen" and before is not Status.RESOLVED:
            assert status is before
        # A status only appears through an explicit move to it (or reopen → triggered).
        if status is not before:
            assert status is action or (action == "reopen" and status is Status.TRIGGERED)
    for name, step in stamps.items():
        assert actions[step] is next(s for s, n in STAMP.items() if n == name)
