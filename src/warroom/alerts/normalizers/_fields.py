"""Reading untrusted JSON without letting a KeyError or TypeError escape.

Every accessor knows the path of what it reads, so the PayloadError it raises names the exact
field and what was expected there. JSON `null` and a missing key read the same: senders use
both to mean "not set".
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime

from warroom.alerts.errors import PayloadError

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_JUST_STR = frozenset({str})
# Go's zero time.Time, which Alertmanager and Grafana send for "no end yet".
_ZERO_YEAR = 1


def child_path(parent: str, key: str) -> str:
    step = key if _IDENTIFIER.fullmatch(key) else f"[{key!r}]"
    if not parent:
        return step
    return f"{parent}{step}" if step.startswith("[") else f"{parent}.{step}"


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


class Obj:
    """A JSON object at a known path."""

    __slots__ = ("path", "value")

    def __init__(self, value: Mapping[str, object], path: str) -> None:
        self.value = value
        self.path = path

    @classmethod
    def root(cls, payload: object, path: str = "") -> Obj:
        if not isinstance(payload, dict):
            where = path or "payload"
            raise PayloadError(where, f"must be a JSON object, got {_kind(payload)}")
        return cls(payload, path)

    def where(self, key: str) -> str:
        return child_path(self.path, key)

    def get(self, key: str) -> object:
        return self.value.get(key)

    def has(self, key: str) -> bool:
        return self.value.get(key) is not None

    def obj(self, key: str) -> Obj | None:
        value = self.value.get(key)
        if value is None:
            return None
        if not isinstance(value, dict):
            raise PayloadError(self.where(key), f"must be an object, got {_kind(value)}")
        return Obj(value, self.where(key))

    def require_obj(self, key: str) -> Obj:
        found = self.obj(key)
        if found is None:
            raise PayloadError(self.where(key), "is required and must be an object")
        return found

    def objects(self, key: str, *, required: bool = False) -> list[Obj]:
        value = self.value.get(key)
        if value is None:
            if required:
                raise PayloadError(self.where(key), "is required and must be an array of objects")
            return []
        if not isinstance(value, list):
            raise PayloadError(self.where(key), f"must be an array of objects, got {_kind(value)}")
        items: list[Obj] = []
        where = self.where(key)
        for index, item in enumerate(value):
            path = f"{where}[{index}]"
            if not isinstance(item, dict):
                raise PayloadError(path, f"must be an object, got {_kind(item)}")
            items.append(Obj(item, path))
        return items

    def text(self, key: str) -> str | None:
        """A string, trimmed; "" and null read as unset."""
        value = self.value.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            raise PayloadError(self.where(key), f"must be a string, got {_kind(value)}")
        value = value.strip()
        return value or None

    def require_text(self, key: str) -> str:
        value = self.text(key)
        if value is None:
            raise PayloadError(self.where(key), "is required and must be a non-empty string")
        return value

    def ident(self, key: str) -> str | None:
        """An id some senders quote and some do not: a string or an integer, read as text."""
        value = self.value.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        if value is not None and not isinstance(value, str):
            raise PayloadError(self.where(key), f"must be a string or an integer, got {_kind(value)}")
        return self.text(key)

    def choice(self, key: str, allowed: tuple[str, ...]) -> str | None:
        """One of `allowed`, compared case-insensitively; returned in its canonical spelling."""
        value = self.text(key)
        if value is None:
            return None
        for option in allowed:
            if value.casefold() == option.casefold():
                return option
        raise PayloadError(self.where(key), f"must be one of {', '.join(allowed)}, got {value[:60]!r}")

    def require_choice(self, key: str, allowed: tuple[str, ...]) -> str:
        value = self.choice(key, allowed)
        if value is None:
            raise PayloadError(self.where(key), f"is required and must be one of {', '.join(allowed)}")
        return value

    def string_map(self, key: str) -> dict[str, str]:
        """An object whose values are all strings; missing reads as empty."""
        value = self.value.get(key)
        if value is None:
            return {}
        if type(value) is dict and set(map(type, value.values())) <= _JUST_STR:
            return dict(value)  # the common case, checked and copied without a Python loop
        if not isinstance(value, dict):
            raise PayloadError(self.where(key), f"must be an object of strings, got {_kind(value)}")
        result: dict[str, str] = {}
        for name, item in value.items():
            if not isinstance(item, str):
                raise PayloadError(
                    self.where(key),
                    f"must be an object of strings; {child_path(self.where(key), name)} is {_kind(item)}",
                )
            result[name] = item
        return result

    def string_list(self, key: str) -> list[str]:
        value = self.value.get(key)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise PayloadError(self.where(key), f"must be an array of strings, got {_kind(value)}")
        return [item for item in value if isinstance(item, str)]

    def url(self, key: str) -> str | None:
        """An http(s) URL, or None.

        A string in another scheme (javascript:, data:, a relative path) is dropped rather than
        rejected: the alert still matters at 3 AM, and its `raw` keeps what was sent.
        """
        return safe_url(self.text(key))

    def iso_time(self, key: str) -> datetime | None:
        return parse_iso(self.value.get(key), self.where(key))

    def epoch_time(self, key: str, *, unit_seconds: float) -> datetime | None:
        return parse_epoch(self.value.get(key), self.where(key), unit_seconds=unit_seconds)

    def items(self) -> Iterator[tuple[str, object]]:
        return iter(self.value.items())


def safe_url(text: str | None) -> str | None:
    if text is None:
        return None
    lowered = text.lower()
    if lowered.startswith(("http://", "https://")) and len(text) > len("https://"):
        return text
    return None


def parse_iso(value: object, path: str) -> datetime | None:
    """ISO 8601 to an aware UTC datetime; naive means UTC, as everywhere in warroom."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise PayloadError(path, f"must be an ISO 8601 time such as 2026-01-12T02:47:00Z, got {_kind(value)}")
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise PayloadError(
            path, f"must be an ISO 8601 time such as 2026-01-12T02:47:00Z, got {value[:60]!r}"
        ) from None
    if moment.year == _ZERO_YEAR:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise PayloadError(path, f"is out of range, got {value[:60]!r}") from None


def parse_epoch(value: object, path: str, *, unit_seconds: float) -> datetime | None:
    """A Unix time as a number or a numeric string, in units of `unit_seconds` (1e-3 for ms)."""
    if value is None or value == "":
        return None
    unit = "milliseconds" if unit_seconds < 1 else "seconds"
    number: float
    if isinstance(value, bool):
        number = math.nan
    elif isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            number = math.nan
    else:
        number = math.nan
    if not math.isfinite(number):
        raise PayloadError(path, f"must be a Unix time in {unit}, got {_shown(value)}")
    try:
        return datetime.fromtimestamp(number * unit_seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise PayloadError(path, f"is out of range for a Unix time in {unit}, got {_shown(value)}") from None


def _shown(value: object) -> str:
    return repr(value)[:60] if isinstance(value, str | int | float) else _kind(value)
