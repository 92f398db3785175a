"""Live streams over SSE and WebSocket, resuming from `since`, `Last-Event-ID` or a cursor."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from functools import partial
from typing import Any, Protocol

import orjson
from fastapi import APIRouter, Depends, Header, Query, Request, WebSocket, WebSocketDisconnect
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from warroom.api.auth import principal_of, principal_of_ws
from warroom.api.direct_send import SyncBodyWriter, sync_body_writer
from warroom.api.fastpath import RAW_SEND
from warroom.api.routes.common import StreamFilterParams, core_of, csv
from warroom.channels.acl import Permission
from warroom.channels.service import require
from warroom.core import Core
from warroom.errors import InvalidInput, WarroomError
from warroom.events.log import Event
from warroom.events.stream import Deliver, Keepalive, Lagged, StreamItem, follow_batches
from warroom.identity.models import Principal
from warroom.messages.filters import MessageFilter, filter_from_dict
from warroom.messages.service import MESSAGE_EVENT, message_from_event

router = APIRouter(prefix="/api", tags=["streams"])
log = logging.getLogger("warroom.api")


def event_payload(ev: Event) -> dict[str, Any]:
    wire = ev.to_wire()
    if ev.kind == MESSAGE_EVENT:
        wire["data"] = message_from_event(ev)
    return wire


def sse_frame(item: StreamItem) -> bytes:
    if isinstance(item, Keepalive):
        return b": keepalive\n\n"
    if isinstance(item, Lagged):
        note = orjson.dumps(
            {
                "cursor": item.cursor,
                "behind": item.behind,
                "message": (
                    "this stream fell behind the live window; catching up from the log, nothing is lost"
                ),
            }
        )
        return b"event: lagged\ndata: " + note + b"\n\n"
    frame = item.rendered.get("sse")
    if frame is not None:  # an event's frame is the same for every reader: rendered once
        return frame
    frame = item.rendered["sse"] = (
        b"id: "
        + str(item.id).encode()
        + b"\nevent: "
        + item.kind.encode()
        + b"\ndata: "
        + orjson.dumps(event_payload(item))
        + b"\n\n"
    )
    return frame


async def _check_channels(core: Core, p: Principal, channels: list[str] | None) -> None:
    if channels:
        for c in channels:
            await core.db.read(partial(require, principal=p, channel_id=c, perm=Permission.READ))


def _cursor(since: str | None, last_event_id: str | None) -> int | None:
    raw = last_event_id or since
    if raw is None or raw == "":
        return None
    if raw == "now":
        return None
    try:
        value = int(raw)
    except ValueError:
        raise InvalidInput(
            "since must be an event id (a whole number, 0 for the beginning) or `now`", field="since"
        ) from None
    if value < 0:
        raise InvalidInput("since must be ≥ 0", field="since")
    return value


def _kinds(kinds: list[str] | None) -> frozenset[str] | None:
    values = csv(kinds)
    return frozenset(values) if values else None


_SSE_HEADERS = [
    (b"content-type", b"text/event-stream; charset=utf-8"),
    (b"cache-control", b"no-store"),
    (b"x-accel-buffering", b"no"),
]


class Follow(Protocol):
    """Opens the stream's `follow_batches`, given how the hub may write to it directly."""

    def __call__(self, *, deliver: Deliver | None) -> AsyncIterator[list[StreamItem]]: ...


class LiveStream(Response):
    """An SSE response that writes each ready batch of frames in one piece, straight to the
    server's `send`: past the middleware wrappers and without StreamingResponse's task group,
    which per frame cost more than the frame itself with a hundred readers on one event.

    While the reader is caught up and its connection takes bytes, the hub writes new frames
    itself, in its fan-out loop (see events/hub.py); this response's task only writes what
    that path declined (a full socket buffer), catch-ups, notices and keep-alives."""

    def __init__(self, follow: Follow, gauge: Any) -> None:
        self.status_code = 200
        self.background = None
        self.raw_headers = list(_SSE_HEADERS)  # no content-length: the body never ends
        self.follow = follow
        self.gauge = gauge

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # The start goes through the wrappers (they record the status); frames go direct.
        await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
        raw_send: Send = scope.get(RAW_SEND, send)
        write_now = sync_body_writer(raw_send)
        batches = self.follow(deliver=None if write_now is None else _sse_deliver(write_now))
        self.gauge.inc()
        writer = asyncio.create_task(self._write(raw_send, batches))
        # The client going away is only seen by reading; a stream that fails must end the
        # response (the client then reconnects from its cursor) rather than go quiet.
        watcher = asyncio.create_task(_until_disconnect(receive))
        try:
            await asyncio.wait((writer, watcher), return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (writer, watcher):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            if writer.done() and not writer.cancelled() and writer.exception() is not None:
                log.warning("SSE stream ended by an error", exc_info=writer.exception())
            self.gauge.dec()
            with contextlib.suppress(Exception):
                await batches.aclose()  # type: ignore[attr-defined]

    @staticmethod
    async def _write(send: Send, batches: AsyncIterator[list[StreamItem]]) -> None:
        await send({"type": "http.response.body", "body": b"retry: 2000\n\n", "more_body": True})
        async for batch in batches:
            await send({"type": "http.response.body", "body": _sse_body(batch), "more_body": True})


def _sse_body(batch: list[StreamItem] | list[Event]) -> bytes:
    return sse_frame(batch[0]) if len(batch) == 1 else b"".join(map(sse_frame, batch))


def _sse_deliver(write_now: SyncBodyWriter) -> Deliver:
    return lambda events: write_now(_sse_body(events))


async def _until_disconnect(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


def _sse(request: Request, follow: Follow, transport: str = "sse") -> LiveStream:
    return LiveStream(follow, request.app.state.metrics.stream_clients.labels(transport))


@router.get("/stream")
async def stream(
    request: Request,
    channel: list[str] | None = Query(None, description="channels to follow; default all you can read"),
    filters: StreamFilterParams = Depends(),
    kind: list[str] | None = Query(None, description="event kinds, e.g. message or incident"),
    since: str | None = Query(None, description="resume after this event id; 0 = from the beginning"),
    last_event_id: str | None = Header(None),
    p: Principal = Depends(principal_of),
) -> LiveStream:
    """Server-Sent Events: one `event:` per log event, `id:` is the resume cursor."""
    core = core_of(request)
    channels = csv(channel)
    await _check_channels(core, p, channels)
    follow = partial(
        follow_batches,
        core.db,
        core.hub,
        p,
        channels=channels,
        f=filters.build(),
        cursor=_cursor(since, last_event_id),
        kinds=_kinds(kind),
        keepalive=core.settings.stream_keepalive_seconds,
    )
    return _sse(request, follow)


@router.get("/channels/{channel}/stream")
async def channel_stream(
    channel: str,
    request: Request,
    filters: StreamFilterParams = Depends(),
    kind: list[str] | None = Query(None),
    since: str | None = Query(None),
    last_event_id: str | None = Header(None),
    p: Principal = Depends(principal_of),
) -> LiveStream:
    core = core_of(request)
    await _check_channels(core, p, [channel])
    follow = partial(
        follow_batches,
        core.db,
        core.hub,
        p,
        channels=[channel],
        f=filters.build(),
        cursor=_cursor(since, last_event_id),
        kinds=_kinds(kind),
        keepalive=core.settings.stream_keepalive_seconds,
    )
    return _sse(request, follow)


@router.get("/subscriptions/{sub_id}/stream")
async def subscription_stream(
    sub_id: str,
    request: Request,
    last_event_id: str | None = Header(None),
    p: Principal = Depends(principal_of),
) -> LiveStream:
    """Follow a subscription from its read cursor (what you missed, then live)."""
    core = core_of(request)
    sub = await core.db.read(lambda c: core.subscriptions.get(c, p, sub_id))
    f: MessageFilter = filter_from_dict(sub["filters"])
    cursor = _cursor(None, last_event_id)
    follow = partial(
        follow_batches,
        core.db,
        core.hub,
        p,
        channels=[sub["channel"]],
        f=f,
        cursor=sub["cursor"] if cursor is None else cursor,
        kinds=frozenset({"message"}),
        keepalive=core.settings.stream_keepalive_seconds,
    )
    return _sse(request, follow)


def _ws_frame(item: StreamItem) -> dict[str, Any]:
    if isinstance(item, Keepalive):
        return {"type": "keepalive", "cursor": item.cursor}
    if isinstance(item, Lagged):
        return {"type": "lagged", "cursor": item.cursor, "behind": item.behind}
    return {"type": "event", "event": event_payload(item)}


@router.websocket("/ws")
async def websocket(ws: WebSocket) -> None:
    """WebSocket stream. Query: channel, priority, tag, theme, sender, thread, kind, since.

    Frames are JSON: {"type": "event", "event": {...}}, {"type": "keepalive", "cursor": n},
    {"type": "lagged", ...} and, on a bad request, {"type": "error", "error": {...}} then close.
    """
    core: Core = ws.app.state.core
    metrics = ws.app.state.metrics
    try:
        p = await principal_of_ws(ws)
        qp = ws.query_params
        channels = csv(qp.getlist("channel"))
        await _check_channels(core, p, channels)
        f = StreamFilterParams(
            priority=qp.getlist("priority") or None,
            min_priority=qp.get("min_priority"),
            tag=qp.getlist("tag") or None,
            tags_all=qp.getlist("tags_all") or None,
            theme=qp.getlist("theme") or None,
            sender=qp.getlist("sender") or None,
            thread=qp.getlist("thread") or None,
            q=qp.get("q"),
        ).build()
        cursor = _cursor(qp.get("since"), None)
        kinds = _kinds(qp.getlist("kind"))
    except WarroomError as exc:
        await ws.accept()
        await ws.send_text(orjson.dumps({"type": "error", "error": exc.to_dict()}).decode())
        await ws.close(code=4000 + min(exc.status, 999) % 1000)
        return
    await ws.accept()
    metrics.stream_clients.labels("websocket").inc()
    items = follow_batches(
        core.db,
        core.hub,
        p,
        channels=channels,
        f=f,
        cursor=cursor,
        kinds=kinds,
        keepalive=core.settings.stream_keepalive_seconds,
    )

    async def drain_client() -> None:
        # Reading detects the client going away; pings are answered, anything else ignored.
        while True:
            msg = await ws.receive_text()
            if msg.strip() == '{"type":"ping"}' or msg.strip() == "ping":
                await ws.send_text('{"type":"pong"}')

    reader = asyncio.create_task(drain_client())
    try:
        async for batch in items:
            if reader.done():
                break
            for item in batch:
                await ws.send_text(orjson.dumps(_ws_frame(item)).decode())
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        reader.cancel()
        metrics.stream_clients.labels("websocket").dec()
        with contextlib.suppress(Exception):
            await items.aclose()  # type: ignore[attr-defined]
