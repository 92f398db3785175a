"""The publish model as every door accepts it."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from warroom.messages.models import MessageIn
from warroom.priority import Priority


def fields_of(exc: ValidationError) -> set[str]:
    return {".".join(str(p) for p in e["loc"]) for e in exc.errors()}


def test_defaults() -> None:
    m = MessageIn(title="x")
    assert m.priority is Priority.MEDIUM
    assert (m.body, m.tags, m.links, m.actions, m.theme, m.sender) == ("", [], [], [], None, None)


@pytest.mark.parametrize(
    ("given", "stored"), [("P0", "critical"), ("HIGH", "high"), (5, "critical"), ("2", "low")]
)
def test_priority_spellings(given: object, stored: str) -> None:
    assert MessageIn(title="x", priority=given).priority.value == stored


def test_bad_priority_names_the_field() -> None:
    with pytest.raises(ValidationError) as exc:
        MessageIn(title="x", priority="urgent")
    assert fields_of(exc.value) == {"priority"}
    assert "P0-P3" in str(exc.value)


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "   "}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"title": "x", "theme": "Not A Slug"}, "theme"),
        ({"title": "x", "theme": "-lead"}, "theme"),
        ({"title": "x", "tags": ["ok", "  "]}, "tags"),
        ({"title": "x", "in_reply_to": 0}, "in_reply_to"),
        ({"title": "x", "thread_id": ""}, "thread_id"),
        ({"title": "x", "links": [{"title": "no url"}]}, "links.0.url"),
        ({"title": "x", "actions": [{"url": "https://x"}]}, "actions.0.label"),
        ({"title": "x", "sender": {"user_id": "u", "email": "e"}}, "sender.email"),
        ({"title": "x", "colour": "red"}, "colour"),
        ({"title": "x", "idempotency_key": ""}, "idempotency_key"),
    ],
)
def test_invalid_input_names_the_field(kw: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as exc:
        MessageIn.model_validate(kw)
    assert field in fields_of(exc.value)


def test_title_is_stripped_and_200_chars_fit() -> None:
    assert MessageIn(title="  hi  ").title == "hi"
    assert len(MessageIn(title="x" * 200).title) == 200


def test_theme_is_an_open_slug_lowercased() -> None:
    assert MessageIn(title="x", theme="Incident-Decision").theme == "incident-decision"
    assert MessageIn(title="x", theme="my.custom_theme-2").theme == "my.custom_theme-2"
    assert MessageIn(title="x", theme="").theme is None


def test_tags_are_lowercased_and_deduplicated_in_order() -> None:
    assert MessageIn(title="x", tags=["DB", "prod", "db", " Prod "]).tags == ["db", "prod"]


def test_links_accept_strings_and_objects() -> None:
    m = MessageIn.model_validate(
        {"title": "x", "links": ["https://grafana/d/1", {"url": "https://runbook", "title": "Runbook"}]}
    )
    assert [link.model_dump(exclude_none=True) for link in m.links] == [
        {"url": "https://grafana/d/1"},
        {"url": "https://runbook", "title": "Runbook"},
    ]
