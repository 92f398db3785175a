"""Resolving the principal at the door: bearer token, or the local principal on loopback."""

from __future__ import annotations

import time

from fastapi import Request, WebSocket

from warroom.core import Core
from warroom.errors import Unauthorized
from warroom.identity.models import LOCAL, Principal

HAS_TOKENS_TTL = 2.0


class Authenticator:
    def __init__(self, core: Core) -> None:
        self.core = core
        self._has_tokens: tuple[float, bool] = (0.0, False)

    async def local_allowed(self) -> bool:
        """Loopback (or --insecure) and no token exists yet: the person at the keyboard."""
        s = self.core.settings
        if not (s.is_loopback or s.insecure):
            return False
        at, value = self._has_tokens
        if time.monotonic() - at > HAS_TOKENS_TTL:
            value = await self.core.has_tokens()
            self._has_tokens = (time.monotonic(), value)
        return not value

    def forget(self) -> None:
        self._has_tokens = (0.0, False)

    async def resolve(self, authorization: str | None, query_token: str | None) -> Principal:
        token = None
        if authorization:
            scheme, _, value = authorization.partition(" ")
            if scheme.lower() != "bearer" or not value.strip():
                raise Unauthorized("the Authorization header must be `Bearer <token>`")
            token = value.strip()
        elif query_token:
            token = query_token
        if token:
            return await self.core.authenticate(token)
        if await self.local_allowed():
            return LOCAL
        raise Unauthorized(
            "a bearer token is required: send `Authorization: Bearer <token>` "
            "(create one with `warroom token create`)"
        )


async def principal_of(request: Request) -> Principal:
    auth: Authenticator = request.app.state.auth
    p = await auth.resolve(request.headers.get("authorization"), request.query_params.get("access_token"))
    if p.token_id is not None:
        request.app.state.rate_limiter.check(p.token_id)
    request.state.principal = p
    return p


async def principal_of_ws(ws: WebSocket) -> Principal:
    auth: Authenticator = ws.app.state.auth
    return await auth.resolve(ws.headers.get("authorization"), ws.query_params.get("access_token"))
