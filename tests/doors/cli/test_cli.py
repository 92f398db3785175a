"""The CLI as a user runs it: real `warroom` subprocesses talking HTTP to a live server."""

from __future__ import annotations

import json
import socket
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from cli_kit import Result, cli_env, run

SCENARIO = Path(__file__).resolve().parents[2] / "fixtures" / "scenarios" / "incident-2am.jsonl"
THREAD = "incident-2024-01-12-001"
sqlite_only = pytest.mark.parametrize("backend", ["sqlite"])


def parallel(*calls: tuple[Any, ...]) -> list[Result]:
    """Run independent CLI invocations at once (each one is a ~1 s interpreter start)."""
    with ThreadPoolExecutor(min(4, len(calls))) as pool:
        return list(pool.map(lambda c: run(*c), calls))


def seed_steps() -> list[dict[str, Any]]:
    return [json.loads(line) for line in SCENARIO.read_text().splitlines() if line.strip()]


@sqlite_only
def test_channels_publish_history_search_thread(live_server: Any, tmp_path: Path) -> None:
    env = cli_env(tmp_path, live_server.url)
    created, human = parallel(
        (
            env,
            "channel",
            "create",
            "incidents",
            "--description",
            "production incidents",
            "--incidents",
            "--json",
        ),
        (env, "channel", "create", "deploys"),
    )
    assert created.code == 0, created.err
    assert created.json["id"] == "incidents" and created.json["incident_enabled"] is True
    assert human.code == 0 and "channel deploys created (public)" in human.out

    alert = seed_steps()[0]["message"]
    r = run(
        env,
        "publish",
        "incidents",
        alert["title"],
        "--body",
        "-",
        "--priority",
        "P0",
        "--tag",
        "p0",
        "--tag",
        "database",
        "--theme",
        alert["theme"],
        "--thread",
        THREAD,
        "--sender-name",
        "Production Monitoring",
        "--role",
        "System",
        "--link",
        "https://grafana.example.com/d/db",
        "--json",
        stdin=alert["body"],
    )
    assert r.code == 0, r.err
    m = r.json
    assert m["body"] == alert["body"] and m["priority"] == "critical" and m["tags"] == ["p0", "database"]
    assert m["thread_id"] == THREAD and m["sender"]["name"] == "Production Monitoring"
    assert m["links"] == [{"url": "https://grafana.example.com/d/db"}] and m["published_by"] == "local"

    reply, low = parallel(
        (
            env,
            "publish",
            "incidents",
            "Rollback approved",
            "--reply-to",
            str(m["id"]),
            "-p",
            "critical",
            "--theme",
            "incident-decision",
            "--json",
        ),
        (
            env,
            "publish",
            "incidents",
            "vacuum done on db-2",
            "-p",
            "low",
            "-t",
            "database",
            "-t",
            "maintenance",
        ),
    )
    assert reply.code == 0 and reply.json["thread_id"] == THREAD and reply.json["in_reply_to"] == m["id"]
    assert low.code == 0 and "vacuum done on db-2" in low.out and "LOW" in low.out

    crit, tagged, human_hist, found, thread, listed, shown, paged = parallel(
        (env, "history", "incidents", "--priority", "critical,high", "--json"),
        (env, "history", "incidents", "--tag", "database", "--since", "24h", "--json"),
        (env, "history", "incidents", "--min-priority", "low", "--full"),
        (env, "search", "pool exhausted", "--json"),
        (env, "thread", THREAD, "--json"),
        (env, "channel", "ls", "--json"),
        (env, "channel", "show", "incidents"),
        (env, "history", "incidents", "--limit", "1"),
    )
    assert [x["title"] for x in crit.json["items"]] == ["Rollback approved", alert["title"]]
    assert [x["title"] for x in tagged.json["items"]][-1] == alert["title"]
    assert len(tagged.json["items"]) == 2
    lines = human_hist.out
    # Oldest first (the two publishes ran at once: their ids say which came first).
    low_id = int(low.out.split()[0])
    later = ["Rollback approved", "vacuum done"]
    if low_id < reply.json["id"]:
        later.reverse()
    assert lines.index(alert["title"]) < lines.index(later[0]) < lines.index(later[1])
    assert "Database connections: 100/100 used" in lines  # --full shows bodies
    assert [x["id"] for x in found.json["items"]] == [m["id"]]
    assert [x["title"] for x in thread.json["messages"]] == [alert["title"], "Rollback approved"]
    stats = {c["id"]: c["stats"]["messages"] for c in listed.json["channels"]}
    assert stats == {"deploys": 0, "incidents": 3}
    assert "id: incidents" in shown.out and "production incidents" in shown.out
    assert paged.code == 0 and later[1] in paged.out and "more: --before" in paged.err


@sqlite_only
def test_exit_codes(live_server: Any, tmp_path: Path) -> None:
    admin = live_server.token("sarah", admin=True)
    with httpx.Client(base_url=live_server.url, headers={"Authorization": f"Bearer {admin}"}) as http:
        assert http.post("/api/channels", json={"id": "incidents"}).status_code == 201
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}"  # nothing listens once the socket closes
    ok = cli_env(tmp_path, live_server.url, admin)
    results = parallel(
        (cli_env(tmp_path, live_server.url), "channel", "ls"),
        (cli_env(tmp_path, live_server.url, "wr_not-a-token"), "channel", "ls"),
        (ok, "history", "nope"),
        (ok, "channel", "show", "nope"),
        (ok, "publish", "incidents", "x", "--priority", "urgent"),
        (ok, "publish", "incidents", "t" * 201),
        (cli_env(tmp_path, dead, admin), "channel", "ls"),
        (ok, "channel", "ls", "--json"),
    )
    no_token, bad_token, missing, missing_show, bad_prio, long_title, unreachable, fine = results
    assert no_token.code == 4 and "bearer token" in no_token.err and "warroom token create" in no_token.err
    assert bad_token.code == 4 and "not known" in bad_token.err
    assert missing.code == 3 and "warroom channel create nope" in missing.err
    assert missing_show.code == 3
    assert bad_prio.code == 8 and "critical|high|medium|low" in bad_prio.err
    assert long_title.code == 8 and "title" in long_title.err
    assert unreachable.code == 6 and "cannot reach" in unreachable.err and "warroom serve" in unreachable.err
    assert fine.code == 0 and [c["id"] for c in fine.json["channels"]] == ["incidents"]
    for r in results:
        assert "Traceback" not in r.err


def test_config_show_masks_the_postgres_password(tmp_path: Path) -> None:
    url = "postgresql+psycopg://warroom:s3cr3t-pw@127.0.0.1:5432/warroom"
    toml = tmp_path / "warroom.toml"
    toml.write_text(f'[warroom]\ndatabase_url = "{url}"\nport = 9000\n')
    from_env, as_json, from_file = parallel(
        (cli_env(tmp_path, WARROOM_DATABASE_URL=url), "config", "show"),
        (cli_env(tmp_path, WARROOM_DATABASE_URL=url), "config", "show", "--json"),
        (cli_env(tmp_path, WARROOM_CONFIG=str(toml)), "config", "show", "--json"),
    )
    for r in (from_env, as_json, from_file):
        assert r.code == 0, r.err
        assert "s3cr3t-pw" not in r.out and "s3cr3t-pw" not in r.err
    assert "postgresql+psycopg://warroom:***@127.0.0.1:5432/warroom" in from_env.out
    assert as_json.json["effective_database_url"] == "postgresql+psycopg://warroom:***@127.0.0.1:5432/warroom"
    assert from_file.json["port"] == 9000 and from_file.json["database_url"].endswith(
        ":***@127.0.0.1:5432/warroom"
    )


def test_db_upgrade_on_a_fresh_sqlite_file(tmp_path: Path) -> None:
    db = tmp_path / "fresh" / "warroom.db"
    url = f"sqlite+pysqlite:///{db}"
    first = run(cli_env(tmp_path), "db", "upgrade", "--database-url", url)
    assert first.code == 0, first.err
    assert "store at revision" in first.out and db.exists()
    with sqlite3.connect(db) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        (revision,) = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    assert {"channels", "messages", "events", "subscriptions", "tokens", "principals"} <= tables
    assert revision in first.out
    again = run(cli_env(tmp_path), "db", "upgrade", "--data-dir", str(db.parent))  # the default file name
    assert again.code == 0 and revision in again.out


@sqlite_only  # the --db path on PostgreSQL is exercised by test_cli_follow
def test_token_create_db_then_use_list_revoke(live_server: Any, tmp_path: Path) -> None:
    url = live_server.settings.database_url.get_secret_value()
    r = run(
        cli_env(tmp_path),
        "token",
        "create",
        "--db",
        "--database-url",
        url,
        "--principal",
        "ops",
        "--display-name",
        "Ops Bot",
        "--admin",
        "--name",
        "bootstrap",
        "--json",
    )
    assert r.code == 0, r.err
    boot = r.json
    assert boot["token"].startswith("wr_") and boot["principal"] == "ops" and "admin" in boot["scopes"]
    human = run(
        cli_env(tmp_path),
        "token",
        "create",
        "--db",
        "--database-url",
        url,
        "--principal",
        "tom",
        "--expires-in",
        "12h",
    )
    assert human.code == 0 and "token tok_" in human.out and "not shown again" in human.err
    tom_secret = human.out.strip().splitlines()[-1]
    assert tom_secret.startswith("wr_")

    env = cli_env(tmp_path, live_server.url, boot["token"])
    created, listed, as_tom = parallel(
        (env, "token", "create", "--principal", "alex", "--scope", "read", "--json"),
        (env, "token", "list", "--json"),
        (cli_env(tmp_path, live_server.url, tom_secret), "channel", "ls", "--json"),
    )
    assert created.code == 0 and created.json["scopes"] == ["read"], created.err
    assert {t["principal"] for t in listed.json["tokens"]} >= {"ops", "tom"}
    assert as_tom.code == 0 and as_tom.json == {"channels": []}
    tom_id = next(t["id"] for t in listed.json["tokens"] if t["principal"] == "tom")

    revoked = run(env, "token", "revoke", tom_id)
    assert revoked.code == 0 and f"token {tom_id} revoked" in revoked.out
    after, again = parallel(
        (cli_env(tmp_path, live_server.url, tom_secret), "channel", "ls"),
        (env, "token", "revoke", tom_id),
    )
    assert after.code == 4 and "revoked" in after.err
    assert again.code == 5 and "already revoked" in again.err
    with httpx.Client(base_url=live_server.url) as http:
        assert (
            http.get("/api/me", headers={"Authorization": f"Bearer {boot['token']}"}).json()["name"]
            == "Ops Bot"
        )
