"""Helpers for the incident door tests: integrations over REST, a small SSE reader, errors."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx


async def create_integration(
    c: httpx.AsyncClient, name: str = "prod", source: str = "alertmanager", **config: Any
) -> dict[str, Any]:
    r = await c.post("/api/integrations", json={"name": name, "source": source, "config": config})
    assert r.status_code == 201, r.text
    return dict(r.json())


def assert_error(r: httpx.Response, status: int, *says: str, field: str | None = None) -> dict[str, Any]:
    assert r.status_code == status, f"{r.status_code} != {status}: {r.text}"
    err = r.json()["error"]
    if field is not None:
        assert err.get("field") == field, err
    for word in says:
        assert word.lower() in err["message"].lower(), f"{word!r} not in {err['message']!r}"
    return dict(err)


class Events:
    """SSE frames as (id, event, data-json), each read bounded by a timeout."""

    def __init__(self, response: httpx.Response) -> None:
        self._lines = response.aiter_lines()

    async def _frame(self) -> tuple[str | None, str | None, Any]:
        ev_id = ev = None
        data: list[str] = []
        async for line in self._lines:
            if line == "":
                if ev is not None or data:
                    return ev_id, ev, json.loads("\n".join(data)) if data else None
                continue
            if line.startswith(":"):
                continue
            name, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if name == "id":
                ev_id = value
            elif name == "event":
                ev = value
            elif name == "data":
                data.append(value)
        raise EOFError("the stream ended")

    async def until(self, event: str, timeout: float = 5.0) -> Any:
        async def find() -> Any:
            while True:
                _id, ev, data = await self._frame()
                if ev == event:
                    return data

        return await asyncio.wait_for(find(), timeout)


@contextlib.asynccontextmanager
async def stream(c: httpx.AsyncClient, path: str = "/api/stream", **params: Any) -> AsyncIterator[Events]:
    async with c.stream("GET", path, params=params, timeout=httpx.Timeout(10.0, read=30.0)) as r:
        assert r.status_code == 200, (await r.aread()).decode()
        yield Events(r)
