"""SQLite: messages join the full-text index behind the writes, not inside each publish

An AFTER INSERT trigger indexed every message in its publish's transaction; FTS5 then wrote
a segment and its structure records on every commit, about a quarter of a publish. Now
`messages/search_index.py` indexes everything above a high-water mark in one statement,
soon after publishes and before every text search. The delete trigger only removes rows the
index holds. PostgreSQL keeps its GIN expression index: nothing changes there.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_DELETE_INDEXED = (
    "CREATE TRIGGER messages_fts_ad AFTER DELETE ON messages "
    "WHEN old.id <= (SELECT indexed_upto FROM search_progress) BEGIN "
    "INSERT INTO messages_fts(messages_fts, rowid, title, body) "
    "VALUES ('delete', old.id, old.title, old.body); END"
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute(
        "CREATE TABLE search_progress ("
        "id INTEGER NOT NULL PRIMARY KEY CHECK (id = 1), indexed_upto BIGINT NOT NULL)"
    )
    # The insert trigger has indexed every message so far.
    op.execute("INSERT INTO search_progress VALUES (1, COALESCE((SELECT max(id) FROM messages), 0))")
    op.execute("DROP TRIGGER messages_fts_ai")
    op.execute("DROP TRIGGER messages_fts_ad")
    op.execute(_DELETE_INDEXED)


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute(
        "INSERT INTO messages_fts(rowid, title, body) SELECT id, title, body FROM messages "
        "WHERE id > (SELECT indexed_upto FROM search_progress)"
    )
    op.execute("DROP TRIGGER messages_fts_ad")
    op.execute("DROP TABLE search_progress")
    op.execute(
        "CREATE TRIGGER messages_fts_ai AFTER INSERT ON messages BEGIN "
        "INSERT INTO messages_fts(rowid, title, body) VALUES (new.id, new.title, new.body); END"
    )
    op.execute(
        "CREATE TRIGGER messages_fts_ad AFTER DELETE ON messages BEGIN "
        "INSERT INTO messages_fts(messages_fts, rowid, title, body) "
        "VALUES ('delete', old.id, old.title, old.body); END"
    )
