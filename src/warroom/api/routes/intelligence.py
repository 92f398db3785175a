"""Intelligence: analysis, similar incidents, runbooks, postmortems, follow-ups, stats, digests,
the knowledge base (services, runbooks, change events) and search across everything."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta
from typing import Any

import orjson
from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from warroom.api.auth import principal_of
from warroom.api.responses import FastJSON
from warroom.api.routes.common import core_of
from warroom.errors import InvalidInput, Unauthorized
from warroom.identity.models import Principal
from warroom.intelligence.door import IntelDoor
from warroom.timeutil import parse_time, utcnow

router = APIRouter(prefix="/api", tags=["intelligence"])


def intel(request: Request) -> IntelDoor:
    return core_of(request).intel_door


def _since(value: str | None, default: timedelta, field: str = "since") -> datetime:
    try:
        return parse_time(value) if value else utcnow() - default
    except ValueError as exc:
        raise InvalidInput(str(exc), field=field) from None


class Markdown(BaseModel):
    model_config = ConfigDict(extra="forbid")
    markdown: str = Field(min_length=1, max_length=200_000)


class FollowupCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1, max_length=500)
    owner: str | None = Field(default=None, max_length=200)


class FollowupUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    state: str | None = Field(default=None, description="open, done or dropped")
    owner: str | None = None


class ChangeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: str = Field(default="deploy", description="deploy, config, feature_flag or other")
    service: str = Field(min_length=1, max_length=100)
    version: str | None = Field(default=None, max_length=200)
    description: str = Field(default="", max_length=5000)
    author: str | None = Field(default=None, max_length=200)
    url: str | None = Field(default=None, max_length=1000)
    at: datetime | None = None
    external_id: str | None = Field(default=None, max_length=200, description="makes retries idempotent")


@router.post("/incidents/{ref}/analysis")
async def analyse(
    ref: str,
    request: Request,
    force: bool = Query(False, description="store a new version even if nothing changed"),
    p: Principal = Depends(principal_of),
) -> Any:
    """Run the analysis now (it also runs on its own on trigger and on new facts). An analysis
    equal to the stored one comes back with `unchanged: true` and is not stored again."""
    return FastJSON(await intel(request).analyse(p, ref, force=force))


@router.get("/incidents/{ref}/analysis")
async def get_analysis(
    ref: str, request: Request, version: int | None = None, p: Principal = Depends(principal_of)
) -> Any:
    return FastJSON(await intel(request).analysis(p, ref, version))


@router.get("/incidents/{ref}/similar")
async def similar(ref: str, request: Request, p: Principal = Depends(principal_of)) -> Any:
    return {"incident": ref, "similar": await intel(request).similar(p, ref)}


@router.get("/incidents/{ref}/runbooks")
async def incident_runbooks(ref: str, request: Request, p: Principal = Depends(principal_of)) -> Any:
    return {"incident": ref, "runbooks": await intel(request).runbooks_for(p, ref)}


@router.post("/incidents/{ref}/postmortem", status_code=201)
async def generate_postmortem(ref: str, request: Request, p: Principal = Depends(principal_of)) -> Any:
    return FastJSON(await intel(request).generate_postmortem(p, ref), status_code=201)


@router.get("/incidents/{ref}/postmortem")
async def get_postmortem(
    ref: str,
    request: Request,
    version: int | None = None,
    format: str = Query("json", description="json or markdown"),
    p: Principal = Depends(principal_of),
) -> Any:
    pm = await intel(request).postmortem(p, ref, version)
    if format == "markdown":
        return Response(
            pm["markdown"],
            media_type="text/markdown; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{pm["incident"]}-postmortem.md"'},
        )
    return FastJSON(pm)


@router.put("/incidents/{ref}/postmortem")
async def edit_postmortem(
    ref: str, body: Markdown, request: Request, p: Principal = Depends(principal_of)
) -> Any:
    return FastJSON(await intel(request).edit_postmortem(p, ref, body.markdown))


@router.get("/incidents/{ref}/followups")
async def list_followups(ref: str, request: Request, p: Principal = Depends(principal_of)) -> Any:
    return {"followups": await intel(request).followups(p, ref)}


@router.post("/incidents/{ref}/followups", status_code=201)
async def add_followup(
    ref: str, body: FollowupCreate, request: Request, p: Principal = Depends(principal_of)
) -> Any:
    return await intel(request).add_followup(p, ref, body.title, body.owner)


@router.patch("/followups/{followup_id}")
async def update_followup(
    followup_id: str, body: FollowupUpdate, request: Request, p: Principal = Depends(principal_of)
) -> Any:
    return await intel(request).update_followup(p, followup_id, state=body.state, owner=body.owner)


@router.get("/incidents/{ref}/summary")
async def incident_summary(ref: str, request: Request, p: Principal = Depends(principal_of)) -> Any:
    return FastJSON(await intel(request).incident_digest(p, ref))


@router.get("/digest")
async def digest(
    request: Request,
    channel: str | None = None,
    since: str | None = Query(None, description="default 12h: what happened tonight?"),
    p: Principal = Depends(principal_of),
) -> Any:
    return FastJSON(await intel(request).channel_digest(p, channel, _since(since, timedelta(hours=12))))


@router.get("/stats")
async def stats(
    request: Request,
    since: str | None = Query(None, description="default 30d"),
    until: str | None = None,
    period: str = Query("week", description="day, week or month"),
    p: Principal = Depends(principal_of),
) -> Any:
    try:
        until_dt = parse_time(until) if until else None
    except ValueError as exc:
        raise InvalidInput(str(exc), field="until") from None
    return FastJSON(
        await intel(request).stats(p, since=_since(since, timedelta(days=30)), until=until_dt, period=period)
    )


@router.get("/search")
async def search_all(
    request: Request,
    q: str = Query(min_length=1, max_length=500),
    limit: int = Query(20, ge=1, le=100),
    p: Principal = Depends(principal_of),
) -> Any:
    """Search incidents, messages, runbooks and services at once."""
    return FastJSON(await intel(request).search_all(p, q, limit))


# -- knowledge base ---------------------------------------------------------------------------


@router.get("/services")
async def list_services(request: Request, p: Principal = Depends(principal_of)) -> Any:
    return {"services": await intel(request).services()}


@router.put("/services/{service_id}")
async def put_service(
    service_id: str, request: Request, body: dict[str, Any], p: Principal = Depends(principal_of)
) -> Any:
    return await intel(request).put_service(p, {**body, "id": service_id})


@router.get("/services/{service_id}")
async def get_service(service_id: str, request: Request, p: Principal = Depends(principal_of)) -> Any:
    return await intel(request).service(service_id)


@router.delete("/services/{service_id}")
async def delete_service(service_id: str, request: Request, p: Principal = Depends(principal_of)) -> Any:
    return await intel(request).delete_service(p, service_id)


@router.get("/runbooks")
async def list_runbooks(request: Request, p: Principal = Depends(principal_of)) -> Any:
    return {"runbooks": await intel(request).runbooks()}


@router.put("/runbooks/{runbook_id}")
async def put_runbook(
    runbook_id: str, request: Request, body: dict[str, Any], p: Principal = Depends(principal_of)
) -> Any:
    return await intel(request).put_runbook(p, {**body, "id": runbook_id})


@router.get("/runbooks/{runbook_id}")
async def get_runbook(runbook_id: str, request: Request, p: Principal = Depends(principal_of)) -> Any:
    return await intel(request).runbook(runbook_id)


@router.delete("/runbooks/{runbook_id}")
async def delete_runbook(runbook_id: str, request: Request, p: Principal = Depends(principal_of)) -> Any:
    return await intel(request).delete_runbook(p, runbook_id)


@router.post("/changes", status_code=201)
async def record_change(body: ChangeIn, request: Request, p: Principal = Depends(principal_of)) -> Any:
    """A change event from any CI: deploys, config changes, feature flags."""
    if body.at is not None and body.at.tzinfo is None:
        raise InvalidInput("at needs a time zone, e.g. 2024-01-12T02:15:00Z", field="at")
    out, created = await intel(request).record_change(p, source="api", **body.model_dump())
    return FastJSON(out, status_code=201 if created else 200)


@router.get("/changes")
async def list_changes(
    request: Request,
    service: str | None = None,
    since: str | None = None,
    limit: int = Query(100, ge=1, le=1000),
    p: Principal = Depends(principal_of),
) -> Any:
    return {
        "changes": await intel(request).changes(
            service=service, since=_since(since, timedelta(days=7)), limit=limit
        )
    }


@router.post("/changes/github")
async def github_deployment(request: Request, p: Principal = Depends(principal_of)) -> Any:
    """GitHub `deployment_status` webhook (authenticate with `?access_token=`; if the
    `github_webhook_secret` setting is set, `X-Hub-Signature-256` must match too)."""
    body = await request.body()
    secret = core_of(request).settings.github_webhook_secret
    if secret:
        want = "sha256=" + hmac.new(secret.get_secret_value().encode(), body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(want, request.headers.get("x-hub-signature-256", "")):
            raise Unauthorized(
                "X-Hub-Signature-256 does not match the body and the github_webhook_secret setting"
            )
    event = request.headers.get("x-github-event", "deployment_status")
    if event == "ping":
        return {"status": "pong"}
    try:
        doc = orjson.loads(body)
        ds, dep, repo = doc["deployment_status"], doc["deployment"], doc["repository"]
        state = str(ds["state"])
    except (orjson.JSONDecodeError, KeyError, TypeError) as exc:
        raise InvalidInput(f"not a GitHub deployment_status payload (missing {exc})", field="body") from None
    if state != "success":
        return FastJSON(
            {"status": "ignored", "reason": f"deployment state {state!r} is not a completed deploy"}
        )
    at = parse_time(str(ds.get("created_at") or dep.get("created_at") or utcnow().isoformat()))
    out, created = await intel(request).record_change(
        p,
        kind="deploy",
        service=str(repo.get("name")),
        version=str(dep.get("ref") or dep.get("sha", "")[:12]),
        description=str(dep.get("description") or ds.get("description") or ""),
        author=str((doc.get("sender") or {}).get("login") or "") or None,
        source="github",
        url=ds.get("target_url"),
        at=at,
        external_id=f"github:{ds.get('id')}",
        data={
            "environment": ds.get("environment"),
            "sha": dep.get("sha"),
            "repository": repo.get("full_name"),
        },
    )
    return FastJSON(out, status_code=201 if created else 200)
