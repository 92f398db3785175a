"""Priority spellings: every documented form, any case, and nothing else."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from warroom.priority import ACCEPTED_SPELLINGS, Priority, PriorityError, parse_priority

SPELLINGS = {
    "critical": Priority.CRITICAL,
    "high": Priority.HIGH,
    "medium": Priority.MEDIUM,
    "low": Priority.LOW,
    "p0": Priority.CRITICAL,
    "p1": Priority.HIGH,
    "p2": Priority.MEDIUM,
    "p3": Priority.LOW,
    "5": Priority.CRITICAL,
    "4": Priority.HIGH,
    "3": Priority.MEDIUM,
    "2": Priority.LOW,
    "1": Priority.LOW,
}


def _recase(word: str, flips: list[bool]) -> str:
    return "".join(
        c.upper() if flip else c.lower()
        for c, flip in zip(word, (flips + [False] * len(word))[: len(word)], strict=True)
    )


@given(
    st.sampled_from(sorted(SPELLINGS)),
    st.lists(st.booleans(), max_size=8),
    st.sampled_from(["", " ", "\t", "  "]),
    st.sampled_from(["", " ", "\n"]),
)
def test_every_spelling_in_any_case_and_padding(word: str, flips: list[bool], left: str, right: str) -> None:
    assert parse_priority(left + _recase(word, flips) + right) is SPELLINGS[word]


@pytest.mark.parametrize(
    ("number", "expected"), [(5, "critical"), (4, "high"), (3, "medium"), (2, "low"), (1, "low")]
)
def test_ntfy_numbers_as_ints(number: int, expected: str) -> None:
    assert parse_priority(number) is Priority(expected)


@pytest.mark.parametrize("p", list(Priority))
def test_stored_form_and_severity_round_trip(p: Priority) -> None:
    assert parse_priority(p) is p
    assert parse_priority(p.value) is p
    assert parse_priority(p.severity) is p
    assert Priority.from_rank(p.rank) is p
    assert p.severity == f"P{p.rank}"


def test_ranks_match_severities() -> None:
    assert [p.severity for p in sorted(Priority, key=lambda p: p.rank)] == ["P0", "P1", "P2", "P3"]
    assert Priority.CRITICAL.rank == 0 and Priority.LOW.rank == 3


@given(st.sampled_from(list(Priority)), st.sampled_from(list(Priority)))
def test_at_least_is_the_rank_order(a: Priority, b: Priority) -> None:
    assert a.at_least(b) == (a.rank <= b.rank)
    assert a.at_least(b) or b.at_least(a)  # total
    if a.at_least(b) and b.at_least(a):
        assert a is b  # antisymmetric


@given(st.sampled_from(list(Priority)), st.sampled_from(list(Priority)), st.sampled_from(list(Priority)))
def test_at_least_is_transitive(a: Priority, b: Priority, c: Priority) -> None:
    if a.at_least(b) and b.at_least(c):
        assert a.at_least(c)


@pytest.mark.parametrize(
    "bad",
    ["", "  ", "P4", "p-1", "6", "0", "-1", "urgent", "crit", "critical!", "P 0", "1.0", "five", "hi gh"],
)
def test_bad_strings_are_rejected_with_the_accepted_spellings(bad: str) -> None:
    with pytest.raises(PriorityError) as exc:
        parse_priority(bad)
    assert ACCEPTED_SPELLINGS in str(exc.value)
    assert repr(bad) in str(exc.value)


@pytest.mark.parametrize("bad", [0, 6, -1, 100, True, False, None, 3.0, [], {"p": 1}, b"high"])
def test_bad_non_strings_are_rejected(bad: object) -> None:
    with pytest.raises(PriorityError):
        parse_priority(bad)


def test_priority_error_is_a_value_error() -> None:
    # Doors map ValueError from pydantic validators to field errors.
    assert issubclass(PriorityError, ValueError)


@given(st.text(max_size=12))
def test_random_text_is_accepted_only_when_it_is_a_spelling(s: str) -> None:
    key = s.strip().lower()
    if key in SPELLINGS:
        assert parse_priority(s) is SPELLINGS[key]
    else:
        with pytest.raises(PriorityError):
            parse_priority(s)
