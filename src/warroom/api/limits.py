"""Request body limit (413) and per-token rate limits (429), as ASGI-level guards."""

from __future__ import annotations

import threading
import time

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from warroom.api.responses import error_body
from warroom.errors import RateLimited


class BodyLimit:
    """Refuse bodies over `max_bytes` before the app reads them, declared or streamed."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0
                if declared > self.max_bytes:
                    await self._refuse(send, declared)
                    return
        seen = 0
        refused = False
        started = False

        async def limited() -> Message:
            nonlocal seen, refused
            if refused:
                return {"type": "http.disconnect"}
            msg = await receive()
            if msg["type"] == "http.request":
                seen += len(msg.get("body", b""))
                if seen > self.max_bytes:
                    # Answer 413 now and make the app see a client that went away: whatever
                    # it makes of that (FastAPI turns it into a 400) is never sent.
                    refused = True
                    if not started:
                        await self._refuse(send, seen)
                    return {"type": "http.disconnect"}
            return msg

        async def guarded(msg: Message) -> None:
            nonlocal started
            if refused and not started:
                return
            started = True
            await send(msg)

        await self.app(scope, limited, guarded)

    async def _refuse(self, send: Send, size: int) -> None:
        body = orjson.dumps(
            error_body(
                "payload_too_large",
                f"the request body is over {self.max_bytes} bytes; send less "
                "(the limit is the max_request_bytes setting)",
            )
        )
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


class RateLimiter:
    """Token buckets keyed by API token: `rate` requests a second, bursts up to `burst`."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = float(burst)
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def check(self, key: str) -> None:
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if tokens < 1.0:
                self._buckets[key] = (tokens, now)
                wait = (1.0 - tokens) / self.rate
                raise RateLimited(
                    f"rate limit of {self.rate:g} requests/s (burst {self.burst:g}) for this token "
                    f"reached; retry after {wait:.2f}s",
                    retry_after=wait,
                )
            self._buckets[key] = (tokens - 1.0, now)
            if len(self._buckets) > 100_000:
                self._buckets.clear()
