"""Principals and API tokens: tokens are random, shown once, and stored as SHA-256 hashes."""

from __future__ import annotations

import hashlib
import re
import secrets
import threading
import time
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, insert, or_, select, update

from warroom.errors import Conflict, InvalidInput, NotFound, Unauthorized
from warroom.identity.models import DEFAULT_SCOPES, Principal, Scope
from warroom.store.database import Database
from warroom.store.tables import principals, tokens
from warroom.timeutil import iso, utcnow

TOKEN_PREFIX = "wr_"
PRINCIPAL_ID = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9._@-]{0,63}$")
# Revocation reaches every replica within this many seconds (the token cache lifetime).
TOKEN_CACHE_SECONDS = 2.0


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class IdentityService:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._cache: dict[str, tuple[float, Principal | None, str]] = {}
        self._cache_lock = threading.Lock()

    # -- principals ------------------------------------------------------------

    def ensure_principal(
        self,
        conn: Connection,
        principal_id: str,
        *,
        name: str | None = None,
        kind: str = "user",
        groups: list[str] | None = None,
        is_admin: bool = False,
        role: str | None = None,
        ai_tool: str | None = None,
        email: str | None = None,
    ) -> dict[str, Any]:
        if not PRINCIPAL_ID.match(principal_id):
            raise InvalidInput(
                f"principal id {principal_id!r} is not valid; use letters, digits, '.', '_', '@' "
                "or '-', at most 64 characters (e.g. sarah or sarah@example.com)",
                field="principal",
            )
        if kind not in ("user", "bot", "assistant"):
            raise InvalidInput("kind must be user, bot or assistant", field="kind")
        row = conn.execute(select(principals).where(principals.c.id == principal_id)).first()
        values = {
            "name": name or (row.name if row else principal_id),
            "kind": kind,
            "groups": sorted(set(groups)) if groups is not None else (row.groups if row else []),
            "is_admin": is_admin or (bool(row.is_admin) if row else False),
            "role": role if role is not None else (row.role if row else None),
            "ai_tool": ai_tool if ai_tool is not None else (row.ai_tool if row else None),
            "email": email if email is not None else (row.email if row else None),
        }
        if row is None:
            conn.execute(insert(principals).values(id=principal_id, created_at=utcnow(), **values))
        else:
            conn.execute(update(principals).where(principals.c.id == principal_id).values(**values))
        return {"id": principal_id, **values}

    def list_principals(self, conn: Connection) -> list[dict[str, Any]]:
        rows = conn.execute(select(principals).order_by(principals.c.id)).all()
        return [
            {
                "id": r.id,
                "name": r.name,
                "kind": r.kind,
                "groups": r.groups,
                "is_admin": r.is_admin,
                "role": r.role,
                "ai_tool": r.ai_tool,
                "email": r.email,
            }
            for r in rows
        ]

    # -- tokens ----------------------------------------------------------------

    def create_token(
        self,
        conn: Connection,
        *,
        principal_id: str,
        name: str,
        scopes: frozenset[Scope] = DEFAULT_SCOPES,
        expires_at: datetime | None = None,
        principal_name: str | None = None,
        is_admin: bool = False,
    ) -> dict[str, Any]:
        """Create a token (and its principal when new). The secret is returned only here."""
        if expires_at is not None and expires_at <= utcnow():
            raise InvalidInput("expires_at is in the past; give a future time or none", field="expires_at")
        self.ensure_principal(conn, principal_id, name=principal_name, is_admin=is_admin)
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token_id = "tok_" + secrets.token_hex(8)
        now = utcnow()
        conn.execute(
            insert(tokens).values(
                id=token_id,
                principal_id=principal_id,
                name=name,
                token_hash=hash_token(secret),
                prefix=secret[:10],
                scopes=sorted(s.value for s in scopes),
                created_at=now,
                expires_at=expires_at,
            )
        )
        return {
            "id": token_id,
            "token": secret,
            "principal": principal_id,
            "name": name,
            "scopes": sorted(s.value for s in scopes),
            "created_at": iso(now),
            "expires_at": iso(expires_at),
        }

    def list_tokens(self, conn: Connection, principal_id: str | None = None) -> list[dict[str, Any]]:
        q = select(tokens).order_by(tokens.c.created_at)
        if principal_id:
            q = q.where(tokens.c.principal_id == principal_id)
        now = utcnow()
        out = []
        for r in conn.execute(q):
            state = "active"
            if r.revoked_at is not None:
                state = "revoked"
            elif r.expires_at is not None and r.expires_at <= now:
                state = "expired"
            out.append(
                {
                    "id": r.id,
                    "principal": r.principal_id,
                    "name": r.name,
                    "prefix": r.prefix,
                    "scopes": r.scopes,
                    "state": state,
                    "created_at": iso(r.created_at),
                    "expires_at": iso(r.expires_at),
                    "revoked_at": iso(r.revoked_at),
                }
            )
        return out

    def revoke_token(self, conn: Connection, token_id: str) -> dict[str, Any]:
        row = conn.execute(select(tokens).where(tokens.c.id == token_id)).first()
        if row is None:
            raise NotFound(f"token {token_id!r} does not exist; `warroom token list` shows the ids")
        if row.revoked_at is not None:
            raise Conflict(f"token {token_id!r} is already revoked")
        conn.execute(update(tokens).where(tokens.c.id == token_id).values(revoked_at=utcnow()))
        self.forget_cache()
        return {"id": token_id, "state": "revoked"}

    def count_unrevoked_tokens(self, conn: Connection) -> int:
        """Tokens not revoked, expired or not. While one exists the server requires bearer
        auth: a token that merely expired still says its owner wanted auth (fail closed)."""
        q = select(func.count()).select_from(tokens).where(tokens.c.revoked_at.is_(None))
        return int(conn.execute(q).scalar_one())

    def count_active_tokens(self, conn: Connection) -> int:
        """Tokens that can still authenticate: neither revoked nor expired."""
        q = (
            select(func.count())
            .select_from(tokens)
            .where(
                tokens.c.revoked_at.is_(None),
                or_(tokens.c.expires_at.is_(None), tokens.c.expires_at > utcnow()),
            )
        )
        return int(conn.execute(q).scalar_one())

    # -- authentication ----------------------------------------------------------

    def forget_cache(self) -> None:
        with self._cache_lock:
            self._cache.clear()

    def authenticate_sync(self, conn: Connection, secret: str) -> Principal:
        """Resolve a bearer token to its principal, or raise Unauthorized saying why."""
        key = hash_token(secret)
        now_mono = time.monotonic()
        with self._cache_lock:
            hit = self._cache.get(key)
        if hit is not None and now_mono - hit[0] < TOKEN_CACHE_SECONDS:
            if hit[1] is None:
                raise Unauthorized(hit[2])
            return hit[1]
        principal, reason = self._lookup(conn, key)
        with self._cache_lock:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[key] = (now_mono, principal, reason)
        if principal is None:
            raise Unauthorized(reason)
        return principal

    def _lookup(self, conn: Connection, key: str) -> tuple[Principal | None, str]:
        row = conn.execute(
            select(
                tokens.c.id,
                tokens.c.principal_id,
                tokens.c.scopes,
                tokens.c.revoked_at,
                tokens.c.expires_at,
                principals.c.name.label("principal_name"),
                principals.c.kind,
                principals.c.groups,
                principals.c.is_admin,
                principals.c.role,
                principals.c.ai_tool,
            )
            .join(principals, principals.c.id == tokens.c.principal_id)
            .where(tokens.c.token_hash == key)
        ).first()
        if row is None:
            return None, "the token is not known; create one with `warroom token create`"
        if row.revoked_at is not None:
            return (
                None,
                "the token was revoked; ask an admin for a new one (`warroom token create`)",
            )
        if row.expires_at is not None and row.expires_at <= utcnow():
            return None, f"the token expired at {iso(row.expires_at)}; create a new one"
        known = {s.value for s in Scope}
        principal = Principal(
            id=row.principal_id,
            name=row.principal_name,
            kind=row.kind,
            groups=frozenset(row.groups or ()),
            is_admin=bool(row.is_admin),
            scopes=frozenset(Scope(s) for s in row.scopes if s in known),
            role=row.role,
            ai_tool=row.ai_tool,
            token_id=row.id,
        )
        return principal, ""

    def authenticate_token_id(self, conn: Connection, token_id: str) -> Principal:
        """Resolve a token by its id, with the same checks as a bearer secret (a dashboard
        session names its token, so revoking or expiring the token ends the session)."""
        key = conn.execute(select(tokens.c.token_hash).where(tokens.c.id == token_id)).scalar_one_or_none()
        if key is None:
            raise Unauthorized("the session's token no longer exists; sign in again with a token")
        principal, reason = self._lookup(conn, str(key))
        if principal is None:
            raise Unauthorized(reason)
        return principal
