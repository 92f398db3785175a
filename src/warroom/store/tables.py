"""Table definitions, shared by the services and by the first migration.

SQLAlchemy Core, not the ORM: the hot paths (publish, history, streams) are a handful of
statements each, and Core keeps them cheap and explicit.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from warroom.store.types import UTCDateTime

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# BIGINT on PostgreSQL, INTEGER (the rowid alias that AUTOINCREMENT needs) on SQLite.
BigId = BigInteger().with_variant(Integer(), "sqlite")

principals = Table(
    "principals",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(16), nullable=False, default="user"),  # user | bot | assistant
    Column("groups", JSON, nullable=False, default=list),
    Column("is_admin", Boolean, nullable=False, default=False),
    Column("role", String(100)),
    Column("ai_tool", String(100)),
    Column("email", String(320)),
    Column("created_at", UTCDateTime, nullable=False),
)

tokens = Table(
    "tokens",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("principal_id", String(64), ForeignKey("principals.id"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("prefix", String(16), nullable=False),
    Column("scopes", JSON, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime),
    Column("revoked_at", UTCDateTime),
    Column("last_used_at", UTCDateTime),
)

channels = Table(
    "channels",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("description", Text, nullable=False, default=""),
    Column("visibility", String(16), nullable=False, default="public"),
    Column("retention_days", Integer),
    Column("incident_enabled", Boolean, nullable=False, default=False),
    Column("created_by", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("archived_at", UTCDateTime),
    # Counters kept on publish so listing stats never counts a million rows.
    Column("message_count", BigInteger, nullable=False, default=0),
    Column("last_message_at", UTCDateTime),
)

channel_acl = Table(
    "channel_acl",
    metadata,
    Column("channel_id", String(64), ForeignKey("channels.id"), primary_key=True),
    # "principal:<id>", "group:<name>" or "*" (every authenticated principal).
    Column("subject", String(200), primary_key=True),
    Column("permission", String(16), primary_key=True),  # read | publish | admin
)

# The spine: one ordered log of everything that happens.
events = Table(
    "events",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("ts", UTCDateTime, nullable=False),
    Column("kind", String(64), nullable=False),
    Column("channel_id", String(64)),
    Column("thread_id", String(200)),
    Column("data", JSON, nullable=False),
    sqlite_autoincrement=True,
)
Index("ix_events_channel_id_id", events.c.channel_id, events.c.id)

messages = Table(
    "messages",
    metadata,
    # Equal to the id of the event that published it: one cursor for history and streams.
    Column("id", BigId, ForeignKey("events.id"), primary_key=True, autoincrement=False),
    Column("channel_id", String(64), ForeignKey("channels.id"), nullable=False),
    Column("thread_id", String(200)),
    Column("in_reply_to", BigInteger),
    Column("title", String(200), nullable=False),
    Column("body", Text, nullable=False, default=""),
    Column("priority", SmallInteger, nullable=False),  # rank: 0 critical … 3 low
    Column("theme", String(64)),
    Column("tags", JSON, nullable=False, default=list),
    Column("sender_user_id", String(200)),
    Column("sender_name", String(200)),
    Column("sender_role", String(100)),
    Column("sender_ai_tool", String(100)),
    Column("links", JSON, nullable=False, default=list),
    Column("actions", JSON, nullable=False, default=list),
    Column("published_by", String(64), nullable=False),
    Column("idempotency_key", String(200)),
    Column("created_at", UTCDateTime, nullable=False),
    Column("received_at", UTCDateTime, nullable=False),
    Column("imported", Boolean, nullable=False, default=False),
    UniqueConstraint("published_by", "idempotency_key"),
)
Index("ix_messages_channel_id_id", messages.c.channel_id, messages.c.id)
Index("ix_messages_channel_id_priority_id", messages.c.channel_id, messages.c.priority, messages.c.id)
Index("ix_messages_channel_id_theme_id", messages.c.channel_id, messages.c.theme, messages.c.id)
Index("ix_messages_channel_id_created_at", messages.c.channel_id, messages.c.created_at)
Index("ix_messages_thread_id_id", messages.c.thread_id, messages.c.id)
Index("ix_messages_sender_user_id_id", messages.c.sender_user_id, messages.c.id)

message_tags = Table(
    "message_tags",
    metadata,
    Column("tag", String(64), primary_key=True),
    Column("message_id", BigId, ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True),
    Column("channel_id", String(64), nullable=False),
)
Index(
    "ix_message_tags_channel_id_tag_message_id",
    message_tags.c.channel_id,
    message_tags.c.tag,
    message_tags.c.message_id,
)

subscriptions = Table(
    "subscriptions",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("principal_id", String(64), ForeignKey("principals.id"), nullable=False),
    Column("channel_id", String(64), ForeignKey("channels.id"), nullable=False),
    Column("filters", JSON, nullable=False),
    Column("delivery", JSON, nullable=False, default=list),
    Column("cursor", BigInteger, nullable=False, default=0),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)
Index(
    "ix_subscriptions_principal_id_channel_id",
    subscriptions.c.principal_id,
    subscriptions.c.channel_id,
)
Index("ix_subscriptions_channel_id", subscriptions.c.channel_id)

__all__ = [
    "channel_acl",
    "channels",
    "events",
    "message_tags",
    "messages",
    "metadata",
    "principals",
    "subscriptions",
    "tokens",
]
