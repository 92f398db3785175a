"""`warroom`: serve, administer and use the war room from a terminal."""

from __future__ import annotations

import sys
import time
from typing import Annotated, Any

import orjson
import typer

from warroom.cli.client import Api, CLIError
from warroom.cli.common import JsonOpt, ServerOpt, TokenOpt, fail
from warroom.cli.incidents import incident_app, integration_app, silence_app
from warroom.cli.intel import change_app, followup_app, intel_commands, kb_app, postmortem_app
from warroom.cli.paging import (
    contact_app,
    deliveries_app,
    paging_commands,
    policy_app,
    schedule_app,
    user_app,
)
from warroom.cli.render import (
    console,
    emit_json,
    emit_json_line,
    err_console,
    message_full,
    message_line,
    table,
)
from warroom.config import ConfigError, load_settings

app = typer.Typer(
    help="warroom: an incident war room for on-call teams and their AI assistants.", no_args_is_help=True
)
channel_app = typer.Typer(help="Create, list, show, update and archive channels.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens: create, list, revoke.", no_args_is_help=True)
sub_app = typer.Typer(help="Your durable subscriptions.", no_args_is_help=True)
db_app = typer.Typer(help="The store: migrations.", no_args_is_help=True)
config_app = typer.Typer(help="Settings.", no_args_is_help=True)
app.add_typer(channel_app, name="channel")
app.add_typer(token_app, name="token")
app.add_typer(sub_app, name="subscription")
app.add_typer(db_app, name="db")
app.add_typer(config_app, name="config")
app.add_typer(incident_app, name="incident")
app.add_typer(integration_app, name="integration")
app.add_typer(silence_app, name="silence")
app.add_typer(user_app, name="user")
app.add_typer(contact_app, name="contact")
app.add_typer(schedule_app, name="schedule")
app.add_typer(policy_app, name="policy")
app.add_typer(deliveries_app, name="deliveries")
paging_commands(app)
app.add_typer(kb_app, name="kb")
app.add_typer(change_app, name="change")
app.add_typer(postmortem_app, name="postmortem")
app.add_typer(followup_app, name="followup")
intel_commands(app)

ConfigOpt = Annotated[
    str | None, typer.Option("--config", envvar="WARROOM_CONFIG", help="TOML settings file.")
]
DbUrlOpt = Annotated[str | None, typer.Option("--database-url", help="SQLAlchemy URL of the store.")]
DataDirOpt = Annotated[str | None, typer.Option("--data-dir", help="Directory for the SQLite file.")]


def _fail(exc: CLIError | ConfigError) -> None:
    if isinstance(exc, CLIError):
        fail(exc)
    err_console.print(f"[red]error:[/] {exc}", markup=True)
    raise typer.Exit(2)


def _settings(config: str | None, **overrides: Any) -> Any:
    try:
        return load_settings(config, **overrides)
    except ConfigError as exc:
        _fail(exc)
    except Exception as exc:  # pydantic ValidationError: name the bad setting
        err_console.print(f"[red]error:[/] invalid setting: {exc}", markup=True)
        raise typer.Exit(2) from None


# -- server ------------------------------------------------------------------------


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to bind (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default 8025).")] = None,
    data_dir: DataDirOpt = None,
    database_url: DbUrlOpt = None,
    config: ConfigOpt = None,
    insecure: Annotated[
        bool, typer.Option("--insecure", help="Allow a non-loopback bind with no tokens.")
    ] = False,
    log_json: Annotated[bool, typer.Option("--log-json", help="Log one JSON object per line.")] = False,
) -> None:
    """Run the server (REST, streams, MCP over HTTP, dashboard). SQLite by default."""
    from warroom.logging_setup import setup_logging
    from warroom.serve import serve as run_server

    s = _settings(
        config,
        host=host,
        port=port,
        data_dir=data_dir,
        database_url=database_url,
        insecure=insecure or None,
        log_json=log_json or None,
    )
    setup_logging(s.log_level, s.log_json)
    try:
        run_server(s)
    except ConfigError as exc:
        _fail(exc)


@app.command("mcp")
def mcp_stdio(
    remote: Annotated[
        str | None,
        typer.Option("--remote", help="Team server URL: bridge stdio to its /mcp (identity checked there)."),
    ] = None,
    token: TokenOpt = None,
    data_dir: DataDirOpt = None,
    database_url: DbUrlOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Serve MCP over stdio for an AI assistant (Claude Desktop, Claude Code, Cursor, Gemini CLI).

    Without --remote it opens the configured store and acts as the token's principal (or the
    local user when no token is given); with --remote it forwards to a team server's /mcp.
    """
    import anyio

    from warroom.logging_setup import setup_logging

    setup_logging("warning")  # stdout belongs to the MCP protocol; logs go to stderr
    if remote:
        from warroom.mcp.bridge import serve_bridge

        anyio.run(serve_bridge, remote, token)
        return
    from warroom.errors import WarroomError
    from warroom.mcp.stdio import serve_stdio

    s = _settings(config, database_url=database_url, data_dir=data_dir)
    try:
        anyio.run(serve_stdio, s, token)
    except WarroomError as exc:
        err_console.print(f"[red]error:[/] {exc.message}", markup=True)
        raise typer.Exit(2) from None


@config_app.command("show")
def config_show(config: ConfigOpt = None, as_json: JsonOpt = False) -> None:
    """Print the effective settings, secrets masked."""
    s = _settings(config)
    data = s.masked()
    if as_json:
        emit_json(data)
        return
    for k, v in data.items():
        console.print(f"{k} = {v!r}", markup=False)


@db_app.command("upgrade")
def db_upgrade(config: ConfigOpt = None, database_url: DbUrlOpt = None, data_dir: DataDirOpt = None) -> None:
    """Apply the schema migrations to the store."""
    from warroom.core import Core

    s = _settings(config, database_url=database_url, data_dir=data_dir)
    core = Core(s)
    try:
        rev = core.migrate()
    finally:
        core.db.close()
    console.print(f"store at revision {rev}")


# -- tokens ------------------------------------------------------------------------


def _direct_core(config: str | None, database_url: str | None, data_dir: str | None) -> Any:
    from warroom.core import Core

    core = Core(_settings(config, database_url=database_url, data_dir=data_dir))
    core.migrate()
    return core


@token_app.command("create")
def token_create(
    principal: Annotated[str, typer.Option("--principal", "-p", help="Principal id the token acts as.")],
    name: Annotated[str, typer.Option(help="A label for the token.")] = "token",
    display_name: Annotated[str | None, typer.Option("--display-name", help="The principal's name.")] = None,
    scope: Annotated[list[str] | None, typer.Option("--scope", help="read, publish, admin (repeat).")] = None,
    admin: Annotated[bool, typer.Option("--admin", help="Make the principal an admin (all scopes).")] = False,
    expires_in: Annotated[str | None, typer.Option("--expires-in", help="e.g. 90d, 12h")] = None,
    db: Annotated[
        bool, typer.Option("--db", help="Write to the store directly (bootstrap), not over HTTP.")
    ] = False,
    server: ServerOpt = None,
    token: TokenOpt = None,
    config: ConfigOpt = None,
    database_url: DbUrlOpt = None,
    data_dir: DataDirOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Create an API token. The secret is printed once: store it now."""
    from warroom.identity.models import ALL_SCOPES, DEFAULT_SCOPES, Scope
    from warroom.timeutil import parse_span, utcnow

    scopes = sorted(scope) if scope else sorted(s.value for s in (ALL_SCOPES if admin else DEFAULT_SCOPES))
    expires_at = None
    if expires_in:
        span = parse_span(expires_in)
        if span is None:
            _fail(CLIError("--expires-in must look like 90d, 12h or 30m", 2))
        else:
            expires_at = utcnow() + span
    try:
        if db:
            core = _direct_core(config, database_url, data_dir)
            try:
                out = core.db.write_sync(
                    lambda c: core.identity.create_token(
                        c,
                        principal_id=principal,
                        name=name,
                        scopes=frozenset(Scope(s) for s in scopes),
                        expires_at=expires_at,
                        principal_name=display_name,
                        is_admin=admin,
                    )
                )
            finally:
                core.db.close()
        else:
            body = {
                "principal": principal,
                "name": name,
                "scopes": scopes,
                "admin": admin,
                "principal_name": display_name,
            }
            if expires_at:
                body["expires_at"] = expires_at.isoformat()
            out = Api(server, token).post("/api/tokens", json=body)
    except CLIError as exc:
        _fail(exc)
    except Exception as exc:
        from warroom.errors import WarroomError

        if isinstance(exc, WarroomError):
            _fail(CLIError(exc.message, 8))
        raise
    if as_json:
        emit_json(out)
        return
    console.print(f"token {out['id']} for {out['principal']} (scopes: {', '.join(out['scopes'])})")
    console.print(out["token"], markup=False)
    err_console.print("Store this token now; it is not shown again.")


@token_app.command("list")
def token_list(server: ServerOpt = None, token: TokenOpt = None, as_json: JsonOpt = False) -> None:
    """List tokens (admins see all)."""
    try:
        out = Api(server, token).get("/api/tokens")
    except CLIError as exc:
        _fail(exc)
    if as_json:
        emit_json(out)
        return
    table(out["tokens"], ["id", "principal", "name", "prefix", "scopes", "state", "expires_at"])


@token_app.command("revoke")
def token_revoke(
    token_id: str, server: ServerOpt = None, token: TokenOpt = None, as_json: JsonOpt = False
) -> None:
    """Revoke a token by id; it stops working at once."""
    try:
        out = Api(server, token).request("DELETE", f"/api/tokens/{token_id}")
    except CLIError as exc:
        _fail(exc)
    emit_json(out) if as_json else console.print(f"token {token_id} revoked")


# -- channels ----------------------------------------------------------------------


@channel_app.command("create")
def channel_create(
    channel_id: str,
    name: Annotated[str | None, typer.Option(help="Display name.")] = None,
    description: Annotated[str, typer.Option(help="What the channel is for.")] = "",
    visibility: Annotated[str, typer.Option(help="public, private or confidential.")] = "public",
    retention_days: Annotated[
        int | None, typer.Option(help="Keep messages this many days (default forever).")
    ] = None,
    incidents: Annotated[bool, typer.Option("--incidents", help="Incident-enabled channel.")] = False,
    grant: Annotated[
        list[str] | None, typer.Option("--grant", help="SUBJECT=PERMISSION, e.g. group:sre=publish")
    ] = None,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Create a channel."""
    acl = []
    for g in grant or []:
        subject, _, perm = g.rpartition("=")
        if not subject:
            _fail(CLIError(f"--grant {g!r} must look like principal:tom=read or group:sre=publish", 2))
        acl.append({"subject": subject, "permission": perm})
    body: dict[str, Any] = {
        "id": channel_id,
        "name": name,
        "description": description,
        "visibility": visibility,
        "retention_days": retention_days,
        "incident_enabled": incidents,
    }
    if acl:
        body["acl"] = acl
    try:
        out = Api(server, token).post("/api/channels", json=body)
    except CLIError as exc:
        _fail(exc)
    emit_json(out) if as_json else console.print(f"channel {out['id']} created ({out['visibility']})")


@channel_app.command("ls")
def channel_ls(
    include_archived: Annotated[bool, typer.Option("--all", help="Include archived channels.")] = False,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List the channels you can see, with stats."""
    try:
        out = Api(server, token).get("/api/channels", params={"include_archived": include_archived})
    except CLIError as exc:
        _fail(exc)
    if as_json:
        emit_json(out)
        return
    rows = [
        {
            **c,
            "messages": c["stats"]["messages"],
            "subscribers": c["stats"]["subscribers"],
            "last message": c["stats"]["last_message_at"],
        }
        for c in out["channels"]
    ]
    table(rows, ["id", "visibility", "messages", "subscribers", "last message", "description"])


@channel_app.command("show")
def channel_show(
    channel_id: str, server: ServerOpt = None, token: TokenOpt = None, as_json: JsonOpt = False
) -> None:
    """Show one channel."""
    try:
        out = Api(server, token).get(f"/api/channels/{channel_id}")
    except CLIError as exc:
        _fail(exc)
    if as_json:
        emit_json(out)
        return
    for k, v in out.items():
        console.print(f"{k}: {v}", markup=False)


@channel_app.command("update")
def channel_update(
    channel_id: str,
    name: Annotated[str | None, typer.Option()] = None,
    description: Annotated[str | None, typer.Option()] = None,
    visibility: Annotated[str | None, typer.Option()] = None,
    retention_days: Annotated[int | None, typer.Option()] = None,
    unarchive: Annotated[bool, typer.Option("--unarchive")] = False,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Change a channel's settings."""
    patch: dict[str, Any] = {
        k: v
        for k, v in {
            "name": name,
            "description": description,
            "visibility": visibility,
            "retention_days": retention_days,
        }.items()
        if v is not None
    }
    if unarchive:
        patch["archived"] = False
    try:
        out = Api(server, token).request("PATCH", f"/api/channels/{channel_id}", json=patch)
    except CLIError as exc:
        _fail(exc)
    emit_json(out) if as_json else console.print(f"channel {channel_id} updated")


@channel_app.command("archive")
def channel_archive(
    channel_id: str, server: ServerOpt = None, token: TokenOpt = None, as_json: JsonOpt = False
) -> None:
    """Archive a channel: history stays readable, publishing stops."""
    try:
        out = Api(server, token).post(f"/api/channels/{channel_id}/archive")
    except CLIError as exc:
        _fail(exc)
    emit_json(out) if as_json else console.print(f"channel {channel_id} archived")


@channel_app.command("grant")
def channel_grant(
    channel_id: str,
    subject: Annotated[str, typer.Argument(help="principal:<id>, group:<name> or *")],
    permission: Annotated[str, typer.Argument(help="read, publish or admin")],
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Grant a permission on a channel."""
    api = Api(server, token)
    try:
        current = api.get(f"/api/channels/{channel_id}").get("acl", [])
        out = api.request(
            "PATCH",
            f"/api/channels/{channel_id}",
            json={"acl": [*current, {"subject": subject, "permission": permission}]},
        )
    except CLIError as exc:
        _fail(exc)
    emit_json(out) if as_json else console.print(f"granted {permission} on {channel_id} to {subject}")


# -- messages ----------------------------------------------------------------------


@app.command()
def publish(
    channel: str,
    title: str,
    body: Annotated[
        str | None, typer.Option("--body", "-b", help="Markdown body; '-' reads standard input.")
    ] = None,
    priority: Annotated[
        str, typer.Option("--priority", "-p", help="critical|high|medium|low, P0-P3 or 1-5.")
    ] = "medium",
    tag: Annotated[list[str] | None, typer.Option("--tag", "-t", help="A tag (repeat).")] = None,
    theme: Annotated[str | None, typer.Option(help="e.g. incident-update, incident-decision.")] = None,
    thread: Annotated[str | None, typer.Option(help="Thread id (an incident's id).")] = None,
    reply_to: Annotated[int | None, typer.Option("--reply-to", help="Message id this replies to.")] = None,
    link: Annotated[list[str] | None, typer.Option("--link", help="A URL (repeat).")] = None,
    sender_name: Annotated[
        str | None, typer.Option(help="Display name (defaults from your profile).")
    ] = None,
    role: Annotated[str | None, typer.Option(help="Your role, e.g. SRE.")] = None,
    idempotency_key: Annotated[str | None, typer.Option(help="Retry-safe key.")] = None,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Publish a message to a channel."""
    if body == "-":
        body = sys.stdin.read()
    payload: dict[str, Any] = {
        "title": title,
        "body": body or "",
        "priority": priority,
        "tags": tag or [],
        "theme": theme,
        "thread_id": thread,
        "in_reply_to": reply_to,
        "links": link or [],
        "idempotency_key": idempotency_key,
    }
    if sender_name or role:
        payload["sender"] = {"name": sender_name, "role": role}
    try:
        out = Api(server, token).post(f"/api/channels/{channel}/messages", json=payload)
    except CLIError as exc:
        _fail(exc)
    emit_json(out) if as_json else message_line(out)


def _filter_params(
    priority: str | None,
    min_priority: str | None,
    tag: list[str] | None,
    theme: str | None,
    sender: str | None,
    thread: str | None,
    q: str | None,
    since: str | None,
) -> dict[str, Any]:
    params: dict[str, Any] = {
        "priority": priority,
        "min_priority": min_priority,
        "tag": tag,
        "theme": theme,
        "sender": sender,
        "thread": thread,
        "q": q,
        "since": since,
    }
    return {k: v for k, v in params.items() if v}


PriorityOpt = Annotated[str | None, typer.Option("--priority", "-p", help="e.g. critical,high")]
MinPrioOpt = Annotated[str | None, typer.Option("--min-priority", help="this priority or more urgent")]
TagOpt = Annotated[list[str] | None, typer.Option("--tag", "-t", help="any of these tags (repeat)")]
ThemeOpt = Annotated[str | None, typer.Option("--theme")]
SenderOpt = Annotated[str | None, typer.Option("--sender")]
ThreadOpt = Annotated[str | None, typer.Option("--thread")]
SinceOpt = Annotated[str | None, typer.Option("--since", help="24h, 30m, 7d or an ISO time")]


@app.command()
def history(
    channel: str,
    priority: PriorityOpt = None,
    min_priority: MinPrioOpt = None,
    tag: TagOpt = None,
    theme: ThemeOpt = None,
    sender: SenderOpt = None,
    thread: ThreadOpt = None,
    q: Annotated[str | None, typer.Option("--q", "-q", help="full-text words")] = None,
    since: SinceOpt = None,
    limit: Annotated[int, typer.Option(help="page size (1-500)")] = 50,
    before: Annotated[int | None, typer.Option(help="older than this message id")] = None,
    after: Annotated[int | None, typer.Option(help="newer than this message id")] = None,
    full: Annotated[bool, typer.Option("--full", help="Show bodies.")] = False,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """A page of a channel's history, newest first. Page on with --before/--after."""
    params = _filter_params(priority, min_priority, tag, theme, sender, thread, q, since)
    params.update({"limit": limit, "before": before, "after": after})
    try:
        out = Api(server, token).get(
            f"/api/channels/{channel}/messages", params={k: v for k, v in params.items() if v is not None}
        )
    except CLIError as exc:
        _fail(exc)
    if as_json:
        emit_json(out)
        return
    for m in reversed(out["items"]):
        (message_full if full else message_line)(m)
    if out["has_more"]:
        err_console.print(f"more: --before {out['next_before']}", style="dim")


@app.command()
def search(
    q: str,
    channel: Annotated[list[str] | None, typer.Option("--channel", "-c")] = None,
    since: SinceOpt = None,
    limit: int = 50,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Full-text search across the channels you can read."""
    params: dict[str, Any] = {"q": q, "limit": limit, "channel": channel, "since": since}
    try:
        out = Api(server, token).get("/api/messages", params={k: v for k, v in params.items() if v})
    except CLIError as exc:
        _fail(exc)
    if as_json:
        emit_json(out)
        return
    for m in reversed(out["items"]):
        message_line(m)


@app.command()
def thread(
    thread_id: str, server: ServerOpt = None, token: TokenOpt = None, as_json: JsonOpt = False
) -> None:
    """A whole thread, oldest first."""
    try:
        out = Api(server, token).get(f"/api/threads/{thread_id}")
    except CLIError as exc:
        _fail(exc)
    if as_json:
        emit_json(out)
        return
    for m in out["messages"]:
        message_full(m)


@app.command()
def subscribe(
    channel: str,
    priority: PriorityOpt = None,
    min_priority: MinPrioOpt = None,
    tag: TagOpt = None,
    theme: Annotated[list[str] | None, typer.Option("--theme")] = None,
    sender: Annotated[list[str] | None, typer.Option("--sender")] = None,
    thread: Annotated[list[str] | None, typer.Option("--thread")] = None,
    follow: Annotated[bool, typer.Option("--follow", "-f", help="Stay connected and print live.")] = False,
    deliver_to: Annotated[
        list[str] | None,
        typer.Option("--deliver-to", help="Your contact method id (cm_…) that matches page (repeat)."),
    ] = None,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Subscribe to a channel with filters; --follow prints what you missed, then live messages."""
    api = Api(server, token)
    filters = {
        "priorities": priority.split(",") if priority else None,
        "min_priority": min_priority,
        "tags": tag,
        "themes": theme,
        "senders": sender,
        "threads": thread,
    }
    try:
        body: dict[str, Any] = {"channel": channel, "filters": {k: v for k, v in filters.items() if v}}
        if deliver_to:
            body["delivery"] = deliver_to
        sub = api.post("/api/subscriptions", json=body)
    except CLIError as exc:
        _fail(exc)
    if not follow:
        emit_json(sub) if as_json else console.print(f"subscribed: {sub['id']} on {channel}")
        return
    _follow(api, sub, as_json)


def _follow(api: Api, sub: dict[str, Any], as_json: bool) -> None:
    if not as_json:
        err_console.print(
            f"following {sub['channel']} (subscription {sub['id']}); Ctrl-C to stop", style="dim"
        )
    last_id: str | None = None
    backoff = 0.5
    while True:
        try:
            for ev_id, kind, data in api.sse(f"/api/subscriptions/{sub['id']}/stream", {}, last_id):
                backoff = 0.5
                if kind == "lagged":
                    continue
                event = orjson.loads(data)
                last_id = ev_id or last_id
                msg = event.get("data", {})
                emit_json_line(msg) if as_json else message_line(msg)
                # Move the read cursor so `unread` and the next --follow start after this one.
                if ev_id:
                    api.post(f"/api/subscriptions/{sub['id']}/read", json={"up_to": int(ev_id)})
        except KeyboardInterrupt:
            raise typer.Exit(0) from None
        except CLIError as exc:
            if exc.exit_code in (3, 4, 8):
                _fail(exc)
            err_console.print(f"reconnecting in {backoff:.1f}s: {exc.message}", style="yellow")
        except Exception as exc:
            err_console.print(f"reconnecting in {backoff:.1f}s: {type(exc).__name__}", style="yellow")
        time.sleep(backoff)
        backoff = min(backoff * 2, 15.0)


@sub_app.command("ls")
def subscription_ls(server: ServerOpt = None, token: TokenOpt = None, as_json: JsonOpt = False) -> None:
    """Your subscriptions, with unread counts."""
    try:
        out = Api(server, token).get("/api/subscriptions")
    except CLIError as exc:
        _fail(exc)
    if as_json:
        emit_json(out)
        return
    table(out["subscriptions"], ["id", "channel", "filters", "unread", "cursor"])


@sub_app.command("rm")
def subscription_rm(
    sub_id: str, server: ServerOpt = None, token: TokenOpt = None, as_json: JsonOpt = False
) -> None:
    """Remove a subscription."""
    try:
        out = Api(server, token).request("DELETE", f"/api/subscriptions/{sub_id}")
    except CLIError as exc:
        _fail(exc)
    emit_json(out) if as_json else console.print(f"removed {sub_id}")


@sub_app.command("follow")
def subscription_follow(
    sub_id: str, server: ServerOpt = None, token: TokenOpt = None, as_json: JsonOpt = False
) -> None:
    """Follow an existing subscription from its read cursor."""
    api = Api(server, token)
    try:
        subs = api.get("/api/subscriptions")["subscriptions"]
    except CLIError as exc:
        _fail(exc)
    match = [s for s in subs if s["id"] == sub_id]
    if not match:
        _fail(
            CLIError(f"subscription {sub_id!r} is not one of yours; `warroom subscription ls` lists them", 3)
        )
    _follow(api, match[0], as_json)


@app.command()
def unread(
    mark_read: Annotated[bool, typer.Option("--mark-read", help="Mark what is shown as read.")] = False,
    limit: int = 100,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """What you missed on each subscription."""
    api = Api(server, token)
    try:
        out = api.get("/api/unread", params={"limit": limit})
        if mark_read:
            for s in out["subscriptions"]:
                if s["messages"]:
                    api.post(
                        f"/api/subscriptions/{s['subscription']}/read",
                        json={"up_to": s["messages"][-1]["id"]},
                    )
    except CLIError as exc:
        _fail(exc)
    if as_json:
        emit_json(out)
        return
    total = 0
    for s in out["subscriptions"]:
        for m in s["messages"]:
            message_line(m)
            total += 1
    if total == 0:
        console.print("nothing unread")


def run() -> None:
    app()


if __name__ == "__main__":
    run()
