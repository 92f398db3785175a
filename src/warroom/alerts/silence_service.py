"""Silences and maintenance windows: create, list, expire (stored; evaluated at ingest)."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update

from warroom.alerts.errors import MatcherError
from warroom.alerts.silences import Matcher, Silence, SilenceState
from warroom.errors import Forbidden, InvalidInput, NotFound
from warroom.events.log import append_event
from warroom.identity.models import Principal, Scope
from warroom.store.raw import RawSQL, db_time
from warroom.store.tables import silences
from warroom.timeutil import iso, utcnow

# Read by every webhook delivery in the writer thread: built once, with a bind parameter.
_ACTIVE = select(silences).where(
    silences.c.ends_at > bindparam("now", type_=silences.c.ends_at.type),
    silences.c.starts_at <= bindparam("now", type_=silences.c.starts_at.type),
    silences.c.expired_at.is_(None),
)

_ANY_ACTIVE = RawSQL(
    "SELECT 1 FROM silences WHERE ends_at > :now AND starts_at <= :now AND expired_at IS NULL LIMIT 1"
)


def _wire(r: Any, now: datetime) -> dict[str, Any]:
    s = _domain(r)
    state = SilenceState.EXPIRED if r.expired_at is not None else s.state(now)
    return {
        "id": r.id,
        "matchers": [str(Matcher.from_dict(m)) for m in r.matchers],
        "starts_at": iso(r.starts_at),
        "ends_at": iso(r.expired_at or r.ends_at),
        "created_by": r.created_by,
        "comment": r.comment,
        "created_at": iso(r.created_at),
        "state": state.value,
    }


def _domain(r: Any) -> Silence:
    return Silence(
        tuple(Matcher.from_dict(m) for m in r.matchers),
        r.starts_at,
        r.expired_at if r.expired_at is not None and r.expired_at > r.starts_at else r.ends_at,
        r.created_by,
        r.comment,
        r.id,
    )


class SilenceService:
    def create(
        self,
        conn: Connection,
        p: Principal,
        *,
        matchers: list[str] | str,
        ends_at: datetime,
        starts_at: datetime | None = None,
        comment: str = "",
    ) -> dict[str, Any]:
        if not p.has_scope(Scope.PUBLISH):
            raise Forbidden("creating a silence needs the publish scope")
        now = utcnow()
        start = starts_at or now
        try:
            s = Silence.create(matchers, starts_at=start, ends_at=ends_at, created_by=p.id, comment=comment)
        except MatcherError as exc:
            raise InvalidInput(str(exc), field="matchers") from None
        except ValueError as exc:
            raise InvalidInput(str(exc), field="ends_at") from None
        sid = "sil_" + secrets.token_hex(6)
        conn.execute(
            insert(silences).values(
                id=sid,
                matchers=[m.as_dict() for m in s.matchers],
                starts_at=s.starts_at,
                ends_at=s.ends_at,
                created_by=p.id,
                comment=comment,
                created_at=now,
            )
        )
        row = conn.execute(select(silences).where(silences.c.id == sid)).one()
        out = _wire(row, now)
        append_event(conn, "silence.created", data=out)
        return out

    def list_all(self, conn: Connection, *, state: str | None = None) -> list[dict[str, Any]]:
        now = utcnow()
        rows = conn.execute(select(silences).order_by(silences.c.created_at.desc()).limit(1000)).all()
        out = [_wire(r, now) for r in rows]
        if state:
            if state not in {s.value for s in SilenceState}:
                raise InvalidInput("state must be active, pending or expired", field="state")
            out = [s for s in out if s["state"] == state]
        return out

    def expire(self, conn: Connection, p: Principal, silence_id: str) -> dict[str, Any]:
        if not p.has_scope(Scope.PUBLISH):
            raise Forbidden("expiring a silence needs the publish scope")
        r = conn.execute(select(silences).where(silences.c.id == silence_id)).first()
        if r is None:
            raise NotFound(
                f"silence {silence_id!r} does not exist; `warroom silence ls` lists them", field="silence"
            )
        now = utcnow()
        if r.expired_at is None and r.ends_at > now:
            conn.execute(update(silences).where(silences.c.id == silence_id).values(expired_at=now))
        row = conn.execute(select(silences).where(silences.c.id == silence_id)).one()
        out = _wire(row, now)
        append_event(conn, "silence.expired", data=out)
        return out

    def active(self, conn: Connection, now: datetime) -> list[Silence]:
        # Most deliveries find no active silence: asking that in raw SQL costs a fraction of
        # the typed query, which then runs only when there is something to read.
        if _ANY_ACTIVE.execute(conn, {"now": db_time(conn, now)}).fetchone() is None:
            return []
        rows = conn.execute(_ACTIVE, {"now": now}).all()
        return [_domain(r) for r in rows]
