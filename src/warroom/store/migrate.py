"""Apply the Alembic migrations programmatically (server start and `warroom db upgrade`)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from warroom.store.database import Database

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(db: Database) -> str:
    """Bring the schema to the newest revision; return that revision id."""
    cfg = alembic_config(db.url)
    with db.write_engine.begin() as conn:
        if db.dialect == "postgresql":
            # Replicas starting together must not race to create the same tables.
            conn.exec_driver_sql("SELECT pg_advisory_xact_lock(57415253)")
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    return head_revision()


def head_revision() -> str:
    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    assert head is not None
    return head


def current_revision(db: Database) -> str | None:
    with db.read_engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()
