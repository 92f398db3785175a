"""Service-test helpers: a fast fresh store per test, and principals with tokens.

Cloning a PostgreSQL database per test costs about 1.5 s (CREATE DATABASE fsyncs a copy).
Service tests instead clone one database per session and empty it before each test: every
table cleared and every sequence restarted, so a test sees exactly what a fresh migrated
store holds, ids starting at 1, in a few milliseconds. On SQLite, each test gets a copy of
a file migrated once per session instead of running every migration again.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from peoplekit import PeopleFactory

from warroom.config import Settings
from warroom.core import Core
from warroom.identity.models import ALL_SCOPES, DEFAULT_SCOPES, Principal, Scope


def _root_conftest(config: pytest.Config) -> Any:
    plugin = config.pluginmanager.get_plugin(str(Path(__file__).parent.parent / "conftest.py"))
    assert plugin is not None, "tests/conftest.py was not loaded"
    return plugin


@pytest.fixture(scope="session")
def _pg_service_db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = _root_conftest(request.config)
    url, drop = root.fresh_database_url("postgres", tmp_path_factory.mktemp("pg"))
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True) as conn:
        # This throw-away database needs no crash durability; its commits skip the WAL fsync
        # (a setting of this database only, never of the server).
        conn.execute(f'ALTER DATABASE "{dsn.rsplit("/", 1)[1]}" SET synchronous_commit = off')  # type: ignore[arg-type]
    yield url
    drop()


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "warroom.db"
    core = Core(Settings(database_url=f"sqlite+pysqlite:///{path}", data_dir=path.parent))
    core.migrate()
    core.db.close()  # the last connection checkpoints the WAL: the file alone is the store
    return path


def _empty_pg(url: str) -> None:
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True) as conn:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT tablename FROM pg_tables "
                "WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
            )
        ]
        sequences = [
            r[0] for r in conn.execute("SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'")
        ]
        with conn.transaction():
            conn.execute("SET LOCAL session_replication_role = replica")  # no FK order to respect
            conn.execute("SET LOCAL lock_timeout = '10s'")  # a Core left running fails loudly
            for t in tables:
                conn.execute(f'DELETE FROM "{t}"')  # type: ignore[arg-type]
            for s in sequences:
                conn.execute(f'ALTER SEQUENCE "{s}" RESTART')  # type: ignore[arg-type]


@pytest.fixture
def settings(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Settings]:
    if backend == "sqlite":
        path = tmp_path / f"warroom-{uuid.uuid4().hex[:6]}.db"
        shutil.copyfile(request.getfixturevalue("_sqlite_template"), path)
        url = f"sqlite+pysqlite:///{path}"
    else:
        url = request.getfixturevalue("_pg_service_db")
        _empty_pg(url)
    yield Settings(
        database_url=url,
        data_dir=tmp_path,
        stream_keepalive_seconds=1.0,
        stream_poll_seconds=0.2,
        sqlite_synchronous="NORMAL",
    )


async def make_principal(
    core: Core,
    principal_id: str,
    *,
    admin: bool = False,
    scopes: frozenset[Scope] | None = None,
    groups: list[str] | None = None,
    name: str | None = None,
) -> Principal:
    """Create (or extend) a principal and a token, and authenticate as it like a door would."""

    def fn(conn: Any) -> dict[str, Any]:
        out = core.identity.create_token(
            conn,
            principal_id=principal_id,
            name=f"{principal_id}-token",
            scopes=scopes if scopes is not None else (ALL_SCOPES if admin else DEFAULT_SCOPES),
            principal_name=name,
            is_admin=admin,
        )
        if groups is not None:
            core.identity.ensure_principal(conn, principal_id, groups=groups)
        return out

    secret = (await core.db.write(fn))["token"]
    return await core.authenticate(str(secret))


@pytest.fixture
def people(core: Core) -> PeopleFactory:
    async def factory(principal_id: str, **kw: Any) -> Principal:
        return await make_principal(core, principal_id, **kw)

    return factory
