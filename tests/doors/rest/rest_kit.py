"""Helpers for the REST door tests: the seed scenario, an SSE reader, small waits."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

SCENARIO = Path(__file__).resolve().parents[2] / "fixtures" / "scenarios" / "incident-2am.jsonl"


def scenario() -> list[dict[str, Any]]:
    """The seed's 2:47 AM incident: [{"at", "ref", "message": {...}}] in order."""
    return [json.loads(line) for line in SCENARIO.read_text().splitlines() if line.strip()]


def seed_payload(step: dict[str, Any], ids: dict[str, int] | None = None) -> dict[str, Any]:
    """One scenario step as a publish body; `in_reply_to` refs become the published ids."""
    body = {k: v for k, v in step["message"].items() if k != "channel"}
    if "in_reply_to" in body:
        body["in_reply_to"] = (ids or {})[body["in_reply_to"]]
    return body


async def publish_seed(client: httpx.AsyncClient, channel: str = "incidents") -> dict[str, dict[str, Any]]:
    """Publish the whole scenario; return the published messages by ref."""
    ids: dict[str, int] = {}
    out: dict[str, dict[str, Any]] = {}
    for step in scenario():
        r = await client.post(f"/api/channels/{channel}/messages", json=seed_payload(step, ids))
        assert r.status_code == 201, r.text
        out[step["ref"]] = r.json()
        ids[step["ref"]] = r.json()["id"]
    return out


async def publish(client: httpx.AsyncClient, channel: str, title: str, **fields: Any) -> dict[str, Any]:
    r = await client.post(f"/api/channels/{channel}/messages", json={"title": title, **fields})
    assert r.status_code == 201, r.text
    return dict(r.json())


def assert_error(
    r: httpx.Response, status: int, *, field: str | None = None, says: tuple[str, ...] = ()
) -> dict[str, Any]:
    """A JSON error of `status` whose message names the field and contains each of `says`."""
    assert r.status_code == status, f"{r.status_code} != {status}: {r.text}"
    err = r.json()["error"]
    assert err["message"], err
    if field is not None:
        assert err.get("field") == field or field in err["message"], err
    for word in says:
        assert word.lower() in err["message"].lower(), f"{word!r} not in {err['message']!r}"
    return dict(err)


@dataclass
class Frame:
    """One SSE frame: an event with id/event/data, or a comment such as a keep-alive."""

    id: str | None = None
    event: str | None = None
    data: str | None = None
    comments: list[str] = field(default_factory=list)
    retry: str | None = None

    @property
    def json(self) -> Any:
        return json.loads(self.data or "null")


class SSE:
    """Read SSE frames from a streaming httpx response, each read bounded by a timeout."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self._lines = response.aiter_lines()

    async def next(self, within: float = 10.0) -> Frame:
        return await asyncio.wait_for(self._next(), within)

    async def _next(self) -> Frame:
        frame = Frame()
        data: list[str] = []
        seen = False
        async for line in self._lines:
            if line == "":
                if seen:
                    frame.data = "\n".join(data) if data else None
                    return frame
                continue
            seen = True
            if line.startswith(":"):
                frame.comments.append(line[1:].strip())
                continue
            name, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if name == "id":
                frame.id = value
            elif name == "event":
                frame.event = value
            elif name == "data":
                data.append(value)
            elif name == "retry":
                frame.retry = value
        raise EOFError("the stream ended")

    async def events(self, n: int, within: float = 10.0, *, kind: str | None = None) -> list[Frame]:
        """The next `n` event frames (skipping comments, retry and, if given, other kinds)."""
        out: list[Frame] = []
        deadline = time.monotonic() + within
        while len(out) < n:
            f = await self.next(max(0.01, deadline - time.monotonic()))
            if f.event is None or (kind is not None and f.event != kind):
                continue
            out.append(f)
        return out

    async def until(self, pred: Callable[[Frame], bool], within: float = 10.0) -> list[Frame]:
        """Every frame up to and including the first one matching `pred`."""
        out: list[Frame] = []
        deadline = time.monotonic() + within
        while True:
            f = await self.next(max(0.01, deadline - time.monotonic()))
            out.append(f)
            if pred(f):
                return out


@contextlib.asynccontextmanager
async def sse(
    client: httpx.AsyncClient, path: str, *, params: Any = None, headers: dict[str, str] | None = None
) -> AsyncIterator[SSE]:
    async with client.stream("GET", path, params=params, headers=headers) as r:
        assert r.status_code == 200, (await r.aread()).decode()
        assert r.headers["content-type"].startswith("text/event-stream")
        yield SSE(r)


def message_ids(frames: list[Frame]) -> list[int]:
    return [int(f.id or 0) for f in frames if f.event == "message.published"]


def titles(frames: list[Frame]) -> list[str]:
    return [f.json["data"]["title"] for f in frames if f.event == "message.published"]
