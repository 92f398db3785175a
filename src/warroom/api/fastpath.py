"""The publish fast path: POST /api/channels/{channel}/messages in front of the framework.

Publishing is the hottest request an incident war room serves (alert storms, chatty bots,
replays), and the framework's layers (routing, dependency solving, a dozen middlewares)
cost more CPU than the publish itself. This ASGI layer answers that one route directly,
with the same parts the FastAPI route uses: the Authenticator and rate limiter, the
MessageIn model, Core.publish, the error renderers and the metrics. The FastAPI route stays
registered for the OpenAPI description and for anything this layer passes on.
"""

from __future__ import annotations

import re
import time
from typing import Any

import orjson
from pydantic import ValidationError
from starlette.types import ASGIApp, Receive, Scope, Send

from warroom.api.auth import Authenticator
from warroom.api.errors import core_error_response, validation_response
from warroom.api.responses import FastJSON, error_body
from warroom.core import Core
from warroom.errors import PayloadTooLarge, WarroomError
from warroom.messages.models import MessageIn

_PATH = re.compile(r"^/api/channels/([^/]+)/messages/?$")
ROUTE = "/api/channels/{channel}/messages"
# The scope key under which the server's own `send` reaches the routes, past every wrapper.
RAW_SEND = "warroom.raw_send"


class PublishFastPath:
    def __init__(self, app: ASGIApp, state: Any) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Live streams write their frames straight to the server (see routes/streams.py).
        scope[RAW_SEND] = send
        if scope["type"] == "http" and scope["method"] == "POST":
            m = _PATH.match(scope["path"])
            # Browser sessions (cookie + CSRF) take the full stack; API clients send a bearer.
            if m and not any(k == b"cookie" for k, _ in scope["headers"]):
                await self._publish(scope, receive, send, m.group(1))
                return
        await self.app(scope, receive, send)

    async def _publish(self, scope: Scope, receive: Receive, send: Send, channel: str) -> None:
        start = time.perf_counter()
        core: Core = self.state.core
        response = await self._answer(scope, receive, core, channel)
        await response(scope, receive, send)
        self.state.metrics.requests.labels("POST", ROUTE, str(response.status_code)).observe(
            time.perf_counter() - start
        )

    async def _answer(self, scope: Scope, receive: Receive, core: Core, channel: str) -> FastJSON:
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        try:
            body = await _read_body(receive, headers, core.settings.max_request_bytes)
            auth: Authenticator = self.state.auth
            token = _query_token(scope)
            principal = await auth.resolve(headers.get("authorization"), token)
            if principal.token_id is not None:
                self.state.rate_limiter.check(principal.token_id)
            ctype = headers.get("content-type", "application/json")
            if "json" not in ctype:
                return FastJSON(
                    error_body(
                        "invalid_input",
                        f"body: Content-Type {ctype!r} is not JSON; send a JSON "
                        "object with Content-Type: application/json",
                        field="body",
                    ),
                    status_code=422,
                )
            try:
                raw = orjson.loads(body)
            except orjson.JSONDecodeError as exc:
                return FastJSON(
                    error_body(
                        "malformed_json",
                        f"body: the body is not valid JSON ({exc}); send a JSON object",
                        field="body",
                    ),
                    status_code=400,
                )
            if not isinstance(raw, dict):
                return FastJSON(
                    error_body(
                        "invalid_input", "body: send a JSON object with at least a title", field="body"
                    ),
                    status_code=422,
                )
            key = headers.get("idempotency-key")
            if key and "idempotency_key" not in raw:
                raw["idempotency_key"] = key
            try:
                msg = MessageIn.model_validate(raw)
            except ValidationError as exc:
                errors = [{**e, "loc": ("body", *e.get("loc", ()))} for e in exc.errors()]
                return validation_response(errors)
            result = await core.publish(principal, channel, msg)
        except WarroomError as exc:
            return core_error_response(exc)
        if result.created:
            self.state.metrics.publishes.labels(channel).inc()
            return FastJSON(result.message, status_code=201)
        return FastJSON(result.message, status_code=200, headers={"Idempotent-Replayed": "true"})


async def _read_body(receive: Receive, headers: dict[str, str], limit: int) -> bytes:
    declared = headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"the request body is over {limit} bytes; send less (the limit is the max_request_bytes setting)"
    )


def _query_token(scope: Scope) -> str | None:
    qs = scope.get("query_string", b"")
    if b"access_token=" not in qs:
        return None
    from urllib.parse import parse_qs

    values = parse_qs(qs.decode("latin-1")).get("access_token")
    return values[0] if values else None
