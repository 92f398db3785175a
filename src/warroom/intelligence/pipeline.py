"""The analysis pipeline: follows the event log and keeps every incident's analysis fresh.

It runs on trigger, and re-runs on severity changes, new alerts, reopen and new change
events for the incident's service or its dependencies. A resolve files what the incident
taught (root cause, fix) for future similarity and drafts the postmortem. Work is
debounced per incident, so a storm of alerts costs one analysis, not a thousand.
Any replica may run it: an analysis whose facts did not change is not stored again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from functools import partial

from sqlalchemy import Connection, select

from warroom.events.log import Event
from warroom.identity.models import Principal
from warroom.intelligence.service import Draft, IntelligenceService, Knowledge
from warroom.store.database import Database
from warroom.store.tables import incidents, services

log = logging.getLogger("warroom.intelligence")
SYSTEM = Principal(id="warroom", name="warroom analysis", kind="bot", is_admin=True)
ANALYSE_ON = {
    "incident.triggered",
    "incident.severity_changed",
    "incident.alerts_changed",
    "incident.reopened",
}


class Pipeline:
    def __init__(self, db: Database, intel: IntelligenceService, *, debounce: float = 0.2) -> None:
        self.db = db
        self.intel = intel
        self.debounce = debounce
        self._pending: dict[int, str] = {}  # incident number → "analyse" | "resolved"
        self._changed_services: set[str] = set()
        self._wake = asyncio.Event()
        self.done: list[Callable[[int, str], None]] = []  # test hooks: called after each job

    def on_events(self, batch: list[Event]) -> None:
        for e in batch:
            inc = e.data.get("incident") if isinstance(e.data.get("incident"), dict) else None
            if e.kind in ANALYSE_ON and inc:
                self._pending.setdefault(int(inc["number"]), "analyse")
            elif e.kind == "incident.resolved" and inc:
                self._pending[int(inc["number"])] = "resolved"
            elif e.kind == "change.recorded":
                self._changed_services.add(str(e.data.get("service")))
        if self._pending or self._changed_services:
            self._wake.set()

    async def run(self) -> None:
        self._wake = asyncio.Event()
        while True:
            await self._wake.wait()
            await asyncio.sleep(self.debounce)  # let a burst of alerts settle into one analysis
            self._wake.clear()
            if self._changed_services:
                changed, self._changed_services = self._changed_services, set()
                for n in await self.db.read(partial(_open_incidents_for, changed=changed)):
                    self._pending.setdefault(n, "analyse")
            jobs, self._pending = self._pending, {}
            for number, kind in sorted(jobs.items()):
                try:
                    if kind == "resolved":
                        await self._resolved(number)
                    else:
                        await self._analyse(number)
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("analysis of incident %s failed", number)
                for hook in self.done:
                    with contextlib.suppress(Exception):
                        hook(number, kind)

    async def _analyse(self, number: int) -> None:
        # Worked out on a reader; only storing it takes the writer (one insert and one event).
        prepared = await self.db.read(partial(self.intel.prepare_analysis, p=SYSTEM, ref=number))
        await self.db.write(partial(self.intel.store_analysis, p=SYSTEM, prepared=prepared))

    async def _resolved(self, number: int) -> None:
        """File what the incident taught and draft its postmortem: both read the whole
        timeline, so that happens on a reader; the writer only stores the two results."""

        def prepare(conn: Connection) -> tuple[Knowledge, Draft]:
            return self.intel.prepare_knowledge(conn, number), self.intel.prepare_draft(conn, SYSTEM, number)

        knowledge, draft = await self.db.read(prepare)

        def store(conn: Connection) -> None:
            self.intel.store_knowledge(conn, *knowledge)
            self.intel.store_draft(conn, SYSTEM, draft)

        await self.db.write(store)


def _open_incidents_for(conn: Connection, changed: set[str]) -> list[int]:
    """Open incidents on a changed service or on a service that depends on it."""
    related = set(changed)
    for r in conn.execute(select(services.c.id, services.c.dependencies)):
        if set(r.dependencies or ()) & changed:
            related.add(r.id)
    rows = conn.execute(
        select(incidents.c.number).where(
            incidents.c.status != "resolved", incidents.c.service.in_(sorted(related))
        )
    ).all()
    return [int(r.number) for r in rows]
