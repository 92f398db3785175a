"""Paging: people, contact methods, schedules, on call, policies, routes, pages, deliveries."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from warroom.api.auth import principal_of
from warroom.api.routes.common import core_of
from warroom.core import PagingDoor
from warroom.errors import InvalidInput
from warroom.identity.models import Principal
from warroom.timeutil import parse_time, utcnow

router = APIRouter(prefix="/api", tags=["paging"])


def pager(request: Request) -> PagingDoor:
    return core_of(request).pager


def _time(value: str | None, default: datetime, field: str) -> datetime:
    if not value:
        return default
    try:
        return parse_time(value)
    except ValueError as exc:
        raise InvalidInput(str(exc), field=field) from None


class UserUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=320)
    time_zone: str | None = Field(default=None, description="IANA name, e.g. Europe/Berlin")
    rules: dict[str, Any] | None = Field(
        default=None,
        description='{"important": [{"contact_method_id": "cm_…", "delay": 0}, {"contact_method_id": "cm_…", '
        '"delay": 120}], "other": [...], "important_priorities": ["critical"]} (delays in seconds)',
    )


class ContactCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: str = Field(
        description="apprise (slack://, ntfy://, mailto://, msteams:// …), webhook, pagerduty, opsgenie"
    )
    target: str = Field(
        min_length=1, max_length=2000, description="Apprise URL, webhook URL, routing key or API key"
    )
    label: str = Field(default="", max_length=200)


class SchedulePut(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    layers: list[dict[str, Any]] = Field(min_length=1)


class OverrideCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    user: str
    start: datetime
    end: datetime


class PolicyPut(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    levels: list[dict[str, Any]] = Field(
        min_length=1,
        description='[{"targets": [{"kind": "schedule", "id": "sre"}], "delay": 300}, …] (delay in seconds)',
    )
    repeat: int = Field(default=0, ge=0, le=10)


class RouteCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    service: str | None = None
    integration: str | None = None
    channel: str | None = None
    severities: list[str] | None = None


class PageRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1, max_length=200)
    body: str = Field(default="", max_length=10000)
    priority: str = "high"
    incident: str | None = None


@router.get("/users")
async def list_users(request: Request, p: Principal = Depends(principal_of)) -> Any:
    return {"users": await pager(request).list_users()}


@router.get("/users/{user_id}")
async def get_user(user_id: str, request: Request, p: Principal = Depends(principal_of)) -> Any:
    return await pager(request).get_user(user_id)


@router.put("/users/{user_id}")
async def put_user(
    user_id: str, body: UserUpdate, request: Request, p: Principal = Depends(principal_of)
) -> Any:
    return await pager(request).set_user(p, user_id, **body.model_dump())


@router.post("/users/{user_id}/contacts", status_code=201)
async def add_contact(
    user_id: str, body: ContactCreate, request: Request, p: Principal = Depends(principal_of)
) -> Any:
    return await pager(request).add_contact(p, user_id, kind=body.kind, target=body.target, label=body.label)


@router.delete("/contacts/{contact_id}")
async def delete_contact(contact_id: str, request: Request, p: Principal = Depends(principal_of)) -> Any:
    return await pager(request).delete_contact(p, contact_id)


@router.post("/contacts/{contact_id}/test", status_code=202)
async def test_contact(contact_id: str, request: Request, p: Principal = Depends(principal_of)) -> Any:
    return await pager(request).test_contact(p, contact_id)


@router.get("/schedules")
async def list_schedules(request: Request, p: Principal = Depends(principal_of)) -> Any:
    return {"schedules": await pager(request).list_schedules()}


@router.put("/schedules/{schedule_id}")
async def put_schedule(
    schedule_id: str, body: SchedulePut, request: Request, p: Principal = Depends(principal_of)
) -> Any:
    return await pager(request).put_schedule(p, schedule_id, name=body.name, layers=body.layers)


@router.get("/schedules/{schedule_id}")
async def get_schedule(schedule_id: str, request: Request, p: Principal = Depends(principal_of)) -> Any:
    return await pager(request).get_schedule(schedule_id)


@router.delete("/schedules/{schedule_id}")
async def delete_schedule(schedule_id: str, request: Request, p: Principal = Depends(principal_of)) -> Any:
    return await pager(request).delete_schedule(p, schedule_id)


@router.post("/schedules/{schedule_id}/overrides", status_code=201)
async def add_override(
    schedule_id: str, body: OverrideCreate, request: Request, p: Principal = Depends(principal_of)
) -> Any:
    return await pager(request).add_override(
        p, schedule_id, user_id=body.user, start=body.start, end=body.end
    )


@router.get("/schedules/{schedule_id}/shifts")
async def shifts(
    schedule_id: str,
    request: Request,
    start: str | None = None,
    end: str | None = None,
    p: Principal = Depends(principal_of),
) -> Any:
    s = _time(start, utcnow(), "start")
    e = _time(end, s + timedelta(days=7), "end")
    return {"schedule": schedule_id, "shifts": await pager(request).shifts(schedule_id, s, e)}


@router.get("/schedules/{schedule_id}/ical")
async def ical(
    schedule_id: str,
    request: Request,
    start: str | None = None,
    end: str | None = None,
    p: Principal = Depends(principal_of),
) -> Response:
    s = _time(start, utcnow() - timedelta(days=7), "start")
    e = _time(end, s + timedelta(days=90), "end")
    text = await pager(request).ical(schedule_id, s, e)
    return Response(text, media_type="text/calendar; charset=utf-8")


@router.get("/oncall")
async def oncall(
    request: Request,
    schedule: str | None = None,
    at: str | None = Query(None, description="ISO time; default now"),
    p: Principal = Depends(principal_of),
) -> Any:
    when = _time(at, utcnow(), "at")
    return {
        "at": when.isoformat().replace("+00:00", "Z"),
        "on_call": await pager(request).on_call(schedule_id=schedule, at=when),
    }


@router.get("/policies")
async def list_policies(request: Request, p: Principal = Depends(principal_of)) -> Any:
    return {"policies": await pager(request).list_policies()}


@router.put("/policies/{policy_id}")
async def put_policy(
    policy_id: str, body: PolicyPut, request: Request, p: Principal = Depends(principal_of)
) -> Any:
    return await pager(request).put_policy(
        p, policy_id, name=body.name, levels=body.levels, repeat=body.repeat
    )


@router.get("/policies/{policy_id}")
async def get_policy(policy_id: str, request: Request, p: Principal = Depends(principal_of)) -> Any:
    return await pager(request).get_policy(policy_id)


@router.delete("/policies/{policy_id}")
async def delete_policy(policy_id: str, request: Request, p: Principal = Depends(principal_of)) -> Any:
    return await pager(request).delete_policy(p, policy_id)


@router.post("/policies/{policy_id}/routes", status_code=201)
async def add_route(
    policy_id: str, body: RouteCreate, request: Request, p: Principal = Depends(principal_of)
) -> Any:
    return await pager(request).add_route(p, policy_id, **body.model_dump())


@router.delete("/routes/{route_id}")
async def delete_route(route_id: str, request: Request, p: Principal = Depends(principal_of)) -> Any:
    return await pager(request).delete_route(p, route_id)


@router.post("/incidents/{ref}/escalate")
async def escalate(ref: str, request: Request, p: Principal = Depends(principal_of)) -> Any:
    return await pager(request).escalate(p, ref)


@router.post("/users/{user_id}/page", status_code=202)
async def page_user(
    user_id: str, body: PageRequest, request: Request, p: Principal = Depends(principal_of)
) -> Any:
    return await pager(request).page_user(
        p, user_id, title=body.title, body=body.body, priority=body.priority, incident=body.incident
    )


@router.get("/deliveries")
async def list_deliveries(
    request: Request,
    state: str | None = Query(
        None, description="queued, sending, sent, failed, gave_up (dead letters), cancelled"
    ),
    incident: str | None = None,
    limit: int = Query(100, ge=1, le=1000),
    p: Principal = Depends(principal_of),
) -> Any:
    return {"deliveries": await pager(request).deliveries(p, state=state, incident=incident, limit=limit)}


@router.post("/deliveries/{delivery_id}/retry")
async def retry_delivery(delivery_id: str, request: Request, p: Principal = Depends(principal_of)) -> Any:
    return await pager(request).retry_delivery(p, delivery_id)
