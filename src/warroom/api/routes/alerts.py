"""Alert intake: webhooks, integrations and silences."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from warroom.alerts.integrations import IntegrationSettings
from warroom.alerts.normalizers import DATADOG_TEMPLATE
from warroom.api.auth import principal_of
from warroom.api.responses import FastJSON
from warroom.api.routes.common import core_of
from warroom.errors import InvalidInput
from warroom.identity.models import Principal
from warroom.timeutil import parse_span, parse_time, utcnow

router = APIRouter(prefix="/api", tags=["alerts"])


@router.post("/webhooks/{integration}")
async def webhook(integration: str, request: Request, token: str | None = Query(None)) -> Any:
    """Receive a monitoring tool's webhook. Authenticated by the integration's secret
    (bearer, `?token=`) or the source's HMAC signature; idempotent on `X-Webhook-Id`."""
    body = await request.body()
    headers = {k.lower(): v for k, v in request.headers.items()}
    delivery = headers.get("x-webhook-id") or headers.get("idempotency-key")
    result, replayed = await core_of(request).receive_webhook(
        integration, body, headers, query_token=token, delivery_id=delivery
    )
    return FastJSON(
        {"status": "duplicate" if replayed else "accepted", **result}, status_code=200 if replayed else 202
    )


class IntegrationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(max_length=64)
    source: str = Field(description="alertmanager, grafana, pagerduty, datadog, opsgenie or generic")
    channel: str = "incidents"
    config: IntegrationSettings = Field(default_factory=IntegrationSettings)


@router.post("/integrations", status_code=201)
async def create_integration(
    body: IntegrationCreate, request: Request, p: Principal = Depends(principal_of)
) -> Any:
    return await core_of(request).create_integration(
        p, name=body.name, source=body.source, channel=body.channel, settings=body.config
    )


@router.get("/integrations")
async def list_integrations(request: Request, p: Principal = Depends(principal_of)) -> Any:
    return {"integrations": await core_of(request).list_integrations(p)}


@router.post("/integrations/{integration}/rotate-secret")
async def rotate(integration: str, request: Request, p: Principal = Depends(principal_of)) -> Any:
    return await core_of(request).rotate_integration_secret(p, integration)


@router.delete("/integrations/{integration}")
async def delete_integration(integration: str, request: Request, p: Principal = Depends(principal_of)) -> Any:
    return await core_of(request).delete_integration(p, integration)


@router.get("/integrations/templates/datadog")
async def datadog_template() -> Any:
    """The JSON body to paste into a Datadog webhook."""
    return {"template": DATADOG_TEMPLATE}


class SilenceCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    matchers: list[str] = Field(
        min_length=1, description='e.g. ["service=\\"user-api\\"", "env=~\\"prod|staging\\""]'
    )
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    duration: str | None = Field(default=None, description="instead of ends_at: 2h, 30m, 1d")
    comment: str = Field(default="", max_length=2000)


@router.post("/silences", status_code=201)
async def create_silence(body: SilenceCreate, request: Request, p: Principal = Depends(principal_of)) -> Any:
    start = body.starts_at or utcnow()
    if start.tzinfo is None:
        raise InvalidInput("starts_at needs a time zone, e.g. 2026-01-12T02:00:00Z", field="starts_at")
    if body.ends_at is not None:
        end = parse_time(body.ends_at)
    elif body.duration:
        span = parse_span(body.duration)
        if span is None:
            raise InvalidInput("duration must look like 30m, 2h or 1d", field="duration")
        end = start + span
    else:
        raise InvalidInput("give ends_at or duration", field="ends_at")
    return await core_of(request).create_silence(
        p, matchers=body.matchers, starts_at=start, ends_at=end, comment=body.comment
    )


@router.get("/silences")
async def list_silences(
    request: Request,
    state: str | None = Query(None, description="active, pending or expired"),
    p: Principal = Depends(principal_of),
) -> Any:
    return {"silences": await core_of(request).list_silences(state)}


@router.delete("/silences/{silence_id}")
async def expire_silence(silence_id: str, request: Request, p: Principal = Depends(principal_of)) -> Any:
    return await core_of(request).expire_silence(p, silence_id)
