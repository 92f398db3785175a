"""Shared fixtures: the store on SQLite and on the real PostgreSQL, a live server on loopback.

Every test that touches the store runs twice, once per backend (`backend` parameter). The
PostgreSQL backend clones a migrated template database per test, so tests never share rows.
PostgreSQL must be up (`.ci/run` starts it); a test on it fails, never skips, when it is down.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import os
import socket
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
import uvicorn

from warroom.api.app import create_app
from warroom.config import Settings
from warroom.core import Core
from warroom.identity.models import ALL_SCOPES, DEFAULT_SCOPES, Scope

PG_ADMIN_DSN = os.environ.get("WARROOM_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
# Concurrent test sessions on one server each need their own template (it is dropped and rebuilt).
PG_TEMPLATE = os.environ.get("WARROOM_TEST_PG_TEMPLATE", f"warroom_test_template_{os.getpid()}")
_template_ready = False
_template_lock = threading.Lock()


def _pg_base() -> str:
    return PG_ADMIN_DSN.rsplit("/", 1)[0]


def _pg_admin(sql: str) -> None:
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(sql)  # type: ignore[arg-type]


def _ensure_pg_template() -> None:
    global _template_ready
    with _template_lock:
        if _template_ready:
            return
        _pg_admin(f"DROP DATABASE IF EXISTS {PG_TEMPLATE} WITH (FORCE)")
        _pg_admin(f"CREATE DATABASE {PG_TEMPLATE}")
        url = f"{_pg_base().replace('postgresql://', 'postgresql+psycopg://')}/{PG_TEMPLATE}"
        core = Core(Settings(database_url=url))
        core.migrate()
        core.db.close()
        _template_ready = True
        atexit.register(_drop_template)


def _drop_template() -> None:
    with contextlib.suppress(Exception):  # the server may be gone already; nothing to clean
        _pg_admin(f"DROP DATABASE IF EXISTS {PG_TEMPLATE} WITH (FORCE)")


def fresh_database_url(backend: str, tmp_path: Path) -> tuple[str, Any]:
    """A URL to an empty, migrated store and a cleanup callable."""
    if backend == "sqlite":
        return f"sqlite+pysqlite:///{tmp_path / 'warroom.db'}", lambda: None
    _ensure_pg_template()
    name = f"warroom_t_{uuid.uuid4().hex[:12]}"
    _pg_admin(f"CREATE DATABASE {name} TEMPLATE {PG_TEMPLATE}")
    url = f"{_pg_base().replace('postgresql://', 'postgresql+psycopg://')}/{name}"
    return url, lambda: _pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def settings(backend: str, tmp_path: Path) -> Iterator[Settings]:
    url, cleanup = fresh_database_url(backend, tmp_path)
    yield Settings(
        database_url=url,
        data_dir=tmp_path,
        stream_keepalive_seconds=1.0,
        stream_poll_seconds=0.2,
        sqlite_synchronous="NORMAL",
    )
    cleanup()


@pytest.fixture
async def core(settings: Settings) -> AsyncIterator[Core]:
    c = Core(settings)
    await c.start()
    yield c
    await c.stop()


def make_token(
    core: Core,
    principal: str,
    *,
    admin: bool = False,
    scopes: frozenset[Scope] | None = None,
    name: str | None = None,
    groups: list[str] | None = None,
    **kw: Any,
) -> str:
    """Create a principal + token straight in the store; return the secret."""

    def fn(conn: Any) -> dict[str, Any]:
        out = core.identity.create_token(
            conn,
            principal_id=principal,
            name=name or f"{principal}-token",
            scopes=scopes or (ALL_SCOPES if admin else DEFAULT_SCOPES),
            principal_name=name,
            is_admin=admin,
            **kw,
        )
        if groups is not None:
            core.identity.ensure_principal(conn, principal, groups=groups)
        return out

    return str(core.db.write_sync(fn)["token"])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LiveServer:
    """uvicorn serving the real app on a loopback port, in a thread with its own loop."""

    def __init__(self, settings: Settings) -> None:
        self.port = free_port()
        self.settings = settings.model_copy(update={"port": self.port})
        self.core = Core(self.settings)
        self.app = create_app(self.settings, self.core)
        config = uvicorn.Config(
            self.app,
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            lifespan="on",
            access_log=False,
            ws="websockets",
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.url = f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)

    def token(self, principal: str, **kw: Any) -> str:
        return make_token(self.core, principal, **kw)

    def client(self, token: str | None = None, **kw: Any) -> httpx.AsyncClient:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.AsyncClient(base_url=self.url, headers=headers, timeout=10.0, **kw)


@pytest.fixture
def live_server(settings: Settings) -> Iterator[LiveServer]:
    srv = LiveServer(settings)
    srv.start()
    yield srv
    srv.stop()


async def wait_for(predicate: Any, timeout: float = 5.0, interval: float = 0.01) -> Any:
    """Poll `predicate` (sync or async) until truthy; fail with a clear message on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        await asyncio.sleep(interval)
