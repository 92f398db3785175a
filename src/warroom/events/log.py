"""Appending to and reading the event log."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select, text

from warroom.store.database import COLLECTED_EVENTS
from warroom.store.raw import RawSQL, db_json, db_time
from warroom.store.tables import events
from warroom.timeutil import iso, utcnow

NOTIFY_CHANNEL = "warroom_events"


@dataclass(frozen=True)
class Event:
    id: int
    ts: datetime
    kind: str
    channel_id: str | None
    thread_id: str | None
    data: dict[str, Any]
    # Renderings shared by every reader of this event (an SSE frame, say): one per event,
    # not one per stream.
    rendered: dict[str, bytes] = field(default_factory=dict, compare=False, repr=False)

    def to_wire(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "ts": iso(self.ts),
            "kind": self.kind,
            "channel": self.channel_id,
            "thread_id": self.thread_id,
            "data": self.data,
        }


# Appending runs in the writer thread for every publish: raw SQL (see store/raw.py).
_INSERT_EVENT = RawSQL(
    "INSERT INTO events (ts, kind, channel_id, thread_id, data) "
    "VALUES (:ts, :kind, :channel_id, :thread_id, :data) RETURNING id"
)


def append_event(
    conn: Connection,
    kind: str,
    *,
    data: dict[str, Any],
    channel_id: str | None = None,
    thread_id: str | None = None,
    ts: datetime | None = None,
) -> Event:
    """Append one event inside the caller's transaction; its id orders it in the log."""
    ts = ts or utcnow()
    event_id = _INSERT_EVENT.execute(
        conn,
        {
            "ts": db_time(conn, ts),
            "kind": kind,
            "channel_id": channel_id,
            "thread_id": thread_id,
            "data": db_json(conn, data),
        },
    ).fetchone()[0]
    if conn.dialect.name == "postgresql":
        # Wakes the other replicas at commit; the payload is only the id, rows are re-read.
        conn.execute(text("SELECT pg_notify(:c, :p)"), {"c": NOTIFY_CHANNEL, "p": str(event_id)})
    event = Event(int(event_id), ts, kind, channel_id, thread_id, data)
    collected = conn.info.get(COLLECTED_EVENTS)
    if collected is not None:
        collected.append(event)
    return event


def read_events(
    conn: Connection,
    *,
    after: int,
    limit: int = 500,
    channel_ids: Collection[str] | None = None,
) -> list[Event]:
    q = select(events).where(events.c.id > after).order_by(events.c.id).limit(limit)
    if channel_ids is not None:
        q = q.where(events.c.channel_id.in_(list(channel_ids)))
    return [Event(int(r.id), r.ts, r.kind, r.channel_id, r.thread_id, r.data) for r in conn.execute(q)]


def last_event_id(conn: Connection) -> int:
    return int(conn.execute(select(events.c.id).order_by(events.c.id.desc()).limit(1)).scalar() or 0)
