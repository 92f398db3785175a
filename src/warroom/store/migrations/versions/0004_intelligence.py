"""knowledge base and analysis

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "change_events",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("service", sa.String(length=100), nullable=False),
        sa.Column("version", sa.String(length=200), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("author", sa.String(length=200), nullable=True),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("url", sa.String(length=1000), nullable=True),
        sa.Column("external_id", sa.String(length=200), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_change_events")),
        sa.UniqueConstraint("external_id", name=op.f("uq_change_events_external_id")),
    )
    with op.batch_alter_table("change_events", schema=None) as batch_op:
        batch_op.create_index("ix_change_events_service_at", ["service", "at"], unique=False)

    op.create_table(
        "followups",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("incident_number", sa.BigInteger(), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_followups")),
    )
    with op.batch_alter_table("followups", schema=None) as batch_op:
        batch_op.create_index("ix_followups_incident_number", ["incident_number"], unique=False)

    op.create_table(
        "incident_analyses",
        sa.Column("incident_number", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("input_hash", sa.String(length=64), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("incident_number", "version", name=op.f("pk_incident_analyses")),
    )
    op.create_table(
        "postmortems",
        sa.Column("incident_number", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("generated", sa.Boolean(), nullable=False),
        sa.Column("markdown", sa.Text(), nullable=False),
        sa.Column("facts", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("incident_number", "version", name=op.f("pk_postmortems")),
    )
    op.create_table(
        "runbooks",
        sa.Column("id", sa.String(length=100), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("match", sa.JSON(), nullable=False),
        sa.Column("steps", sa.JSON(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_runbooks")),
    )
    op.create_table(
        "services",
        sa.Column("id", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("owner_team", sa.String(length=200), nullable=True),
        sa.Column("tier", sa.SmallInteger(), nullable=False),
        sa.Column("dependencies", sa.JSON(), nullable=False),
        sa.Column("repository", sa.String(length=500), nullable=True),
        sa.Column("dashboards", sa.JSON(), nullable=False),
        sa.Column("runbook_links", sa.JSON(), nullable=False),
        sa.Column("stakeholders", sa.JSON(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_services")),
    )

    op.create_table(
        "incident_knowledge",
        sa.Column("incident_number", sa.BigInteger(), nullable=False),
        sa.Column("root_cause", sa.Text(), nullable=False),
        sa.Column("resolution", sa.Text(), nullable=False),
        sa.Column("tokens", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("incident_number", name=op.f("pk_incident_knowledge")),
    )


def downgrade() -> None:
    op.drop_table("incident_knowledge")
    op.drop_table("services")
    op.drop_table("runbooks")
    op.drop_table("postmortems")
    op.drop_table("incident_analyses")
    with op.batch_alter_table("followups", schema=None) as batch_op:
        batch_op.drop_index("ix_followups_incident_number")

    op.drop_table("followups")
    with op.batch_alter_table("change_events", schema=None) as batch_op:
        batch_op.drop_index("ix_change_events_service_at")

    op.drop_table("change_events")
