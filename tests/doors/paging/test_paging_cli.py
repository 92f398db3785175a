"""Paging through the real `warroom` executable (subprocesses) against a live server."""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.parametrize("backend", ["sqlite"])

WARROOM = str(Path(__file__).resolve().parents[3] / ".venv" / "bin" / "warroom")


@dataclass
class Run:
    code: int
    out: str
    err: str

    @property
    def json(self) -> Any:
        return json.loads(self.out)


class Cli:
    def __init__(self, home: Path, server: str, token: str) -> None:
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("WARROOM_")}
        self.env.update(
            {
                "HOME": str(home),
                "XDG_DATA_HOME": str(home),
                "NO_COLOR": "1",
                "COLUMNS": "200",
                "WARROOM_SERVER": server,
                "WARROOM_TOKEN": token,
            }
        )

    def __call__(self, *args: str, stdin: str | None = None) -> Run:
        p = subprocess.run(
            [WARROOM, *args], env=self.env, input=stdin, capture_output=True, text=True, timeout=30
        )
        return Run(p.returncode, p.stdout, p.stderr)

    def ok(self, *args: str, stdin: str | None = None) -> Any:
        r = self(*args, "--json", stdin=stdin)
        assert r.code == 0, (args, r.err)
        return r.json


def test_people_schedules_oncall_and_errors(live_server: Any, tmp_path: Path) -> None:
    cli = Cli(tmp_path, live_server.url, live_server.token("boss", admin=True))
    tom = Cli(tmp_path, live_server.url, live_server.token("tom"))
    u = cli.ok(
        "user", "set", "sarah", "--name", "Sarah Chen", "--tz", "Europe/Berlin", "--email", "s@example.com"
    )
    assert (u["id"], u["name"], u["time_zone"], u["email"]) == (
        "sarah",
        "Sarah Chen",
        "Europe/Berlin",
        "s@example.com",
    )
    cli.ok("user", "set", "tom", "--name", "Tom")
    bad = cli("user", "set", "sarah", "--tz", "Europe/Narnia")
    assert bad.code == 8 and "Europe/Narnia" in bad.err and "HTTP 422" in bad.err
    denied = tom("user", "set", "newbie")
    assert denied.code == 4 and "HTTP 403" in denied.err

    cm = cli.ok("contact", "add", "sarah", "apprise", "ntfy://sarah-pager", "--label", "phone")
    assert cm["label"] == "phone" and cm["id"].startswith("cm_")
    rules = tmp_path / "rules.json"
    rules.write_text(json.dumps({"important": [{"contact_method_id": cm["id"], "delay": 0}]}))
    shown = cli.ok("user", "set", "sarah", "--rules", str(rules))
    assert shown["rules"]["important"][0]["contact_method_id"] == cm["id"]
    assert {x["id"] for x in cli.ok("user", "ls")["users"]} >= {"sarah", "tom"}
    test = cli.ok("contact", "test", cm["id"])
    assert test["contact"] == cm["id"] and test["delivery"].startswith("dlv_")

    s = cli.ok(
        "schedule",
        "put",
        "sre",
        "--name",
        "SRE",
        "-u",
        "sarah",
        "-u",
        "tom",
        "--unit",
        "weeks",
        "--tz",
        "Europe/Berlin",
        "--start",
        "2026-03-23",
        "--handoff",
        "09:00",
        "--handoff-day",
        "monday",
    )
    assert s["layers"][0]["rotation"]["participants"] == ["sarah", "tom"]
    doc = {
        "name": "DB",
        "layers": [
            {
                "name": "p",
                "rotation": {
                    "participants": ["tom"],
                    "unit": "days",
                    "time_zone": "UTC",
                    "start": "2026-01-01",
                },
            }
        ],
    }
    (tmp_path / "db.json").write_text(json.dumps(doc))
    assert cli.ok("schedule", "put", "db", "--file", str(tmp_path / "db.json"))["name"] == "DB"
    (tmp_path / "db.yaml").write_text(
        "name: DB two\nlayers:\n  - name: p\n    rotation:\n      participants: [sarah]\n"
        "      unit: days\n      time_zone: UTC\n      start: '2026-01-01'\n"
    )
    assert cli.ok("schedule", "put", "db", "-f", str(tmp_path / "db.yaml"))["name"] == "DB two"
    assert [x["id"] for x in cli.ok("schedule", "ls")["schedules"]] == ["db", "sre"]
    missing = cli("schedule", "show", "nope")
    assert missing.code == 3 and "HTTP 404" in missing.err

    oc = cli.ok("oncall", "--schedule", "sre", "--at", "2026-03-30T07:30:00Z")
    assert [(o["user"], o["until"]) for o in oc["on_call"]] == [("tom", "2026-04-06T07:00:00Z")]
    ov = cli.ok(
        "schedule",
        "override",
        "sre",
        "--user",
        "sarah",
        "--start",
        "2026-03-31T00:00:00Z",
        "--end",
        "2026-04-01T00:00:00Z",
    )
    assert ov["user"] == "sarah"
    oc = cli.ok("oncall", "--schedule", "sre", "--at", "2026-03-31T12:00:00Z")
    assert [(o["user"], o["source"]) for o in oc["on_call"]] == [("sarah", "override")]
    assert len(cli.ok("schedule", "show", "sre")["overrides"]) == 1
    sh = cli.ok(
        "schedule", "shifts", "sre", "--start", "2026-03-30T00:00:00Z", "--end", "2026-04-02T00:00:00Z"
    )
    assert [x["user_id"] for x in sh["shifts"]] == ["sarah", "tom", "sarah", "tom"]
    ics = tmp_path / "sre.ics"
    r = cli(
        "schedule",
        "ical",
        "sre",
        "--start",
        "2026-03-23T00:00:00Z",
        "--end",
        "2026-04-20T00:00:00Z",
        "-o",
        str(ics),
    )
    assert r.code == 0 and ics.read_text().startswith("BEGIN:VCALENDAR")


def test_policies_pages_escalation_deliveries_and_subscribe(live_server: Any, tmp_path: Path) -> None:
    cli = Cli(tmp_path, live_server.url, live_server.token("boss", admin=True))
    tom = Cli(tmp_path, live_server.url, live_server.token("tom"))
    cli.ok("user", "set", "sarah", "--name", "Sarah")
    cm = cli.ok("contact", "add", "sarah", "apprise", "ntfy://sarah")["id"]
    p = cli.ok(
        "policy",
        "put",
        "main",
        "--name",
        "Main",
        "-l",
        "user:sarah@5m",
        "-l",
        "user:tom,schedule:sre@15m",
        "--repeat",
        "1",
    )
    assert [lvl["targets"] for lvl in p["levels"]] == [
        [{"kind": "user", "id": "sarah"}],
        [{"kind": "user", "id": "tom"}, {"kind": "schedule", "id": "sre"}],
    ]
    assert p["repeat"] == 1 and p["levels"][0]["delay"] == "PT5M"
    assert tom("policy", "put", "main", "-l", "user:tom@5m").code == 4
    (tmp_path / "p.json").write_text(
        json.dumps(
            {"name": "From file", "levels": [{"targets": [{"kind": "user", "id": "sarah"}], "delay": 60}]}
        )
    )
    assert cli.ok("policy", "put", "other", "--file", str(tmp_path / "p.json"))["name"] == "From file"
    route = cli.ok("policy", "route", "main", "--service", "db", "-s", "P0")
    assert route["severities"] == ["P0"] and route["service"] == "db"
    assert [r["id"] for r in cli.ok("policy", "show", "main")["routes"]] == [route["id"]]
    assert sorted(x["id"] for x in cli.ok("policy", "ls")["policies"]) == ["main", "other"]
    assert cli.ok("policy", "rm", "other") == {"id": "other", "deleted": True}

    cli.ok("channel", "create", "incidents", "--incidents")
    inc = cli.ok("incident", "declare", "db is down", "-s", "P0", "--service", "db")
    ref = inc["id"]
    paged = cli.ok("page", "sarah", "--title", "please look", "--incident", ref)
    assert paged["user"] == "sarah" and len(paged["deliveries"]) == 1
    esc = cli.ok("incident", "escalate", ref)
    assert esc["incident"] == ref and esc["policy"] == "main" and esc["level"] in (1, 2)

    ds = cli.ok("deliveries", "ls", "--incident", ref)["deliveries"]
    assert ds and {d["recipient"] for d in ds} == {"sarah"}
    assert cli.ok("deliveries", "ls", "--state", "gave_up")["deliveries"] == []
    gone = cli("deliveries", "retry", "dlv_missing")
    assert gone.code == 3 and "HTTP 404" in gone.err

    sarah = Cli(tmp_path, live_server.url, live_server.token("sarah"))
    sub = sarah.ok("subscribe", "incidents", "-p", "critical,high", "--deliver-to", cm)
    assert sub["delivery"] == [cm]
    wrong = tom("subscribe", "incidents", "--deliver-to", cm)
    assert wrong.code == 8 and cm in wrong.err
