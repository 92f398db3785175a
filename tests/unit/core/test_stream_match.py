"""`matcher`: a reader's event test, worked out once per reader, answers as the plain rule does."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from warroom.events.log import Event
from warroom.events.stream import kind_keys, matcher
from warroom.messages.filters import MessageFilter, build_filter

KINDS = ["message.published", "incident.triggered", "incident.ack.sent", "channel.created", "a..b", "x"]
SELECTORS = ["message", "message.published", "message.pub", "incident", "incident.ack", "", "a.", "a", "x"]


def plain_rule(kind: str, selectors: frozenset[str]) -> bool:
    return any(kind == k or kind.startswith(k + ".") for k in selectors)


@pytest.mark.parametrize("kind", KINDS)
def test_kind_keys_select_what_the_dotted_prefix_rule_selects(kind: str) -> None:
    for k in SELECTORS:
        assert (k in kind_keys(kind)) == plain_rule(kind, frozenset({k})), (kind, k)


def _event(kind: str, channel: str | None, **data: object) -> Event:
    return Event(7, datetime.now(UTC), kind, channel, None, dict(data))


def test_matcher_checks_channel_kind_and_message_filter() -> None:
    msg = {"title": "t", "priority": "high", "tags": ["db"]}
    every = matcher(MessageFilter(), None)
    assert every(_event("message.published", "ops", **msg), {"ops"})
    assert not every(_event("message.published", "ops", **msg), {"other"})
    assert not every(_event("system.started", None), {"ops"})  # no channel: no stream shows it
    assert every(_event("channel.updated", "ops"), {"ops"})
    critical_only = matcher(build_filter(min_priority="critical"), frozenset({"message"}))
    assert not critical_only(_event("message.published", "ops", **msg), {"ops"})
    assert critical_only(_event("message.published", "ops", **{**msg, "priority": "critical"}), {"ops"})
    assert not critical_only(_event("channel.updated", "ops"), {"ops"})
