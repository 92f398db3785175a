"""Subscription use cases: subscribe, list, unsubscribe, unread, mark read."""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from warroom.channels.acl import Permission
from warroom.channels.service import require
from warroom.errors import InvalidInput, NotFound
from warroom.identity.models import Principal
from warroom.messages.filters import MessageFilter, filter_from_dict
from warroom.messages.queries import conditions
from warroom.messages.service import row_to_wire
from warroom.store.tables import contact_methods, messages, subscriptions
from warroom.timeutil import iso, utcnow


def _wire(r: Any, unread: int | None = None) -> dict[str, Any]:
    out = {
        "id": r.id,
        "channel": r.channel_id,
        "filters": r.filters,
        "delivery": r.delivery,
        "cursor": int(r.cursor),
        "created_at": iso(r.created_at),
        "updated_at": iso(r.updated_at),
    }
    if unread is not None:
        out["unread"] = unread
    return out


class SubscriptionService:
    def subscribe(
        self,
        conn: Connection,
        principal: Principal,
        channel_id: str,
        f: MessageFilter,
        *,
        delivery: list[str] | None = None,
        start: int | None = None,
    ) -> dict[str, Any]:
        """Subscribe; the same principal, channel and filters return the existing subscription.

        `delivery` names contact methods (`cm_…`) of the subscriber that matching messages
        page; subscribing again with other contact methods replaces them.
        """
        require(conn, principal, channel_id, Permission.READ)
        if delivery is not None:
            delivery = self._own_contacts(conn, principal, delivery)
        filters = f.to_dict()
        for r in conn.execute(
            select(subscriptions).where(
                subscriptions.c.principal_id == principal.id,
                subscriptions.c.channel_id == channel_id,
            )
        ):
            if r.filters == filters:
                if delivery is not None and list(r.delivery or []) != delivery:
                    conn.execute(
                        update(subscriptions)
                        .where(subscriptions.c.id == r.id)
                        .values(delivery=delivery, updated_at=utcnow())
                    )
                    r = conn.execute(select(subscriptions).where(subscriptions.c.id == r.id)).one()
                return _wire(r)
        if start is None:
            # New subscriptions start "now": unread begins with the next message.
            start = int(
                conn.execute(
                    select(func.coalesce(func.max(messages.c.id), 0)).where(
                        messages.c.channel_id == channel_id
                    )
                ).scalar_one()
            )
        now = utcnow()
        sub_id = "sub_" + secrets.token_hex(8)
        conn.execute(
            insert(subscriptions).values(
                id=sub_id,
                principal_id=principal.id,
                channel_id=channel_id,
                filters=filters,
                delivery=delivery or [],
                cursor=start,
                created_at=now,
                updated_at=now,
            )
        )
        row = conn.execute(select(subscriptions).where(subscriptions.c.id == sub_id)).one()
        return _wire(row)

    @staticmethod
    def _own_contacts(conn: Connection, principal: Principal, ids: list[str]) -> list[str]:
        mine = {
            r.id
            for r in conn.execute(
                select(contact_methods.c.id).where(contact_methods.c.principal_id == principal.id)
            )
        }
        for cid in ids:
            if cid not in mine:
                raise InvalidInput(
                    f"delivery names contact method {cid!r}, which is not one of yours; "
                    f"`warroom user show {principal.id}` lists yours",
                    field="delivery",
                )
        return list(dict.fromkeys(ids))

    def _own(self, conn: Connection, principal: Principal, sub_id: str) -> Any:
        row = conn.execute(
            select(subscriptions).where(
                subscriptions.c.id == sub_id, subscriptions.c.principal_id == principal.id
            )
        ).first()
        if row is None:
            raise NotFound(
                f"subscription {sub_id!r} is not one of yours; list yours with `warroom subscription ls` "
                "or GET /api/subscriptions",
                field="subscription",
            )
        return row

    def list_mine(
        self, conn: Connection, principal: Principal, *, with_unread: bool = True
    ) -> list[dict[str, Any]]:
        rows = conn.execute(
            select(subscriptions)
            .where(subscriptions.c.principal_id == principal.id)
            .order_by(subscriptions.c.created_at)
        ).all()
        return [_wire(r, self._count_unread(conn, r) if with_unread else None) for r in rows]

    def get(self, conn: Connection, principal: Principal, sub_id: str) -> dict[str, Any]:
        r = self._own(conn, principal, sub_id)
        return _wire(r, self._count_unread(conn, r))

    def unsubscribe(
        self,
        conn: Connection,
        principal: Principal,
        *,
        sub_id: str | None = None,
        channel_id: str | None = None,
    ) -> list[str]:
        if sub_id:
            self._own(conn, principal, sub_id)
            conn.execute(delete(subscriptions).where(subscriptions.c.id == sub_id))
            return [sub_id]
        if not channel_id:
            raise InvalidInput("name a subscription id or a channel", field="subscription")
        ids = [
            r.id
            for r in conn.execute(
                select(subscriptions.c.id).where(
                    subscriptions.c.principal_id == principal.id,
                    subscriptions.c.channel_id == channel_id,
                )
            )
        ]
        if not ids:
            raise NotFound(f"you have no subscription to channel {channel_id!r}", field="channel")
        conn.execute(delete(subscriptions).where(subscriptions.c.id.in_(ids)))
        return ids

    def _unread_conditions(self, conn: Connection, r: Any) -> list[Any]:
        f = filter_from_dict(r.filters)
        return [*conditions(conn.dialect.name, [r.channel_id], f), messages.c.id > r.cursor]

    def _count_unread(self, conn: Connection, r: Any) -> int:
        q = select(func.count()).select_from(messages).where(*self._unread_conditions(conn, r))
        return int(conn.execute(q).scalar_one())

    def unread(
        self, conn: Connection, principal: Principal, *, sub_id: str | None = None, limit: int = 100
    ) -> dict[str, Any]:
        """Unread messages of one subscription, or of all of them, oldest first."""
        if limit < 1 or limit > 500:
            raise InvalidInput("limit must be between 1 and 500", field="limit")
        rows = (
            [self._own(conn, principal, sub_id)]
            if sub_id
            else conn.execute(select(subscriptions).where(subscriptions.c.principal_id == principal.id)).all()
        )
        out = []
        for r in rows:
            try:
                require(conn, principal, r.channel_id, Permission.READ)
            except Exception:
                continue  # access was withdrawn since subscribing; show nothing from it
            q = (
                select(messages)
                .where(*self._unread_conditions(conn, r))
                .order_by(messages.c.id.asc())
                .limit(limit + 1)
            )
            msgs = conn.execute(q).all()
            out.append(
                {
                    "subscription": r.id,
                    "channel": r.channel_id,
                    "cursor": int(r.cursor),
                    "messages": [row_to_wire(m) for m in msgs[:limit]],
                    "has_more": len(msgs) > limit,
                    "unread": self._count_unread(conn, r),
                }
            )
        return {"subscriptions": out}

    def mark_read(
        self, conn: Connection, principal: Principal, sub_id: str, *, up_to: int | None = None
    ) -> dict[str, Any]:
        """Move the cursor forward to `up_to` (default: the newest message). Never backwards."""
        r = self._own(conn, principal, sub_id)
        if up_to is None:
            up_to = int(
                conn.execute(
                    select(func.coalesce(func.max(messages.c.id), 0)).where(
                        messages.c.channel_id == r.channel_id
                    )
                ).scalar_one()
            )
        if up_to < 0:
            raise InvalidInput("up_to must be a message id ≥ 0", field="up_to")
        cursor = max(int(r.cursor), up_to)
        conn.execute(
            update(subscriptions)
            .where(subscriptions.c.id == sub_id)
            .values(cursor=cursor, updated_at=utcnow())
        )
        return self.get(conn, principal, sub_id)
