"""Silences: label matchers plus a time range, with Alertmanager's semantics.

Matchers::

    name="value"    equal               name!="value"   not equal
    name=~"regex"   regex matches       name!~"regex"   regex does not match

- A regular expression must match the whole label value, as in Alertmanager (it is anchored
  at both ends); Python's `re` syntax is used, which agrees with Go's RE2 for the
  expressions people write in silences.
- A missing label reads as "", so `team=""` matches alerts without a team and `team!=""`
  matches alerts that have one.
- Every negation is the exact complement of its positive matcher.

Text form, as Alertmanager and amtool accept it: `{service=~"user-.*", env="prod"}`; the
braces and the quotes are optional (`service=~user-.*,env=prod`). Inside quotes, `\\"`,
`\\\\` and `\\n` are escapes; any other backslash is kept, so `"\\d+"` is the regex `\\d+`.
Structured form: `{"name", "value", "isRegex", "isEqual"}` (Alertmanager API v2) or
`{"name", "op", "value"}`.

A silence needs at least one matcher that does not match the empty string: as Alertmanager
refuses them, a silence that mutes every alert is almost always a mistake.

Maintenance windows are silences too: matchers that select what is being worked on (often
just `service="payments"`) and the window as the time range. `maintenance_window` builds one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from warroom.alerts.errors import MatcherError


class MatchOp(StrEnum):
    EQUAL = "="
    NOT_EQUAL = "!="
    REGEX = "=~"
    NOT_REGEX = "!~"

    @property
    def is_regex(self) -> bool:
        return self in (MatchOp.REGEX, MatchOp.NOT_REGEX)

    @property
    def is_negative(self) -> bool:
        return self in (MatchOp.NOT_EQUAL, MatchOp.NOT_REGEX)


_OPS_LONGEST_FIRST = (MatchOp.REGEX, MatchOp.NOT_REGEX, MatchOp.NOT_EQUAL, MatchOp.EQUAL)
_PLAIN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True, slots=True)
class Matcher:
    name: str
    op: MatchOp
    value: str
    _pattern: re.Pattern[str] | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise MatcherError("a matcher needs a non-empty label name", matcher=str(self.name))
        if not isinstance(self.value, str):
            raise MatcherError(f"matcher {self.name!r}: value must be a string", matcher=self.name)
        object.__setattr__(self, "op", MatchOp(self.op))
        if self.op.is_regex:
            try:
                pattern = re.compile(self.value)
            except (re.error, RecursionError, OverflowError) as exc:
                raise MatcherError(
                    f"matcher {self}: {self.value!r} is not a valid regular expression ({exc})",
                    matcher=str(self),
                ) from None
            object.__setattr__(self, "_pattern", pattern)

    @classmethod
    def parse(cls, text: str) -> Matcher:
        """One matcher such as `service=~"user-.*"`."""
        matchers = parse_matchers(text)
        if len(matchers) != 1:
            raise MatcherError(f"{text!r} must be exactly one matcher, found {len(matchers)}", matcher=text)
        return matchers[0]

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Matcher:
        name, value = data.get("name"), data.get("value")
        if not isinstance(name, str) or not isinstance(value, str):
            raise MatcherError(
                f"structured matcher {dict(data)!r} needs string `name` and `value`", matcher=str(name)
            )
        op = data.get("op")
        if op is not None:
            if not isinstance(op, str) or op not in {o.value for o in MatchOp}:
                raise MatcherError(f"matcher {name!r}: op {op!r} is not one of =, !=, =~, !~", matcher=name)
            return cls(name, MatchOp(op), value)
        is_regex, is_equal = data.get("isRegex", False), data.get("isEqual", True)
        if not isinstance(is_regex, bool) or not isinstance(is_equal, bool):
            raise MatcherError(f"matcher {name!r}: isRegex and isEqual must be booleans", matcher=name)
        ops = {
            (False, True): MatchOp.EQUAL,
            (False, False): MatchOp.NOT_EQUAL,
            (True, True): MatchOp.REGEX,
            (True, False): MatchOp.NOT_REGEX,
        }
        return cls(name, ops[(is_regex, is_equal)], value)

    def matches(self, labels: Mapping[str, str]) -> bool:
        actual = labels.get(self.name, "")
        if self._pattern is not None:
            positive = self._pattern.fullmatch(actual) is not None
        else:
            positive = actual == self.value
        return positive != self.op.is_negative

    def as_dict(self) -> dict[str, object]:
        """Alertmanager API v2 shape, for storage and for `from_dict`."""
        return {
            "name": self.name,
            "value": self.value,
            "isRegex": self.op.is_regex,
            "isEqual": not self.op.is_negative,
        }

    def __str__(self) -> str:
        name = self.name if _PLAIN_NAME.fullmatch(self.name) else _quote(self.name)
        return f"{name}{self.op.value}{_quote(self.value)}"


def _quote(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


class _Parser:
    """A hand-written scanner: the grammar is small, and errors can point at a position."""

    _STOP = set(",{}\"'=!~") | {" ", "\t", "\n", "\r"}

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def fail(self, problem: str) -> MatcherError:
        return MatcherError(
            f"cannot parse matchers {self.text!r} at position {self.pos}: {problem}", matcher=self.text
        )

    def skip_space(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def parse(self) -> list[Matcher]:
        self.skip_space()
        braced = self.peek() == "{"
        if braced:
            self.pos += 1
        matchers: list[Matcher] = []
        while True:
            self.skip_space()
            if braced and self.peek() == "}":
                self.pos += 1
                break
            if not braced and self.pos >= len(self.text):
                break
            matchers.append(self.matcher())
            self.skip_space()
            if self.peek() == ",":
                self.pos += 1
                continue
            if braced:
                if self.peek() != "}":
                    raise self.fail("expected ',' or '}'")
                self.pos += 1
                break
            if self.pos < len(self.text):
                raise self.fail("expected ',' between matchers")
        self.skip_space()
        if self.pos < len(self.text):
            raise self.fail("unexpected text after the matchers")
        return matchers

    def matcher(self) -> Matcher:
        name = self.quoted() if self.peek() == '"' else self.bare(allow_empty=False, what="a label name")
        self.skip_space()
        for op in _OPS_LONGEST_FIRST:
            if self.text.startswith(op.value, self.pos):
                self.pos += len(op.value)
                break
        else:
            raise self.fail(f"expected one of =, !=, =~, !~ after {name!r}")
        self.skip_space()
        value = self.quoted() if self.peek() == '"' else self.bare(allow_empty=True, what="a value")
        return Matcher(name, op, value)

    def bare(self, *, allow_empty: bool, what: str) -> str:
        start = self.pos
        # A bare value may contain anything but a separator; a bare name stops at operators too.
        stops = {",", "}"} if allow_empty else self._STOP
        while self.pos < len(self.text) and self.text[self.pos] not in stops:
            self.pos += 1
        token = self.text[start : self.pos].strip()
        if not token and not allow_empty:
            raise self.fail(f"expected {what}")
        return token

    def quoted(self) -> str:
        self.pos += 1  # opening quote
        out: list[str] = []
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char == '"':
                self.pos += 1
                return "".join(out)
            if char == "\\" and self.pos + 1 < len(self.text):
                nxt = self.text[self.pos + 1]
                out.append({'"': '"', "\\": "\\", "n": "\n"}.get(nxt, "\\" + nxt))
                self.pos += 2
                continue
            out.append(char)
            self.pos += 1
        raise self.fail("unterminated quoted string")


def parse_matchers(text: str) -> list[Matcher]:
    """`{a="b", c=~"d.*"}`, `a=b,c=~d.*` or one matcher; raises MatcherError."""
    if not isinstance(text, str):
        raise MatcherError(f"matchers must be a string, got {type(text).__name__}")
    return _Parser(text).parse()


def coerce_matchers(items: str | Iterable[Matcher | Mapping[str, object] | str]) -> tuple[Matcher, ...]:
    """Accept the text form, or a list mixing matchers, dicts and one-matcher strings."""
    if isinstance(items, str):
        return tuple(parse_matchers(items))
    result: list[Matcher] = []
    for item in items:
        if isinstance(item, Matcher):
            result.append(item)
        elif isinstance(item, str):
            result.extend(parse_matchers(item))
        elif isinstance(item, Mapping):
            result.append(Matcher.from_dict(item))
        else:
            raise MatcherError(f"a matcher must be a string or an object, got {type(item).__name__}")
    return tuple(result)


def matches_all(matchers: Iterable[Matcher], labels: Mapping[str, str]) -> bool:
    return all(matcher.matches(labels) for matcher in matchers)


class SilenceState(StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    EXPIRED = "expired"


@dataclass(frozen=True, slots=True)
class Silence:
    matchers: tuple[Matcher, ...]
    starts_at: datetime
    ends_at: datetime
    created_by: str
    comment: str = ""
    id: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "matchers", tuple(self.matchers))
        if not self.matchers:
            raise MatcherError("a silence needs at least one matcher")
        if all(matcher.matches({}) for matcher in self.matchers):
            raise MatcherError(
                "a silence needs at least one matcher that does not match an empty label "
                f"(as {', '.join(map(str, self.matchers))} would mute every alert); "
                'add one such as service="payments"'
            )
        for name in ("starts_at", "ends_at"):
            if getattr(self, name).utcoffset() is None:
                raise ValueError(f"silence {name} must be an aware datetime (UTC)")
        if self.ends_at <= self.starts_at:
            raise ValueError("silence ends_at must be after starts_at")
        if not self.created_by.strip():
            raise ValueError("silence created_by must name who created it")

    @classmethod
    def create(
        cls,
        matchers: str | Iterable[Matcher | Mapping[str, object] | str],
        *,
        starts_at: datetime,
        ends_at: datetime,
        created_by: str,
        comment: str = "",
        id: str | None = None,
    ) -> Silence:
        return cls(coerce_matchers(matchers), starts_at, ends_at, created_by, comment, id)

    def state(self, at: datetime) -> SilenceState:
        if at < self.starts_at:
            return SilenceState.PENDING
        if at < self.ends_at:
            return SilenceState.ACTIVE
        return SilenceState.EXPIRED

    def is_active(self, at: datetime) -> bool:
        """Half-open: active from `starts_at` up to, not including, `ends_at`."""
        return self.state(at) is SilenceState.ACTIVE

    def matches(self, labels: Mapping[str, str]) -> bool:
        return matches_all(self.matchers, labels)

    def mutes(self, labels: Mapping[str, str], at: datetime) -> bool:
        return self.is_active(at) and self.matches(labels)


def find_silence(labels: Mapping[str, str], silences: Iterable[Silence], at: datetime) -> Silence | None:
    """The first silence that mutes these labels at `at`, to name it in the timeline."""
    return next((silence for silence in silences if silence.mutes(labels, at)), None)


def maintenance_window(
    service: str, *, starts_at: datetime, ends_at: datetime, created_by: str, comment: str = ""
) -> Silence:
    """A silence for everything a service raises during a planned window."""
    return Silence((Matcher("service", MatchOp.EQUAL, service),), starts_at, ends_at, created_by, comment)
