"""MessageFilter: the in-memory rule streams use, its builder and its stored form."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from warroom.messages.filters import MessageFilter, build_filter, filter_from_dict
from warroom.priority import Priority, PriorityError

C, H, M, L = Priority.CRITICAL, Priority.HIGH, Priority.MEDIUM, Priority.LOW


def msg(**kw: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": 1,
        "title": "Database primary is down",
        "body": "Replication lag on db-1; failover started.",
        "priority": "high",
        "theme": "incident-alert",
        "tags": ["database", "prod"],
        "thread_id": "inc-1",
        "sender": {"user_id": "u-sarah", "name": "Sarah", "role": "sre", "ai_tool": None},
        "published_by": "sarah",
    }
    base.update(kw)
    return base


def test_empty_filter_matches_everything() -> None:
    f = MessageFilter()
    assert f.is_empty
    assert f.matches(msg()) and f.matches(msg(priority="low", tags=[], theme=None, thread_id=None))
    assert f.to_dict() == {}


def test_priorities_set() -> None:
    f = MessageFilter(priorities=frozenset({C, H}))
    assert f.matches(msg(priority="critical")) and f.matches(msg(priority="high"))
    assert not f.matches(msg(priority="medium")) and not f.matches(msg(priority="low"))


@pytest.mark.parametrize(
    ("floor", "matching"),
    [
        (C, {"critical"}),
        (H, {"critical", "high"}),
        (M, {"critical", "high", "medium"}),
        (L, {"critical", "high", "medium", "low"}),
    ],
)
def test_min_priority(floor: Priority, matching: set[str]) -> None:
    f = MessageFilter(min_priority=floor)
    assert {p.value for p in Priority if f.matches(msg(priority=p.value))} == matching


def test_priorities_and_min_priority_both_apply() -> None:
    f = MessageFilter(priorities=frozenset({C, L}), min_priority=H)
    assert [p for p in Priority if f.matches(msg(priority=p.value))] == [C]


def test_tags_any_and_all() -> None:
    any_ = MessageFilter(tags_any=frozenset({"database", "network"}))
    assert any_.matches(msg(tags=["database"])) and any_.matches(msg(tags=["network", "x"]))
    assert not any_.matches(msg(tags=["x"])) and not any_.matches(msg(tags=[]))
    all_ = MessageFilter(tags_all=frozenset({"database", "prod"}))
    assert all_.matches(msg(tags=["prod", "database", "x"]))
    assert not all_.matches(msg(tags=["database"]))
    both = MessageFilter(tags_any=frozenset({"x", "y"}), tags_all=frozenset({"database"}))
    assert both.matches(msg(tags=["database", "y"])) and not both.matches(msg(tags=["database"]))


def test_themes_and_threads() -> None:
    f = MessageFilter(themes=frozenset({"blocker", "incident-alert"}))
    assert f.matches(msg()) and not f.matches(msg(theme="fyi")) and not f.matches(msg(theme=None))
    t = MessageFilter(threads=frozenset({"inc-1"}))
    assert t.matches(msg()) and not t.matches(msg(thread_id="inc-2")) and not t.matches(msg(thread_id=None))


@pytest.mark.parametrize("who", ["u-sarah", "Sarah", "sarah"])
def test_sender_matches_user_id_name_or_publisher(who: str) -> None:
    assert MessageFilter(senders=frozenset({who})).matches(msg())


def test_sender_is_exact() -> None:
    f = MessageFilter(senders=frozenset({"SARAH", "tom"}))
    assert not f.matches(msg())
    assert not f.matches(msg(sender=None, published_by="ann"))
    assert MessageFilter(senders=frozenset({"ann"})).matches(msg(sender=None, published_by="ann"))


def test_text_needs_every_word_in_title_or_body_any_case() -> None:
    assert MessageFilter(text="database FAILOVER").matches(msg())
    assert MessageFilter(text="primary").matches(msg())
    assert not MessageFilter(text="database network").matches(msg())


def test_since_until_do_not_bound_live_matching() -> None:
    f = MessageFilter(since=datetime(2999, 1, 1, tzinfo=UTC), until=datetime(2000, 1, 1, tzinfo=UTC))
    assert f.matches(msg())


def test_build_filter_from_door_input() -> None:
    f = build_filter(
        priorities="P0, HIGH,4",
        min_priority="p2",
        tags="Database, prod,,",
        tags_all=["A", " b "],
        themes="Blocker",
        senders="Sarah,tom",
        threads=["inc-1", "INC-2"],
        text="  failover  ",
        since="2026-01-12T02:47:00Z",
        until=datetime(2026, 1, 13, tzinfo=UTC),
    )
    assert f.priorities == {C, H}
    assert f.min_priority is M
    assert f.tags_any == {"database", "prod"}
    assert f.tags_all == {"a", "b"}
    assert f.themes == {"blocker"}
    assert f.senders == {"Sarah", "tom"}  # senders keep their case
    assert f.threads == {"inc-1", "INC-2"}  # thread ids keep their case
    assert f.text == "failover"
    assert f.since == datetime(2026, 1, 12, 2, 47, tzinfo=UTC)
    assert f.until == datetime(2026, 1, 13, tzinfo=UTC)


def test_build_filter_blank_values_mean_no_filter() -> None:
    assert build_filter(priorities="", tags=" , ", text="   ", min_priority=None).is_empty


def test_build_filter_rejects_bad_priorities_and_times() -> None:
    with pytest.raises(PriorityError):
        build_filter(priorities="critical,urgent")
    with pytest.raises(PriorityError):
        build_filter(min_priority="P9")
    with pytest.raises(ValueError, match="ISO 8601"):
        build_filter(since="last tuesday")


def test_to_dict_is_sorted_and_readable() -> None:
    f = build_filter(priorities="low,critical,high", tags="b,a", min_priority="medium", text="x")
    assert f.to_dict() == {
        "priorities": ["critical", "high", "low"],
        "min_priority": "medium",
        "tags_any": ["a", "b"],
        "text": "x",
    }


def test_filter_from_dict_accepts_tags_alias() -> None:
    assert filter_from_dict({"tags": ["x"]}).tags_any == {"x"}


slugs = st.text(alphabet="abcdefgh-", min_size=1, max_size=6).filter(lambda s: s.strip("-") == s)
filters = st.builds(
    MessageFilter,
    priorities=st.frozensets(st.sampled_from(list(Priority))),
    min_priority=st.none() | st.sampled_from(list(Priority)),
    tags_any=st.frozensets(slugs, max_size=3),
    tags_all=st.frozensets(slugs, max_size=3),
    themes=st.frozensets(slugs, max_size=3),
    senders=st.frozensets(st.sampled_from(["Sarah", "tom", "u-1"]), max_size=3),
    threads=st.frozensets(st.sampled_from(["inc-1", "INC-2"]), max_size=2),
    text=st.none() | st.sampled_from(["db", "fail over"]),
)


@given(filters)
def test_stored_form_round_trips(f: MessageFilter) -> None:
    assert filter_from_dict(f.to_dict()) == f
    assert f.is_empty == (f.to_dict() == {})


@given(filters, st.sampled_from(list(Priority)), st.lists(slugs, max_size=4))
def test_adding_a_condition_only_narrows(f: MessageFilter, prio: Priority, tags: list[str]) -> None:
    m = msg(priority=prio.value, tags=tags)
    narrower = MessageFilter(**{**f.__dict__, "tags_all": f.tags_all | {"database"}})
    if narrower.matches(m):
        assert f.matches(m)
