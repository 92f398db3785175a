"""Paging service-test helpers: a Core whose clock and worker do not run on their own.

The escalation clock is driven by hand (`tick(now)` with explicit times), so a test
decides what time it is; nothing ticks behind its back.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from sqlalchemy import select

from warroom.config import Settings
from warroom.core import Core
from warroom.identity.models import Principal
from warroom.store.tables import deliveries, escalations

# A loopback port nothing listens on: deliveries are queued, never sent, in these tests.
DEAD_HOOK = "http://127.0.0.1:9/hook"


def quiet_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"outbound_allowlist": ["127.0.0.1"]})


async def paging_core(settings: Settings) -> AsyncIterator[Core]:
    """Body of each module's `pcore` fixture: store open, clock and worker idle."""
    c = Core(quiet_settings(settings))
    c.migrate()
    c.db.start()
    yield c
    c.db.close()


async def tick(core: Core, now: datetime) -> list[dict[str, Any]]:
    return await core.db.write(lambda c: core.clock.tick(c, now))


async def deliveries_of(core: Core, number: int) -> list[Any]:
    return await core.db.read(
        lambda c: c.execute(
            select(deliveries).where(deliveries.c.incident_number == number).order_by(deliveries.c.created_at)
        ).all()
    )


async def escalation_of(core: Core, number: int) -> Any:
    return await core.db.read(
        lambda c: c.execute(select(escalations).where(escalations.c.incident_number == number)).one()
    )


async def setup_team(core: Core, admin: Principal, *, repeat: int = 0) -> dict[str, str]:
    """sarah always on call in `sre`; policy: sre, then tom after 5 min, then ann after 10 min."""
    pager = core.pager
    contacts: dict[str, str] = {}
    for user in ("sarah", "tom", "ann"):
        await pager.set_user(admin, user, name=user.title(), time_zone="Europe/Berlin")
        contacts[user] = (await pager.add_contact(admin, user, kind="webhook", target=DEAD_HOOK))["id"]
    await pager.put_schedule(
        admin,
        "sre",
        name="SRE",
        layers=[
            {
                "name": "primary",
                "rotation": {
                    "participants": ["sarah"],
                    "unit": "weeks",
                    "time_zone": "Europe/Berlin",
                    "start": "2020-01-06",
                    "handoff_time": "09:00",
                },
            }
        ],
    )
    await pager.put_policy(
        admin,
        "backend",
        name="Backend",
        levels=[
            {"targets": [{"kind": "schedule", "id": "sre"}], "delay": 300},
            {"targets": [{"kind": "user", "id": "tom"}], "delay": 600},
            {"targets": [{"kind": "user", "id": "ann"}], "delay": 600},
        ],
        repeat=repeat,
    )
    await pager.add_route(admin, "backend")
    await core.create_channel(admin, "incidents", incident_enabled=True)
    return contacts


async def declare(core: Core, admin: Principal, title: str = "DB down", severity: str = "P0") -> int:
    out = await core.declare_incident(admin, title=title, channel="incidents", severity=severity)
    return int(out["number"])


async def principal(core: Core, pid: str, *, admin: bool = False) -> Principal:
    from warroom.identity.models import ALL_SCOPES, DEFAULT_SCOPES

    out = await core.db.write(
        lambda c: core.identity.create_token(
            c,
            principal_id=pid,
            name=f"{pid}-token",
            scopes=ALL_SCOPES if admin else DEFAULT_SCOPES,
            principal_name=None,
            is_admin=admin,
        )
    )
    return await core.authenticate(str(out["token"]))
