"""Matchers and silences behave as Alertmanager's do."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from warroom.alerts.errors import MatcherError
from warroom.alerts.silences import (
    Matcher,
    MatchOp,
    Silence,
    SilenceState,
    coerce_matchers,
    find_silence,
    maintenance_window,
    parse_matchers,
)

T0 = datetime(2026, 11, 21, 2, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def test_parse_text_forms() -> None:
    expected = [
        Matcher("service", MatchOp.REGEX, "user-.*"),
        Matcher("env", MatchOp.EQUAL, "prod"),
        Matcher("team", MatchOp.NOT_EQUAL, ""),
        Matcher("instance", MatchOp.NOT_REGEX, "api-[12]"),
    ]
    assert parse_matchers('{service=~"user-.*", env="prod", team!="", instance!~"api-[12]"}') == expected
    assert parse_matchers("service=~user-.*,env=prod,team!=,instance!~api-[12]") == expected
    assert (
        parse_matchers(' { service =~ "user-.*" , env = prod , team != "" , instance !~ "api-[12]" , } ')
        == expected
    )
    assert parse_matchers("{}") == []
    assert Matcher.parse('msg="say \\"hi\\"\\n"').value == 'say "hi"\n'
    assert Matcher.parse('n=~"\\d+"').value == "\\d+"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('service=~"user-.*', "unterminated quoted string"),
        ("service", "expected one of =, !=, =~, !~"),
        ('{a="b"', "expected ',' or '}'"),
        ('a="b" c="d"', "expected ',' between matchers"),
        ("=x", "expected a label name"),
        ('{a="b"} extra', "unexpected text after the matchers"),
    ],
)
def test_parse_errors_say_where(text: str, problem: str) -> None:
    with pytest.raises(MatcherError, match="cannot parse matchers") as caught:
        parse_matchers(text)
    assert problem in str(caught.value)


def test_invalid_regex_names_the_matcher() -> None:
    with pytest.raises(
        MatcherError, match=r'matcher service=~"user-\(": \'user-\(\' is not a valid regular expression'
    ):
        Matcher.parse('service=~"user-("')
    with pytest.raises(ValueError):  # MatcherError is a ValueError too
        Matcher("a", MatchOp.NOT_REGEX, "[")


def test_regex_is_anchored_on_both_ends() -> None:
    m = Matcher("service", MatchOp.REGEX, "user")
    assert m.matches({"service": "user"})
    assert not m.matches({"service": "user-api"})
    assert not m.matches({"service": "the-user"})
    assert not m.matches({"service": "user\n"})
    assert Matcher("service", MatchOp.REGEX, "a|b").matches({"service": "b"})


def test_missing_label_reads_as_empty() -> None:
    assert Matcher("team", MatchOp.EQUAL, "").matches({})
    assert not Matcher("team", MatchOp.NOT_EQUAL, "").matches({})
    assert Matcher("team", MatchOp.NOT_EQUAL, "").matches({"team": "sre"})
    assert Matcher("team", MatchOp.REGEX, ".*").matches({})


def test_structured_forms() -> None:
    assert Matcher.from_dict({"name": "a", "value": "b.*", "isRegex": True, "isEqual": False}) == Matcher(
        "a", MatchOp.NOT_REGEX, "b.*"
    )
    assert Matcher.from_dict({"name": "a", "value": "b"}) == Matcher("a", MatchOp.EQUAL, "b")
    assert Matcher.from_dict({"name": "a", "op": "!=", "value": "b"}) == Matcher("a", MatchOp.NOT_EQUAL, "b")
    m = Matcher("a", MatchOp.REGEX, "x")
    assert Matcher.from_dict(m.as_dict()) == m
    with pytest.raises(MatcherError, match="op '<>' is not one of"):
        Matcher.from_dict({"name": "a", "op": "<>", "value": "b"})
    with pytest.raises(MatcherError, match="needs string `name` and `value`"):
        Matcher.from_dict({"name": "a", "value": 3})
    with pytest.raises(MatcherError, match="isRegex and isEqual must be booleans"):
        Matcher.from_dict({"name": "a", "value": "b", "isRegex": "yes"})


def test_coerce_mixed_inputs() -> None:
    got = coerce_matchers([Matcher("a", MatchOp.EQUAL, "1"), 'b!="2"', {"name": "c", "value": "3"}])
    assert [str(m) for m in got] == ['a="1"', 'b!="2"', 'c="3"']
    with pytest.raises(MatcherError, match="must be a string or an object"):
        coerce_matchers([3])  # type: ignore[list-item]


label_values = st.text(max_size=6)
labels_st = st.dictionaries(st.sampled_from(["a", "b", "c"]), label_values, max_size=3)
simple_regexes = st.sampled_from(["", ".*", ".+", "a.*", "[ab]", "x|y", "\\d+", "(a|b)c?"])


@given(name=st.sampled_from(["a", "b", "c"]), value=label_values, regex=simple_regexes, labels=labels_st)
def test_negations_are_complements(name: str, value: str, regex: str, labels: dict[str, str]) -> None:
    assert Matcher(name, MatchOp.NOT_EQUAL, value).matches(labels) != Matcher(
        name, MatchOp.EQUAL, value
    ).matches(labels)
    assert Matcher(name, MatchOp.NOT_REGEX, regex).matches(labels) != Matcher(
        name, MatchOp.REGEX, regex
    ).matches(labels)


@given(name=st.sampled_from(["a", "b"]), value=label_values, labels=labels_st)
def test_escaped_regex_equals_equality(name: str, value: str, labels: dict[str, str]) -> None:
    import re

    assert Matcher(name, MatchOp.REGEX, re.escape(value)).matches(labels) == Matcher(
        name, MatchOp.EQUAL, value
    ).matches(labels)


matchers_st = st.builds(
    Matcher,
    st.text(min_size=1, max_size=8),
    st.sampled_from([MatchOp.EQUAL, MatchOp.NOT_EQUAL]),
    st.text(max_size=8),
) | st.builds(
    Matcher,
    st.text(min_size=1, max_size=8),
    st.sampled_from([MatchOp.REGEX, MatchOp.NOT_REGEX]),
    simple_regexes,
)


@given(matchers=st.lists(matchers_st, max_size=4))
def test_text_form_round_trips(matchers: list[Matcher]) -> None:
    text = "{" + ", ".join(str(m) for m in matchers) + "}"
    assert parse_matchers(text) == matchers


def silence(matchers: str = 'service="payments"', **kw: object) -> Silence:
    args: dict[str, object] = {
        "starts_at": T0,
        "ends_at": T0 + HOUR,
        "created_by": "sarah",
        "comment": "deploy",
    }
    args.update(kw)
    return Silence.create(matchers, **args)  # type: ignore[arg-type]


def test_silence_time_range_is_half_open() -> None:
    s = silence()
    assert s.state(T0 - timedelta(seconds=1)) is SilenceState.PENDING
    assert s.is_active(T0)
    assert s.is_active(T0 + HOUR - timedelta(microseconds=1))
    assert s.state(T0 + HOUR) is SilenceState.EXPIRED


def test_silence_matches_all_matchers() -> None:
    s = silence('service="payments", severity=~"warning|info"')
    assert s.matches({"service": "payments", "severity": "info"})
    assert not s.matches({"service": "payments", "severity": "critical"})
    assert s.mutes({"service": "payments", "severity": "info"}, T0)
    assert not s.mutes({"service": "payments", "severity": "info"}, T0 + 2 * HOUR)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"matchers": ""}, "at least one matcher"),
        ({"matchers": 'team=~".*"'}, "does not match an empty label"),
        ({"matchers": 'team!="x"'}, "does not match an empty label"),
        ({"ends_at": T0}, "ends_at must be after starts_at"),
        ({"starts_at": datetime(2026, 1, 1)}, "aware"),
        ({"created_by": " "}, "created_by"),
    ],
)
def test_silence_validation(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        silence(**kwargs)  # type: ignore[arg-type]


def test_find_silence_and_maintenance_window() -> None:
    window = maintenance_window(
        "payments", starts_at=T0, ends_at=T0 + HOUR, created_by="ops", comment="db upgrade"
    )
    other = silence('service="search"')
    assert find_silence({"service": "payments"}, [other, window], T0) is window
    assert find_silence({"service": "payments"}, [other, window], T0 + HOUR) is None
    assert find_silence({"service": "users"}, [other, window], T0) is None
