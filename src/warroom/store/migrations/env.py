"""Alembic environment: run by `warroom db upgrade` and at server start."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from warroom.store.tables import metadata

config = context.config
target_metadata = metadata


def include_object(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    # The FTS5 shadow tables are created by raw SQL in 0001; autogenerate must not touch them.
    return not (type_ == "table" and name is not None and name.startswith("messages_fts"))


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=True,
            include_object=include_object,
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as conn:
        context.configure(
            connection=conn,
            target_metadata=target_metadata,
            render_as_batch=True,
            include_object=include_object,
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run `warroom db upgrade`")
run_migrations_online()
