"""Tokens and principals: /api/tokens, /api/principals, /api/me."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from warroom.api.auth import principal_of
from warroom.api.routes.common import core_of
from warroom.errors import Forbidden, InvalidInput
from warroom.identity.models import DEFAULT_SCOPES, Principal, Scope

router = APIRouter(prefix="/api", tags=["identity"])


def require_admin(p: Principal) -> None:
    if not p.acts_as_admin:
        raise Forbidden(
            "this needs an admin token; ask an admin, or use `warroom token create --db` on the server"
        )


class TokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    principal: str = Field(description="principal id the token acts as (created if new)")
    name: str = Field(default="token", max_length=200)
    principal_name: str | None = Field(default=None, max_length=200)
    scopes: list[str] = Field(default_factory=lambda: sorted(s.value for s in DEFAULT_SCOPES))
    expires_at: datetime | None = None
    admin: bool = Field(default=False, description="make the principal an admin")


class PrincipalUpsert(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    name: str | None = None
    kind: str = "user"
    groups: list[str] | None = None
    admin: bool = False
    role: str | None = None
    ai_tool: str | None = None
    email: str | None = None


@router.get("/me")
async def me(p: Principal = Depends(principal_of)) -> Any:
    return {
        "id": p.id,
        "name": p.name,
        "kind": p.kind,
        "groups": sorted(p.groups),
        "admin": p.is_admin,
        "scopes": sorted(s.value for s in p.scopes),
        "role": p.role,
        "ai_tool": p.ai_tool,
        "token": p.token_id,
    }


@router.post("/tokens", status_code=201)
async def create_token(body: TokenCreate, request: Request, p: Principal = Depends(principal_of)) -> Any:
    require_admin(p)
    try:
        scopes = frozenset(Scope(s) for s in body.scopes)
    except ValueError:
        raise InvalidInput("scopes must be among read, publish, admin", field="scopes") from None
    expires = body.expires_at
    if expires is not None and expires.tzinfo is None:
        raise InvalidInput("expires_at needs a time zone, e.g. 2026-12-31T00:00:00Z", field="expires_at")
    core = core_of(request)
    out = await core.db.write(
        lambda c: core.identity.create_token(
            c,
            principal_id=body.principal,
            name=body.name,
            scopes=scopes,
            expires_at=expires,
            principal_name=body.principal_name,
            is_admin=body.admin,
        )
    )
    request.app.state.auth.forget()
    return out


@router.get("/tokens")
async def list_tokens(request: Request, p: Principal = Depends(principal_of)) -> Any:
    core = core_of(request)
    only = None if p.acts_as_admin else p.id
    return {"tokens": await core.db.read(lambda c: core.identity.list_tokens(c, only))}


@router.delete("/tokens/{token_id}")
async def revoke_token(token_id: str, request: Request, p: Principal = Depends(principal_of)) -> Any:
    require_admin(p)
    core = core_of(request)
    out = await core.db.write(lambda c: core.identity.revoke_token(c, token_id))
    core.identity.forget_cache()
    request.app.state.auth.forget()
    return out


@router.get("/principals")
async def list_principals(request: Request, p: Principal = Depends(principal_of)) -> Any:
    core = core_of(request)
    return {"principals": await core.db.read(core.identity.list_principals)}


@router.put("/principals/{principal_id}")
async def upsert_principal(
    principal_id: str, body: PrincipalUpsert, request: Request, p: Principal = Depends(principal_of)
) -> Any:
    require_admin(p)
    if body.id != principal_id:
        raise InvalidInput("the id in the body must match the id in the path", field="id")
    core = core_of(request)
    return await core.db.write(
        lambda c: core.identity.ensure_principal(
            c,
            principal_id,
            name=body.name,
            kind=body.kind,
            groups=body.groups,
            is_admin=body.admin,
            role=body.role,
            ai_tool=body.ai_tool,
            email=body.email,
        )
    )
