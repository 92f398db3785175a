"""Hand-written SQL for the few statements every publish runs, on the DBAPI cursor.

Publishing runs in the single writer thread thousands of times a second; SQLAlchemy's
per-statement machinery (compilation cache lookups, result set-up, events) costs several
times what SQLite itself spends. These statements run on the raw cursor of the caller's
connection, inside its transaction and savepoint, so atomicity is unchanged. Values are
converted here exactly as the SQLAlchemy column types would store them, so rows written
either way read back the same.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import Connection

_NAMED = re.compile(r"(?<!:):([a-z_][a-z0-9_]*)")


class RawSQL:
    """One statement written with `:name` parameters, rendered for each dialect once."""

    def __init__(self, sql: str) -> None:
        self.sqlite = sql
        self.postgresql = _NAMED.sub(r"%(\1)s", sql)

    def execute(self, conn: Connection, params: dict[str, Any] | None = None) -> Any:
        cur = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        sql = self.sqlite if conn.dialect.name == "sqlite" else self.postgresql
        cur.execute(sql, params or {})
        return cur

    def executemany(self, conn: Connection, rows: list[dict[str, Any]]) -> None:
        cur = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        sql = self.sqlite if conn.dialect.name == "sqlite" else self.postgresql
        cur.executemany(sql, rows)


def db_time(conn: Connection, value: datetime | None) -> Any:
    """As UTCDateTime stores it: naive UTC text on SQLite, an aware datetime on PostgreSQL."""
    if value is None:
        return None
    if conn.dialect.name == "sqlite":
        if value.utcoffset():
            value = value.astimezone(UTC)
        # isoformat is the C fast path; strftime through __format__ costs several times more.
        return value.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
    return value


def db_json(conn: Connection, value: Any) -> Any:
    if conn.dialect.name == "sqlite":
        return orjson.dumps(value).decode()
    from psycopg.types.json import Json

    return Json(value, dumps=lambda v: orjson.dumps(v).decode())


def db_bool(conn: Connection, value: bool) -> Any:
    return int(value) if conn.dialect.name == "sqlite" else bool(value)
