"""Delivery end to end: real HTTP receivers on loopback, a live server, real server processes.

Receivers are small `http.server` threads on 127.0.0.1 started by each test. Waits are on
conditions with deadlines; nothing sleeps to let time pass.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
from deliverykit import Receiver, ServerProcess, wait_until
from sqlalchemy import select

from warroom.config import Settings
from warroom.delivery.signing import verify
from warroom.store.tables import deliveries, escalations

ROOT_CONFTEST = Path(__file__).resolve().parents[1] / "conftest.py"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "webhooks"

pytestmark = pytest.mark.e2e


def root_conftest(config: pytest.Config) -> ModuleType:
    for plugin in config.pluginmanager.get_plugins():
        if isinstance(plugin, ModuleType) and Path(getattr(plugin, "__file__", "") or "") == ROOT_CONFTEST:
            return plugin
    raise RuntimeError("tests/conftest.py is not loaded")


FAST = {
    "outbound_allowlist": ["127.0.0.1"],
    "delivery_backoff_seconds": 0.05,
    "delivery_backoff_cap_seconds": 0.2,
    "delivery_poll_seconds": 0.05,
    "circuit_cooldown_seconds": 0.5,
    "clock_poll_seconds": 0.05,
}


@pytest.fixture
def receivers() -> Iterator[list[Receiver]]:
    made: list[Receiver] = []
    yield made
    for r in made:
        r.close()


@pytest.fixture
def serve(request: pytest.FixtureRequest, settings: Settings) -> Iterator[Any]:
    """Start a LiveServer on the test's store with FAST delivery settings plus overrides."""
    servers: list[Any] = []
    cls = root_conftest(request.config).LiveServer

    def start(**overrides: Any) -> Any:
        srv = cls(settings.model_copy(update={**FAST, **overrides}))
        servers.append(srv)
        srv.start()
        return srv

    yield start
    for srv in reversed(servers):
        srv.stop()


async def _admin(srv: Any) -> httpx.AsyncClient:
    return srv.client(srv.token("boss", admin=True))


async def _webhook_user(http: httpx.AsyncClient, user: str, url: str) -> dict[str, Any]:
    r = await http.put(f"/api/users/{user}", json={"name": user.title(), "time_zone": "Europe/Berlin"})
    assert r.status_code == 200, r.text
    r = await http.post(f"/api/users/{user}/contacts", json={"kind": "webhook", "target": url})
    assert r.status_code == 201, r.text
    return dict(r.json())


async def _wait(predicate: Any, limit: float = 10.0, what: str = "condition") -> Any:
    return await asyncio.to_thread(wait_until, predicate, limit, what)


async def _delivery(http: httpx.AsyncClient, delivery_id: str) -> dict[str, Any]:
    r = await http.get("/api/deliveries", params={"limit": 1000})
    return next(d for d in r.json()["deliveries"] if d["id"] == delivery_id)


def _rows(srv: Any) -> list[Any]:
    return list(srv.core.db.read_sync(lambda c: c.execute(select(deliveries)).all()))


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_receiver_that_fails_then_recovers_gets_it_once_with_the_same_id(
    serve: Any, receivers: list[Receiver]
) -> None:
    rx = Receiver(fail_first=3)
    receivers.append(rx)
    srv = serve(circuit_failures=10)
    async with await _admin(srv) as http:
        contact = await _webhook_user(http, "sarah", f"{rx.url}/hook")
        await http.post("/api/channels", json={"id": "incidents", "incident_enabled": True})
        inc = (await http.post("/api/incidents", json={"title": "db down", "severity": "P1"})).json()
        r = await http.post(
            "/api/users/sarah/page", json={"title": "help", "priority": "critical", "incident": inc["id"]}
        )
        assert r.status_code == 202, r.text
        (did,) = r.json()["deliveries"]
        await _wait(lambda: rx.ok(), what="the page to be accepted")
        hits = rx.all()
        assert [h.status for h in hits] == [500, 500, 500, 200]
        assert {h.delivery for h in hits} == {did}
        good = hits[-1]
        assert good.path == "/hook" and good.headers["user-agent"] == "warroom"
        assert verify(
            contact["secret"],
            int(good.headers["x-warroom-timestamp"]),
            good.body,
            good.headers["x-warroom-signature"],
        )
        assert not verify(
            "whsec_wrong",
            int(good.headers["x-warroom-timestamp"]),
            good.body,
            good.headers["x-warroom-signature"],
        )
        body = good.json
        assert (body["delivery_id"], body["title"], body["recipient"], body["incident"]) == (
            did,
            "help",
            "sarah",
            inc["id"],
        )
        d = await _wait_state(http, did, "sent")
        assert d["attempts"] == 4 and d["last_error"] is None
        timeline = (await http.get(f"/api/incidents/{inc['id']}/timeline")).json()["items"]
        kinds = [i["kind"] for i in timeline if i["kind"].startswith("delivery.")]
        assert kinds == [
            "delivery.queued",
            "delivery.failed",
            "delivery.failed",
            "delivery.failed",
            "delivery.sent",
        ]


async def _wait_state(http: httpx.AsyncClient, did: str, state: str, limit: float = 10.0) -> dict[str, Any]:
    deadline = asyncio.get_running_loop().time() + limit
    while True:
        d = await _delivery(http, did)
        if d["state"] == state:
            return d
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"delivery {did} is {d['state']}, not {state}, after {limit}s")
        await asyncio.sleep(0.02)


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_receiver_that_never_recovers_opens_the_circuit_and_dead_letters(
    serve: Any, receivers: list[Receiver]
) -> None:
    rx = Receiver(fail_always=True)
    receivers.append(rx)
    srv = serve(circuit_failures=2, delivery_max_attempts=4)
    async with await _admin(srv) as http:
        await _webhook_user(http, "sarah", f"{rx.url}/hook")
        (did,) = (await http.post("/api/users/sarah/page", json={"title": "t"})).json()["deliveries"]
        d = await _wait_state(http, did, "gave_up")
        assert d["attempts"] == 4 and "HTTP 500" in d["last_error"]
        hits = rx.all()
        assert len(hits) == 4 and {h.delivery for h in hits} == {did}
        assert srv.core.breaker.state("webhook:127.0.0.1") in ("open", "half-open")
        dead = (await http.get("/api/deliveries", params={"state": "gave_up"})).json()["deliveries"]
        assert [x["id"] for x in dead] == [did]

        rx.recover()
        r = await http.post(f"/api/deliveries/{did}/retry")
        assert r.status_code == 200 and r.json()["state"] == "queued" and r.json()["attempts"] == 0
        d = await _wait_state(http, did, "sent")
        assert [h.delivery for h in rx.ok()] == [did]
        assert (await http.post(f"/api/deliveries/{did}/retry")).status_code == 409
        assert (await http.post("/api/deliveries/dlv_nope/retry")).status_code == 404
        assert (await http.get("/api/deliveries", params={"state": "gave_up"})).json()["deliveries"] == []


def test_server_killed_mid_delivery_and_restarted_still_delivers_with_the_same_id(
    tmp_path: Path, receivers: list[Receiver]
) -> None:
    rx = Receiver(hang_first=True)
    receivers.append(rx)
    url = f"sqlite+pysqlite:///{tmp_path / 'warroom.db'}"
    conf = {**FAST, "delivery_lease_seconds": 1.0}
    first = ServerProcess(tmp_path, url, **conf)
    try:
        with httpx.Client(base_url=first.url, timeout=10) as http:  # no tokens: the local admin
            http.put("/api/users/sarah", json={"name": "Sarah"}).raise_for_status()
            http.post(
                "/api/users/sarah/contacts", json={"kind": "webhook", "target": f"{rx.url}/hook"}
            ).raise_for_status()
            (did,) = http.post("/api/users/sarah/page", json={"title": "wake up"}).json()["deliveries"]
        wait_until(lambda: rx.all(), what="the first attempt to be in flight")
        first.kill()
    finally:
        first.stop()
    second = ServerProcess(tmp_path, url, **conf)
    try:
        wait_until(lambda: rx.ok(), timeout=15, what="the page to arrive after the restart")
        hits = rx.all()
        assert [h.status for h in hits] == [0, 200]  # 0: the attempt the dead server never finished
        assert [h.delivery for h in hits] == [did, did]
        with httpx.Client(base_url=second.url, timeout=10) as http:
            d = wait_until(
                lambda: next(
                    (x for x in http.get("/api/deliveries").json()["deliveries"] if x["state"] == "sent"),
                    None,
                ),
                what="the delivery to be recorded as sent",
            )
        assert d["id"] == did
    finally:
        rx.release()
        second.stop()


async def _policy(http: httpx.AsyncClient, levels: list[dict[str, Any]], **route: Any) -> None:
    r = await http.put("/api/policies/main", json={"name": "Main", "levels": levels})
    assert r.status_code == 200, r.text
    r = await http.post("/api/policies/main/routes", json=route)
    assert r.status_code == 201, r.text


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_ack_stops_escalation_before_level_two(serve: Any, receivers: list[Receiver]) -> None:
    rx = Receiver()
    receivers.append(rx)
    srv = serve()
    async with await _admin(srv) as http:
        await _webhook_user(http, "sarah", f"{rx.url}/sarah")
        await _webhook_user(http, "tom", f"{rx.url}/tom")
        await _policy(
            http,
            [
                {"targets": [{"kind": "user", "id": "sarah"}], "delay": 1.5},
                {"targets": [{"kind": "user", "id": "tom"}], "delay": 60},
            ],
        )
        await http.post("/api/channels", json={"id": "incidents", "incident_enabled": True})
        inc = (await http.post("/api/incidents", json={"title": "db down", "severity": "P0"})).json()
        await _wait(lambda: rx.ok(), what="level 1 to page sarah")
        assert [(h.path, h.json["level"]) for h in rx.ok()] == [("/sarah", 1)]
        r = await http.post(f"/api/incidents/{inc['id']}/acknowledge", json={"reason": "on it"})
        assert r.status_code == 200 and r.json()["status"] == "acknowledged"

        def stopped() -> bool:
            row = srv.core.db.read_sync(
                lambda c: c.execute(select(escalations.c.state, escalations.c.next_due_at)).one()
            )
            return bool(row.state == "stopped")

        # The clock stops the escalation when level 2 falls due; by then nothing pages tom.
        await _wait(stopped, what="the escalation to stop at level 2's due time")
        assert [h.path for h in rx.all()] == ["/sarah"]
        assert {r.principal_id for r in _rows(srv)} == {"sarah"}
        timeline = (await http.get(f"/api/incidents/{inc['id']}/timeline")).json()["items"]
        assert [i["data"]["level"] for i in timeline if i["kind"] == "incident.escalated"] == [1]


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_pagerduty_and_opsgenie_both_ways_without_loops(serve: Any, receivers: list[Receiver]) -> None:
    pd, og = Receiver(), Receiver()
    receivers += [pd, og]
    srv = serve(pagerduty_events_url=f"{pd.url}/v2/enqueue", opsgenie_api_url=og.url)
    async with await _admin(srv) as http:
        await http.put("/api/users/sarah", json={"name": "Sarah"})
        for kind, target in (("pagerduty", "ROUTINGKEY0123456789"), ("opsgenie", "og-api-key")):
            r = await http.post("/api/users/sarah/contacts", json={"kind": kind, "target": target})
            assert r.status_code == 201, r.text
        await http.post("/api/channels", json={"id": "incidents", "incident_enabled": True})
        integ = (
            await http.post(
                "/api/integrations", json={"name": "pd", "source": "pagerduty", "channel": "incidents"}
            )
        ).json()
        await _policy(
            http, [{"targets": [{"kind": "user", "id": "sarah"}], "delay": 600}], integration=integ["id"]
        )
        hook = integ["webhook_url"].replace(integ["webhook_url"].split("/api/")[0], srv.url)
        headers = {"Authorization": f"Bearer {integ['secret']}"}
        body = (FIXTURES / "pagerduty-v3-incident-triggered.json").read_bytes()
        r = await http.post(hook, content=body, headers=headers)
        assert r.status_code in (200, 202), r.text
        ref = r.json()["incidents_opened"][0] if "incidents_opened" in r.json() else "INC-1"

        await _wait(lambda: pd.ok() and og.ok(), what="the trigger in PagerDuty and Opsgenie")
        (trigger,) = [h.json for h in pd.ok()]
        assert (trigger["event_action"], trigger["dedup_key"], trigger["routing_key"]) == (
            "trigger",
            ref,
            "ROUTINGKEY0123456789",
        )
        assert (
            trigger["payload"]["severity"] in ("critical", "error") and ref in trigger["payload"]["summary"]
        )
        (created,) = og.ok()
        assert created.path == "/v2/alerts" and created.headers["authorization"] == "GenieKey og-api-key"
        assert created.json["alias"] == ref

        # PagerDuty says Sarah acknowledged: mirrored to Opsgenie, never echoed back to PagerDuty.
        ack = (FIXTURES / "pagerduty-v3-incident-acknowledged.json").read_bytes()
        r = await http.post(hook, content=ack, headers=headers)
        assert r.status_code in (200, 202), r.text
        assert (await http.get(f"/api/incidents/{ref}")).json()["status"] == "acknowledged"
        await _wait(lambda: len(og.ok()) == 2, what="the acknowledge mirrored to Opsgenie")
        assert og.ok()[1].path == f"/v2/alerts/{ref}/acknowledge?identifierType=alias"
        mirrors = [r.kind for r in _rows(srv) if r.payload.get("kind") == "mirror"]
        assert mirrors == ["opsgenie"]

        # Resolved here: both hear about it.
        r = await http.post(f"/api/incidents/{ref}/resolve", json={"reason": "fixed"})
        assert r.status_code == 200
        await _wait(lambda: len(pd.ok()) == 2 and len(og.ok()) == 3, what="the resolve mirrored to both")
        assert [(h.json["event_action"], h.json["dedup_key"]) for h in pd.ok()] == [
            ("trigger", ref),
            ("resolve", ref),
        ]
        assert og.ok()[2].path == f"/v2/alerts/{ref}/close?identifierType=alias"
        assert Counter(r.kind for r in _rows(srv) if r.payload.get("kind") == "mirror") == {
            "opsgenie": 2,
            "pagerduty": 1,
        }


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_subscription_pages_without_an_incident(serve: Any, receivers: list[Receiver]) -> None:
    rx = Receiver()
    receivers.append(rx)
    srv = serve()
    sarah = srv.client(srv.token("sarah"))
    async with await _admin(srv) as http, sarah:
        await http.post("/api/channels", json={"id": "incidents"})
        await http.put("/api/users/sarah", json={"name": "Sarah"})
        contact = (
            await sarah.post(
                "/api/users/sarah/contacts", json={"kind": "webhook", "target": f"{rx.url}/ntfy"}
            )
        ).json()
        r = await sarah.post(
            "/api/subscriptions",
            json={
                "channel": "incidents",
                "filters": {"priorities": ["critical", "high"]},
                "delivery": ["cm_nope"],
            },
        )
        assert r.status_code == 422 and "cm_nope" in r.text
        r = await sarah.post(
            "/api/subscriptions",
            json={
                "channel": "incidents",
                "filters": {"priorities": ["critical", "high"]},
                "delivery": [contact["id"]],
            },
        )
        assert r.status_code == 201 and r.json()["delivery"] == [contact["id"]]
        sub = r.json()["id"]
        await http.post("/api/channels/incidents/messages", json={"title": "fyi", "priority": "low"})
        msg = (
            await http.post(
                "/api/channels/incidents/messages", json={"title": "payments failing", "priority": "critical"}
            )
        ).json()
        await _wait(lambda: rx.ok(), what="the subscription to page")
        (hit,) = rx.ok()
        assert (hit.json["kind"], hit.json["title"], hit.json["message_id"], hit.json["channel"]) == (
            "notification",
            "payments failing",
            msg["id"],
            "incidents",
        )
        rows = _rows(srv)
        assert [(r.subscription_id, r.message_id, r.incident_number) for r in rows] == [
            (sub, msg["id"], None)
        ]
        assert verify(
            contact["secret"],
            int(hit.headers["x-warroom-timestamp"]),
            hit.body,
            hit.headers["x-warroom-signature"],
        )


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_a_hanging_receiver_does_not_hold_up_the_next_page(
    serve: Any, receivers: list[Receiver]
) -> None:
    # Sarah's receiver holds its first request open; Tom's answers at once. Tom's page is
    # queued while Sarah's is stuck in flight, and must go out before hers is released
    # (the sender's own timeout is 10 s; the wait below gives up at 5 s).
    slow, fast = Receiver(hang_first=True), Receiver()
    receivers += [slow, fast]
    srv = serve()
    async with await _admin(srv) as http:
        await http.post("/api/channels", json={"id": "incidents"})
        ids = {}
        for user, rx in (("sarah", slow), ("tom", fast)):
            contact = await _webhook_user(http, user, f"{rx.url}/{user}")
            token = srv.token(user)
            async with srv.client(token) as me:
                r = await me.post(
                    "/api/subscriptions",
                    json={
                        "channel": "incidents",
                        "filters": {"priorities": ["critical"]},
                        "delivery": [contact["id"]],
                    },
                )
                assert r.status_code == 201, r.text
                ids[user] = r.json()["id"]
            if user == "sarah":
                await http.post(
                    "/api/channels/incidents/messages", json={"title": "first", "priority": "critical"}
                )
                await _wait(lambda: slow.all(), what="sarah's receiver to be holding the first page")
        await http.post("/api/channels/incidents/messages", json={"title": "second", "priority": "critical"})

        def states() -> dict[tuple[str, str], str]:
            return {(r.subscription_id, r.payload["title"]): r.state for r in _rows(srv)}

        await _wait(lambda: states().get((ids["tom"], "second")) == "sent", 5.0, "tom's page recorded sent")
        assert [h.json["title"] for h in fast.ok()] == ["second"]
        assert states()[(ids["sarah"], "first")] == "sending"  # still held by the slow receiver
        slow.release()
        await _wait(
            lambda: {h.json["title"] for h in slow.ok()} == {"first", "second"},
            what="sarah's pages after the release",
        )


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_apprise_json_url_is_delivered(serve: Any, receivers: list[Receiver]) -> None:
    rx = Receiver()
    receivers.append(rx)
    srv = serve()
    async with await _admin(srv) as http:
        await http.put("/api/users/sarah", json={"name": "Sarah"})
        target = f"json://127.0.0.1:{rx.port}/apprise"
        r = await http.post("/api/users/sarah/contacts", json={"kind": "apprise", "target": target})
        assert r.status_code == 201, r.text
        r = await http.post(f"/api/contacts/{r.json()['id']}/test")
        assert r.status_code == 202
        await _wait(lambda: rx.ok(), what="Apprise to post")
        (hit,) = rx.ok()
        assert hit.path == "/apprise"
        assert hit.json["title"] == "warroom test notification" and "reaches you" in hit.json["message"]
        await _wait_state(http, r.json()["delivery"], "sent")


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_private_destinations_are_refused_without_the_allowlist(serve: Any) -> None:
    srv = serve()  # only 127.0.0.1 is allow-listed
    async with await _admin(srv) as http:
        await http.put("/api/users/sarah", json={"name": "Sarah"})
        for kind, target in (
            ("webhook", "http://10.0.0.1/hook"),
            ("webhook", "http://169.254.169.254/latest/meta-data/"),
            ("webhook", "http://[::ffff:10.0.0.1]/"),
            ("apprise", "json://10.0.0.1/x"),
        ):
            r = await http.post("/api/users/sarah/contacts", json={"kind": kind, "target": target})
            assert r.status_code == 422, (target, r.text)
            assert "outbound_allowlist" in r.json()["error"]["message"]
        assert (await http.get("/api/users/sarah")).json()["contacts"] == []
        assert (await http.get("/api/deliveries")).json()["deliveries"] == []


@pytest.mark.parametrize("backend", ["postgres"])
def test_two_servers_on_one_postgres_page_exactly_once_per_step(
    settings: Settings, tmp_path: Path, receivers: list[Receiver]
) -> None:
    rx = Receiver()
    receivers.append(rx)
    url = settings.effective_database_url
    conf = {**FAST, "clock_poll_seconds": 0.02, "delivery_poll_seconds": 0.02}
    a = ServerProcess(tmp_path, url, **conf)
    b = ServerProcess(tmp_path, url, **conf)
    try:
        with httpx.Client(base_url=a.url, timeout=10) as http:
            for user in ("sarah", "tom", "ann"):
                http.put(f"/api/users/{user}", json={"name": user.title()}).raise_for_status()
                http.post(
                    f"/api/users/{user}/contacts", json={"kind": "webhook", "target": f"{rx.url}/{user}"}
                ).raise_for_status()
            levels = [
                {"targets": [{"kind": "user", "id": "sarah"}], "delay": 0.5},
                {"targets": [{"kind": "user", "id": "tom"}], "delay": 0.5},
                {"targets": [{"kind": "user", "id": "ann"}], "delay": 60},
            ]
            http.put("/api/policies/main", json={"name": "Main", "levels": levels}).raise_for_status()
            http.post("/api/policies/main/routes", json={}).raise_for_status()
            http.post("/api/channels", json={"id": "incidents", "incident_enabled": True}).raise_for_status()
        refs = []
        for i in range(4):
            srv = (a, b)[i % 2]
            with httpx.Client(base_url=srv.url, timeout=10) as http:
                r = http.post("/api/incidents", json={"title": f"outage {i}", "severity": "P0"})
                refs.append(r.json()["id"])
        wait_until(lambda: len(rx.ok()) >= 12, timeout=20, what="3 levels × 4 incidents to page")
        with httpx.Client(base_url=b.url, timeout=10) as http:
            wait_until(
                lambda: all(d["state"] == "sent" for d in http.get("/api/deliveries").json()["deliveries"]),
                what="every delivery recorded as sent",
            )
            sent = http.get("/api/deliveries").json()["deliveries"]
        hits = rx.ok()
        assert len(hits) == 12 and len(sent) == 12
        per_id = Counter(h.delivery for h in hits)
        assert set(per_id.values()) == {1}
        per_step = Counter((h.json["incident"], h.json["level"]) for h in hits)
        assert per_step == {(ref, lvl): 1 for ref in refs for lvl in (1, 2, 3)}
        assert {h.path for h in hits if h.json["level"] == 3} == {"/ann"}
    finally:
        a.stop()
        b.stop()
