"""Enqueueing deliveries: in the caller's transaction, once per dedup key."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from warroom.events.log import append_event
from warroom.store.tables import deliveries
from warroom.timeutil import iso, utcnow

KINDS = ("apprise", "webhook", "pagerduty", "opsgenie")

# Bumped (in the writer thread) by every enqueue, so the worker wakes on commits that queued
# something and ignores the thousands that did not. A rolled-back enqueue only causes a
# harmless extra look.
_enqueued = 0


def enqueued_count() -> int:
    return _enqueued


def delivery_wire(r: Any) -> dict[str, Any]:
    return {
        "id": r.id,
        "state": r.state,
        "kind": r.kind,
        "destination": r.destination,
        "incident": f"INC-{r.incident_number}" if r.incident_number else None,
        "subscription": r.subscription_id,
        "message_id": r.message_id,
        "recipient": r.principal_id,
        "contact_method": r.contact_method_id,
        "attempts": int(r.attempts),
        "created_at": iso(r.created_at),
        "next_attempt_at": iso(r.next_attempt_at),
        "sent_at": iso(r.sent_at),
        "last_error": r.last_error,
        "title": (r.payload or {}).get("title"),
    }


def enqueue(
    conn: Connection,
    *,
    dedup_key: str,
    kind: str,
    destination: str,
    payload: dict[str, Any],
    not_before: datetime | None = None,
    incident_number: int | None = None,
    thread_id: str | None = None,
    channel_id: str | None = None,
    subscription_id: str | None = None,
    message_id: int | None = None,
    principal_id: str | None = None,
    contact_method_id: str | None = None,
) -> str | None:
    """Queue one delivery; None when its dedup key was already queued (never a double page)."""
    now = utcnow()
    delivery_id = "dlv_" + secrets.token_hex(10)
    values = {
        "id": delivery_id,
        "dedup_key": dedup_key[:300],
        "created_at": now,
        "incident_number": incident_number,
        "subscription_id": subscription_id,
        "message_id": message_id,
        "principal_id": principal_id,
        "contact_method_id": contact_method_id,
        "kind": kind,
        "destination": destination[:300],
        "payload": {**payload, "delivery_id": delivery_id},
        "state": "queued",
        "attempts": 0,
        "next_attempt_at": max(not_before or now, now),
    }
    dialect = conn.dialect.name
    stmt = (pg_insert if dialect == "postgresql" else sqlite_insert)(deliveries).values(**values)
    # RETURNING, not rowcount: psycopg reports -1 for an ON CONFLICT DO NOTHING that skipped.
    inserted = conn.execute(
        stmt.on_conflict_do_nothing(index_elements=["dedup_key"]).returning(deliveries.c.id)
    ).first()
    if inserted is None:
        return None
    if incident_number is not None:
        row = conn.execute(select(deliveries).where(deliveries.c.id == delivery_id)).one()
        append_event(
            conn, "delivery.queued", data=delivery_wire(row), channel_id=channel_id, thread_id=thread_id
        )
    return delivery_id
