"""Channel use cases: create, list with stats, show, update, archive, ACLs."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from warroom.channels.acl import Permission, Visibility, is_visible, parse_subject, permissions
from warroom.errors import Conflict, Forbidden, InvalidInput, NotFound
from warroom.events.log import append_event
from warroom.identity.models import Principal
from warroom.store.database import memoized
from warroom.store.raw import RawSQL
from warroom.store.tables import channel_acl, channels, subscriptions
from warroom.timeutil import iso, utcnow

CHANNEL_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}[a-z0-9]$|^[a-z0-9]$")
CHANNEL_ID_RULE = (
    "lowercase letters, digits and '-', starting and ending with a letter or digit, "
    "at most 64 characters (e.g. incidents, security-incidents)"
)


@dataclass(frozen=True)
class ChannelAccess:
    """A channel row with what the asking principal may do on it."""

    id: str
    visibility: Visibility
    archived_at: datetime | None
    incident_enabled: bool
    perms: frozenset[Permission]

    def can(self, perm: Permission) -> bool:
        return perm in self.perms


def not_found(channel_id: str) -> NotFound:
    return NotFound(
        f"channel {channel_id!r} does not exist; create it with `warroom channel create {channel_id}` "
        "or POST /api/channels",
        field="channel",
    )


def validate_channel_id(channel_id: str) -> str:
    if not isinstance(channel_id, str) or not CHANNEL_ID.match(channel_id):
        raise InvalidInput(f"channel id {channel_id!r} is not valid; use {CHANNEL_ID_RULE}", field="channel")
    return channel_id


# Access is checked on every publish and read: raw SQL (see store/raw.py).
_GRANTS_SQL = RawSQL("SELECT subject, permission FROM channel_acl WHERE channel_id = :channel")
_ACCESS_SQL = RawSQL(
    "SELECT id, visibility, created_by, archived_at, incident_enabled FROM channels WHERE id = :channel"
)


def _grants(conn: Connection, channel_id: str) -> list[tuple[str, str]]:
    return [(r[0], r[1]) for r in _GRANTS_SQL.execute(conn, {"channel": channel_id}).fetchall()]


def access(conn: Connection, principal: Principal, channel_id: str) -> ChannelAccess:
    """Resolve the principal's rights on a channel; a hidden channel is NotFound."""
    # Publishing never changes the channel's row or grants, so a batch of publishes works
    # this out once per channel and principal.
    return memoized(
        conn, ("channel access", channel_id, principal), lambda: _access(conn, principal, channel_id)
    )


def _access(conn: Connection, principal: Principal, channel_id: str) -> ChannelAccess:
    row = _ACCESS_SQL.execute(conn, {"channel": channel_id}).fetchone()
    if row is None:
        raise not_found(channel_id)
    cid, visibility, created_by, archived_at, incident_enabled = row
    vis = Visibility(visibility)
    perms = permissions(principal, vis, created_by, _grants(conn, channel_id))
    if not is_visible(vis, perms):
        raise not_found(channel_id)
    # archived_at is only ever tested for presence, so its raw form is enough.
    return ChannelAccess(cid, vis, archived_at, bool(incident_enabled), perms)


def require(conn: Connection, principal: Principal, channel_id: str, perm: Permission) -> ChannelAccess:
    return demand(access(conn, principal, channel_id), principal, perm)


def demand(acc: ChannelAccess, principal: Principal, perm: Permission) -> ChannelAccess:
    """`acc`, or Forbidden saying which right is missing and how to get it."""
    if not acc.can(perm):
        verb = {"read": "read", "publish": "publish to", "admin": "administer"}[perm.value]
        raise Forbidden(
            f"{principal.id} may not {verb} channel {acc.id!r}; a channel admin can grant it "
            f"with `warroom channel grant {acc.id} principal:{principal.id} {perm.value}`",
            field="channel",
        )
    return acc


def readable_channel_ids(conn: Connection, principal: Principal) -> list[str]:
    """Every channel the principal may read (streams and search use this)."""
    rows = conn.execute(select(channels.c.id, channels.c.visibility, channels.c.created_by)).all()
    acl: dict[str, list[tuple[str, str]]] = {}
    for r in conn.execute(select(channel_acl)):
        acl.setdefault(r.channel_id, []).append((r.subject, r.permission))
    return [
        r.id
        for r in rows
        if Permission.READ
        in permissions(principal, Visibility(r.visibility), r.created_by, acl.get(r.id, []))
    ]


class ChannelService:
    def create(
        self,
        conn: Connection,
        principal: Principal,
        *,
        channel_id: str,
        name: str | None = None,
        description: str = "",
        visibility: str = "public",
        retention_days: int | None = None,
        incident_enabled: bool = False,
        acl: list[dict[str, str]] | None = None,
    ) -> dict[str, Any]:
        validate_channel_id(channel_id)
        vis = _visibility(visibility)
        _retention(retention_days)
        exists = conn.execute(
            select(channels.c.id, channels.c.visibility, channels.c.created_by).where(
                channels.c.id == channel_id
            )
        ).first()
        if exists is not None:
            perms = permissions(
                principal,
                Visibility(exists.visibility),
                exists.created_by,
                _grants(conn, channel_id),
            )
            if is_visible(Visibility(exists.visibility), perms):
                raise Conflict(
                    f"channel {channel_id!r} already exists; use it, or pick another id",
                    field="channel",
                )
            raise Conflict(f"channel id {channel_id!r} is taken; pick another id", field="channel")
        now = utcnow()
        conn.execute(
            insert(channels).values(
                id=channel_id,
                name=name or channel_id,
                description=description,
                visibility=vis.value,
                retention_days=retention_days,
                incident_enabled=incident_enabled,
                created_by=principal.id,
                created_at=now,
                updated_at=now,
                message_count=0,
            )
        )
        if acl:
            self._write_acl(conn, channel_id, acl)
        info = self._info(conn, principal, channel_id)
        append_event(conn, "channel.created", data=_event_data(info), channel_id=channel_id)
        return info

    def list_visible(
        self, conn: Connection, principal: Principal, *, include_archived: bool = False
    ) -> list[dict[str, Any]]:
        q = select(channels).order_by(channels.c.id)
        if not include_archived:
            q = q.where(channels.c.archived_at.is_(None))
        rows = conn.execute(q).all()
        subs: dict[str, int] = dict(
            conn.execute(
                select(subscriptions.c.channel_id, func.count()).group_by(subscriptions.c.channel_id)
            ).all()
        )
        acl: dict[str, list[tuple[str, str]]] = {}
        for r in conn.execute(select(channel_acl)):
            acl.setdefault(r.channel_id, []).append((r.subject, r.permission))
        out = []
        for r in rows:
            perms = permissions(principal, Visibility(r.visibility), r.created_by, acl.get(r.id, []))
            if not is_visible(Visibility(r.visibility), perms):
                continue
            out.append(_wire(r, perms, subs.get(r.id, 0)))
        return out

    def get(self, conn: Connection, principal: Principal, channel_id: str) -> dict[str, Any]:
        access(conn, principal, channel_id)
        return self._info(conn, principal, channel_id)

    def update(
        self, conn: Connection, principal: Principal, channel_id: str, patch: dict[str, Any]
    ) -> dict[str, Any]:
        require(conn, principal, channel_id, Permission.ADMIN)
        values: dict[str, Any] = {}
        for key in ("name", "description"):
            if patch.get(key) is not None:
                values[key] = patch[key]
        if patch.get("visibility") is not None:
            values["visibility"] = _visibility(patch["visibility"]).value
        if "retention_days" in patch:
            values["retention_days"] = _retention(patch["retention_days"])
        if patch.get("incident_enabled") is not None:
            values["incident_enabled"] = bool(patch["incident_enabled"])
        if "archived" in patch and patch["archived"] is not None:
            values["archived_at"] = utcnow() if patch["archived"] else None
        if values:
            values["updated_at"] = utcnow()
            conn.execute(update(channels).where(channels.c.id == channel_id).values(**values))
        if patch.get("acl") is not None:
            self._write_acl(conn, channel_id, patch["acl"])
        info = self._info(conn, principal, channel_id)
        append_event(conn, "channel.updated", data=_event_data(info), channel_id=channel_id)
        return info

    def archive(self, conn: Connection, principal: Principal, channel_id: str) -> dict[str, Any]:
        return self.update(conn, principal, channel_id, {"archived": True})

    def grant(
        self, conn: Connection, principal: Principal, channel_id: str, subject: str, permission: str
    ) -> dict[str, Any]:
        require(conn, principal, channel_id, Permission.ADMIN)
        grants = [{"subject": s, "permission": p} for s, p in _grants(conn, channel_id)]
        grants.append({"subject": subject, "permission": permission})
        return self.update(conn, principal, channel_id, {"acl": grants})

    def _write_acl(self, conn: Connection, channel_id: str, acl: list[dict[str, Any]]) -> None:
        entries: set[tuple[str, str]] = set()
        for i, entry in enumerate(acl):
            try:
                subject = parse_subject(str(entry.get("subject", "")))
                perm = Permission(str(entry.get("permission", "")))
            except ValueError as exc:
                msg = str(exc)
                if "Permission" in msg or "is not a valid" in msg:
                    msg = f"acl[{i}].permission must be read, publish or admin"
                raise InvalidInput(msg, field=f"acl[{i}]") from None
            entries.add((subject, perm.value))
        conn.execute(delete(channel_acl).where(channel_acl.c.channel_id == channel_id))
        if entries:
            conn.execute(
                insert(channel_acl),
                [{"channel_id": channel_id, "subject": s, "permission": p} for s, p in sorted(entries)],
            )

    def _info(self, conn: Connection, principal: Principal, channel_id: str) -> dict[str, Any]:
        row = conn.execute(select(channels).where(channels.c.id == channel_id)).one()
        grants = _grants(conn, channel_id)
        perms = permissions(principal, Visibility(row.visibility), row.created_by, grants)
        subs = conn.execute(
            select(func.count()).select_from(subscriptions).where(subscriptions.c.channel_id == channel_id)
        ).scalar_one()
        info = _wire(row, perms, int(subs))
        if Permission.ADMIN in perms:
            info["acl"] = [{"subject": s, "permission": p} for s, p in sorted(grants)]
        return info


def _event_data(info: dict[str, Any]) -> dict[str, Any]:
    """What every reader of the channel may see: not the ACL, not the actor's permissions."""
    return {k: v for k, v in info.items() if k not in ("acl", "permissions")}


def _wire(r: Any, perms: frozenset[Permission], subscribers: int) -> dict[str, Any]:
    return {
        "id": r.id,
        "name": r.name,
        "description": r.description,
        "visibility": r.visibility,
        "retention_days": r.retention_days,
        "incident_enabled": bool(r.incident_enabled),
        "archived": r.archived_at is not None,
        "created_by": r.created_by,
        "created_at": iso(r.created_at),
        "stats": {
            "messages": int(r.message_count),
            "subscribers": subscribers,
            "last_message_at": iso(r.last_message_at),
        },
        "permissions": sorted(p.value for p in perms),
    }


def _visibility(value: str) -> Visibility:
    try:
        return Visibility(str(value).lower())
    except ValueError:
        raise InvalidInput(
            f"visibility {value!r} is not valid; use public, private or confidential",
            field="visibility",
        ) from None


def _retention(days: Any) -> int | None:
    if days is None:
        return None
    if not isinstance(days, int) or isinstance(days, bool) or days < 1:
        raise InvalidInput(
            "retention_days must be a whole number of days ≥ 1, or null to keep forever",
            field="retention_days",
        )
    return days
