"""Streamable HTTP at `/mcp` on the main server: the same bearer tokens as REST, one endpoint
for both protocol eras, Origin/Host validation against DNS rebinding."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
from mcp.server.auth.provider import AccessToken
from mcp.server.streamable_http_manager import StreamableHTTPASGIApp
from mcp.server.transport_security import TransportSecuritySettings
from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from warroom.api.auth import Authenticator
from warroom.api.limits import RateLimiter
from warroom.api.responses import error_body
from warroom.config import Settings
from warroom.core import Core
from warroom.errors import RateLimited, Unauthorized
from warroom.mcp.identity import REQUEST_PRINCIPAL
from warroom.mcp.server import WarroomMCP, build_server

PATH = "/mcp"
LOOPBACK_HOSTS = ["127.0.0.1:*", "localhost:*", "[::1]:*", "127.0.0.1", "localhost"]
LOOPBACK_ORIGINS = ["http://127.0.0.1:*", "http://localhost:*", "http://[::1]:*"]


def transport_security(settings: Settings) -> TransportSecuritySettings:
    """Loopback always; plus the configured hosts/origins and the public URL's."""
    hosts = [*LOOPBACK_HOSTS, *settings.mcp_allowed_hosts]
    origins = [*LOOPBACK_ORIGINS, *settings.mcp_allowed_origins]
    if settings.host not in ("0.0.0.0", "::", "") and not settings.is_loopback:
        hosts += [settings.host, f"{settings.host}:*"]
    if settings.public_url:
        u = urlsplit(settings.public_url)
        if u.netloc:
            hosts.append(u.netloc)
            origins.append(f"{u.scheme}://{u.netloc}")
    if "*" in hosts:
        # An operator who lists "*" runs behind a proxy that checks Host itself.
        return TransportSecuritySettings(enable_dns_rebinding_protection=False)
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True, allowed_hosts=hosts, allowed_origins=origins
    )


class BearerAuth:
    """Pure ASGI: resolve the principal as REST does, or answer 401 with WWW-Authenticate."""

    def __init__(self, app: ASGIApp, auth: Authenticator, limiter: RateLimiter) -> None:
        self.app = app
        self.auth = auth
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        authorization = Headers(scope=scope).get("authorization")
        try:
            p = await self.auth.resolve(authorization, None)
            if p.token_id is not None:
                self.limiter.check(p.token_id)
        except Unauthorized as exc:
            challenge = 'Bearer realm="warroom"'
            if authorization:
                challenge += ', error="invalid_token"'
            body = error_body(exc.code, exc.message)
            await JSONResponse(body, status_code=401, headers={"WWW-Authenticate": challenge})(
                scope, receive, send
            )
            return
        except RateLimited as exc:
            headers = {"Retry-After": str(max(1, int(exc.retry_after + 0.999)))}
            await JSONResponse(error_body(exc.code, exc.message), status_code=429, headers=headers)(
                scope, receive, send
            )
            return
        scope.setdefault("state", {})["principal"] = p
        # Binds a 2025 stateful session to its principal: another identity gets 404 on it.
        token = authorization.partition(" ")[2].strip() if authorization else "local"
        scope["user"] = AuthenticatedUser(
            AccessToken(token=token, client_id=p.id, scopes=sorted(str(s) for s in p.scopes))
        )
        reset = REQUEST_PRINCIPAL.set(p)
        try:
            await self.app(scope, receive, send)
        finally:
            REQUEST_PRINCIPAL.reset(reset)


def mount(app: Any, core: Core, settings: Settings) -> WarroomMCP:
    """Serve MCP at /mcp on the FastAPI `app`; the session manager runs in the app's lifespan."""
    server = build_server(core)
    server.streamable_http_app(
        streamable_http_path=PATH,
        transport_security=transport_security(settings),
        stateless_http=False,
        json_response=True,
        host=settings.host,
    )
    handler = BearerAuth(
        StreamableHTTPASGIApp(server.session_manager), app.state.auth, app.state.rate_limiter
    )
    # First in line: FastAPI matches routes in order, and trying every REST route before
    # this one cost more than the rest of a small tool call.
    app.router.routes.insert(0, Route(PATH, endpoint=handler, methods=["GET", "POST", "DELETE"]))
    app.state.lifespan_hooks.append(server.session_manager.run)
    app.state.mcp = server
    return server
