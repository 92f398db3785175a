"""index the event log by thread: incident timelines, postmortems and digests read it so

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_events_thread_id_id", "events", ["thread_id", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_events_thread_id_id", table_name="events")
