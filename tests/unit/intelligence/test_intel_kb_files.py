"""Knowledge-base files: catalog.yaml and runbooks/*.md, parsed and rendered."""

from __future__ import annotations

from pathlib import Path

import pytest

from warroom.errors import InvalidInput
from warroom.intelligence.knowledge import (
    parse_runbook_markdown,
    read_kb_dir,
    render_runbook_markdown,
    write_kb_dir,
)

RUNBOOK = """---
id: db-pool
title: Database connection pool
match:
  services: [user-api]
  alertnames: [PoolExhausted]
  labels: {env: prod}
  keywords: [connection, pool]
---
# Database connection pool

Check the pool before anything else.

1. Check pool metrics on the dashboard
2. Find the callers that leak connections
3) Roll back the last deploy
- not a step
"""


def test_parse_runbook_front_matter_and_steps() -> None:
    rb = parse_runbook_markdown(RUNBOOK, default_id="file-name")
    assert rb["id"] == "db-pool" and rb["title"] == "Database connection pool"
    assert rb["match"] == {
        "services": ["user-api"],
        "alertnames": ["PoolExhausted"],
        "labels": {"env": "prod"},
        "keywords": ["connection", "pool"],
    }
    assert rb["steps"] == [
        "Check pool metrics on the dashboard",
        "Find the callers that leak connections",
        "Roll back the last deploy",
    ]
    assert rb["body"].startswith("# Database connection pool")


def test_without_front_matter_the_file_name_and_heading_name_it() -> None:
    rb = parse_runbook_markdown("# Disk full\n\n1. Delete old logs\n", default_id="disk")
    assert (rb["id"], rb["title"], rb["match"], rb["steps"]) == ("disk", "Disk full", {}, ["Delete old logs"])


def test_render_then_parse_is_the_identity() -> None:
    rb = parse_runbook_markdown(RUNBOOK, default_id="x")
    again = parse_runbook_markdown(render_runbook_markdown(rb), default_id="other")
    assert again == rb
    # steps not written in the body survive through the front matter
    bare = {
        "id": "r",
        "title": "R",
        "match": {"services": ["a"]},
        "steps": ["one", "two"],
        "body": "Some prose.",
    }
    text = render_runbook_markdown(bare)
    assert "steps:" in text
    assert parse_runbook_markdown(text, default_id="r") == bare
    no_body = {"id": "r", "title": "R", "match": {}, "steps": ["one"], "body": ""}
    text = render_runbook_markdown(no_body)
    assert "steps:" not in text and "1. one" in text
    assert parse_runbook_markdown(text, default_id="r")["steps"] == ["one"]


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("---\ntitle: [unclosed\n---\nbody", "not valid YAML"),
        ("---\ntitle: x\nno end", "never closed"),
        ("---\n- a list\n---\nbody", "must be a YAML mapping"),
    ],
)
def test_bad_front_matter_is_invalid_input(text: str, says: str) -> None:
    with pytest.raises(InvalidInput, match=says):
        parse_runbook_markdown(text, default_id="bad")


def test_directory_round_trip(tmp_path: Path) -> None:
    services = [
        {
            "id": "user-api",
            "name": "User API",
            "owner_team": "backend",
            "tier": 1,
            "dependencies": ["postgres"],
            "repository": "acme/user-api",
            "dashboards": ["https://grafana/d/1"],
            "runbook_links": [],
            "stakeholders": ["support"],
            "description": "Users",
            "updated_at": "2024-01-01T00:00:00Z",
        },
        {
            "id": "postgres",
            "name": "postgres",
            "owner_team": None,
            "tier": 1,
            "dependencies": [],
            "repository": None,
            "dashboards": [],
            "runbook_links": [],
            "stakeholders": [],
            "description": "",
        },
    ]
    books = [
        parse_runbook_markdown(RUNBOOK, default_id="x"),
        {
            "id": "disk",
            "title": "Disk full",
            "match": {"keywords": ["disk"]},
            "steps": ["Delete logs"],
            "body": "",
        },
    ]
    assert write_kb_dir(tmp_path / "kb", services, books) == {"services": 2, "runbooks": 2}
    assert sorted(p.name for p in (tmp_path / "kb" / "runbooks").iterdir()) == ["db-pool.md", "disk.md"]
    svcs, again = read_kb_dir(tmp_path / "kb")
    assert svcs == [{k: v for k, v in s.items() if k != "updated_at"} for s in services]
    assert sorted(again, key=lambda b: b["id"])[0] == books[0]
    assert sorted(again, key=lambda b: b["id"])[1]["steps"] == ["Delete logs"]


def test_bad_directories_say_what_is_wrong(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match=r"neither catalog\.yaml nor runbooks"):
        read_kb_dir(tmp_path)
    (tmp_path / "catalog.yaml").write_text("services: {a: 1}\n")
    with pytest.raises(InvalidInput, match="with a `services:` list"):
        read_kb_dir(tmp_path)
    (tmp_path / "catalog.yaml").write_text("services: [\n")
    with pytest.raises(InvalidInput, match="not valid YAML"):
        read_kb_dir(tmp_path)
    (tmp_path / "catalog.yaml").write_text("services:\n  - just-a-name\n")
    with pytest.raises(InvalidInput, match="must be a mapping"):
        read_kb_dir(tmp_path)
