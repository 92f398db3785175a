"""The dashboard door: static ES modules and CSS at `/`, sign-in at `/auth/*`.

The pages call the REST API like any client; this module only serves files, exchanges a
token for a session cookie, and puts strict security headers on everything it serves.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, FastAPI, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from warroom.api.auth import Authenticator, session_principal
from warroom.api.responses import FastJSON, error_body
from warroom.config import Settings
from warroom.core import Core
from warroom.errors import Forbidden, InvalidInput, Unauthorized
from warroom.identity.models import Principal
from warroom.web.session import COOKIE_NAME, SessionManager, load_secret

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
]
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".txt": "text/plain; charset=utf-8",
}
DASHBOARD_PREFIXES = ("/static/", "/auth/")


@dataclass(frozen=True)
class Asset:
    body: bytes
    content_type: str
    etag: str


def load_assets() -> dict[str, Asset]:
    """Every file under static/, read once: the dashboard is small and served from memory."""
    out: dict[str, Asset] = {}
    root = resources.files("warroom.web") / "static"

    def walk(node: Any, prefix: str) -> None:
        for child in node.iterdir():
            name = f"{prefix}{child.name}"
            if child.is_dir():
                walk(child, name + "/")
                continue
            suffix = "." + child.name.rsplit(".", 1)[-1]
            if suffix not in CONTENT_TYPES:
                continue
            body = child.read_bytes()
            out[name] = Asset(body, CONTENT_TYPES[suffix], '"' + hashlib.sha256(body).hexdigest()[:20] + '"')

    walk(root, "")
    return out


class SecurityHeaders:
    """Pure ASGI: strict CSP and friends on the dashboard's responses (not on /api or /docs)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not (path == "/" or path.startswith(DASHBOARD_PREFIXES)):
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *SECURITY_HEADERS]
            await send(message)

        await self.app(scope, receive, send_with_headers)


class SignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    token: str = Field(min_length=1, max_length=500)


def principal_view(p: Principal) -> dict[str, Any]:
    return {
        "id": p.id,
        "name": p.name,
        "kind": p.kind,
        "groups": sorted(p.groups),
        "admin": p.acts_as_admin,
        "scopes": sorted(s.value for s in p.scopes),
        "token": p.token_id,
    }


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    return origin is None or urlsplit(origin).netloc == request.headers.get("host")


def _is_https(request: Request, settings: Settings) -> bool:
    return request.url.scheme == "https" or settings.base_url.startswith("https://")


def build_router(core: Core, settings: Settings, sessions: SessionManager) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    assets = load_assets()

    def asset_response(request: Request, name: str) -> Response:
        asset = assets.get(name)
        if asset is None:
            return FastJSON(error_body("not_found", f"no dashboard file {name!r}"), status_code=404)
        headers = {"ETag": asset.etag, "Cache-Control": "no-cache"}
        if hmac.compare_digest(request.headers.get("if-none-match", ""), asset.etag):
            return Response(status_code=304, headers=headers)
        return Response(asset.body, media_type=asset.content_type, headers=headers)

    @router.get("/")
    async def index(request: Request) -> Response:
        return asset_response(request, "index.html")

    @router.get("/static/{name:path}")
    async def static(name: str, request: Request) -> Response:
        return asset_response(request, name)

    @router.get("/auth/session")
    async def current(request: Request) -> Response:
        """Who the dashboard acts as, and the CSRF token its writes must carry."""
        auth: Authenticator = request.app.state.auth
        cookie = request.cookies.get(COOKIE_NAME)
        try:
            p = await session_principal(request, "GET")
        except Unauthorized as exc:
            resp = FastJSON(error_body(exc.code, exc.message), status_code=401)
            resp.delete_cookie(COOKIE_NAME, path="/")
            return resp
        if p is not None and cookie and p.token_id is not None:
            return FastJSON(
                {"mode": "session", "principal": principal_view(p), "csrf": sessions.csrf_token(cookie)}
            )
        if await auth.local_allowed():
            p = await auth.resolve(None, None)
            return FastJSON({"mode": "local", "principal": principal_view(p), "csrf": ""})
        return FastJSON(
            error_body("unauthorized", "sign in with a token (create one with `warroom token create`)"),
            status_code=401,
        )

    @router.post("/auth/session")
    async def sign_in(body: SignIn, request: Request) -> Response:
        """Exchange a token for an HttpOnly, SameSite=Strict session cookie."""
        if not _same_origin(request):
            raise Forbidden("sign in from the dashboard's own origin")
        if not request.headers.get("content-type", "").startswith("application/json"):
            raise InvalidInput('send the token as JSON: {"token": "wr_…"}', field="token")
        p = await core.authenticate(body.token.strip())
        if p.token_id is None:
            raise Unauthorized("this token cannot open a session")
        cookie = sessions.issue(p.token_id)
        resp = FastJSON(
            {"mode": "session", "principal": principal_view(p), "csrf": sessions.csrf_token(cookie)}
        )
        resp.set_cookie(
            COOKIE_NAME,
            cookie,
            max_age=sessions.max_age,
            path="/",
            httponly=True,
            samesite="strict",
            secure=_is_https(request, settings),
        )
        return resp

    @router.post("/auth/logout")
    async def logout(request: Request) -> Response:
        cookie = request.cookies.get(COOKIE_NAME)
        if (
            cookie
            and sessions.token_id_of(cookie)
            and not sessions.csrf_ok(cookie, request.headers.get("x-csrf-token"))
        ):
            raise Forbidden("sign out needs the X-CSRF-Token header from GET /auth/session")
        resp = FastJSON({"signed_out": True})
        resp.delete_cookie(COOKIE_NAME, path="/", httponly=True, samesite="strict")
        return resp

    return router


def mount(app: FastAPI, core: Core, settings: Settings) -> None:
    sessions = SessionManager(core, load_secret(settings.data_dir))
    app.state.sessions = sessions
    app.include_router(build_router(core, settings, sessions))
    app.add_middleware(SecurityHeaders)
