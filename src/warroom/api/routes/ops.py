"""Health, readiness and metrics."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from starlette.responses import Response

from warroom import __version__
from warroom.api.responses import FastJSON, error_body
from warroom.api.routes.common import core_of

router = APIRouter(tags=["operations"])


@router.get("/healthz")
async def healthz() -> Any:
    return {"status": "ok", "version": __version__}


@router.get("/readyz")
async def readyz(request: Request) -> Any:
    core = core_of(request)
    try:
        await core.db.read(lambda c: c.execute(text("SELECT 1")).scalar_one())
    except Exception as exc:
        return FastJSON(
            error_body("not_ready", f"the store does not answer: {type(exc).__name__}"), status_code=503
        )
    return {"status": "ready", "database": core.db.dialect, "last_event_id": core.hub.last_id}


@router.get("/metrics")
async def metrics(request: Request) -> Response:
    return Response(generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST)
