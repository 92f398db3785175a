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
Index("ix_events_thread_id_id", events.c.thread_id, events.c.id)

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
    "alerts",
    "change_events",
    "channel_acl",
    "channels",
    "contact_methods",
    "deliveries",
    "escalation_policies",
    "escalation_routes",
    "escalations",
    "events",
    "followups",
    "incident_analyses",
    "incident_knowledge",
    "incidents",
    "integrations",
    "message_tags",
    "messages",
    "metadata",
    "paging_profiles",
    "postmortems",
    "principals",
    "runbooks",
    "schedule_overrides",
    "schedules",
    "services",
    "silences",
    "subscriptions",
    "tokens",
    "webhook_deliveries",
]

# -- alerts and incidents (migration 0002) ------------------------------------------

integrations = Table(
    "integrations",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("source", String(32), nullable=False),
    Column("channel_id", String(64), ForeignKey("channels.id"), nullable=False),
    # Used as the webhook token and as the HMAC key of signing sources, so it is kept
    # as given (a hash could not verify an HMAC); it is only shown on create and rotate.
    Column("secret", String(128), nullable=False),
    Column("config", JSON, nullable=False),
    Column("created_by", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("rotated_at", UTCDateTime),
)

webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("integration_id", String(64), ForeignKey("integrations.id", ondelete="CASCADE"), primary_key=True),
    Column("delivery_id", String(200), primary_key=True),
    Column("received_at", UTCDateTime, nullable=False),
    Column("result", JSON, nullable=False),
)

incidents = Table(
    "incidents",
    metadata,
    Column("number", BigId, primary_key=True, autoincrement=True),
    Column("thread_id", String(200), nullable=False, unique=True),
    Column("title", String(200), nullable=False),
    Column("severity", SmallInteger, nullable=False),  # rank: 0 = P0
    Column("status", String(16), nullable=False),
    Column("service", String(200)),
    Column("channel_id", String(64), ForeignKey("channels.id"), nullable=False),
    Column("integration_id", String(64)),
    Column("group_key", String(500)),
    Column("owner", String(200)),
    Column("commander", String(200)),
    Column("labels", JSON, nullable=False, default=dict),
    Column("summary", Text, nullable=False, default=""),
    Column("created_by", String(64), nullable=False),
    Column("triggered_at", UTCDateTime, nullable=False),
    Column("acknowledged_at", UTCDateTime),
    Column("investigating_at", UTCDateTime),
    Column("mitigating_at", UTCDateTime),
    Column("resolved_at", UTCDateTime),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("reopen_count", Integer, nullable=False, default=0),
    Column("merged_into", BigInteger),
    Column("alert_count", Integer, nullable=False, default=0),
    Column("firing_count", Integer, nullable=False, default=0),
)
Index("ix_incidents_status_severity", incidents.c.status, incidents.c.severity)
Index("ix_incidents_group_key_status", incidents.c.group_key, incidents.c.status)
Index("ix_incidents_triggered_at", incidents.c.triggered_at)

alerts = Table(
    "alerts",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("integration_id", String(64), nullable=False),
    Column("source", String(32), nullable=False),
    Column("fingerprint", String(200), nullable=False),
    Column("status", String(16), nullable=False),
    Column("title", String(500), nullable=False),
    Column("description", Text, nullable=False, default=""),
    Column("severity", SmallInteger, nullable=False),
    Column("severity_rule", String(500), nullable=False),
    Column("service", String(200)),
    Column("labels", JSON, nullable=False),
    Column("annotations", JSON, nullable=False),
    Column("links", JSON, nullable=False),
    Column("source_key", String(200)),
    Column("group_key", String(500), nullable=False),
    Column("incident_number", BigInteger),
    Column("silenced_by", String(32)),
    Column("count", Integer, nullable=False, default=1),
    Column("starts_at", UTCDateTime),
    Column("ends_at", UTCDateTime),
    Column("first_seen", UTCDateTime, nullable=False),
    Column("last_seen", UTCDateTime, nullable=False),
    Column("resolved_at", UTCDateTime),
    Column("raw", JSON, nullable=False),
    UniqueConstraint("integration_id", "fingerprint"),
)
Index("ix_alerts_incident_number", alerts.c.incident_number)
Index("ix_alerts_status_last_seen", alerts.c.status, alerts.c.last_seen)

silences = Table(
    "silences",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("matchers", JSON, nullable=False),
    Column("starts_at", UTCDateTime, nullable=False),
    Column("ends_at", UTCDateTime, nullable=False),
    Column("created_by", String(64), nullable=False),
    Column("comment", Text, nullable=False, default=""),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expired_at", UTCDateTime),
)
Index("ix_silences_ends_at", silences.c.ends_at)

# -- paging and delivery (migration 0003) ---------------------------------------------

paging_profiles = Table(
    "paging_profiles",
    metadata,
    Column("principal_id", String(64), ForeignKey("principals.id"), primary_key=True),
    Column("time_zone", String(64), nullable=False, default="UTC"),
    Column("rules", JSON, nullable=False),  # UserNotificationRules as JSON
    Column("updated_at", UTCDateTime, nullable=False),
)

contact_methods = Table(
    "contact_methods",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("principal_id", String(64), ForeignKey("principals.id"), nullable=False),
    Column("kind", String(16), nullable=False),  # apprise | webhook | pagerduty | opsgenie
    Column("label", String(200), nullable=False),
    Column("target", Text, nullable=False),  # Apprise URL, webhook URL, routing key, API key
    Column("secret", String(128)),  # signs webhook bodies
    Column("options", JSON, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)
Index("ix_contact_methods_principal_id", contact_methods.c.principal_id)

schedules = Table(
    "schedules",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("layers", JSON, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

schedule_overrides = Table(
    "schedule_overrides",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("schedule_id", String(64), ForeignKey("schedules.id", ondelete="CASCADE"), nullable=False),
    Column("user_id", String(64), nullable=False),
    Column("starts_at", UTCDateTime, nullable=False),
    Column("ends_at", UTCDateTime, nullable=False),
    Column("created_by", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)
Index("ix_schedule_overrides_schedule_id", schedule_overrides.c.schedule_id)

escalation_policies = Table(
    "escalation_policies",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("levels", JSON, nullable=False),
    Column("repeat", Integer, nullable=False, default=0),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

escalation_routes = Table(
    "escalation_routes",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("policy_id", String(64), ForeignKey("escalation_policies.id", ondelete="CASCADE"), nullable=False),
    Column("service", String(200)),
    Column("integration", String(64)),
    Column("channel", String(64)),
    Column("severities", JSON),
    Column("position", Integer, nullable=False, default=0),
)

# The escalation clock: one row per incident being escalated; due times live here, so a
# restart resumes them and any replica may fire the next step.
escalations = Table(
    "escalations",
    metadata,
    Column("incident_number", BigInteger, primary_key=True),
    Column("policy_id", String(64), nullable=False),
    Column("round", Integer, nullable=False, default=0),  # the incident's reopen_count
    Column("triggered_at", UTCDateTime, nullable=False),
    Column("fired_steps", Integer, nullable=False, default=0),
    Column("next_due_at", UTCDateTime),
    Column("state", String(16), nullable=False),  # active | stopped | exhausted
    Column("updated_at", UTCDateTime, nullable=False),
)
Index("ix_escalations_state_next_due_at", escalations.c.state, escalations.c.next_due_at)

# The durable outbox: a page is committed with the event that caused it, then sent.
deliveries = Table(
    "deliveries",
    metadata,
    Column("id", String(32), primary_key=True),  # stable across retries; sent to receivers
    Column("dedup_key", String(300), nullable=False, unique=True),  # one page per step and method
    Column("created_at", UTCDateTime, nullable=False),
    Column("incident_number", BigInteger),
    Column("subscription_id", String(32)),
    Column("message_id", BigInteger),
    Column("principal_id", String(64)),
    Column("contact_method_id", String(32)),
    Column("kind", String(16), nullable=False),
    Column("destination", String(300), nullable=False),  # circuit-breaker key
    Column("payload", JSON, nullable=False),
    Column("state", String(16), nullable=False),  # queued | sending | sent | failed | gave_up | cancelled
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UTCDateTime, nullable=False),
    Column("lease_until", UTCDateTime),
    Column("last_error", Text),
    Column("sent_at", UTCDateTime),
)
Index("ix_deliveries_state_next_attempt_at", deliveries.c.state, deliveries.c.next_attempt_at)
Index("ix_deliveries_incident_number", deliveries.c.incident_number)

# -- knowledge base and analysis (migration 0004) ------------------------------------

services = Table(
    "services",
    metadata,
    Column("id", String(100), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("owner_team", String(200)),
    Column("tier", SmallInteger, nullable=False, default=3),  # 1 = most critical
    Column("dependencies", JSON, nullable=False),  # ids of services this one depends on
    Column("repository", String(500)),
    Column("dashboards", JSON, nullable=False),
    Column("runbook_links", JSON, nullable=False),
    Column("stakeholders", JSON, nullable=False),
    Column("description", Text, nullable=False, default=""),
    Column("updated_at", UTCDateTime, nullable=False),
)

runbooks = Table(
    "runbooks",
    metadata,
    Column("id", String(100), primary_key=True),
    Column("title", String(200), nullable=False),
    Column("match", JSON, nullable=False),  # {"services": [], "alertnames": [], "labels": {}, "keywords": []}
    Column("steps", JSON, nullable=False),
    Column("body", Text, nullable=False, default=""),
    Column("updated_at", UTCDateTime, nullable=False),
)

change_events = Table(
    "change_events",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("kind", String(32), nullable=False),  # deploy | config | feature_flag | other
    Column("service", String(100), nullable=False),
    Column("version", String(200)),
    Column("description", Text, nullable=False, default=""),
    Column("author", String(200)),
    Column("source", String(32), nullable=False),
    Column("url", String(1000)),
    Column("external_id", String(200), unique=True),
    Column("at", UTCDateTime, nullable=False),
    Column("data", JSON, nullable=False),
)
Index("ix_change_events_service_at", change_events.c.service, change_events.c.at)

incident_analyses = Table(
    "incident_analyses",
    metadata,
    Column("incident_number", BigInteger, primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("input_hash", String(64), nullable=False),
    Column("data", JSON, nullable=False),
)

postmortems = Table(
    "postmortems",
    metadata,
    Column("incident_number", BigInteger, primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("created_by", String(64), nullable=False),
    Column("generated", Boolean, nullable=False),
    Column("markdown", Text, nullable=False),
    Column("facts", JSON, nullable=False),
)

followups = Table(
    "followups",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("incident_number", BigInteger, nullable=False),
    Column("title", String(500), nullable=False),
    Column("owner", String(200)),
    Column("state", String(16), nullable=False),  # open | done | dropped
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)
Index("ix_followups_incident_number", followups.c.incident_number)

# What the analysis needs to know of a past incident, kept when it resolves so that
# "similar past incidents" reads one row per incident instead of its whole thread.
incident_knowledge = Table(
    "incident_knowledge",
    metadata,
    Column("incident_number", BigInteger, primary_key=True),
    Column("root_cause", Text, nullable=False, default=""),
    Column("resolution", Text, nullable=False, default=""),
    Column("tokens", Text, nullable=False, default=""),
    Column("updated_at", UTCDateTime, nullable=False),
)
