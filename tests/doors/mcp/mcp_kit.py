"""Helpers for the MCP door tests: principals with real tokens, clients over every transport."""

from __future__ import annotations

import contextlib
import json
import os
import sys
import warnings
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import httpx2
import mcp_types as types
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client

from warroom.core import Core
from warroom.identity.models import ALL_SCOPES, DEFAULT_SCOPES, Principal

SCENARIO = Path(__file__).parents[2] / "fixtures" / "scenarios" / "incident-2am.jsonl"
ROOT = Path(__file__).parents[3]

# subscribe_resource is deprecated by the SDK (removed in 2026-07-28); we test it on purpose.
warnings.filterwarnings("ignore", category=DeprecationWarning)
IGNORE_DEPRECATION = pytest.mark.filterwarnings("ignore::DeprecationWarning")

# The tools of the incident, paging and intelligence issues (beside Notify-MCP's and the readers).
INCIDENT_TOOLS = {
    "list_incidents",
    "get_incident",
    "declare_incident",
    "acknowledge_incident",
    "update_incident_status",
    "resolve_incident",
    "reopen_incident",
    "add_incident_note",
    "assign_incident",
    "set_incident_severity",
    "merge_incidents",
    "get_incident_timeline",
    "create_silence",
    "list_silences",
    "expire_silence",
}
PAGING_TOOLS = {"who_is_on_call", "page_user", "escalate_incident", "list_deliveries", "retry_delivery"}
INTEL_TOOLS = {
    "analyze_incident",
    "find_similar_incidents",
    "get_runbook",
    "record_change",
    "generate_postmortem",
    "get_postmortem",
    "edit_postmortem",
    "incident_stats",
    "summarize",
    "search_all",
}


def scenario() -> list[dict[str, Any]]:
    return [json.loads(line) for line in SCENARIO.read_text().splitlines() if line.strip()]


def make_token(
    core: Core,
    pid: str,
    *,
    name: str | None = None,
    admin: bool = False,
    ai_tool: str | None = None,
    role: str | None = None,
    groups: list[str] | None = None,
) -> str:
    """A principal (with its profile) and a token for it, straight in the store."""

    def fn(conn: Any) -> dict[str, Any]:
        out = core.identity.create_token(
            conn,
            principal_id=pid,
            name=f"{pid}-token",
            principal_name=name,
            scopes=ALL_SCOPES if admin else DEFAULT_SCOPES,
            is_admin=admin,
        )
        core.identity.ensure_principal(conn, pid, name=name, role=role, ai_tool=ai_tool, groups=groups)
        return out

    return str(core.db.write_sync(fn)["token"])


async def principal(core: Core, pid: str, **kw: Any) -> tuple[Principal, str]:
    """A principal with a real token in the store, resolved as a door would."""
    token = make_token(core, pid, **kw)
    return await core.authenticate(token), token


class Updates:
    """Collects notifications/resources/updated; tests wait on a URI with a timeout."""

    def __init__(self) -> None:
        self.uris: list[str] = []
        self._event = anyio.Event()

    async def __call__(self, msg: Any) -> None:
        if isinstance(msg, types.ResourceUpdatedNotification):
            self.uris.append(str(msg.params.uri))
            self._event.set()
            self._event = anyio.Event()

    async def wait_for(self, uri: str, within: float = 5.0) -> None:
        with anyio.fail_after(within):
            while uri not in self.uris:
                await self._event.wait()


@contextlib.asynccontextmanager
async def http_client(
    url: str, token: str | None, mode: str, message_handler: Any = None
) -> AsyncIterator[Client]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    http = httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(30, read=300))
    kw: dict[str, Any] = {"mode": mode, "cache": None}
    if message_handler is not None:
        kw["message_handler"] = message_handler
    async with http, Client(streamable_http_client(f"{url}/mcp", http_client=http), **kw) as c:
        yield c


def stdio_params(args: list[str], env: dict[str, str]) -> StdioServerParameters:
    """`warroom mcp ...` as a real subprocess; the SDK passes a minimal env, so give it all."""
    full = {"PYTHONPATH": str(ROOT / "src"), "HOME": os.environ.get("HOME", "/tmp"), **env}
    return StdioServerParameters(
        command=sys.executable, args=["-m", "warroom.cli.main", "mcp", *args], env=full, cwd=str(ROOT)
    )


def text(result: types.CallToolResult) -> str:
    first = result.content[0]
    assert isinstance(first, types.TextContent)
    return first.text
