"""`warroom integration|incident|silence …` as a user runs them: a subprocess against a live server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from alertkit import am_alert, am_payload, body

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

WARROOM = [str(Path(sys.executable).with_name("warroom"))]


def cli(srv: Any, token: str, *args: str, code: int = 0) -> Any:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WARROOM_")}
    env.update({"WARROOM_SERVER": srv.url, "WARROOM_TOKEN": token, "NO_COLOR": "1", "COLUMNS": "200"})
    p = subprocess.run([*WARROOM, *args], env=env, capture_output=True, text=True, timeout=60)
    assert p.returncode == code, (args, p.returncode, p.stdout, p.stderr)
    if code == 0 and "--json" in args:
        return json.loads(p.stdout)
    return p.stdout + p.stderr


def test_integration_incident_and_silence_commands(live_server: Any) -> None:
    admin = live_server.token("sarah", admin=True, name="Sarah Chen")
    dev = live_server.token("dev")

    out = cli(
        live_server,
        admin,
        "integration",
        "create",
        "alertmanager",
        "--name",
        "prod",
        "--severity-map",
        "warning=P1",
        "--json",
    )
    assert out["id"] == "prod" and out["channel"] == "incidents"
    assert out["config"]["severity_overrides"] == {"warning": "P1"}
    text = cli(live_server, admin, "integration", "create", "grafana", "--name", "graf")
    assert "/api/webhooks/graf" in text and "secret:" in text and "whs_" in text
    cli(live_server, dev, "integration", "create", "generic", "--name", "x", code=4)
    listed = cli(live_server, admin, "integration", "list", "--json")["integrations"]
    assert [i["id"] for i in listed] == ["graf", "prod"]

    # Alerts come in; the CLI sees the incident.
    r = httpx.post(
        f"{live_server.url}/api/webhooks/prod",
        params={"token": out["secret"]},
        content=body(
            am_payload([am_alert(severity="warning"), am_alert(instance="api-2", severity="warning")])
        ),
    )
    assert r.status_code == 202
    items = cli(live_server, admin, "incident", "ls", "--json")["items"]
    assert [(i["id"], i["severity"], i["alert_count"]) for i in items] == [("INC-1", "P1", 2)]
    shown = cli(live_server, admin, "incident", "show", "INC-1", "--json")
    assert len(shown["alerts"]) == 2 and shown["timeline"][0]["kind"] == "message.published"

    acked = cli(live_server, admin, "incident", "ack", "INC-1", "-m", "looking", "--json")
    assert acked["status"] == "acknowledged" and acked["owner"] == "sarah"
    note = cli(live_server, admin, "incident", "note", "INC-1", "pool raised to 200", "--json")
    assert note["theme"] == "incident-note" and note["thread_id"] == "INC-1"
    done = cli(live_server, admin, "incident", "resolve", "INC-1", "-m", "fixed", "--json")
    assert done["status"] == "resolved"
    assert "already resolved" in cli(live_server, admin, "incident", "ack", "INC-1")
    cli(live_server, admin, "incident", "status", "INC-1", "mitigating", code=5)
    cli(live_server, admin, "incident", "show", "INC-404", code=3)

    decl = cli(
        live_server,
        admin,
        "incident",
        "declare",
        "Checkout down",
        "-s",
        "P0",
        "--service",
        "checkout",
        "--json",
    )
    assert decl["id"] == "INC-2" and decl["severity"] == "P0" and decl["created_by"] == "sarah"
    cli(live_server, admin, "incident", "declare", "x", "-s", "urgent", code=8)
    items = cli(live_server, admin, "incident", "ls", "--status", "all", "--json")["items"]
    assert [i["id"] for i in items] == ["INC-2", "INC-1"]

    sil = cli(
        live_server,
        admin,
        "silence",
        "create",
        "service=user-api",
        'env=~"prod|staging"',
        "--duration",
        "2h",
        "-m",
        "DB failover",
        "--json",
    )
    assert sil["state"] == "active" and sil["comment"] == "DB failover"
    win = cli(
        live_server,
        admin,
        "silence",
        "create",
        "service=payments",
        "--starts-at",
        "2099-11-24T22:00:00Z",
        "--ends-at",
        "2099-11-25T02:00:00Z",
        "--json",
    )
    assert win["state"] == "pending"
    active = cli(live_server, admin, "silence", "ls", "--state", "active", "--json")["silences"]
    assert [s["id"] for s in active] == [sil["id"]]
    cli(live_server, admin, "silence", "create", 'env!="x"', code=8)
    expired = cli(live_server, admin, "silence", "expire", sil["id"], "--json")
    assert expired["state"] == "expired"
    cli(live_server, admin, "silence", "expire", "sil_nope", code=3)
