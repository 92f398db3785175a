"""Retention: a per-channel setting, default keep forever. Trimming is never silent.

Each pass deletes, per channel with `retention_days`, the messages (and their events, tags
and search entries) older than the window, then appends a `channel.retention_applied` event
naming how many went and up to which time, and logs the same.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, delete, func, select, update

from warroom.events.log import append_event
from warroom.store.tables import channels, events, message_tags, messages
from warroom.timeutil import iso, utcnow

log = logging.getLogger("warroom.retention")
BATCH = 5000


def apply_retention(conn: Connection) -> list[dict[str, Any]]:
    """One pass over every channel with a retention window; returns what was trimmed."""
    now = utcnow()
    report = []
    rows = conn.execute(
        select(channels.c.id, channels.c.retention_days).where(channels.c.retention_days.is_not(None))
    ).all()
    for r in rows:
        cutoff = now - timedelta(days=int(r.retention_days))
        ids = [
            int(i)
            for i in conn.execute(
                select(messages.c.id)
                .where(messages.c.channel_id == r.id, messages.c.created_at < cutoff)
                .order_by(messages.c.id)
                .limit(BATCH)
            ).scalars()
        ]
        if not ids:
            continue
        conn.execute(delete(message_tags).where(message_tags.c.message_id.in_(ids)))
        conn.execute(delete(messages).where(messages.c.id.in_(ids)))
        conn.execute(delete(events).where(events.c.id.in_(ids)))
        remaining = conn.execute(
            select(func.count()).select_from(messages).where(messages.c.channel_id == r.id)
        ).scalar_one()
        conn.execute(update(channels).where(channels.c.id == r.id).values(message_count=remaining))
        entry = {
            "channel": r.id,
            "deleted": len(ids),
            "older_than": iso(cutoff),
            "retention_days": int(r.retention_days),
            "first_id": ids[0],
            "last_id": ids[-1],
        }
        append_event(conn, "channel.retention_applied", data=entry, channel_id=r.id)
        log.info("retention trimmed %d messages from %s older than %s", len(ids), r.id, iso(cutoff))
        report.append(entry)
    return report
