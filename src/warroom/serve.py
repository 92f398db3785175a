"""Running the server: start-up checks, then uvicorn."""

from __future__ import annotations

import gc
import logging
import sys

import uvicorn

from warroom.api.app import create_app
from warroom.config import ConfigError, Settings
from warroom.core import Core

log = logging.getLogger("warroom")


def check_exposure(settings: Settings, core: Core) -> str:
    """Refuse to expose a server with no tokens; say which auth mode is in force."""
    core.migrate()
    tokens = core.db.read_sync(core.identity.count_unrevoked_tokens)
    if settings.is_loopback:
        if tokens:
            return f"bound to loopback {settings.host}; {_token_count(core, tokens)}: bearer tokens required"
        return (
            f"bound to loopback {settings.host} with no tokens: requests without a token act as the "
            "local admin principal. Create a token (`warroom token create`) to require auth"
        )
    if tokens:
        return f"bound to {settings.host}; {_token_count(core, tokens)}: bearer tokens required"
    if not settings.insecure:
        raise ConfigError(
            f"refusing to bind {settings.host} with no API tokens: anyone could act as admin. "
            "Create one first (`warroom token create --db --principal you --admin`) or pass --insecure"
        )
    return f"INSECURE: bound to {settings.host} with no tokens; every request acts as the local admin"


def _token_count(core: Core, unrevoked: int) -> str:
    active = core.db.read_sync(core.identity.count_active_tokens)
    expired = unrevoked - active
    return f"{active} active token(s)" + (f", {expired} expired (revoke or replace them)" if expired else "")


# The event loop and the writer thread hand the GIL back and forth on every request. With
# CPython's default 5 ms switch interval each handoff can stall a request for up to 5 ms
# (a convoy); 0.5 ms keeps publish latency near its CPU cost.
GIL_SWITCH_INTERVAL = 0.0005


# Ingesting a webhook allocates thousands of short-lived containers (each alert's labels,
# annotations, raw copy), so the cyclic garbage collector ran about fifty times a second,
# and every full collection walked the ~200k objects start-up leaves behind (modules, the
# app, its schemas): 220 ms a pass, 7.8% of the server's CPU in the ingestion benchmark, and
# a stall for whatever request was in flight. Those objects are frozen (never scanned; they
# live as long as the process anyway), and a young collection waits for 10,000 new
# containers rather than 700, which most requests have freed by then: GC fell to 0.3% of
# the server's CPU.
GC_YOUNG_THRESHOLD = 10_000


def _settle_garbage_collector() -> None:
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(GC_YOUNG_THRESHOLD, middle, old)


def serve(settings: Settings) -> None:
    sys.setswitchinterval(GIL_SWITCH_INTERVAL)
    core = Core(settings)
    mode = check_exposure(settings, core)
    log.warning("%s", mode) if "INSECURE" in mode else log.info("%s", mode)
    log.info("store: %s", core.db.dialect)
    app = create_app(settings, core)
    _settle_garbage_collector()
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level.lower(),
        access_log=False,
        proxy_headers=False,
        lifespan="on",
    )
