"""Channels: POST/GET /api/channels, GET/PATCH /api/channels/{channel}."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from warroom.api.auth import principal_of
from warroom.api.routes.common import core_of
from warroom.identity.models import Principal

router = APIRouter(prefix="/api/channels", tags=["channels"])


class AclEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    subject: str = Field(description="principal:<id>, group:<name> or *")
    permission: str = Field(description="read, publish or admin")


class ChannelCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(description="slug: lowercase letters, digits and '-'", max_length=64)
    name: str | None = Field(default=None, max_length=200)
    description: str = Field(default="", max_length=2000)
    visibility: str = "public"
    retention_days: int | None = None
    incident_enabled: bool = False
    acl: list[AclEntry] | None = None


class ChannelPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    visibility: str | None = None
    retention_days: int | None = None
    incident_enabled: bool | None = None
    archived: bool | None = None
    acl: list[AclEntry] | None = None


@router.post("", status_code=201)
async def create_channel(body: ChannelCreate, request: Request, p: Principal = Depends(principal_of)) -> Any:
    return await core_of(request).create_channel(
        p,
        body.id,
        name=body.name,
        description=body.description,
        visibility=body.visibility,
        retention_days=body.retention_days,
        incident_enabled=body.incident_enabled,
        acl=[a.model_dump() for a in body.acl] if body.acl else None,
    )


@router.get("")
async def list_channels(
    request: Request, include_archived: bool = False, p: Principal = Depends(principal_of)
) -> Any:
    return {"channels": await core_of(request).list_channels(p, include_archived=include_archived)}


@router.get("/{channel}")
async def get_channel(channel: str, request: Request, p: Principal = Depends(principal_of)) -> Any:
    return await core_of(request).get_channel(p, channel)


@router.patch("/{channel}")
async def update_channel(
    channel: str, body: ChannelPatch, request: Request, p: Principal = Depends(principal_of)
) -> Any:
    patch = body.model_dump(exclude_unset=True)
    if body.acl is not None:
        patch["acl"] = [a.model_dump() for a in body.acl]
    return await core_of(request).update_channel(p, channel, patch)


@router.post("/{channel}/archive")
async def archive_channel(channel: str, request: Request, p: Principal = Depends(principal_of)) -> Any:
    return await core_of(request).update_channel(p, channel, {"archived": True})
