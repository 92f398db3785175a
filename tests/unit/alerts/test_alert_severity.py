"""Severity mapping: total, documented, overridable — and every answer explains itself."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from warroom.alerts.severity import (
    BUILT_IN,
    Candidate,
    SeverityBasis,
    SeverityPolicy,
    Vocabulary,
    map_severity,
)
from warroom.priority import Priority, parse_priority

P0, P1, P2, P3 = Priority.CRITICAL, Priority.HIGH, Priority.MEDIUM, Priority.LOW


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("critical", P0),
        ("CRIT", P0),
        (" fatal ", P0),
        ("page", P0),
        ("error", P1),
        ("high", P1),
        ("Major", P1),
        ("warning", P2),
        ("warn", P2),
        ("medium", P2),
        ("minor", P2),
        ("info", P3),
        ("low", P3),
        ("informational", P3),
        ("ok", P3),
        ("P0", P0),
        ("p1", P1),
        ("P2", P2),
        ("P3", P3),
        ("P5", P3),
    ],
)
def test_generic_table(raw: str, expected: Priority) -> None:
    decision = map_severity(raw)
    assert decision.severity is expected
    assert decision.basis is SeverityBasis.BUILT_IN


@pytest.mark.parametrize(
    ("vocabulary", "raw", "expected"),
    [
        (Vocabulary.PAGERDUTY_PRIORITY, "P1", P0),
        (Vocabulary.PAGERDUTY_PRIORITY, "P2", P1),
        (Vocabulary.PAGERDUTY_PRIORITY, "P3", P2),
        (Vocabulary.PAGERDUTY_PRIORITY, "P4", P3),
        (Vocabulary.PAGERDUTY_PRIORITY, "P5", P3),
        (Vocabulary.PAGERDUTY_URGENCY, "high", P1),
        (Vocabulary.PAGERDUTY_URGENCY, "low", P3),
        (Vocabulary.OPSGENIE_PRIORITY, "P1", P0),
        (Vocabulary.OPSGENIE_PRIORITY, "P2", P1),
        (Vocabulary.OPSGENIE_PRIORITY, "P3", P2),
        (Vocabulary.OPSGENIE_PRIORITY, "P4", P3),
        (Vocabulary.OPSGENIE_PRIORITY, "P5", P3),
        (Vocabulary.DATADOG_MONITOR_PRIORITY, "P1", P0),
        (Vocabulary.DATADOG_ALERT_TYPE, "error", P1),
        (Vocabulary.DATADOG_ALERT_TYPE, "warning", P2),
        (Vocabulary.DATADOG_ALERT_TYPE, "info", P3),
        (Vocabulary.DATADOG_ALERT_TYPE, "success", P3),
        (Vocabulary.DATADOG_EVENT_PRIORITY, "normal", P2),
        (Vocabulary.DATADOG_EVENT_PRIORITY, "low", P3),
    ],
)
def test_source_vocabularies(vocabulary: Vocabulary, raw: str, expected: Priority) -> None:
    assert map_severity(raw, vocabulary=vocabulary).severity is expected


def test_p1_means_different_things_in_different_vocabularies() -> None:
    assert map_severity("P1").severity is P1
    assert map_severity("P1", vocabulary=Vocabulary.OPSGENIE_PRIORITY).severity is P0


def test_generic_table_agrees_with_parse_priority() -> None:
    # A value must mean the same in a label as in a published message.
    for raw in ["critical", "high", "medium", "low", "P0", "P1", "P2", "P3", "1", "2", "3", "4", "5"]:
        assert map_severity(raw).severity is parse_priority(raw), raw


def test_rule_strings() -> None:
    assert map_severity("critical", where="label severity").rule == "label severity=critical → P0 (built-in)"
    assert map_severity("disaster", where="label severity").rule == (
        "label severity: unknown value 'disaster' → P2 (default for unknown)"
    )
    assert map_severity(None).rule == "no severity given → P2 (default for missing)"
    assert map_severity("   ").basis is SeverityBasis.DEFAULT_MISSING
    long = map_severity("x" * 500).rule
    assert len(long) < 150 and "…" in long


def test_overrides_win_and_default_is_configurable() -> None:
    policy = SeverityPolicy.build({"Disaster": "critical", "warning": 4}, default="low")
    assert policy.map("DISASTER", where="label severity").rule == (
        "label severity=DISASTER → P0 (integration override)"
    )
    assert policy.map("warning", where="s").severity is P1  # beats the built-in table
    unknown = policy.map("whatever", where="s")
    assert unknown.severity is P3
    assert unknown.rule.endswith("→ P3 (default for unknown)")


@pytest.mark.parametrize(
    ("overrides", "default", "message"),
    [
        ({"x": "urgent"}, "medium", r"severity_overrides\['x'\]: priority 'urgent' is not valid"),
        ({"": "high"}, "medium", "severity_overrides key '' must be a non-empty string"),
        ({}, "sev9", "default_severity: priority 'sev9' is not valid"),
    ],
)
def test_bad_policy_config_names_the_entry(
    overrides: dict[str, object], default: object, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        SeverityPolicy.build(overrides, default)


def test_first_known_prefers_recognised_candidates() -> None:
    policy = SeverityPolicy()
    decision = policy.first_known(
        [Candidate("label severity", "disaster"), Candidate("label priority", "high")]
    )
    assert decision.severity is P1
    assert decision.rule == "label priority=high → P1 (built-in)"
    unknown = policy.first_known([Candidate("label severity", None), Candidate("label priority", "zzz")])
    assert unknown.rule == "label priority: unknown value 'zzz' → P2 (default for unknown)"
    assert policy.first_known([]).rule == "no severity given (looked at severity) → P2 (default for missing)"


policies = st.builds(
    SeverityPolicy.build,
    st.dictionaries(st.text(min_size=1).filter(str.strip), st.sampled_from(list(Priority)), max_size=5),
    st.sampled_from(list(Priority)),
)


@given(raw=st.one_of(st.none(), st.text()), vocabulary=st.sampled_from(list(Vocabulary)), policy=policies)
def test_mapping_is_total_with_a_rule(
    raw: str | None, vocabulary: Vocabulary, policy: SeverityPolicy
) -> None:
    decision = policy.map(raw, where="label severity", vocabulary=vocabulary)
    assert decision.severity in set(Priority)
    assert decision.rule
    assert decision.severity.severity in decision.rule
    assert decision.basis.value in decision.rule
    assert decision.rule.isprintable()  # one line in a timeline, whatever the payload sent
    if decision.basis is SeverityBasis.OVERRIDE:
        assert raw is not None and decision.severity is policy.overrides[raw.strip().casefold()]
    elif decision.basis is SeverityBasis.BUILT_IN:
        assert raw is not None and decision.severity is BUILT_IN[vocabulary][raw.strip().casefold()]
    else:
        assert decision.severity is policy.default


@given(raw=st.text(), vocabulary=st.sampled_from(list(Vocabulary)))
def test_mapping_ignores_case_and_surrounding_space(raw: str, vocabulary: Vocabulary) -> None:
    base = map_severity(raw, vocabulary=vocabulary)
    variant = map_severity(f"  {raw.upper()}\t", vocabulary=vocabulary)
    if raw.upper().casefold() == raw.casefold():
        assert variant.severity is base.severity
