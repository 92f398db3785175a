"""`warroom subscribe … --follow`: live in the terminal, and resumed from the cursor after a gap."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from cli_kit import Follower, cli_env, run


def _wait(predicate: Any, timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        time.sleep(0.02)
    return value


def test_subscribe_follow_then_resume_from_cursor(live_server: Any, tmp_path: Path) -> None:
    # Tom's token is made the way an operator bootstraps one: on the server's own store.
    db_url = live_server.settings.database_url.get_secret_value()
    made = run(
        cli_env(tmp_path), "token", "create", "--db", "--database-url", db_url, "--principal", "tom", "--json"
    )
    assert made.code == 0, made.err
    tom = made.json["token"]
    sarah = live_server.token("sarah", admin=True)
    env = cli_env(tmp_path, live_server.url, tom)
    with (
        httpx.Client(
            base_url=live_server.url, headers={"Authorization": f"Bearer {sarah}"}, timeout=10
        ) as pub,
        httpx.Client(
            base_url=live_server.url, headers={"Authorization": f"Bearer {tom}"}, timeout=10
        ) as mine,
    ):
        assert pub.post("/api/channels", json={"id": "incidents"}).status_code == 201

        def publish(title: str, priority: str) -> dict[str, Any]:
            r = pub.post("/api/channels/incidents/messages", json={"title": title, "priority": priority})
            assert r.status_code == 201, r.text
            return dict(r.json())

        publish("before tom subscribed", "critical")
        follower = Follower(
            env, "subscribe", "incidents", "--priority", "critical,high", "--follow", "--json"
        )
        try:
            subs = _wait(lambda: mine.get("/api/subscriptions").json()["subscriptions"])
            sub = subs[0]
            assert sub["filters"] == {"priorities": ["critical", "high"]}
            publish("disk 70% on db-2", "low")
            crit = publish("🚨 P0: pool exhausted", "critical")
            got = follower.json_line(timeout=30)
            # The low one was published first; the first line is the critical one.
            assert got["id"] == crit["id"] and got["priority"] == "critical" and got["title"] == crit["title"]
            # The follower moves the read cursor as it prints.
            _wait(lambda: mine.get("/api/subscriptions").json()["subscriptions"][0]["cursor"] >= crit["id"])
        finally:
            follower.stop()
        assert follower.lines.qsize() <= 1  # nothing else was printed (at most the end-of-stream mark)

        # Tom's laptop sleeps: messages arrive while nobody follows.
        publish("noise while away", "low")
        missed = publish("replica lag 30s", "high")
        assert mine.get("/api/unread").json()["subscriptions"][0]["unread"] == 1

        again = Follower(env, "subscription", "follow", sub["id"], "--json")
        try:
            first = again.json_line(timeout=30)
            assert first["id"] == missed["id"] and first["title"] == "replica lag 30s"
            live = publish("rollback done", "critical")
            assert again.json_line(timeout=30)["id"] == live["id"]
            _wait(lambda: mine.get("/api/unread").json()["subscriptions"][0]["unread"] == 0)
        finally:
            again.stop()


@pytest.mark.parametrize("backend", ["sqlite"])
def test_follow_a_subscription_that_is_not_yours(live_server: Any, tmp_path: Path) -> None:
    follower = Follower(cli_env(tmp_path, live_server.url), "subscription", "follow", "sub_nope", "--json")
    try:
        assert follower.proc.wait(timeout=60) == 3
        _wait(lambda: "warroom subscription ls" in "".join(follower.err))
    finally:
        follower.stop()
