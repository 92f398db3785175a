"""Paging and intelligence tools through the SDK's in-process Client, on both stores."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

import anyio
import pytest
from mcp import Client
from mcp_kit import principal, text
from sqlalchemy import update

from warroom.config import Settings
from warroom.core import Core
from warroom.events.log import Event
from warroom.identity.models import Principal
from warroom.mcp import build_server
from warroom.messages.models import MessageIn
from warroom.store.tables import deliveries
from warroom.timeutil import iso, utcnow

DEAD_HOOK = "http://127.0.0.1:9/hook"  # nothing listens: every send fails at once
ROTATION = {
    "participants": ["sarah"],
    "unit": "weeks",
    "time_zone": "Europe/Berlin",
    "start": "2020-01-06",
    "handoff_time": "09:00",
}


async def call(c: Client, name: str, args: dict[str, Any]) -> dict[str, Any]:
    r = await c.call_tool(name, args)
    assert not r.is_error, text(r)
    assert r.structured_content is not None
    return dict(r.structured_content)


async def error(c: Client, name: str, args: dict[str, Any]) -> str:
    r = await c.call_tool(name, args)
    assert r.is_error, r.structured_content
    return text(r)


@pytest.fixture
async def pcore(settings: Settings) -> AsyncIterator[Core]:
    """A core whose loopback receivers are allowed and whose deliveries give up after one try."""
    quiet = {"outbound_allowlist": ["127.0.0.1"], "delivery_max_attempts": 1, "circuit_failures": 1000}
    c = Core(settings.model_copy(update=quiet))
    await c.start()
    yield c
    await c.stop()


class Watch:
    """Every event the hub reads from the log; tests wait on one with a timeout."""

    def __init__(self, core: Core) -> None:
        self.events: list[Event] = []
        self._changed = anyio.Event()
        core.hub.subscribe(self._on)

    def _on(self, batch: list[Event]) -> None:
        self.events += batch
        self._changed.set()
        self._changed = anyio.Event()

    async def wait_for(
        self, pred: Callable[[Event], bool], count: int = 1, within: float = 10.0
    ) -> list[Event]:
        with anyio.fail_after(within):
            while len(hits := [e for e in self.events if pred(e)]) < count:
                await self._changed.wait()
        return hits


async def team(core: Core, admin: Principal) -> None:
    for user, name in (("sarah", "Sarah Chen"), ("tom", "Tom Rodriguez")):
        await core.pager.set_user(admin, user, name=name, time_zone="Europe/Berlin")
        await core.pager.add_contact(admin, user, kind="webhook", target=DEAD_HOOK)
    await core.pager.put_schedule(
        admin, "sre", name="SRE", layers=[{"name": "primary", "rotation": ROTATION}]
    )
    await core.pager.put_policy(
        admin,
        "backend",
        name="Backend",
        levels=[
            {"targets": [{"kind": "schedule", "id": "sre"}], "delay": 300},
            {"targets": [{"kind": "user", "id": "tom"}], "delay": 600},
        ],
    )
    await core.pager.add_route(admin, "backend", service="user-api")


async def test_paging_tools(pcore: Core) -> None:
    core = pcore
    admin, _ = await principal(core, "boss", admin=True)
    sarah, _ = await principal(core, "sarah", name="Sarah Chen")
    await team(core, admin)
    await core.create_channel(admin, "incidents", incident_enabled=True)
    watch = Watch(core)
    inc = await core.declare_incident(
        admin, title="DB pool", channel="incidents", severity="P0", service="user-api"
    )
    ref = inc["id"]
    async with Client(build_server(core, admin), mode="auto") as c:
        oncall = await call(c, "who_is_on_call", {})
        assert oncall["schedules"] == ["sre"]
        assert [(o["schedule"], o["user"], o["name"], o["source"]) for o in oncall["on_call"]] == [
            ("sre", "sarah", "Sarah Chen", "layer")
        ]
        past = await call(c, "who_is_on_call", {"schedule": "sre", "at": "2026-03-30T07:30:00Z"})
        assert past["at"] == "2026-03-30T07:30:00Z"
        assert [(o["from"], o["until"]) for o in past["on_call"]] == [
            ("2026-03-30T07:00:00Z", "2026-04-06T07:00:00Z")
        ]

        paged = await call(
            c, "page_user", {"user_id": "tom", "title": "Need a rollback approval", "incident": ref}
        )
        assert paged["user"] == "tom" and len(paged["deliveries"]) == 1
        mine = await call(c, "list_deliveries", {"incident": ref})
        by_id = {d["id"]: d for d in mine["deliveries"]}
        page = by_id[paged["deliveries"][0]]
        assert (page["recipient"], page["incident"], page["title"], page["kind"]) == (
            "tom",
            ref,
            "Need a rollback approval",
            "webhook",
        )
        assert page["destination"] == "webhook:127.0.0.1"

        # The clock paged level 1 (sarah, on call) on trigger; escalating now pages level 2 (tom).
        (first,) = await watch.wait_for(lambda e: e.kind == "incident.escalated")
        assert first.data["users"] == ["sarah"] and first.data["level"] == 1
        esc = await call(c, "escalate_incident", {"incident": ref})
        assert (esc["incident"], esc["policy"], esc["level"], esc["users"]) == (ref, "backend", 2, ["tom"])
        assert list(esc["deliveries"]) == ["tom"] and len(esc["deliveries"]["tom"]) == 1

        # every send fails (nothing listens) and gives up after one attempt: a dead letter
        page_id = paged["deliveries"][0]

        def gave_up(e: Event) -> bool:
            return e.kind == "delivery.gave_up" and e.data["id"] == page_id

        await watch.wait_for(gave_up)
        dead = await call(c, "list_deliveries", {"state": ["gave_up"], "incident": ref})
        (dl,) = [d for d in dead["deliveries"] if d["id"] == page_id]
        assert dl["attempts"] == 1 and dl["last_error"]
        retried = await call(c, "retry_delivery", {"delivery_id": page_id})
        assert (retried["id"], retried["state"], retried["attempts"]) == (page_id, "queued", 0)
        again = await watch.wait_for(gave_up, count=2)  # sent again with the same id, failed again
        assert [e.data["attempts"] for e in again] == [1, 1]

        # a delivery that reached its receiver is not sent twice
        sent = esc["deliveries"]["tom"][0]
        await core.db.write(
            lambda conn: conn.execute(update(deliveries).where(deliveries.c.id == sent).values(state="sent"))
        )
        msg = await error(c, "retry_delivery", {"delivery_id": sent})
        assert msg == f"conflict: delivery {sent} is sent; only failed or dead-lettered ones retry"

        tl = await call(c, "get_incident_timeline", {"incident": ref})
        kinds = [it["kind"] for it in tl["items"]]
        assert "incident.paged" in kinds and kinds.count("incident.escalated") == 2
        paged_ev = next(it for it in tl["items"] if it["kind"] == "incident.paged")
        assert paged_ev["data"]["user"] == "tom" and paged_ev["data"]["by"] == "boss"

    async with Client(build_server(core, sarah), mode="legacy") as c:
        # deliveries are private: without an incident Sarah sees only her own
        own = await call(c, "list_deliveries", {})
        assert own["deliveries"] and {d["recipient"] for d in own["deliveries"]} == {"sarah"}
        msg = await error(c, "retry_delivery", {"delivery_id": paged["deliveries"][0]})
        assert msg.startswith("forbidden") and "only an admin or the recipient" in msg


def drafted(ref: str) -> Callable[[Event], bool]:
    """The pipeline's postmortem draft on resolve (filed in the same transaction as what the
    incident taught, for similarity later)."""
    return lambda e: e.kind == "incident.postmortem" and e.data["incident"]["id"] == ref


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_intelligence_tools(core: Core, mode: str) -> None:
    admin, _ = await principal(core, "boss", admin=True)
    sarah, _ = await principal(core, "sarah", name="Sarah Chen", ai_tool="ChatGPT")
    kb = core.intel_door
    await kb.put_service(admin, {"id": "user-api", "tier": 1, "owner_team": "identity"})
    await kb.put_service(admin, {"id": "payment-api", "tier": 1, "dependencies": ["user-api"]})
    await kb.put_service(admin, {"id": "admin-dashboard", "tier": 3, "dependencies": ["user-api"]})
    await kb.put_runbook(
        admin,
        {
            "id": "db-pool",
            "title": "Database connection pool",
            "match": {"services": ["user-api"], "keywords": ["pool"]},
            "steps": ["Check pool metrics", "Look for leaks", "Roll back the last deploy", "Restart pods"],
        },
    )
    await core.create_channel(admin, "incidents", incident_enabled=True)
    old = await core.declare_incident(
        admin,
        title="Connection pool exhausted after deploy",
        channel="incidents",
        severity="P1",
        service="user-api",
    )
    await core.publish(
        admin,
        "incidents",
        MessageIn(
            title="Root cause",
            body="## Root cause\nConnection leak in the new pool code.",
            theme="root-cause",
            thread_id=old["thread_id"],
        ),
    )
    await core.set_incident_status(admin, old["id"], "acknowledged")
    watch = Watch(core)
    await core.set_incident_status(admin, old["id"], "resolved", reason="Fixed by rollback")
    await watch.wait_for(drafted(old["id"]))

    async with Client(build_server(core, sarah), mode=mode) as c:
        deploy_at = iso(utcnow() - timedelta(minutes=32))
        change = await call(
            c,
            "record_change",
            {
                "service": "user-api",
                "version": "v2.4.3",
                "description": "pool refactor",
                "at": deploy_at,
                "external_id": "ci-991",
            },
        )
        assert (change["kind"], change["version"], change["source"], change["created"]) == (
            "deploy",
            "v2.4.3",
            "mcp",
            True,
        )
        assert change["at"] == deploy_at
        again = await call(c, "record_change", {"service": "user-api", "external_id": "ci-991"})
        assert again["created"] is False and again["id"] == change["id"]

        new = await call(
            c,
            "declare_incident",
            {"title": "user-api database connection pool exhausted", "severity": "P1", "service": "user-api"},
        )
        ref = new["id"]
        a = await call(c, "analyze_incident", {"incident": ref})
        assert a["incident"] == ref and a["version"] >= 1
        assert (a["triage"]["current"], a["triage"]["proposed"], a["triage"]["verdict"]) == (
            "P1",
            "P0",
            "raise",
        )
        assert a["triage"]["blast_radius"] == ["admin-dashboard", "payment-api"]
        assert "tier 1 with two or more dependents: at least P0" in a["triage"]["factors"]
        (chg,) = a["correlation"]["recent_changes"]
        assert (chg["version"], chg["minutes_before"]) == ("v2.4.3", 32)
        assert a["correlation"]["similar_incidents"][0]["incident"] == old["id"]
        assert a["correlation"]["similar_incidents"][0]["fix"]
        (rb,) = a["remediation"]["runbooks"]
        assert rb["runbook"] == "db-pool" and len(rb["steps"]) == 4
        assert "v2.4.3 of user-api was deployed 32 minutes before the first alert." in a["summary"]
        assert f"One similar past incident: {old['id']}" in a["summary"]
        assert "Runbook 'Database connection pool' steps 1–4 apply." in a["summary"]
        assert a["comms"]["stakeholders"][0] == "identity"
        same = await call(c, "analyze_incident", {"incident": ref, "version": a["version"]})
        assert same["summary"] == a["summary"] and same["version"] == a["version"]

        sim = await call(c, "find_similar_incidents", {"incident": ref, "limit": 3})
        assert sim["incident"] == ref and [s["incident"] for s in sim["similar"]] == [old["id"]]
        assert 0 < sim["similar"][0]["score"] <= 1 and "same service user-api" in sim["similar"][0]["reason"]

        by_inc = await call(c, "get_runbook", {"incident": ref})
        assert by_inc["incident"] == ref and [r["id"] for r in by_inc["runbooks"]] == ["db-pool"]
        assert by_inc["runbooks"][0]["matched_by"] == ["service user-api", "keywords pool"]
        one = await call(c, "get_runbook", {"runbook_id": "db-pool"})
        assert one["runbooks"][0]["steps"][2] == "Roll back the last deploy"
        assert one["runbooks"][0]["match"]["services"] == ["user-api"]
        every = await call(c, "get_runbook", {})
        assert [r["id"] for r in every["runbooks"]] == ["db-pool"]

        await call(c, "acknowledge_incident", {"incident": ref})
        await call(
            c,
            "publish_notification",
            {
                "channel": "incidents",
                "title": "✅ Rollback approved",
                "body": "**Decision:** roll back to v2.4.2",
                "theme": "incident-decision",
                "thread_id": new["thread_id"],
            },
        )
        await call(c, "resolve_incident", {"incident": ref, "reason": "Rolled back"})
        (auto,) = await watch.wait_for(drafted(ref))
        assert auto.data["by"] == "warroom" and auto.data["version"] == 1
        pm = await call(c, "generate_postmortem", {"incident": ref})
        assert pm["version"] == 2
        assert pm["incident"] == ref and pm["generated"] is True
        assert pm["markdown"].startswith(f"# Postmortem: user-api database connection pool exhausted ({ref})")
        assert pm["facts"]["decisions"][0]["decision"] == "roll back to v2.4.2"
        assert pm["facts"]["participants"][0]["ai_tool"] == "ChatGPT"
        edited = await call(c, "edit_postmortem", {"incident": ref, "markdown": "# Postmortem\nEdited."})
        assert edited["version"] == pm["version"] + 1 and edited["generated"] is False
        latest = await call(c, "get_postmortem", {"incident": ref})
        assert (latest["markdown"], latest["created_by"]) == ("# Postmortem\nEdited.", "sarah")
        assert latest["versions"][-2:] == [pm["version"], edited["version"]]
        first_draft = await call(c, "get_postmortem", {"incident": ref, "version": pm["version"]})
        assert first_draft["generated"] is True and first_draft["markdown"] == pm["markdown"]

        stats = await call(c, "incident_stats", {"since": "1d", "period": "day"})
        assert stats["period"] == "day" and stats["total"]["count"] == 2 and stats["total"]["open"] == 0
        assert stats["by_severity"]["P1"]["count"] == 2 and stats["by_service"]["user-api"]["count"] == 2
        assert stats["total"]["mttr_minutes"] is not None and stats["total"]["mtta_minutes"] is not None
        assert list(stats["by_period"]) == [utcnow().strftime("%Y-%m-%d")]
        assert (await call(c, "incident_stats", {"since": "2099-01-01T00:00:00Z"}))["total"]["count"] == 0

        digest = await call(c, "summarize", {"incident": ref})
        assert digest["kind"] == "incident" and digest["incident"] == ref
        assert digest["text"].startswith(
            f"{ref} (P1, user-api): user-api database connection pool exhausted."
        )
        assert "Status: resolved." in digest["text"] and "People: Sarah Chen (ChatGPT)" in digest["text"]
        tonight = await call(c, "summarize", {"channel": "incidents", "since": "1h"})
        assert tonight["kind"] == "channel" and tonight["incidents"] == [old["id"], ref]
        assert "2 incidents active" in tonight["text"] and tonight["messages"] >= 8
        everywhere = await call(c, "summarize", {})
        assert everywhere["channel"] is None and everywhere["incidents"] == [old["id"], ref]

        found = await call(c, "search_all", {"query": "connection pool"})
        assert [x["id"] for x in found["incidents"]] == [ref, old["id"]]
        assert [r["id"] for r in found["runbooks"]] == ["db-pool"]
        assert found["messages"] and all(
            "pool" in m["title"].lower() + m["body"].lower() for m in found["messages"]
        )
