"""Durable subscriptions, unread and mark-read."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field, field_validator

from warroom.api.auth import principal_of
from warroom.api.routes.common import core_of
from warroom.errors import InvalidInput
from warroom.identity.models import Principal
from warroom.messages.filters import build_filter
from warroom.messages.models import MAX_ID, reject_nul
from warroom.priority import PriorityError

router = APIRouter(prefix="/api", tags=["subscriptions"])


class SubscriptionFilters(BaseModel):
    model_config = ConfigDict(extra="forbid")
    priorities: list[str] | None = None
    min_priority: str | None = None
    tags: list[str] | None = Field(default=None, description="any of these tags")
    tags_all: list[str] | None = None
    themes: list[str] | None = None
    senders: list[str] | None = None
    threads: list[str] | None = None

    @field_validator("*")
    @classmethod
    def _no_nul(cls, v: Any) -> Any:
        return reject_nul(v)


class SubscriptionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    channel: str
    filters: SubscriptionFilters = Field(default_factory=SubscriptionFilters)
    delivery: list[str] | None = Field(
        default=None,
        max_length=20,
        description="Your contact method ids (cm_…) that matching messages page; [] stops paging",
    )


class MarkRead(BaseModel):
    model_config = ConfigDict(extra="forbid")
    up_to: int | None = Field(default=None, ge=0, le=MAX_ID, description="message id; default the newest")


@router.post("/subscriptions", status_code=201)
async def subscribe(body: SubscriptionCreate, request: Request, p: Principal = Depends(principal_of)) -> Any:
    fl = body.filters
    try:
        f = build_filter(
            priorities=fl.priorities,
            min_priority=fl.min_priority,
            tags=fl.tags,
            tags_all=fl.tags_all,
            themes=fl.themes,
            senders=fl.senders,
            threads=fl.threads,
        )
    except PriorityError as exc:
        raise InvalidInput(str(exc), field="filters.priorities") from None
    return await core_of(request).subscribe(p, body.channel, f, delivery=body.delivery)


@router.get("/subscriptions")
async def list_subscriptions(request: Request, p: Principal = Depends(principal_of)) -> Any:
    return {"subscriptions": await core_of(request).list_subscriptions(p)}


@router.delete("/subscriptions/{sub_id}")
async def unsubscribe(sub_id: str, request: Request, p: Principal = Depends(principal_of)) -> Any:
    return {"removed": await core_of(request).unsubscribe(p, sub_id=sub_id)}


@router.get("/subscriptions/{sub_id}/unread")
async def unread_one(
    sub_id: str, request: Request, limit: int = Query(100, ge=1, le=500), p: Principal = Depends(principal_of)
) -> Any:
    return await core_of(request).unread(p, sub_id=sub_id, limit=limit)


@router.get("/unread")
async def unread_all(
    request: Request, limit: int = Query(100, ge=1, le=500), p: Principal = Depends(principal_of)
) -> Any:
    return await core_of(request).unread(p, limit=limit)


@router.post("/subscriptions/{sub_id}/read")
async def mark_read(
    sub_id: str, request: Request, body: MarkRead | None = None, p: Principal = Depends(principal_of)
) -> Any:
    return await core_of(request).mark_read(p, sub_id, up_to=body.up_to if body else None)
