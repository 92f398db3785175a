"""The delivery worker: claims due deliveries, sends them, records what happened.

Claiming and recording are write transactions (serialised across replicas on PostgreSQL
by the event-log lock), so a delivery is in flight on one replica at a time. A claim is a
lease: if the process dies mid-send, the lease runs out and the delivery is sent again,
with the same id, which receivers use to deduplicate. Failures retry with exponential
backoff and jitter up to `delivery_max_attempts`, then the delivery gives up and sits in
the dead-letter list until someone retries it. A circuit breaker per destination defers
sends to a receiver that keeps failing, without spending the delivery's attempts.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import aiohttp
from sqlalchemy import Connection, and_, or_, select, update

from warroom.delivery import outbox
from warroom.delivery.breaker import CircuitBreaker
from warroom.delivery.outbox import delivery_wire
from warroom.delivery.safety import check_destination
from warroom.delivery.senders import (
    Endpoints,
    SendError,
    send_apprise,
    send_opsgenie,
    send_pagerduty,
    send_webhook,
)
from warroom.errors import InvalidInput
from warroom.events.log import append_event
from warroom.store.database import Database
from warroom.store.tables import contact_methods, deliveries, incidents
from warroom.timeutil import utcnow

log = logging.getLogger("warroom.delivery")


@dataclass(frozen=True)
class Policy:
    max_attempts: int = 10
    backoff_base: float = 1.0
    backoff_cap: float = 300.0
    batch: int = 100
    concurrency: int = 32

    def backoff(self, attempts: int) -> float:
        exp = min(self.backoff_cap, self.backoff_base * float(2 ** max(0, attempts - 1)))
        return exp * random.uniform(0.5, 1.0)


@dataclass
class _Job:
    row: Any
    contact: Any
    thread_id: str | None
    channel_id: str | None


@dataclass
class _Outcome:
    job: _Job
    ok: bool
    error: str | None = None
    retryable: bool = True
    deferred_until: float | None = None


class DeliveryWorker:
    def __init__(
        self,
        db: Database,
        *,
        policy: Policy,
        allowlist: list[str],
        endpoints: Endpoints,
        breaker: CircuitBreaker | None = None,
        poll_seconds: float = 0.5,
        lease_seconds: float = 60.0,
    ) -> None:
        self.db = db
        self.policy = policy
        self.allowlist = allowlist
        self.endpoints = endpoints
        self.breaker = breaker or CircuitBreaker()
        self.poll_seconds = poll_seconds
        self.lease = timedelta(seconds=lease_seconds)
        self._wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._http: aiohttp.ClientSession | None = None
        self._seen_enqueued = -1

    def poke_threadsafe(self) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._wake.set)

    def _committed(self, _events: list[Any]) -> None:
        """Writer thread: wake only when a commit queued something (not on every publish)."""
        if outbox.enqueued_count() != self._seen_enqueued:
            self._seen_enqueued = outbox.enqueued_count()
            self.poke_threadsafe()

    async def run(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        self.db.on_commit(self._committed)
        timeout = aiohttp.ClientTimeout(total=10.0)
        connector = aiohttp.TCPConnector(limit=self.policy.concurrency, limit_per_host=8)
        async with aiohttp.ClientSession(timeout=timeout, connector=connector) as http:
            self._http = http
            in_flight: set[asyncio.Task[None]] = set()
            try:
                while True:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), self.poll_seconds)
                    self._wake.clear()
                    try:
                        await self._fill(in_flight)
                    except asyncio.CancelledError:
                        raise
                    except Exception:
                        log.exception("delivery pass failed; retrying")
                        await asyncio.sleep(1.0)
            finally:
                # A send cut off here stays leased; it goes out again, same id, when the lease ends.
                for task in in_flight:
                    task.cancel()
                await asyncio.gather(*in_flight, return_exceptions=True)

    async def _fill(self, in_flight: set[asyncio.Task[None]]) -> None:
        """Claim due deliveries while there is room, each sent and recorded on its own.

        No send waits for another: a receiver that hangs until the timeout holds one slot,
        not the pages queued behind it (a whole claimed batch used to wait for its slowest).
        """
        while (room := self.policy.concurrency - len(in_flight)) > 0:
            if not await self.db.read(functools.partial(_anything_due, now=utcnow())):
                return
            jobs = await self.db.write(functools.partial(self._claim_now, limit=room))
            if not jobs:
                return
            for job in jobs:
                task = asyncio.create_task(self._deliver(job), name=f"warroom-deliver-{job.row.id}")
                in_flight.add(task)
                task.add_done_callback(functools.partial(self._finished, in_flight))

    def _finished(self, in_flight: set[asyncio.Task[None]], task: asyncio.Task[None]) -> None:
        in_flight.discard(task)
        self._wake.set()  # a slot is free: claim what waited for one

    async def _deliver(self, job: _Job) -> None:
        outcome = await self._send(job)
        try:
            await self.db.write(lambda c: self._record(c, [outcome]))
        except Exception:
            # Still leased as sending: it is sent again, with the same id, when the lease ends.
            log.exception("recording delivery %s failed", job.row.id)

    # -- transactions ---------------------------------------------------------------------

    def _claim_now(self, conn: Connection, *, limit: int) -> list[_Job]:
        return self._claim(conn, utcnow(), limit=limit)

    def _claim(self, conn: Connection, now: datetime, *, limit: int | None = None) -> list[_Job]:
        rows = conn.execute(
            select(
                deliveries,
                incidents.c.status.label("incident_status"),
                incidents.c.thread_id.label("thread_id"),
                incidents.c.channel_id.label("incident_channel"),
            )
            .outerjoin(incidents, incidents.c.number == deliveries.c.incident_number)
            .where(_due(now))
            .order_by(deliveries.c.next_attempt_at)
            .limit(min(limit or self.policy.batch, self.policy.batch))
        ).all()
        jobs: list[_Job] = []
        for r in rows:
            if (r.payload or {}).get("kind") == "page" and r.incident_status not in (None, "triggered"):
                # Someone acknowledged (or it resolved) before this page went out.
                conn.execute(
                    update(deliveries)
                    .where(deliveries.c.id == r.id)
                    .values(state="cancelled", last_error=f"not sent: incident {r.incident_status}")
                )
                fresh = conn.execute(select(deliveries).where(deliveries.c.id == r.id)).one()
                append_event(
                    conn,
                    "delivery.cancelled",
                    data=delivery_wire(fresh),
                    channel_id=r.incident_channel,
                    thread_id=r.thread_id,
                )
                continue
            jobs.append(_Job(r, None, r.thread_id, r.incident_channel))
        # One statement each for the whole batch: per-row round trips capped the send rate.
        wanted = list({j.row.contact_method_id for j in jobs if j.row.contact_method_id})
        contacts = {
            c.id: c
            for c in conn.execute(select(contact_methods).where(contact_methods.c.id.in_(wanted or [""])))
        }
        for j in jobs:
            j.contact = contacts.get(j.row.contact_method_id)
        if jobs:
            conn.execute(
                update(deliveries)
                .where(deliveries.c.id.in_([j.row.id for j in jobs]))
                .values(state="sending", lease_until=now + self.lease)
            )
        return jobs

    def _record(self, conn: Connection, outcomes: list[_Outcome]) -> None:
        now = utcnow()
        # Plain successes (no incident timeline to write) are recorded in one statement.
        quiet = [o for o in outcomes if o.ok and o.job.row.incident_number is None]
        if quiet:
            conn.execute(
                update(deliveries)
                .where(deliveries.c.id.in_([o.job.row.id for o in quiet]))
                .values(
                    state="sent",
                    sent_at=now,
                    attempts=deliveries.c.attempts + 1,
                    lease_until=None,
                    last_error=None,
                )
            )
        for o in outcomes:
            r = o.job.row
            if o.ok and r.incident_number is None:
                continue
            values: dict[str, Any]
            kind = None
            if o.ok:
                values = {
                    "state": "sent",
                    "sent_at": now,
                    "attempts": r.attempts + 1,
                    "lease_until": None,
                    "last_error": None,
                }
                kind = "delivery.sent"
            elif o.deferred_until is not None:
                # Circuit open: wait for it without spending an attempt.
                wait = max(0.05, o.deferred_until - time.monotonic())
                values = {
                    "state": "queued",
                    "next_attempt_at": now + timedelta(seconds=wait),
                    "lease_until": None,
                    "last_error": o.error,
                }
            else:
                attempts = r.attempts + 1
                if not o.retryable or attempts >= self.policy.max_attempts:
                    values = {
                        "state": "gave_up",
                        "attempts": attempts,
                        "lease_until": None,
                        "last_error": o.error,
                    }
                    kind = "delivery.gave_up"
                else:
                    values = {
                        "state": "failed",
                        "attempts": attempts,
                        "lease_until": None,
                        "last_error": o.error,
                        "next_attempt_at": now + timedelta(seconds=self.policy.backoff(attempts)),
                    }
                    kind = "delivery.failed"
            conn.execute(update(deliveries).where(deliveries.c.id == r.id).values(**values))
            if kind and r.incident_number is not None:
                fresh = conn.execute(select(deliveries).where(deliveries.c.id == r.id)).one()
                append_event(
                    conn,
                    kind,
                    data=delivery_wire(fresh),
                    channel_id=o.job.channel_id,
                    thread_id=o.job.thread_id,
                )

    # -- sending -------------------------------------------------------------------------

    async def _send(self, job: _Job) -> _Outcome:
        r, contact = job.row, job.contact
        if contact is None:
            return _Outcome(job, False, "the contact method was deleted", retryable=False)
        until = self.breaker.allow(r.destination)
        if until is not None:
            return _Outcome(job, False, f"circuit open for {r.destination}", deferred_until=until)
        payload = dict(r.payload or {})
        assert self._http is not None
        try:
            if contact.kind in ("webhook", "apprise") and contact.target.startswith(("http://", "https://")):
                check_destination(contact.target, self.allowlist)
            if contact.kind == "webhook":
                await send_webhook(self._http, contact.target, contact.secret, r.id, payload)
            elif contact.kind == "apprise":
                await send_apprise(contact.target, payload)
            elif contact.kind == "pagerduty":
                await send_pagerduty(self._http, self.endpoints, contact.target, payload)
            elif contact.kind == "opsgenie":
                await send_opsgenie(self._http, self.endpoints, contact.target, payload)
            else:
                return _Outcome(job, False, f"unknown contact kind {contact.kind!r}", retryable=False)
        except InvalidInput as exc:
            return _Outcome(job, False, exc.message, retryable=False)
        except SendError as exc:
            self.breaker.failure(r.destination)
            return _Outcome(job, False, exc.message, retryable=exc.retryable)
        except Exception as exc:  # an unexpected sender failure must not lose the page
            log.exception("delivery %s failed unexpectedly", r.id)
            self.breaker.failure(r.destination)
            return _Outcome(job, False, f"{type(exc).__name__}: {exc}")
        self.breaker.success(r.destination)
        return _Outcome(job, True)


def _due(now: datetime) -> Any:
    return or_(
        and_(deliveries.c.state.in_(("queued", "failed")), deliveries.c.next_attempt_at <= now),
        and_(deliveries.c.state == "sending", deliveries.c.lease_until < now),
    )


def _anything_due(conn: Connection, now: datetime) -> bool:
    return conn.execute(select(deliveries.c.id).where(_due(now)).limit(1)).first() is not None
