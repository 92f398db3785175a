"""Fixtures for the REST door tests: extra live servers with their own settings."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from warroom.config import Settings

ROOT_CONFTEST = Path(__file__).resolve().parents[2] / "conftest.py"


def root_conftest(config: pytest.Config) -> ModuleType:
    """tests/conftest.py as loaded by pytest (several conftest modules share one name)."""
    for plugin in config.pluginmanager.get_plugins():
        if isinstance(plugin, ModuleType) and Path(getattr(plugin, "__file__", "") or "") == ROOT_CONFTEST:
            return plugin
    raise RuntimeError("tests/conftest.py is not loaded")


@pytest.fixture
def start_server(request: pytest.FixtureRequest, settings: Settings) -> Iterator[Any]:
    """Start more LiveServers on the test's database, optionally with other settings."""
    servers: list[Any] = []
    live_server_cls = root_conftest(request.config).LiveServer

    def start(**overrides: Any) -> Any:
        srv = live_server_cls(settings.model_copy(update=overrides))
        servers.append(srv)
        srv.start()
        return srv

    yield start
    for srv in reversed(servers):
        srv.stop()
