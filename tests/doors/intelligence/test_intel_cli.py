"""`warroom kb|change|postmortem|followup|stats|summarize|find` and `incident analyze|similar`,
as a user runs them: a subprocess against a live server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from intel_kit import cli, wait_for

from warroom.identity.models import LOCAL

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

CATALOG = """services:
  - id: user-api
    name: User API
    tier: 1
    owner_team: backend
    description: Users and sessions
  - id: payment-api
    tier: 1
    dependencies: [user-api]
"""

RUNBOOK = """---
title: Database connection pool
match:
  services: [user-api]
  keywords: [pool]
---
# Database connection pool

1. Check pool metrics
2. Roll back the last deploy
"""


async def test_knowledge_base_commands(live_server: Any, tmp_path: Path) -> None:
    admin = live_server.token("sarah", admin=True, name="Sarah Chen")
    kb = tmp_path / "kb"
    (kb / "runbooks").mkdir(parents=True)
    (kb / "catalog.yaml").write_text(CATALOG)
    (kb / "runbooks" / "db-pool.md").write_text(RUNBOOK)
    assert cli(live_server, admin, "kb", "import", str(kb), "--json") == {"services": 2, "runbooks": 1}
    listed = cli(live_server, admin, "kb", "service", "ls", "--json")["services"]
    assert [(s["id"], s["tier"], s["dependencies"]) for s in listed] == [
        ("payment-api", 1, ["user-api"]),
        ("user-api", 1, []),
    ]
    out = cli(
        live_server,
        admin,
        "kb",
        "service",
        "put",
        "admin-dashboard",
        "--tier",
        "2",
        "-d",
        "user-api",
        "--stakeholder",
        "support",
        "--json",
    )
    assert (out["tier"], out["dependencies"], out["stakeholders"], out["name"]) == (
        2,
        ["user-api"],
        ["support"],
        "admin-dashboard",
    )
    assert "depends on: user-api" in cli(live_server, admin, "kb", "service", "show", "admin-dashboard")
    shown = cli(live_server, admin, "kb", "runbook", "show", "db-pool")
    assert shown.startswith("---\nid: db-pool\n") and "2. Roll back the last deploy" in shown
    extra = tmp_path / "disk-full.md"
    extra.write_text("# Disk full\n\n1. Delete old logs\n")
    assert "runbook disk-full: Disk full (1 steps)" in cli(
        live_server, admin, "kb", "runbook", "put", str(extra)
    )

    out_dir = tmp_path / "export"
    assert cli(live_server, admin, "kb", "export", str(out_dir), "--json") == {"services": 3, "runbooks": 2}
    assert sorted(p.name for p in (out_dir / "runbooks").iterdir()) == ["db-pool.md", "disk-full.md"]
    assert "id: admin-dashboard" in (out_dir / "catalog.yaml").read_text()

    assert cli(live_server, admin, "kb", "runbook", "rm", "disk-full", "--json")["deleted"] is True
    assert "removed service admin-dashboard" in cli(
        live_server, admin, "kb", "service", "rm", "admin-dashboard"
    )
    cli(live_server, admin, "kb", "import", str(tmp_path / "nowhere"), code=2)
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "catalog.yaml").write_text("services: [\n")
    assert "not valid YAML" in cli(live_server, admin, "kb", "import", str(tmp_path / "bad"), code=8)
    # round trip: importing the export back changes nothing
    cli(live_server, admin, "kb", "import", str(out_dir))
    again = cli(live_server, admin, "kb", "service", "ls", "--json")["services"]
    assert [s["id"] for s in again] == ["admin-dashboard", "payment-api", "user-api"]


async def test_incident_intelligence_commands(live_server: Any, tmp_path: Path) -> None:
    admin = live_server.token("sarah", admin=True, name="Sarah Chen")
    kb = tmp_path / "kb"
    (kb / "runbooks").mkdir(parents=True)
    (kb / "catalog.yaml").write_text(CATALOG)
    (kb / "runbooks" / "db-pool.md").write_text(RUNBOOK)
    await live_server.core.intel_door.import_dir(LOCAL, kb)
    await live_server.core.create_channel(LOCAL, "incidents", incident_enabled=True)
    await live_server.core.declare_incident(
        LOCAL, title="Connection pool exhausted", channel="incidents", service="user-api", severity="P1"
    )

    ch = cli(
        live_server,
        admin,
        "change",
        "record",
        "--service",
        "user-api",
        "--version",
        "v2.4.3",
        "--at",
        "20m",
        "-m",
        "auth refactor",
        "--external-id",
        "ci-9",
        "--json",
    )
    assert (ch["kind"], ch["version"], ch["external_id"]) == ("deploy", "v2.4.3", "ci-9")
    assert [c["id"] for c in cli(live_server, admin, "change", "ls", "--json")["changes"]] == [ch["id"]]
    cli(live_server, admin, "change", "record", "--service", "x", "--kind", "rollout", code=8)

    a = cli(live_server, admin, "incident", "analyze", "INC-1", "--json")
    assert a["triage"]["proposed"] == "P1" and a["correlation"]["recent_changes"][0]["version"] == "v2.4.3"
    text = cli(live_server, admin, "incident", "analyze", "INC-1")
    assert "v2.4.3 of user-api was deployed" in text and "Runbook Database connection pool" in text
    assert "1. Check pool metrics" in text
    assert cli(live_server, admin, "incident", "similar", "INC-1", "--json") == {
        "incident": "INC-1",
        "similar": [],
    }
    cli(live_server, admin, "incident", "analyze", "INC-77", code=3)

    fu = cli(live_server, admin, "followup", "add", "INC-1", "Add a leak test", "--owner", "tom", "--json")
    assert (fu["state"], fu["owner"]) == ("open", "tom")
    assert "[ ] Add a leak test  (owner: tom)" in cli(live_server, admin, "followup", "ls", "INC-1")
    assert cli(live_server, admin, "followup", "done", fu["id"], "--json")["state"] == "done"

    await live_server.core.set_incident_status(LOCAL, "INC-1", "resolved", reason="rolled back")
    await wait_for(lambda: _has_pm(live_server, admin), timeout=15)
    pm = cli(live_server, admin, "postmortem", "show", "INC-1", "--json")
    assert pm["version"] == 1 and "- [ ] Add a leak test (owner: tom) [done]" in pm["markdown"]
    gen = cli(live_server, admin, "postmortem", "generate", "INC-1")
    assert gen.startswith("# Postmortem: Connection pool exhausted (INC-1)") and "postmortem version 2" in gen
    edited = tmp_path / "pm.md"
    edited.write_text("# Postmortem INC-1\n\nEdited by hand.\n")
    assert "version 3 saved" in cli(live_server, admin, "postmortem", "edit", "INC-1", "--file", str(edited))
    # stdin, then $EDITOR on top of it
    assert "version 4 saved" in cli(
        live_server, admin, "postmortem", "edit", "INC-1", "--file", "-", stdin="# From stdin\n"
    )
    editor = tmp_path / "editor.sh"
    editor.write_text('#!/bin/sh\necho "Reviewed by Tom." >> "$1"\n')
    editor.chmod(0o755)
    assert "version 5 saved" in cli(
        live_server, admin, "postmortem", "edit", "INC-1", env={"EDITOR": str(editor)}
    )
    shown = cli(live_server, admin, "postmortem", "show", "INC-1", "--json")
    assert shown["versions"] == [1, 2, 3, 4, 5] and shown["markdown"] == "# From stdin\nReviewed by Tom.\n"
    out_file = tmp_path / "INC-1.md"
    cli(live_server, admin, "postmortem", "export", "INC-1", "-o", str(out_file), "--version", "3")
    assert out_file.read_text() == "# Postmortem INC-1\n\nEdited by hand.\n"
    assert cli(live_server, admin, "postmortem", "export", "INC-1") == "# From stdin\nReviewed by Tom.\n"

    st = cli(live_server, admin, "stats", "--since", "1d", "--period", "day", "--json")
    assert st["total"]["count"] == 1 and st["by_severity"]["P1"]["count"] == 1 and st["period"] == "day"
    human = cli(live_server, admin, "stats")
    assert "1 incident " in human and "by severity" in human and "P1" in human

    summary = cli(live_server, admin, "summarize", "INC-1", "--json")
    assert summary["text"].startswith("INC-1 (P1, user-api): Connection pool exhausted. Status: resolved.")
    digest = cli(live_server, admin, "summarize", "--channel", "incidents", "--since", "1h")
    assert "INC-1 (P1, resolved): Connection pool exhausted" in digest

    found = cli(live_server, admin, "find", "pool", "--json")
    assert [i["id"] for i in found["incidents"]] == ["INC-1"] and [r["id"] for r in found["runbooks"]] == [
        "db-pool"
    ]
    human = cli(live_server, admin, "find", "sessions")
    assert "Services" in human and "user-api (User API, tier 1)" in human


def _has_pm(srv: Any, token: str) -> bool:
    import httpx

    r = httpx.get(f"{srv.url}/api/incidents/INC-1/postmortem", headers={"Authorization": f"Bearer {token}"})
    return r.status_code == 200
