"""Publishing and reading: messages, history, search and threads."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Header, Path, Query, Request

from warroom.api.auth import principal_of
from warroom.api.responses import FastJSON
from warroom.api.routes.common import FilterParams, core_of, csv
from warroom.identity.models import Principal
from warroom.messages.models import MAX_ID, MessageIn

router = APIRouter(prefix="/api", tags=["messages"])


@router.post("/channels/{channel}/messages", status_code=201)
async def publish(
    channel: str,
    body: MessageIn,
    request: Request,
    idempotency_key: str | None = Header(None, max_length=200),
    p: Principal = Depends(principal_of),
) -> Any:
    """Publish a message. A retry with the same Idempotency-Key returns the first result (200)."""
    if idempotency_key and not body.idempotency_key:
        body = body.model_copy(update={"idempotency_key": idempotency_key})
    core = core_of(request)
    result = await core.publish(p, channel, body)
    if result.created:
        request.app.state.metrics.publishes.labels(channel).inc()
        return FastJSON(result.message, status_code=201)
    return FastJSON(result.message, status_code=200, headers={"Idempotent-Replayed": "true"})


@router.get("/channels/{channel}/messages")
async def channel_history(
    channel: str,
    request: Request,
    filters: FilterParams = Depends(),
    before: int | None = Query(None, ge=0, le=MAX_ID, description="page to messages older than this id"),
    after: int | None = Query(None, ge=0, le=MAX_ID, description="page to messages newer than this id"),
    limit: int = Query(50, ge=1, le=500),
    p: Principal = Depends(principal_of),
) -> Any:
    page = await core_of(request).history(
        p, [channel], filters.build(), before=before, after=after, limit=limit
    )
    return FastJSON(page)


@router.get("/messages")
async def search(
    request: Request,
    filters: FilterParams = Depends(),
    channel: list[str] | None = Query(None, description="channels to search; default all you can read"),
    before: int | None = Query(None, ge=0, le=MAX_ID),
    after: int | None = Query(None, ge=0, le=MAX_ID),
    limit: int = Query(50, ge=1, le=500),
    p: Principal = Depends(principal_of),
) -> Any:
    """Search and filter across channels (full text with `q`)."""
    page = await core_of(request).history(
        p, csv(channel), filters.build(), before=before, after=after, limit=limit
    )
    return FastJSON(page)


@router.get("/messages/{message_id}")
async def get_message(
    request: Request, message_id: int = Path(ge=1, le=MAX_ID), p: Principal = Depends(principal_of)
) -> Any:
    return FastJSON(await core_of(request).get_message(p, message_id))


@router.get("/threads/{thread_id}")
async def get_thread(
    thread_id: str,
    request: Request,
    limit: int = Query(500, ge=1, le=2000),
    p: Principal = Depends(principal_of),
) -> Any:
    return FastJSON(await core_of(request).thread(p, thread_id, limit=limit))
