"""The tools: a drop-in superset of Notify-MCP's, and the war room's reading tools.

Notify-MCP's names and arguments (channel, title, body, priority, theme, tags;
priority_filter, tag_filter; channel_id, name, description) keep working unchanged; every
addition is optional. Each tool calls one core method as the caller and renders the result.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from mcp_types import ToolAnnotations
from pydantic import Field

from warroom.errors import InvalidInput
from warroom.mcp import schemas as s
from warroom.mcp import uris
from warroom.messages.filters import MessageFilter, build_filter
from warroom.messages.models import Action, Link, MessageIn, Sender
from warroom.priority import PriorityError

if TYPE_CHECKING:
    from warroom.mcp.server import WarroomMCP

ChannelId = Annotated[
    str,
    Field(
        min_length=1,
        max_length=64,
        description="Channel id: lowercase letters, digits and '-' (e.g. incidents, security-incidents)",
    ),
]
ThreadId = Annotated[
    str, Field(min_length=1, max_length=200, description="Thread id; an incident's thread id is its id")
]
Tags = Annotated[list[Annotated[str, Field(min_length=1, max_length=64)]], Field(max_length=20)]
Since = Annotated[
    str | None,
    Field(description="Only messages at or after this: a span such as 30m, 24h, 7d, or an ISO 8601 time"),
]
Limit = Annotated[int, Field(ge=1, le=200, description="Page size (1-200)")]

READ = ToolAnnotations(read_only_hint=True, open_world_hint=False)
WRITE = ToolAnnotations(read_only_hint=False, destructive_hint=False, open_world_hint=False)
IDEMPOTENT = ToolAnnotations(
    read_only_hint=False, destructive_hint=False, idempotent_hint=True, open_world_hint=False
)


def make_filter(**kw: Any) -> MessageFilter:
    """Door input to the core's filter; a bad value is a tool error naming the argument."""
    try:
        return build_filter(**kw)
    except PriorityError as exc:
        raise InvalidInput(str(exc), field="priority") from None
    except ValueError as exc:
        raise InvalidInput(str(exc), field="since") from None


def _page(page: dict[str, Any]) -> s.NotificationPage:
    return s.NotificationPage.model_validate(page)


def register(server: WarroomMCP) -> None:
    core = server.core
    me = server.identity.current

    @server.tool(
        title="Publish a notification",
        annotations=WRITE,
        description="""Publish a message to a channel, for everyone following it (people and AI assistants).

Use it to raise an alert, acknowledge an incident, post a status update, record a decision or
announce a resolution. Keep one incident in one thread_id; reply to a message with
in_reply_to=<its id>. The sender defaults to the person you act for.

Example: {"channel": "incidents", "title": "👀 Incident Acknowledged - Investigating",
"body": "**Owner:** Sarah Chen\\n**ETA:** 5 min", "priority": "critical",
"theme": "incident-update", "tags": ["p0", "investigating"],
"thread_id": "incident-2024-01-12-001"}""",
    )
    async def publish_notification(
        channel: ChannelId,
        title: Annotated[str, Field(min_length=1, max_length=200, description="One-line summary")],
        body: Annotated[str, Field(max_length=65_536, description="Markdown body")] = "",
        priority: Annotated[
            s.PriorityIn, Field(description="critical=P0, high=P1, medium=P2, low=P3")
        ] = "medium",
        theme: Annotated[
            str | None,
            Field(
                max_length=64,
                description="What the message is, as a slug: incident-alert, incident-update, "
                "incident-decision, incident-resolved, root-cause, blocker, question, fyi, ...",
            ),
        ] = None,
        tags: Tags | None = None,
        thread_id: Annotated[
            str | None, Field(min_length=1, max_length=200, description="Group messages of one incident")
        ] = None,
        in_reply_to: Annotated[
            int | None,
            Field(ge=1, description="Numeric id of the message this answers (same channel)"),
        ] = None,
        sender: Annotated[
            Sender | None,
            Field(description="Who is speaking; defaults to the connected person's profile"),
        ] = None,
        links: Annotated[list[Link] | None, Field(max_length=20, description="Dashboards, logs, PRs")] = None,
        actions: Annotated[
            list[Action] | None, Field(max_length=10, description="Suggested next steps")
        ] = None,
        idempotency_key: Annotated[
            str | None,
            Field(min_length=1, max_length=200, description="Retry-safe key: a repeat returns the first"),
        ] = None,
    ) -> s.PublishResult:
        msg = MessageIn.model_validate(
            {
                "title": title,
                "body": body,
                "priority": priority,
                "theme": theme,
                "tags": tags or [],
                "thread_id": thread_id,
                "in_reply_to": in_reply_to,
                "sender": sender,
                "links": links or [],
                "actions": actions or [],
                "idempotency_key": idempotency_key,
            }
        )
        result = await core.publish(me(), channel, msg)
        return s.PublishResult(
            message=s.Notification.model_validate(result.message),
            created=result.created,
            resource=uris.recent(channel),
        )

    @server.tool(
        title="Subscribe to a channel",
        annotations=IDEMPOTENT,
        description="""Follow a channel, optionally only the messages that match filters.

Your unread messages then come from get_unread. The same channel and filters return the
existing subscription. Filters combine with AND; values inside one filter with OR.

Example (on-call: critical and high only): {"channel": "incidents",
"priority_filter": ["critical", "high"]}""",
    )
    async def subscribe_to_channel(
        channel: ChannelId,
        priority_filter: Annotated[
            list[s.PriorityIn] | None, Field(max_length=8, description="Only these priorities")
        ] = None,
        tag_filter: Annotated[Tags | None, Field(description="Messages with ANY of these tags")] = None,
        theme_filter: Annotated[
            list[Annotated[str, Field(max_length=64)]] | None,
            Field(max_length=20, description="Only these themes"),
        ] = None,
        sender_filter: Annotated[
            list[Annotated[str, Field(max_length=200)]] | None,
            Field(max_length=20, description="Only from these senders (user_id, name or principal)"),
        ] = None,
        thread_filter: Annotated[
            list[Annotated[str, Field(max_length=200)]] | None,
            Field(max_length=20, description="Only these threads"),
        ] = None,
        min_priority: Annotated[
            s.PriorityIn | None, Field(description="This priority and anything more urgent")
        ] = None,
    ) -> s.SubscriptionOut:
        f = make_filter(
            priorities=priority_filter,
            min_priority=min_priority,
            tags=tag_filter,
            themes=theme_filter,
            senders=sender_filter,
            threads=thread_filter,
        )
        return s.SubscriptionOut.model_validate(await core.subscribe(me(), channel, f))

    @server.tool(
        title="Unsubscribe from a channel",
        annotations=ToolAnnotations(read_only_hint=False, destructive_hint=True, open_world_hint=False),
        description="""Stop following a channel (all your subscriptions to it), or one subscription by id.

Example: {"channel": "incidents"}""",
    )
    async def unsubscribe_from_channel(
        channel: Annotated[str | None, Field(max_length=64, description="Channel to stop following")] = None,
        subscription_id: Annotated[
            str | None, Field(max_length=64, description="One subscription id (from get_my_subscriptions)")
        ] = None,
    ) -> s.Unsubscribed:
        removed = await core.unsubscribe(me(), sub_id=subscription_id, channel_id=channel)
        return s.Unsubscribed(channel=channel, removed=removed)

    @server.tool(
        title="List channels",
        annotations=READ,
        description="""List the channels you can see, with message and subscriber counts and your permissions.

Use it to find where to publish or what to follow. Example: {} or {"include_archived": true}""",
    )
    async def list_channels(
        include_archived: Annotated[bool, Field(description="Also list archived channels")] = False,
    ) -> s.ChannelList:
        rows = await core.list_channels(me(), include_archived=include_archived)
        return s.ChannelList(channels=[s.ChannelOut.model_validate(r) for r in rows])

    @server.tool(
        title="Create a channel",
        annotations=WRITE,
        description="""Create a channel. You become its admin.

public: everyone reads and publishes; private: listed, but reading needs a grant;
confidential: invisible to anyone without a grant (security incidents).
Example: {"channel_id": "incidents", "name": "Incidents",
"description": "Production incident coordination"}""",
    )
    async def create_channel(
        channel_id: ChannelId,
        name: Annotated[str | None, Field(max_length=200, description="Display name")] = None,
        description: Annotated[str, Field(max_length=2000)] = "",
        visibility: s.Visibility = "public",
        incident_enabled: Annotated[bool, Field(description="Alerts may open incidents here")] = False,
        retention_days: Annotated[
            int | None, Field(ge=1, le=36500, description="Delete messages after this many days")
        ] = None,
    ) -> s.ChannelOut:
        info = await core.create_channel(
            me(),
            channel_id,
            name=name,
            description=description,
            visibility=visibility,
            incident_enabled=incident_enabled,
            retention_days=retention_days,
        )
        return s.ChannelOut.model_validate(info)

    @server.tool(
        title="My subscriptions",
        annotations=READ,
        description="""List your subscriptions with their filters and unread counts. Example: {}""",
    )
    async def get_my_subscriptions() -> s.SubscriptionList:
        rows = await core.list_subscriptions(me())
        return s.SubscriptionList(subscriptions=[s.SubscriptionOut.model_validate(r) for r in rows])

    @server.tool(
        title="Get notifications",
        annotations=READ,
        description="""Read a channel's history (or every channel you can read), newest first, with filters.

Use it for "what happened in #incidents today?" or "show all decisions from last week".
Page older with before=<next_before>, newer with after=<next_after>.
Example: {"channel": "incidents", "since": "24h", "priorities": ["critical"],
"themes": ["incident-decision"], "limit": 20}""",
    )
    async def get_notifications(
        channel: Annotated[
            str | None, Field(max_length=64, description="Channel id; omit for every channel you can read")
        ] = None,
        since: Since = None,
        until: Annotated[str | None, Field(description="Only messages before this time")] = None,
        priorities: Annotated[list[s.PriorityIn] | None, Field(max_length=8)] = None,
        min_priority: s.PriorityIn | None = None,
        tags: Annotated[Tags | None, Field(description="ANY of these tags")] = None,
        themes: Annotated[list[Annotated[str, Field(max_length=64)]] | None, Field(max_length=20)] = None,
        senders: Annotated[list[Annotated[str, Field(max_length=200)]] | None, Field(max_length=20)] = None,
        thread_id: Annotated[str | None, Field(max_length=200)] = None,
        before: Annotated[int | None, Field(ge=1, description="Messages older than this id")] = None,
        after: Annotated[int | None, Field(ge=0, description="Messages newer than this id")] = None,
        limit: Limit = 20,
    ) -> s.NotificationPage:
        f = make_filter(
            priorities=priorities,
            min_priority=min_priority,
            tags=tags,
            themes=themes,
            senders=senders,
            threads=[thread_id] if thread_id else None,
            since=since,
            until=until,
        )
        page = await core.history(
            me(), [channel] if channel else None, f, before=before, after=after, limit=limit
        )
        return _page(page)

    @server.tool(
        title="Search notifications",
        annotations=READ,
        description="""Full-text search (every word must match title or body) across channels you can read.

Example: {"query": "connection pool", "since": "7d"}""",
    )
    async def search_notifications(
        query: Annotated[str, Field(min_length=1, max_length=500, description="Words to find")],
        channels: Annotated[
            list[Annotated[str, Field(max_length=64)]] | None,
            Field(max_length=50, description="Limit to these channels"),
        ] = None,
        since: Since = None,
        priorities: Annotated[list[s.PriorityIn] | None, Field(max_length=8)] = None,
        tags: Annotated[Tags | None, Field(description="ANY of these tags")] = None,
        themes: Annotated[list[Annotated[str, Field(max_length=64)]] | None, Field(max_length=20)] = None,
        before: Annotated[int | None, Field(ge=1)] = None,
        limit: Limit = 20,
    ) -> s.NotificationPage:
        f = make_filter(priorities=priorities, tags=tags, themes=themes, text=query, since=since)
        page = await core.history(me(), channels or None, f, before=before, limit=limit)
        return _page(page)

    @server.tool(
        title="Get a thread",
        annotations=READ,
        description="""Read a whole thread (one incident) oldest first, in one call.

Use it for "what happened tonight?", a briefing, or a postmortem timeline.
Example: {"thread_id": "incident-2024-01-12-001"}""",
    )
    async def get_thread(
        thread_id: ThreadId, limit: Annotated[int, Field(ge=1, le=2000)] = 500
    ) -> s.ThreadOut:
        return s.ThreadOut.model_validate(await core.thread(me(), thread_id, limit=limit))

    @server.tool(
        title="Get unread",
        annotations=READ,
        description="""Messages you have not read yet in your subscriptions (oldest first), with counts.

Call mark_read afterwards with the same subscription (or channel) to clear them.
Example: {} or {"subscription_id": "sub_0123abcd"}""",
    )
    async def get_unread(
        subscription_id: Annotated[str | None, Field(max_length=64)] = None,
        limit: Limit = 50,
    ) -> s.UnreadOut:
        out = await core.unread(me(), sub_id=subscription_id, limit=limit)
        groups = [s.UnreadGroup.model_validate(g) for g in out["subscriptions"]]
        return s.UnreadOut(subscriptions=groups, total_unread=sum(g.unread for g in groups))

    @server.tool(
        title="Mark read",
        annotations=IDEMPOTENT,
        description="""Mark messages read up to an id (default: everything so far). Never moves backwards.

Name a subscription_id, or a channel to mark all your subscriptions to it.
Example: {"channel": "incidents"} or {"subscription_id": "sub_0123abcd", "up_to": 42}""",
    )
    async def mark_read(
        subscription_id: Annotated[str | None, Field(max_length=64)] = None,
        channel: Annotated[str | None, Field(max_length=64)] = None,
        up_to: Annotated[int | None, Field(ge=0, description="Last message id you have read")] = None,
    ) -> s.SubscriptionList:
        p = me()
        if subscription_id:
            ids = [subscription_id]
        elif channel:
            ids = [sub["id"] for sub in await core.list_subscriptions(p) if sub["channel"] == channel]
            if not ids:
                raise InvalidInput(
                    f"you have no subscription to channel {channel!r}; subscribe_to_channel first",
                    field="channel",
                )
        else:
            raise InvalidInput(
                "name a subscription_id or a channel (see get_my_subscriptions)", field="subscription_id"
            )
        updated = [await core.mark_read(p, sid, up_to=up_to) for sid in ids]
        return s.SubscriptionList(subscriptions=[s.SubscriptionOut.model_validate(u) for u in updated])

    @server.tool(
        title="Channel info",
        annotations=READ,
        description="""A channel's description, visibility, message and subscriber counts, last activity and
your permissions. Example: {"channel": "incidents"}""",
    )
    async def get_channel_info(channel: ChannelId) -> s.ChannelOut:
        return s.ChannelOut.model_validate(await core.get_channel(me(), channel))
