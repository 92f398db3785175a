"""Message use cases: publish, read one, history, threads and search."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, bindparam, select

from warroom.channels.acl import Permission
from warroom.channels.service import readable_channel_ids, require
from warroom.errors import Conflict, Forbidden, InvalidInput, NotFound
from warroom.events.log import Event, append_event
from warroom.identity.models import Principal
from warroom.messages.filters import MessageFilter
from warroom.messages.models import MessageIn
from warroom.messages.queries import page_query, tags_are_sparse
from warroom.priority import Priority
from warroom.store.raw import RawSQL, db_bool, db_json, db_time
from warroom.store.tables import messages
from warroom.timeutil import iso, utcnow

MESSAGE_EVENT = "message.published"
MAX_PAGE = 500

# Publish runs thousands of times a second inside the single writer thread. Statements built
# once, with bind parameters, skip SQLAlchemy's per-call construction and cache-key work,
# which otherwise costs more than SQLite's own execution.
_FIND_IDEMPOTENT = select(messages).where(
    messages.c.published_by == bindparam("p_by"), messages.c.idempotency_key == bindparam("p_key")
)
_FIND_PARENT = select(messages.c.channel_id, messages.c.thread_id).where(messages.c.id == bindparam("p_id"))
_INSERT_MESSAGE = RawSQL(
    "INSERT INTO messages (id, channel_id, thread_id, in_reply_to, title, body, priority, theme, "
    "tags, sender_user_id, sender_name, sender_role, sender_ai_tool, links, actions, published_by, "
    "idempotency_key, created_at, received_at, imported) VALUES (:id, :channel_id, :thread_id, "
    ":in_reply_to, :title, :body, :priority, :theme, :tags, :sender_user_id, :sender_name, "
    ":sender_role, :sender_ai_tool, :links, :actions, :published_by, :idempotency_key, :created_at, "
    ":received_at, :imported)"
)
_INSERT_TAGS = RawSQL(
    "INSERT INTO message_tags (tag, message_id, channel_id) VALUES (:tag, :message_id, :channel_id)"
)
_COUNT_PUBLISHED = RawSQL(
    "UPDATE channels SET message_count = message_count + 1, last_message_at = :now WHERE id = :channel"
)


@dataclass(frozen=True)
class Limits:
    max_body_chars: int = 65_536
    max_tags: int = 20
    max_tag_length: int = 64
    max_links: int = 20
    max_actions: int = 10


@dataclass(frozen=True)
class Published:
    message: dict[str, Any]
    created: bool  # False when an idempotency key replayed an earlier publish


def message_from_event(event: Event) -> dict[str, Any]:
    """Message events carry the message without its id: the id is the event's."""
    return {"id": event.id, **event.data}


def row_to_wire(r: Any) -> dict[str, Any]:
    return {
        "id": int(r.id),
        "channel": r.channel_id,
        "title": r.title,
        "body": r.body,
        "priority": Priority.from_rank(r.priority).value,
        "severity": f"P{r.priority}",
        "theme": r.theme,
        "tags": list(r.tags or ()),
        "thread_id": r.thread_id,
        "in_reply_to": r.in_reply_to,
        "sender": {
            "user_id": r.sender_user_id,
            "name": r.sender_name,
            "role": r.sender_role,
            "ai_tool": r.sender_ai_tool,
        },
        "links": list(r.links or ()),
        "actions": list(r.actions or ()),
        "published_by": r.published_by,
        "created_at": iso(r.created_at),
        "received_at": iso(r.received_at),
        "imported": bool(r.imported),
    }


class MessageService:
    def __init__(self, limits: Limits | None = None) -> None:
        self.limits = limits or Limits()

    def publish(self, conn: Connection, principal: Principal, channel_id: str, msg: MessageIn) -> Published:
        acc = require(conn, principal, channel_id, Permission.PUBLISH)
        if acc.archived_at is not None:
            raise Conflict(
                f"channel {channel_id!r} is archived; unarchive it (PATCH /api/channels/{channel_id} "
                '{"archived": false}) or publish elsewhere',
                field="channel",
            )
        if msg.idempotency_key:
            earlier = conn.execute(
                _FIND_IDEMPOTENT, {"p_by": principal.id, "p_key": msg.idempotency_key}
            ).first()
            if earlier is not None:
                if earlier.channel_id != channel_id or earlier.title != msg.title:
                    raise Conflict(
                        f"idempotency_key {msg.idempotency_key!r} was already used for a different "
                        f"message (id {earlier.id}); use a new key for a new message",
                        field="idempotency_key",
                    )
                return Published(row_to_wire(earlier), created=False)
        self._check_limits(msg)
        thread_id = msg.thread_id
        if msg.in_reply_to is not None:
            parent = conn.execute(_FIND_PARENT, {"p_id": msg.in_reply_to}).first()
            if parent is None or parent.channel_id != channel_id:
                raise InvalidInput(
                    f"in_reply_to {msg.in_reply_to} is not a message of channel {channel_id!r}; "
                    "reply to a message id from this channel's history",
                    field="in_reply_to",
                )
            thread_id = thread_id or parent.thread_id
        now = utcnow()
        imported = msg.created_at is not None
        if imported and not principal.acts_as_admin:
            raise Forbidden(
                "only admins may publish with an explicit created_at (importing history); "
                "leave created_at out",
                field="created_at",
            )
        created_at = msg.created_at or now
        if created_at.tzinfo is None:
            raise InvalidInput("created_at needs a time zone, e.g. 2024-01-12T02:47:00Z", field="created_at")
        # `now` in its wire and stored forms, worked out once: it is up to four columns.
        now_iso, now_db = iso(now), db_time(conn, now)
        s = msg.sender
        sender = {
            "user_id": (s.user_id if s and s.user_id else principal.id),
            "name": (s.name if s and s.name else principal.name),
            "role": (s.role if s and s.role else principal.role),
            "ai_tool": (s.ai_tool if s and s.ai_tool else principal.ai_tool),
        }
        data = {
            "channel": channel_id,
            "title": msg.title,
            "body": msg.body,
            "priority": msg.priority.value,
            "severity": msg.priority.severity,
            "theme": msg.theme,
            "tags": msg.tags,
            "thread_id": thread_id,
            "in_reply_to": msg.in_reply_to,
            "sender": sender,
            "links": [link.model_dump(exclude_none=True) for link in msg.links],
            "actions": [a.model_dump(exclude_none=True) for a in msg.actions],
            "published_by": principal.id,
            "created_at": iso(created_at) if imported else now_iso,
            "received_at": now_iso,
            "imported": imported,
        }
        event = append_event(
            conn, MESSAGE_EVENT, data=data, channel_id=channel_id, thread_id=thread_id, ts=now
        )
        _INSERT_MESSAGE.execute(
            conn,
            {
                "id": event.id,
                "channel_id": channel_id,
                "thread_id": thread_id,
                "in_reply_to": msg.in_reply_to,
                "title": msg.title,
                "body": msg.body,
                "priority": msg.priority.rank,
                "theme": msg.theme,
                "tags": db_json(conn, msg.tags),
                "sender_user_id": sender["user_id"],
                "sender_name": sender["name"],
                "sender_role": sender["role"],
                "sender_ai_tool": sender["ai_tool"],
                "links": db_json(conn, data["links"]),
                "actions": db_json(conn, data["actions"]),
                "published_by": principal.id,
                "idempotency_key": msg.idempotency_key,
                "created_at": db_time(conn, created_at) if imported else now_db,
                "received_at": now_db,
                "imported": db_bool(conn, imported),
            },
        )
        if msg.tags:
            _INSERT_TAGS.executemany(
                conn, [{"tag": t, "message_id": event.id, "channel_id": channel_id} for t in msg.tags]
            )
        _COUNT_PUBLISHED.execute(conn, {"channel": channel_id, "now": now_db})
        return Published(message_from_event(event), created=True)

    def _check_limits(self, msg: MessageIn) -> None:
        lim = self.limits
        if len(msg.body) > lim.max_body_chars:
            raise InvalidInput(
                f"body is {len(msg.body)} characters; the limit is {lim.max_body_chars}. "
                "Shorten it or link to the full text",
                field="body",
            )
        if len(msg.tags) > lim.max_tags:
            raise InvalidInput(
                f"{len(msg.tags)} tags given; at most {lim.max_tags} are allowed", field="tags"
            )
        for tag in msg.tags:
            if len(tag) > lim.max_tag_length:
                raise InvalidInput(
                    f"tag {tag[:20]!r}… is {len(tag)} characters; at most {lim.max_tag_length}",
                    field="tags",
                )
        if len(msg.links) > lim.max_links:
            raise InvalidInput(f"{len(msg.links)} links given; at most {lim.max_links}", field="links")
        if len(msg.actions) > lim.max_actions:
            raise InvalidInput(
                f"{len(msg.actions)} actions given; at most {lim.max_actions}", field="actions"
            )

    def get(self, conn: Connection, principal: Principal, message_id: int) -> dict[str, Any]:
        row = conn.execute(select(messages).where(messages.c.id == message_id)).first()
        if row is None:
            raise NotFound(f"message {message_id} does not exist", field="message")
        try:
            require(conn, principal, row.channel_id, Permission.READ)
        except NotFound:
            raise NotFound(f"message {message_id} does not exist", field="message") from None
        return row_to_wire(row)

    def history(
        self,
        conn: Connection,
        principal: Principal,
        channel_ids: list[str] | None,
        f: MessageFilter,
        *,
        before: int | None = None,
        after: int | None = None,
        limit: int = 50,
    ) -> dict[str, Any]:
        """A page of messages. `channel_ids=None` means every channel the principal may read."""
        if limit < 1 or limit > MAX_PAGE:
            raise InvalidInput(f"limit must be between 1 and {MAX_PAGE}", field="limit")
        if before is not None and after is not None:
            raise InvalidInput("give either before or after, not both", field="before")
        if channel_ids is None:
            readable = readable_channel_ids(conn, principal)
        else:
            for cid in channel_ids:
                require(conn, principal, cid, Permission.READ)
            readable = channel_ids
        if not readable:
            return {"items": [], "has_more": False, "next_before": None, "next_after": None}
        sparse = tags_are_sparse(conn, readable, f, before=before, after=after)
        q = page_query(
            conn.dialect.name, readable, f, before=before, after=after, limit=limit, sparse_tags=sparse
        )
        rows = conn.execute(q).all()
        has_more = len(rows) > limit
        rows = rows[:limit]
        items = [row_to_wire(r) for r in rows]
        if after is not None:
            items.reverse()  # pages are always shown newest first
        ids = [m["id"] for m in items]
        return {
            "items": items,
            "has_more": has_more,
            # Cursors for both directions: older than the oldest shown, newer than the newest.
            "next_before": min(ids) if ids else before,
            "next_after": max(ids) if ids else after,
        }

    def thread(
        self, conn: Connection, principal: Principal, thread_id: str, *, limit: int = 500
    ) -> dict[str, Any]:
        readable = readable_channel_ids(conn, principal)
        rows = conn.execute(
            select(messages)
            .where(messages.c.thread_id == thread_id, messages.c.channel_id.in_(readable))
            .order_by(messages.c.id.asc())
            .limit(limit + 1)
        ).all()
        if not rows:
            raise NotFound(
                f"thread {thread_id!r} has no messages you can read; check the thread id "
                "(an incident's thread id is its id)",
                field="thread_id",
            )
        return {
            "thread_id": thread_id,
            "messages": [row_to_wire(r) for r in rows[:limit]],
            "has_more": len(rows) > limit,
        }
