"""Resolving the principal at the door: bearer token, dashboard session cookie (with CSRF
checks on writes), or the local principal on loopback."""

from __future__ import annotations

import time
from typing import Protocol
from urllib.parse import urlsplit

from fastapi import Request, WebSocket
from starlette.requests import HTTPConnection

from warroom.core import Core
from warroom.errors import Forbidden, Unauthorized
from warroom.identity.models import LOCAL, Principal

HAS_TOKENS_TTL = 2.0
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CSRF_MISSING = (
    "this request is authenticated by the dashboard session cookie but lacks a valid X-CSRF-Token "
    "header; send the csrf value from GET /auth/session as X-CSRF-Token, or use a bearer token"
)


class CookieSessions(Protocol):
    """The dashboard's sessions (warroom.web.session), seen from the REST door."""

    cookie_name: str

    async def principal(self, cookie: str) -> Principal: ...

    def csrf_ok(self, cookie: str, header: str | None) -> bool: ...


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


async def session_principal(conn: HTTPConnection, method: str | None) -> Principal | None:
    """The principal of a dashboard session cookie, or None when there is no cookie.

    Used only when no bearer token came. Writes need the session's CSRF token; WebSockets
    (method None) need a same-origin Origin, as browsers send cookies on cross-site handshakes.
    """
    sessions: CookieSessions | None = getattr(conn.app.state, "sessions", None)
    cookie = conn.cookies.get(sessions.cookie_name) if sessions is not None else None
    if sessions is None or not cookie:
        return None
    auth: Authenticator = conn.app.state.auth
    try:
        p = await sessions.principal(cookie)
    except Unauthorized:
        if await auth.local_allowed():  # a stale cookie on a local server: the local user
            return LOCAL
        raise
    if method is None:
        origin = conn.headers.get("origin")
        if origin and urlsplit(origin).netloc != conn.headers.get("host"):
            raise Forbidden("a cookie-authenticated WebSocket must come from the dashboard's own origin")
    elif method.upper() in UNSAFE_METHODS and not sessions.csrf_ok(cookie, conn.headers.get("x-csrf-token")):
        raise Forbidden(CSRF_MISSING)
    return p


async def principal_of(request: Request) -> Principal:
    auth: Authenticator = request.app.state.auth
    authorization = request.headers.get("authorization")
    query_token = request.query_params.get("access_token")
    p = None if authorization or query_token else await session_principal(request, request.method)
    if p is None:
        p = await auth.resolve(authorization, query_token)
    if p.token_id is not None:
        request.app.state.rate_limiter.check(p.token_id)
    request.state.principal = p
    return p


async def principal_of_ws(ws: WebSocket) -> Principal:
    auth: Authenticator = ws.app.state.auth
    authorization = ws.headers.get("authorization")
    query_token = ws.query_params.get("access_token")
    p = None if authorization or query_token else await session_principal(ws, None)
    return p or await auth.resolve(authorization, query_token)
