"""The escalation clock: starts, fires and stops escalations; due times live in the store.

A tick is one write transaction. On PostgreSQL every write transaction takes the event-log
advisory lock first, so ticks on different replicas never overlap: a step fires exactly
once, and the unique dedup key of each delivery makes a second firing impossible anyway.
A restart loses nothing: `fired_steps` and `next_due_at` are rows, and `steps_due` returns
exactly the steps missed while the clock was down.

An escalation runs while its incident is `triggered`; acknowledging or resolving it stops
the clock at the next tick (and pending pages are cancelled by the delivery worker).
Reopening restarts it (a new round).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy import Connection, insert, or_, select, update

from warroom.errors import Conflict
from warroom.events.log import Event
from warroom.identity.models import Principal
from warroom.incidents.service import IncidentService, incident_ref
from warroom.messages.models import MessageIn
from warroom.paging.escalation import EscalationPolicy, EscalationStep, TargetKind, next_step, plan, steps_due
from warroom.paging.schedules import on_call_at
from warroom.paging.service import PagingService
from warroom.priority import Priority
from warroom.store.database import Database
from warroom.store.tables import escalations, incidents, principals
from warroom.timeutil import utcnow

log = logging.getLogger("warroom.paging")
SYSTEM = Principal(id="warroom", name="warroom escalation", kind="bot", is_admin=True)


class EscalationClock:
    def __init__(
        self,
        db: Database,
        paging: PagingService,
        incidents_service: IncidentService,
        *,
        poll_seconds: float = 0.25,
    ) -> None:
        self.db = db
        self.paging = paging
        self.incidents = incidents_service
        self.poll_seconds = poll_seconds
        self._wake = asyncio.Event()

    def on_events(self, batch: list[Event]) -> None:
        """Hub listener: a trigger or reopen anywhere wakes the clock at once."""
        if any(e.kind in ("incident.triggered", "incident.reopened") for e in batch):
            self._wake.set()

    async def run(self) -> None:
        self._wake = asyncio.Event()
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll_seconds)
            self._wake.clear()
            try:
                if await self.db.read(partial(_work_waiting, now=utcnow())):
                    await self.db.write(lambda c: self.tick(c, utcnow()))
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("escalation tick failed; retrying")
                await asyncio.sleep(1.0)

    # -- one tick ----------------------------------------------------------------------------

    def tick(self, conn: Connection, now: datetime) -> list[dict[str, Any]]:
        fired: list[dict[str, Any]] = []
        self._start_missing(conn, now)
        due = conn.execute(
            select(escalations).where(escalations.c.state == "active", escalations.c.next_due_at <= now)
        ).all()
        for esc in due:
            inc = conn.execute(select(incidents).where(incidents.c.number == esc.incident_number)).first()
            if inc is None or inc.status != "triggered" or inc.merged_into is not None:
                conn.execute(
                    update(escalations)
                    .where(escalations.c.incident_number == esc.incident_number)
                    .values(state="stopped", next_due_at=None, updated_at=now)
                )
                continue
            policy = self.paging.policy_model(conn, esc.policy_id)
            steps = steps_due(policy, esc.triggered_at, now, esc.fired_steps)
            for step in steps:
                fired.append(self._fire(conn, inc, policy, step, esc.round))
            self._advance(
                conn, esc.incident_number, policy, esc.triggered_at, esc.fired_steps + len(steps), now
            )
        return fired

    def escalate_now(self, conn: Connection, p: Principal, ref: str) -> dict[str, Any]:
        """Page the next level at once; later levels keep their delays from now on."""
        inc = self.incidents.visible(conn, p, ref)
        self._start_missing(conn, utcnow())
        esc = conn.execute(select(escalations).where(escalations.c.incident_number == inc.number)).first()
        if esc is None or esc.policy_id is None or esc.state == "unrouted":
            raise Conflict(
                f"{incident_ref(inc.number)} has no escalation policy; "
                "add a route with `warroom policy route`"
            )
        policy = self.paging.policy_model(conn, esc.policy_id)
        now = utcnow()
        steps = plan(policy, esc.triggered_at)
        k = esc.fired_steps if esc.fired_steps < len(steps) else len(steps) - 1
        # Shift the plan so step k is due now; the clock then fires it like any other.
        shifted = esc.triggered_at + (now - steps[k].due_at)
        fired = k if esc.fired_steps < len(steps) else esc.fired_steps - 1
        conn.execute(
            update(escalations)
            .where(escalations.c.incident_number == inc.number)
            .values(triggered_at=shifted, fired_steps=fired, state="active", next_due_at=now, updated_at=now)
        )
        step = plan(policy, shifted)[k]
        out = self._fire(conn, inc, policy, step, esc.round, by=p)
        self._advance(conn, inc.number, policy, shifted, k + 1, now)
        return out

    def _start_missing(self, conn: Connection, now: datetime) -> None:
        rows = conn.execute(
            select(
                incidents,
                escalations.c.round.label("esc_round"),
                escalations.c.incident_number.label("esc_inc"),
            )
            .outerjoin(escalations, escalations.c.incident_number == incidents.c.number)
            .where(
                incidents.c.status == "triggered",
                incidents.c.merged_into.is_(None),
                or_(escalations.c.incident_number.is_(None), escalations.c.round < incidents.c.reopen_count),
            )
        ).all()
        for inc in rows:
            policy = self.paging.route_for(
                conn,
                service=inc.service,
                integration=inc.integration_id,
                channel=inc.channel_id,
                priority=Priority.from_rank(inc.severity),
            )
            values = {
                "policy_id": policy.id if policy else "",
                "round": inc.reopen_count,
                "triggered_at": now,
                "fired_steps": 0,
                "next_due_at": now if policy else None,
                "state": "active" if policy else "unrouted",
                "updated_at": now,
            }
            if inc.esc_inc is None:
                conn.execute(insert(escalations).values(incident_number=inc.number, **values))
            else:
                conn.execute(
                    update(escalations).where(escalations.c.incident_number == inc.number).values(**values)
                )

    def _advance(
        self,
        conn: Connection,
        number: int,
        policy: EscalationPolicy,
        triggered_at: datetime,
        fired: int,
        now: datetime,
    ) -> None:
        nxt = next_step(policy, triggered_at, fired)
        conn.execute(
            update(escalations)
            .where(escalations.c.incident_number == number)
            .values(
                fired_steps=fired,
                next_due_at=nxt.due_at if nxt else None,
                state="active" if nxt else "exhausted",
                updated_at=now,
            )
        )

    def _fire(
        self,
        conn: Connection,
        inc: Any,
        policy: EscalationPolicy,
        step: EscalationStep,
        round_: int,
        *,
        by: Principal | None = None,
    ) -> dict[str, Any]:
        users: list[str] = []
        channels: list[str] = []
        for target in step.targets:
            if target.kind is TargetKind.USER:
                users.append(target.id)
            elif target.kind is TargetKind.SCHEDULE:
                try:
                    sched = self.paging.schedule_model(conn, target.id)
                except Exception:
                    log.warning("escalation %s names missing schedule %s", policy.id, target.id)
                    continue
                users += [s.user_id for s in on_call_at(sched, step.due_at) if s.user_id]
            else:
                channels.append(target.id)
        users = list(dict.fromkeys(users))
        priority = Priority.from_rank(inc.severity)
        ref = incident_ref(inc.number)
        payload = {
            "kind": "page",
            "action": "trigger",
            "incident": ref,
            "dedup_key": ref,
            "title": f"[{priority.severity}] {ref}: {inc.title}",
            "body": inc.summary or inc.title,
            "priority": priority.value,
            "service": inc.service,
            "level": step.level_index + 1,
            "round": step.round,
            "url": f"{self.paging.base_url}/#/incidents/{ref}",
        }
        queued: dict[str, list[str]] = {}
        for user in users:
            queued[user] = self.paging.page_user(
                conn,
                user,
                priority=priority,
                payload=payload,
                dedup_prefix=f"esc:{inc.number}:{round_}:{step.index}",
                at=step.due_at,
                incident_number=inc.number,
                thread_id=inc.thread_id,
                channel_id=inc.channel_id,
            )
        names = dict(
            conn.execute(
                select(principals.c.id, principals.c.name).where(principals.c.id.in_(users or [""]))
            ).all()
        )
        who = ", ".join(names.get(u, u) for u in users) or "nobody (no one on call)"
        actor = by or SYSTEM
        body = f"Level {step.level_index + 1}, round {step.round + 1}: paging {who}."
        if channels:
            body += f" Notifying channel(s) {', '.join(channels)}."
        self.incidents.say(
            conn,
            actor,
            inc,
            title=f"📟 {ref}: paging {who} (level {step.level_index + 1})",
            body=body,
            theme="incident-escalation",
            tags=["paging"],
        )
        for ch in channels:
            try:
                self.incidents.messages.publish(
                    conn,
                    SYSTEM,
                    ch,
                    MessageIn(
                        title=f"📟 {ref} needs a responder: {inc.title}"[:200],
                        body=body,
                        priority=priority,
                        theme="incident-escalation",
                        tags=["paging", "incident"],
                        thread_id=None,
                    ),
                )
            except Exception:
                log.warning("escalation could not notify channel %s", ch, exc_info=True)
        data = {
            "step": step.index,
            "level": step.level_index + 1,
            "round": step.round,
            "users": users,
            "channels": channels,
            "deliveries": queued,
            "policy": policy.id,
        }
        self.incidents.record(conn, "incident.escalated", inc, actor, **data)
        return {"incident": ref, **data}


def _work_waiting(conn: Connection, now: datetime) -> bool:
    due = conn.execute(
        select(escalations.c.incident_number)
        .where(escalations.c.state == "active", escalations.c.next_due_at <= now)
        .limit(1)
    ).first()
    if due is not None:
        return True
    missing = conn.execute(
        select(incidents.c.number)
        .outerjoin(escalations, escalations.c.incident_number == incidents.c.number)
        .where(
            incidents.c.status == "triggered",
            incidents.c.merged_into.is_(None),
            or_(escalations.c.incident_number.is_(None), escalations.c.round < incidents.c.reopen_count),
        )
        .limit(1)
    ).first()
    return missing is not None
