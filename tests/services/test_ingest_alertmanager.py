"""Alertmanager alerts become incidents: dedup, grouping, partial and full resolve, reopen,
silences, maintenance windows, severity, staleness and a storm. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from alertkit import (
    alert_rows,
    am_alert,
    am_payload,
    body,
    count_events,
    count_incidents,
    forty_alerts,
    resolved,
)
from warroom.alerts.integrations import IntegrationSettings
from warroom.core import Core
from warroom.identity.models import Principal
from warroom.store.tables import alerts, incidents, silences
from warroom.timeutil import utcnow


@pytest.fixture
async def admin(people: Any) -> Principal:
    return await people("sarah", admin=True, name="Sarah Chen")


async def make_integration(
    core: Core, admin: Principal, name: str = "prod", source: str = "alertmanager", **config: Any
) -> dict[str, Any]:
    return await core.create_integration(
        admin, name=name, source=source, settings=IntegrationSettings(**config)
    )


async def send(core: Core, integ: dict[str, Any], payload: Any) -> dict[str, Any]:
    result, replayed = await core.receive_webhook(integ["id"], body(payload), {}, query_token=integ["secret"])
    assert not replayed
    return result


async def incident(core: Core, admin: Principal, ref: str = "INC-1") -> dict[str, Any]:
    return await core.get_incident(admin, ref)


async def test_forty_alerts_on_four_instances_open_one_p0_incident(core: Core, admin: Principal) -> None:
    integ = await make_integration(core, admin)
    out = await send(core, integ, am_payload(forty_alerts()))
    assert out["received"] == 40 and out["new_alerts"] == 40 and out["updated_alerts"] == 0
    assert out["incidents_opened"] == ["INC-1"] and out["incidents_joined"] == []
    assert await core.db.read(count_incidents) == 1
    inc = await incident(core, admin)
    assert inc["severity"] == "P0" and inc["priority"] == "critical" and inc["status"] == "triggered"
    assert inc["service"] == "user-api" and inc["channel"] == "incidents" and inc["thread_id"] == "INC-1"
    assert inc["alert_count"] == 40 and inc["firing_count"] == 40
    assert inc["group_key"] == 'prod:{alertname="HighErrorRate",service="user-api"}'
    assert len(inc["alerts"]) == 40 and {a["incident"] for a in inc["alerts"]} == {"INC-1"}
    assert {a["labels"]["instance"] for a in inc["alerts"]} == {f"api-{i}:9100" for i in range(1, 5)}
    # One thread message announced it; subscribers of `incidents` see it as any message.
    thread = await core.thread(admin, "INC-1")
    msgs = thread["messages"] if "messages" in thread else thread["items"]
    assert [m["theme"] for m in msgs] == ["incident-alert"]
    assert msgs[0]["priority"] == "critical" and msgs[0]["channel"] == "incidents"


async def test_repeats_only_bump_counters(core: Core, admin: Principal) -> None:
    integ = await make_integration(core, admin)
    payload = am_payload(forty_alerts())
    await send(core, integ, payload)
    before = await core.db.read(count_events)
    for _ in range(3):
        out = await send(core, integ, payload)
        assert out["new_alerts"] == 0 and out["updated_alerts"] == 40
        assert out["incidents_opened"] == out["incidents_joined"] == out["incidents_reopened"] == []
    assert await core.db.read(count_events) == before  # no event, no message
    assert await core.db.read(count_incidents) == 1
    rows = await core.db.read(alert_rows)
    assert len(rows) == 40 and {r.count for r in rows} == {4}
    assert all(r.last_seen >= r.first_seen for r in rows)
    inc = await incident(core, admin)
    assert inc["alert_count"] == 40 and inc["firing_count"] == 40


async def test_repeat_updates_annotations(core: Core, admin: Principal) -> None:
    integ = await make_integration(core, admin)
    a = am_alert()
    await send(core, integ, am_payload([a]))
    changed = {**a, "annotations": {**a["annotations"], "description": "now 99%"}}
    await send(core, integ, am_payload([changed]))
    (row,) = await core.db.read(alert_rows)
    assert row.annotations["description"] == "now 99%" and row.count == 2


async def test_the_last_copy_in_one_delivery_wins_over_the_stored_row(core: Core, admin: Principal) -> None:
    # A resend updates only the columns that differ from the stored row: a delivery that
    # changes a field and then changes it back must leave the stored value, not the first copy's.
    integ = await make_integration(core, admin)
    a = am_alert()
    await send(core, integ, am_payload([a]))
    changed = {**a, "annotations": {**a["annotations"], "description": "now 99%"}}
    await send(core, integ, am_payload([changed, a]))
    (row,) = await core.db.read(alert_rows)
    assert row.annotations == a["annotations"] and row.count == 3
    await send(core, integ, am_payload([a, changed]))
    (row,) = await core.db.read(alert_rows)
    assert row.annotations == changed["annotations"] and row.count == 5


async def test_partial_resolve_keeps_it_open_and_last_resolve_resolves(core: Core, admin: Principal) -> None:
    integ = await make_integration(core, admin)
    storm = forty_alerts()
    await send(core, integ, am_payload(storm))
    out = await send(core, integ, am_payload(resolved(storm[:30])))
    assert out["resolved_alerts"] == 30 and out["incidents_resolved"] == []
    inc = await incident(core, admin)
    assert inc["status"] == "triggered" and inc["firing_count"] == 10 and inc["alert_count"] == 40
    # Alertmanager resends the resolved ones with the still-firing ones: nothing changes.
    out = await send(core, integ, am_payload(resolved(storm[:30]) + storm[30:]))
    assert out["resolved_alerts"] == 30 and out["incidents_resolved"] == []
    assert (await incident(core, admin))["firing_count"] == 10
    out = await send(core, integ, am_payload(resolved(storm[30:39])))
    assert (await incident(core, admin))["firing_count"] == 1
    out = await send(core, integ, am_payload(resolved(storm[39:])))
    assert out["incidents_resolved"] == ["INC-1"]
    inc = await incident(core, admin)
    assert inc["status"] == "resolved" and inc["firing_count"] == 0 and inc["resolved_at"]
    assert inc["acknowledged_at"] == inc["resolved_at"]  # resolving implies someone acknowledged
    assert {a["status"] for a in inc["alerts"]} == {"resolved"}
    tl = await core.incident_timeline(admin, "INC-1")
    resolved_msgs = [
        i["message"] for i in tl["items"] if "message" in i and i["message"]["theme"] == "incident-resolved"
    ]
    assert len(resolved_msgs) == 1 and "All alerts resolved" in resolved_msgs[0]["body"]
    assert [i["kind"] for i in tl["items"]].count("incident.resolved") == 1


async def test_without_auto_resolve_the_incident_stays_open(core: Core, admin: Principal) -> None:
    integ = await make_integration(core, admin, auto_resolve=False)
    storm = forty_alerts()[:4]
    await send(core, integ, am_payload(storm))
    out = await send(core, integ, am_payload(resolved(storm)))
    assert out["resolved_alerts"] == 4 and out["incidents_resolved"] == []
    inc = await incident(core, admin)
    assert inc["status"] == "triggered" and inc["firing_count"] == 0
    tl = await core.incident_timeline(admin, "INC-1")
    assert any("still firing" in i["message"]["title"] for i in tl["items"] if "message" in i)


async def test_refire_within_the_window_reopens_after_it_opens_a_new_one(
    core: Core, admin: Principal
) -> None:
    integ = await make_integration(core, admin)
    a = am_alert()
    await send(core, integ, am_payload([a]))
    await send(core, integ, am_payload(resolved([a])))
    assert (await incident(core, admin))["status"] == "resolved"
    out = await send(core, integ, am_payload([a]))
    assert out["incidents_reopened"] == ["INC-1"] and out["incidents_opened"] == []
    inc = await incident(core, admin)
    assert inc["status"] == "triggered" and inc["reopen_count"] == 1 and inc["firing_count"] == 1
    assert inc["resolved_at"] is None
    # A different alert of the same group, resolved long ago: outside the window, a new incident.
    await send(core, integ, am_payload(resolved([a])))
    await core.db.write(
        lambda c: c.execute(
            update(incidents).where(incidents.c.number == 1).values(resolved_at=utcnow() - timedelta(hours=2))
        )
    )
    out = await send(core, integ, am_payload([a]))
    assert out["incidents_opened"] == ["INC-2"] and out["incidents_reopened"] == []
    assert (await incident(core, admin, "INC-1"))["status"] == "resolved"
    inc2 = await incident(core, admin, "INC-2")
    assert inc2["status"] == "triggered" and [x["fingerprint"] for x in inc2["alerts"]] == [a["fingerprint"]]


async def test_different_groups_open_different_incidents(core: Core, admin: Principal) -> None:
    integ = await make_integration(core, admin)
    out = await send(
        core,
        integ,
        am_payload([am_alert("A"), am_alert("A", "api-2"), am_alert("B"), am_alert("A", service="payments")]),
    )
    assert out["incidents_opened"] == ["INC-1", "INC-2", "INC-3"]
    counts = [(await incident(core, admin, f"INC-{n}"))["alert_count"] for n in (1, 2, 3)]
    assert counts == [2, 1, 1]


async def test_custom_group_by_labels(core: Core, admin: Principal) -> None:
    integ = await make_integration(core, admin, group_by=["service"])
    out = await send(core, integ, am_payload([am_alert("A"), am_alert("B"), am_alert("C", service="x")]))
    assert out["incidents_opened"] == ["INC-1", "INC-2"]


async def test_a_more_severe_alert_raises_the_severity(core: Core, admin: Principal) -> None:
    integ = await make_integration(core, admin)
    await send(core, integ, am_payload([am_alert(severity="warning")]))
    assert (await incident(core, admin))["severity"] == "P2"
    out = await send(core, integ, am_payload([am_alert(instance="api-2", severity="critical")]))
    assert out["incidents_joined"] == ["INC-1"]
    inc = await incident(core, admin)
    assert inc["severity"] == "P0" and inc["alert_count"] == 2
    tl = await core.incident_timeline(admin, "INC-1")
    changes = [i for i in tl["items"] if i["kind"] == "incident.severity_changed"]
    assert len(changes) == 1
    assert changes[0]["data"]["from_severity"] == "P2" and changes[0]["data"]["to_severity"] == "P0"
    assert changes[0]["data"]["reason"] == "a more severe alert joined"
    # A less severe one joining does not lower it.
    await send(core, integ, am_payload([am_alert(instance="api-3", severity="info")]))
    assert (await incident(core, admin))["severity"] == "P0"
    joined = [i for i in tl["items"] if "message" in i and "joined INC-1" in i["message"]["title"]]
    assert len(joined) == 1


@pytest.mark.parametrize(
    ("matcher", "silenced_instances"),
    [
        ('service="user-api"', {"api-1", "api-2", "api-3"}),
        ('alertname="HighErrorRate",env!="staging"', {"api-1", "api-2"}),
        ('instance=~"api-[12]"', {"api-1", "api-2"}),
        ('alertname="HighErrorRate",instance!~"api-[12]"', {"api-3"}),
    ],
)
async def test_silences_store_alerts_and_open_nothing(
    core: Core, admin: Principal, matcher: str, silenced_instances: set[str]
) -> None:
    integ = await make_integration(core, admin, group_by=["alertname", "instance"])
    sil = await core.create_silence(
        admin, matchers=matcher, ends_at=utcnow() + timedelta(hours=1), comment="DB failover"
    )
    assert sil["state"] == "active" and sil["created_by"] == "sarah"
    batch = [
        am_alert(instance="api-1", env="prod"),
        am_alert(instance="api-2"),
        am_alert(instance="api-3", env="staging"),
    ]
    out = await send(core, integ, am_payload(batch))
    assert out["silenced"] == len(silenced_instances)
    assert len(out["incidents_opened"]) == 3 - len(silenced_instances)
    rows = {r.labels["instance"]: r for r in await core.db.read(alert_rows)}
    assert len(rows) == 3  # every alert is stored and visible
    for inst, r in rows.items():
        if inst in silenced_instances:
            assert r.silenced_by == sil["id"] and r.incident_number is None and r.status == "firing"
        else:
            assert r.silenced_by is None and r.incident_number is not None
    # Their resolutions are still recorded.
    out = await send(core, integ, am_payload(resolved(batch)))
    rows = {r.labels["instance"]: r for r in await core.db.read(alert_rows)}
    assert {r.status for r in rows.values()} == {"resolved"}
    assert all(rows[i].resolved_at is not None for i in silenced_instances)
    assert await core.db.read(count_incidents) == 3 - len(silenced_instances)


async def test_expired_silence_no_longer_mutes(core: Core, admin: Principal) -> None:
    integ = await make_integration(core, admin)
    sil = await core.create_silence(
        admin, matchers=['service="user-api"'], ends_at=utcnow() + timedelta(hours=1)
    )
    out = await send(core, integ, am_payload([am_alert()]))
    assert out["silenced"] == 1 and out["incidents_opened"] == []
    expired = await core.expire_silence(admin, sil["id"])
    assert expired["state"] == "expired"
    # The same alert firing again, now unmuted, opens the incident.
    out = await send(core, integ, am_payload([am_alert()]))
    assert out["incidents_opened"] == ["INC-1"] and out["silenced"] == 0
    (row,) = await core.db.read(alert_rows)
    assert row.silenced_by is None and row.incident_number == 1


async def test_maintenance_window_pending_then_active(core: Core, admin: Principal) -> None:
    integ = await make_integration(core, admin)
    start = utcnow() + timedelta(hours=1)
    win = await core.create_silence(
        admin,
        matchers=['service="payments"'],
        starts_at=start,
        ends_at=start + timedelta(hours=4),
        comment="Tuesday maintenance",
    )
    assert win["state"] == "pending"
    assert [s["id"] for s in await core.list_silences("pending")] == [win["id"]]
    assert await core.list_silences("active") == []
    out = await send(core, integ, am_payload([am_alert("DiskFull", service="payments")]))
    assert out["silenced"] == 0 and out["incidents_opened"] == ["INC-1"]  # not yet in the window
    # The window begins.
    await core.db.write(
        lambda c: c.execute(
            update(silences)
            .where(silences.c.id == win["id"])
            .values(starts_at=utcnow() - timedelta(minutes=1))
        )
    )
    assert [s["id"] for s in await core.list_silences("active")] == [win["id"]]
    out = await send(core, integ, am_payload([am_alert("LatencyHigh", service="payments")]))
    assert out["silenced"] == 1 and out["incidents_opened"] == []
    # A firing alert already in its open incident is a resend, not a new page.
    out = await send(core, integ, am_payload([am_alert("DiskFull", service="payments")]))
    assert out["updated_alerts"] == 1 and out["silenced"] == 0
    out = await send(core, integ, am_payload([am_alert("Other", service="user-api")]))
    assert out["incidents_opened"] == ["INC-2"]


async def test_stale_alerts_auto_resolve(core: Core, admin: Principal) -> None:
    integ = await make_integration(core, admin, stale_after_seconds=60)
    other = await make_integration(core, admin, name="fresh")  # no staleness: untouched
    await send(core, integ, am_payload(forty_alerts()[:3]))
    await send(core, other, am_payload([am_alert("Other")]))
    assert await core.resolve_stale_alerts() == []  # nothing is stale yet
    await core.db.write(
        lambda c: c.execute(
            update(alerts)
            .where(alerts.c.integration_id == "prod")
            .values(last_seen=utcnow() - timedelta(seconds=120))
        )
    )
    assert await core.resolve_stale_alerts() == ["INC-1"]
    inc = await incident(core, admin)
    assert inc["status"] == "resolved" and inc["firing_count"] == 0
    assert {a["status"] for a in inc["alerts"]} == {"resolved"}
    assert (await incident(core, admin, "INC-2"))["status"] == "triggered"
    assert await core.resolve_stale_alerts() == []


async def test_alert_storm_yields_one_incident_per_group(core: Core, admin: Principal) -> None:
    integ = await make_integration(core, admin)
    groups = 50
    total = 0
    # Alertmanager sends one group per notification; these batches mix five groups each, and
    # every group comes back in 10 batches, so most batches join incidents opened earlier.
    for batch_no in range(100):
        entries = [
            am_alert(f"Storm{(batch_no + 10 * (i % 5)) % groups}", f"host-{batch_no}-{i}", severity="warning")
            for i in range(100)
        ]
        out = await send(core, integ, am_payload(entries))
        assert out["new_alerts"] == 100
        total += out["new_alerts"]
    assert total == 10_000
    page = await core.list_incidents(admin, status="open", limit=500)
    assert len(page["items"]) == groups and not page["has_more"]
    assert await core.db.read(count_incidents) == groups
    assert {i["alert_count"] for i in page["items"]} == {10_000 // groups}
    n_alerts = await core.db.read(lambda c: len(c.execute(select(alerts.c.id)).all()))
    assert n_alerts == 10_000
