"""The SQLite full-text index, kept up behind the writes rather than inside each one.

Indexing a message inside its publish's transaction cost about a quarter of the publish:
FTS5 wrote a new segment and its structure records on every commit. So a publish only
stores its message, and `index_pending` adds every message above the index's high-water
mark (`search_progress.indexed_upto`, moved in the same transaction) to `messages_fts` in
one statement. `SearchIndexer` runs it shortly after messages arrive, and before every text
search, so a search still sees every committed message. A message deleted before it was
indexed is simply never indexed (the delete trigger only removes what the index holds).

PostgreSQL indexes title and body with a GIN expression index inside the write itself:
there is nothing to catch up there.
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy import Connection, text

from warroom.events.hub import Hub
from warroom.store.database import Database

log = logging.getLogger("warroom.search")

# Messages indexed per transaction at most, so a large import is caught up in steps.
MAX_PER_PASS = 2000

_PROGRESS = text("SELECT indexed_upto FROM search_progress")
_TOP = text("SELECT max(id) FROM (SELECT id FROM messages WHERE id > :upto ORDER BY id LIMIT :limit)")
_INDEX = text(
    "INSERT INTO messages_fts(rowid, title, body) "
    "SELECT id, title, body FROM messages WHERE id > :upto AND id <= :top"
)
_MOVE = text("UPDATE search_progress SET indexed_upto = :top")


def index_pending(conn: Connection, limit: int = MAX_PER_PASS) -> int:
    """Index up to `limit` messages above the high-water mark; return how many there were."""
    if conn.dialect.name != "sqlite":
        return 0
    upto = int(conn.execute(_PROGRESS).scalar_one())
    top = conn.execute(_TOP, {"upto": upto, "limit": limit}).scalar()
    if top is None:
        return 0
    indexed = conn.execute(_INDEX, {"upto": upto, "top": top}).rowcount
    conn.execute(_MOVE, {"top": top})
    return int(indexed)


class SearchIndexer:
    """Catches the index up soon after messages commit, and on demand before a search."""

    def __init__(self, db: Database, hub: Hub, *, delay_seconds: float = 0.2) -> None:
        self.db = db
        self.hub = hub
        self.delay = delay_seconds
        self.enabled = db.is_sqlite
        self._seen = -1  # the hub's last event id at the last catch-up

    async def catch_up(self) -> None:
        """Index every message committed so far (before a text search, say)."""
        if not self.enabled:
            return
        while await self.db.write(index_pending) >= MAX_PER_PASS:
            pass

    async def run(self) -> None:
        # Waiting a little after a message lets a burst be indexed in one statement, which
        # is most of the saving; a search in the meantime catches up itself.
        while self.enabled:
            await asyncio.sleep(self.delay)
            last = self.hub.last_id
            if last == self._seen:
                continue
            try:
                await self.catch_up()
                self._seen = last
            except Exception:
                log.exception("indexing messages for search failed; will retry")
