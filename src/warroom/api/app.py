"""The ASGI application: every door that speaks HTTP, over one Core."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI

from warroom import __version__
from warroom.api import errors
from warroom.api.auth import Authenticator
from warroom.api.fastpath import PublishFastPath
from warroom.api.limits import BodyLimit, RateLimiter
from warroom.api.metrics import LatencyMiddleware, Metrics
from warroom.api.routes import (
    alerts,
    channels,
    identity,
    incidents,
    intelligence,
    messages,
    ops,
    paging,
    streams,
    subscriptions,
)
from warroom.config import Settings
from warroom.core import Core

log = logging.getLogger("warroom")

DESCRIPTION = """An incident war room for on-call teams and their AI assistants.

Authenticate with `Authorization: Bearer <token>` (create tokens with `warroom token create`).
Errors are JSON: `{"error": {"code", "message", "field"}}`, where the message says how to fix it.
"""


def create_app(settings: Settings, core: Core | None = None) -> Any:
    core = core or Core(settings)

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await core.start()
        async with contextlib.AsyncExitStack() as stack:
            for hook in app.state.lifespan_hooks:
                await stack.enter_async_context(hook())
            yield
        await core.stop()

    app = FastAPI(
        title="warroom",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.core = core
    app.state.settings = settings
    app.state.auth = Authenticator(core)
    app.state.rate_limiter = RateLimiter(settings.rate_limit_per_second, settings.rate_limit_burst)
    app.state.metrics = Metrics()
    app.state.lifespan_hooks = []
    errors.install(app)
    for module in (
        ops,
        channels,
        messages,
        subscriptions,
        streams,
        identity,
        incidents,
        alerts,
        paging,
        intelligence,
    ):
        app.include_router(module.router)
    from warroom.mcp.http import mount as mount_mcp

    mount_mcp(app, core, settings)  # Streamable HTTP at /mcp, both protocol eras
    from warroom.web import mount as mount_web

    mount_web(app, core, settings)  # the dashboard at /, sign-in at /auth/*
    wrapped: Any = BodyLimit(app, settings.max_request_bytes)
    wrapped = LatencyMiddleware(wrapped, app.state.metrics)
    wrapped = PublishFastPath(wrapped, app.state)
    wrapped.fastapi = app  # tests and other doors reach the app behind the middleware
    return wrapped
