"""Severity mapping: every raw value a source sends becomes exactly one of P0–P3, with a rule
string that says why, so "why did this page me at 3 AM?" always has an answer.

Order of rules, first match wins:

1. the integration's overrides (raw value → severity, case-insensitive);
2. the built-in table of the field's vocabulary, below;
3. the integration's default severity (P2/medium unless configured), stated in the rule as
   "default for unknown" or "default for missing".

Built-in tables (raw values compared after trimming and case-folding):

==========================  =======================================================  ====
vocabulary                  raw values                                               →
==========================  =======================================================  ====
generic (labels, JSON)      critical crit fatal emergency emerg page p0 5            P0
                            error err high major severe p1 4                         P1
                            warning warn medium moderate minor average p2 3          P2
                            info information informational low ok notice debug       P3
                            none p3 p4 p5 2 1
PagerDuty priority          P1                                                       P0
                            P2                                                       P1
                            P3                                                       P2
                            P4 P5                                                    P3
PagerDuty urgency           high                                                     P1
                            low                                                      P3
Opsgenie priority           P1 / P2 / P3 / P4 P5                                     P0 / P1 / P2 / P3
Datadog monitor priority    P1 / P2 / P3 / P4 P5                                     P0 / P1 / P2 / P3
Datadog alert_type          error / warning / info success                           P1 / P2 / P3
Datadog event priority      normal / low                                             P2 / P3
==========================  =======================================================  ====

Why these choices:

- The generic table accepts every spelling `warroom.priority.parse_priority` does (names,
  P0–P3, ntfy's 1–5) so a value means the same thing in a label as in a published message.
  P4/P5 map to P3 because there is nothing less urgent to map them to.
- PagerDuty, Opsgenie and Datadog number priorities P1–P5 with P1 the most urgent, one
  step off from warroom's P0–P3; their own vocabularies keep "P1" from meaning two things.
- PagerDuty urgency only says whether to page: high pages (P1), low waits (P3). An incident's
  priority, when set, is the finer signal and is read first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from warroom.priority import Priority, PriorityError, parse_priority


class Vocabulary(StrEnum):
    GENERIC = "generic"
    PAGERDUTY_PRIORITY = "pagerduty_priority"
    PAGERDUTY_URGENCY = "pagerduty_urgency"
    OPSGENIE_PRIORITY = "opsgenie_priority"
    DATADOG_MONITOR_PRIORITY = "datadog_monitor_priority"
    DATADOG_ALERT_TYPE = "datadog_alert_type"
    DATADOG_EVENT_PRIORITY = "datadog_event_priority"


class SeverityBasis(StrEnum):
    OVERRIDE = "override"
    BUILT_IN = "built-in"
    DEFAULT_UNKNOWN = "default for unknown"
    DEFAULT_MISSING = "default for missing"


P0, P1, P2, P3 = Priority.CRITICAL, Priority.HIGH, Priority.MEDIUM, Priority.LOW


def _table(rows: Mapping[Priority, str]) -> dict[str, Priority]:
    return {word: priority for priority, words in rows.items() for word in words.split()}


_FIVE_LEVELS = _table({P0: "p1", P1: "p2", P2: "p3", P3: "p4 p5"})

BUILT_IN: dict[Vocabulary, dict[str, Priority]] = {
    Vocabulary.GENERIC: _table(
        {
            P0: "critical crit fatal emergency emerg page p0 5",
            P1: "error err high major severe p1 4",
            P2: "warning warn medium moderate minor average p2 3",
            P3: "info information informational low ok notice debug none p3 p4 p5 2 1",
        }
    ),
    Vocabulary.PAGERDUTY_PRIORITY: _FIVE_LEVELS,
    Vocabulary.PAGERDUTY_URGENCY: _table({P1: "high", P3: "low"}),
    Vocabulary.OPSGENIE_PRIORITY: _FIVE_LEVELS,
    Vocabulary.DATADOG_MONITOR_PRIORITY: _FIVE_LEVELS,
    Vocabulary.DATADOG_ALERT_TYPE: _table({P1: "error", P2: "warning", P3: "info success"}),
    Vocabulary.DATADOG_EVENT_PRIORITY: _table({P2: "normal", P3: "low"}),
}

# Named in rule strings so a surprising "P1 → P0" explains itself.
_VOCABULARY_NAME = {
    Vocabulary.GENERIC: "",
    Vocabulary.PAGERDUTY_PRIORITY: ", PagerDuty priority P1–P5",
    Vocabulary.PAGERDUTY_URGENCY: ", PagerDuty urgency",
    Vocabulary.OPSGENIE_PRIORITY: ", Opsgenie priority P1–P5",
    Vocabulary.DATADOG_MONITOR_PRIORITY: ", Datadog monitor priority P1–P5",
    Vocabulary.DATADOG_ALERT_TYPE: ", Datadog alert type",
    Vocabulary.DATADOG_EVENT_PRIORITY: ", Datadog event priority",
}

_SHOWN_MAX = 60


def _key(raw: str) -> str:
    return raw.strip().casefold()


def _shown(raw: str) -> str:
    """A raw value quoted and cut short: it came from a payload and lands in a timeline."""
    text = raw.strip()
    if len(text) > _SHOWN_MAX:
        text = text[:_SHOWN_MAX] + "…"
    return repr(text)


@dataclass(frozen=True, slots=True)
class SeverityDecision:
    severity: Priority
    rule: str
    basis: SeverityBasis

    @property
    def known(self) -> bool:
        """True when a table or an override recognised the value, not the default."""
        return self.basis in (SeverityBasis.OVERRIDE, SeverityBasis.BUILT_IN)


@dataclass(frozen=True, slots=True)
class Candidate:
    """One place a payload may carry severity: where (for the rule string), what, in which words."""

    where: str
    raw: str | None
    vocabulary: Vocabulary = Vocabulary.GENERIC


@dataclass(frozen=True, slots=True)
class SeverityPolicy:
    """An integration's severity rules. Keys of `overrides` are case-folded raw values."""

    overrides: Mapping[str, Priority] = field(default_factory=dict)
    default: Priority = Priority.MEDIUM

    @classmethod
    def build(cls, overrides: Mapping[str, object], default: object = Priority.MEDIUM) -> SeverityPolicy:
        """Parse loosely typed settings; raise ValueError naming the bad entry."""
        try:
            default_priority = parse_priority(default)
        except PriorityError as exc:
            raise ValueError(f"default_severity: {exc}") from None
        parsed: dict[str, Priority] = {}
        for raw, target in overrides.items():
            if not isinstance(raw, str) or not raw.strip():
                raise ValueError(f"severity_overrides key {raw!r} must be a non-empty string")
            try:
                parsed[_key(raw)] = parse_priority(target)
            except PriorityError as exc:
                raise ValueError(f"severity_overrides[{raw!r}]: {exc}") from None
        return cls(overrides=parsed, default=default_priority)

    def map(
        self, raw: str | None, *, where: str, vocabulary: Vocabulary = Vocabulary.GENERIC
    ) -> SeverityDecision:
        """Total: every string (and None) maps to exactly one severity with its reason."""
        if raw is None or not raw.strip():
            return SeverityDecision(
                self.default,
                f"no {where} given → {self.default.severity} (default for missing)",
                SeverityBasis.DEFAULT_MISSING,
            )
        key = _key(raw)
        shown = raw.strip()
        if key in self.overrides:
            target = self.overrides[key]
            return SeverityDecision(
                target,
                f"{where}={_plain(shown)} → {target.severity} (integration override)",
                SeverityBasis.OVERRIDE,
            )
        table = BUILT_IN[vocabulary]
        if key in table:
            target = table[key]
            return SeverityDecision(
                target,
                f"{where}={shown} → {target.severity} (built-in{_VOCABULARY_NAME[vocabulary]})",
                SeverityBasis.BUILT_IN,
            )
        return SeverityDecision(
            self.default,
            f"{where}: unknown value {_shown(raw)} → {self.default.severity} (default for unknown)",
            SeverityBasis.DEFAULT_UNKNOWN,
        )

    def first_known(self, candidates: Iterable[Candidate]) -> SeverityDecision:
        """The first candidate a table or override recognises; else the default, saying why.

        When nothing is recognised, the first candidate that carried a value names the
        unknown value in the rule; when none carried one, the rule lists where we looked.
        """
        looked: list[str] = []
        first_unknown: SeverityDecision | None = None
        for candidate in candidates:
            looked.append(candidate.where)
            decision = self.map(candidate.raw, where=candidate.where, vocabulary=candidate.vocabulary)
            if decision.known:
                return decision
            if first_unknown is None and decision.basis is SeverityBasis.DEFAULT_UNKNOWN:
                first_unknown = decision
        if first_unknown is not None:
            return first_unknown
        where = ", ".join(dict.fromkeys(looked)) or "severity"
        return SeverityDecision(
            self.default,
            f"no severity given (looked at {where}) → {self.default.severity} (default for missing)",
            SeverityBasis.DEFAULT_MISSING,
        )


def _plain(shown: str) -> str:
    # An override key is operator-chosen, but the matched raw value came from the payload
    # (it may differ in case): cut it short, and quote it if it could break a timeline line.
    if not shown.isprintable():
        return _shown(shown)
    return shown if len(shown) <= _SHOWN_MAX else shown[:_SHOWN_MAX] + "…"


DEFAULT_POLICY = SeverityPolicy()


def map_severity(
    raw: str | None,
    *,
    where: str = "severity",
    vocabulary: Vocabulary = Vocabulary.GENERIC,
    policy: SeverityPolicy = DEFAULT_POLICY,
) -> SeverityDecision:
    """Convenience for callers without an integration: the built-in tables and P2 default."""
    return policy.map(raw, where=where, vocabulary=vocabulary)
