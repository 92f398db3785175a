"""Incidents: list, show, timeline, declare, lifecycle moves, notes, assign, severity, merge."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from warroom.api.auth import principal_of
from warroom.api.responses import FastJSON
from warroom.api.routes.common import core_of, csv
from warroom.errors import InvalidInput
from warroom.identity.models import Principal
from warroom.timeutil import parse_time

router = APIRouter(prefix="/api/incidents", tags=["incidents"])


class Declare(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1, max_length=200)
    channel: str = "incidents"
    severity: str = Field(default="P2", description="P0-P3, critical|high|medium|low or 1-5")
    service: str | None = Field(default=None, max_length=200)
    summary: str = Field(default="", max_length=20000)
    thread_id: str | None = Field(default=None, max_length=200)


class Reason(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(default="", max_length=5000)


class StatusChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: str = Field(description="acknowledged, investigating, mitigating or resolved")
    reason: str = Field(default="", max_length=5000)


class Note(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=20000)


class Assign(BaseModel):
    model_config = ConfigDict(extra="forbid")
    owner: str | None = Field(default=None, max_length=200)
    commander: str | None = Field(default=None, max_length=200)


class Severity(BaseModel):
    model_config = ConfigDict(extra="forbid")
    severity: str
    reason: str = Field(default="", max_length=5000)


class Merge(BaseModel):
    model_config = ConfigDict(extra="forbid")
    into: str = Field(description="the incident that stays, e.g. INC-41")


@router.get("")
async def list_incidents(
    request: Request,
    status: str = Query("open", description="open (default), all, or statuses like acknowledged,mitigating"),
    severity: list[str] | None = Query(None, description="e.g. P0,P1"),
    service: str | None = None,
    channel: str | None = None,
    since: str | None = Query(None, description="24h, 7d or an ISO time (trigger time)"),
    until: str | None = None,
    limit: int = Query(50, ge=1, le=500),
    before: int | None = Query(None, description="incident number to page before"),
    p: Principal = Depends(principal_of),
) -> Any:
    try:
        since_dt = parse_time(since) if since else None
        until_dt = parse_time(until) if until else None
    except ValueError as exc:
        raise InvalidInput(str(exc), field="since") from None
    page = await core_of(request).list_incidents(
        p,
        status=status,
        severity=csv(severity),
        service=service,
        channel=channel,
        since=since_dt,
        until=until_dt,
        limit=limit,
        before=before,
    )
    return FastJSON(page)


@router.post("", status_code=201)
async def declare(body: Declare, request: Request, p: Principal = Depends(principal_of)) -> Any:
    return await core_of(request).declare_incident(
        p,
        title=body.title,
        channel=body.channel,
        severity=body.severity,
        service=body.service,
        summary=body.summary,
        thread_id=body.thread_id,
    )


@router.get("/{ref}")
async def get_incident(ref: str, request: Request, p: Principal = Depends(principal_of)) -> Any:
    return FastJSON(await core_of(request).get_incident(p, ref))


@router.get("/{ref}/timeline")
async def timeline(ref: str, request: Request, p: Principal = Depends(principal_of)) -> Any:
    return FastJSON(await core_of(request).incident_timeline(p, ref))


@router.post("/{ref}/acknowledge")
async def acknowledge(
    ref: str, request: Request, body: Reason | None = None, p: Principal = Depends(principal_of)
) -> Any:
    return await core_of(request).set_incident_status(
        p, ref, "acknowledged", reason=body.reason if body else ""
    )


@router.post("/{ref}/resolve")
async def resolve(
    ref: str, request: Request, body: Reason | None = None, p: Principal = Depends(principal_of)
) -> Any:
    return await core_of(request).set_incident_status(p, ref, "resolved", reason=body.reason if body else "")


@router.post("/{ref}/reopen")
async def reopen(
    ref: str, request: Request, body: Reason | None = None, p: Principal = Depends(principal_of)
) -> Any:
    return await core_of(request).reopen_incident(p, ref, reason=body.reason if body else "")


@router.post("/{ref}/status")
async def set_status(
    ref: str, body: StatusChange, request: Request, p: Principal = Depends(principal_of)
) -> Any:
    return await core_of(request).set_incident_status(p, ref, body.status, reason=body.reason)


@router.post("/{ref}/notes", status_code=201)
async def add_note(ref: str, body: Note, request: Request, p: Principal = Depends(principal_of)) -> Any:
    return FastJSON(await core_of(request).add_incident_note(p, ref, body.text), status_code=201)


@router.post("/{ref}/assign")
async def assign(ref: str, body: Assign, request: Request, p: Principal = Depends(principal_of)) -> Any:
    return await core_of(request).assign_incident(p, ref, owner=body.owner, commander=body.commander)


@router.post("/{ref}/severity")
async def severity(ref: str, body: Severity, request: Request, p: Principal = Depends(principal_of)) -> Any:
    return await core_of(request).set_incident_severity(p, ref, body.severity, reason=body.reason)


@router.post("/{ref}/merge")
async def merge(ref: str, body: Merge, request: Request, p: Principal = Depends(principal_of)) -> Any:
    return await core_of(request).merge_incidents(p, ref, body.into)
