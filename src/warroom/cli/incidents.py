"""`warroom incident …`, `warroom integration …`, `warroom silence …`."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from warroom.cli.client import Api, CLIError
from warroom.cli.common import JsonOpt, ServerOpt, TokenOpt, call, fail
from warroom.cli.render import console, emit_json, local_time, message_line, table

incident_app = typer.Typer(
    help="Incidents: list, show, acknowledge, resolve, declare, note.", no_args_is_help=True
)
integration_app = typer.Typer(help="Webhook integrations for monitoring tools.", no_args_is_help=True)
silence_app = typer.Typer(help="Silences and maintenance windows.", no_args_is_help=True)

SEVERITY_STYLE = {"P0": "bold white on red", "P1": "bold red", "P2": "yellow", "P3": "dim"}


def incident_line(i: dict[str, Any]) -> None:
    sev = i["severity"]
    console.print(
        f"[bold]{i['id']:>8}[/] [{SEVERITY_STYLE.get(sev, '')}]{sev}[/] {i['status']:<13} "
        f"{(i.get('service') or '-'):<16} {i['title']}  [dim]{local_time(i['triggered_at'])}"
        f"{'  owner ' + i['owner'] if i.get('owner') else ''}"
        f"  alerts {i['firing_count']}/{i['alert_count']}[/]",
        soft_wrap=True,
    )


@incident_app.command("ls")
def incident_ls(
    status: Annotated[str, typer.Option(help="open, all, or e.g. acknowledged,mitigating")] = "open",
    severity: Annotated[str | None, typer.Option(help="e.g. P0,P1")] = None,
    service: Annotated[str | None, typer.Option()] = None,
    since: Annotated[str | None, typer.Option(help="24h, 7d or an ISO time")] = None,
    limit: int = 50,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Incidents, worst first (open ones by default)."""
    params = {
        k: v
        for k, v in {
            "status": status,
            "severity": severity,
            "service": service,
            "since": since,
            "limit": limit,
        }.items()
        if v
    }
    out = call(lambda: Api(server, token).get("/api/incidents", params=params))
    if as_json:
        emit_json(out)
        return
    for i in out["items"]:
        incident_line(i)
    if not out["items"]:
        console.print("no incidents")


@incident_app.command("show")
def incident_show(
    ref: str, server: ServerOpt = None, token: TokenOpt = None, as_json: JsonOpt = False
) -> None:
    """One incident with its alerts and timeline."""
    api = Api(server, token)
    inc = call(lambda: api.get(f"/api/incidents/{ref}"))
    tl = call(lambda: api.get(f"/api/incidents/{ref}/timeline"))
    if as_json:
        emit_json({**inc, "timeline": tl["items"]})
        return
    incident_line(inc)
    for a in inc.get("alerts", []):
        console.print(
            f"    alert {a['status']:<8} {a['severity']} {a['title']}  [dim]{a['severity_rule']}[/]"
        )
    for item in tl["items"]:
        if "message" in item:
            message_line(item["message"])
        else:
            console.print(f"[dim]{item['id']:>6} {local_time(item['ts'])} {item['kind']}[/]")


def _move(
    path: str, ref: str, body: dict[str, Any], server: str | None, token: str | None, as_json: bool
) -> None:
    out = call(lambda: Api(server, token).post(f"/api/incidents/{ref}/{path}", json=body))
    if as_json:
        emit_json(out)
        return
    if out.get("changed") is False:
        console.print(f"{out['id']}: {out.get('note')}")
    else:
        incident_line(out)


ReasonOpt = Annotated[str, typer.Option("--reason", "-m", help="Why; goes on the timeline.")]


@incident_app.command("ack")
def incident_ack(
    ref: str,
    reason: ReasonOpt = "",
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Acknowledge: you are on it (stops escalation)."""
    _move("acknowledge", ref, {"reason": reason}, server, token, as_json)


@incident_app.command("status")
def incident_status(
    ref: str,
    status: Annotated[str, typer.Argument(help="investigating, mitigating, resolved …")],
    reason: ReasonOpt = "",
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Move an incident to another status."""
    _move("status", ref, {"status": status, "reason": reason}, server, token, as_json)


@incident_app.command("resolve")
def incident_resolve(
    ref: str,
    reason: ReasonOpt = "",
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Resolve an incident."""
    _move("resolve", ref, {"reason": reason}, server, token, as_json)


@incident_app.command("reopen")
def incident_reopen(
    ref: str,
    reason: ReasonOpt = "",
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Reopen a resolved incident."""
    _move("reopen", ref, {"reason": reason}, server, token, as_json)


@incident_app.command("declare")
def incident_declare(
    title: str,
    severity: Annotated[str, typer.Option("--severity", "-s", help="P0-P3")] = "P2",
    service: Annotated[str | None, typer.Option()] = None,
    channel: Annotated[str, typer.Option()] = "incidents",
    summary: Annotated[str, typer.Option()] = "",
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Declare an incident by hand."""
    body = {"title": title, "severity": severity, "service": service, "channel": channel, "summary": summary}
    out = call(lambda: Api(server, token).post("/api/incidents", json=body))
    emit_json(out) if as_json else incident_line(out)


@incident_app.command("note")
def incident_note(
    ref: str, text: str, server: ServerOpt = None, token: TokenOpt = None, as_json: JsonOpt = False
) -> None:
    """Add a note to the incident's timeline."""
    out = call(lambda: Api(server, token).post(f"/api/incidents/{ref}/notes", json={"text": text}))
    emit_json(out) if as_json else message_line(out)


@incident_app.command("assign")
def incident_assign(
    ref: str,
    owner: Annotated[str | None, typer.Option()] = None,
    commander: Annotated[str | None, typer.Option()] = None,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Set the owner and/or the incident commander."""
    _move("assign", ref, {"owner": owner, "commander": commander}, server, token, as_json)


@incident_app.command("severity")
def incident_severity(
    ref: str,
    severity: str,
    reason: ReasonOpt = "",
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Change the severity (P0-P3)."""
    _move("severity", ref, {"severity": severity, "reason": reason}, server, token, as_json)


@incident_app.command("merge")
def incident_merge(
    ref: str, into: str, server: ServerOpt = None, token: TokenOpt = None, as_json: JsonOpt = False
) -> None:
    """Merge REF into INTO (its alerts move; REF resolves as a duplicate)."""
    _move("merge", ref, {"into": into}, server, token, as_json)


# -- integrations -------------------------------------------------------------------


@integration_app.command("create")
def integration_create(
    source: Annotated[
        str, typer.Argument(help="alertmanager, grafana, pagerduty, datadog, opsgenie, generic")
    ],
    name: Annotated[str, typer.Option("--name", help="Integration name (in the URL).")],
    channel: Annotated[str, typer.Option()] = "incidents",
    group_by: Annotated[
        list[str] | None, typer.Option("--group-by", help="label (repeat); default alertname, service")
    ] = None,
    dedup_field: Annotated[list[str] | None, typer.Option("--dedup-field", help="label (repeat)")] = None,
    severity_map: Annotated[list[str] | None, typer.Option("--severity-map", help="RAW=P0 (repeat)")] = None,
    no_auto_resolve: Annotated[bool, typer.Option("--no-auto-resolve")] = False,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Create an integration and print its webhook URL and secret."""
    config: dict[str, Any] = {"auto_resolve": not no_auto_resolve}
    if group_by:
        config["group_by"] = group_by
    if dedup_field:
        config["dedup_fields"] = dedup_field
    if severity_map:
        pairs = [m.partition("=") for m in severity_map]
        if any(not k or not v for k, _, v in pairs):
            fail(CLIError("--severity-map must look like warning=P2", 2))
        config["severity_overrides"] = {k: v for k, _, v in pairs}
    body = {"name": name, "source": source, "channel": channel, "config": config}
    out = call(lambda: Api(server, token).post("/api/integrations", json=body))
    if as_json:
        emit_json(out)
        return
    console.print(f"integration {out['id']} ({out['source']}) → channel {out['channel']}")
    console.print(f"webhook URL:  {out['webhook_url']}", markup=False)
    console.print(f"secret:       {out['secret']}", markup=False)
    console.print(
        f"URL with token (for senders that cannot set headers): {out['webhook_url_with_token']}", markup=False
    )


@integration_app.command("list")
def integration_list(server: ServerOpt = None, token: TokenOpt = None, as_json: JsonOpt = False) -> None:
    """List integrations."""
    out = call(lambda: Api(server, token).get("/api/integrations"))
    emit_json(out) if as_json else table(
        out["integrations"], ["id", "source", "channel", "webhook_url", "secret_hint"]
    )


@integration_app.command("rotate-secret")
def integration_rotate(
    name: str, server: ServerOpt = None, token: TokenOpt = None, as_json: JsonOpt = False
) -> None:
    """Replace an integration's secret (the old one stops working)."""
    out = call(lambda: Api(server, token).post(f"/api/integrations/{name}/rotate-secret"))
    emit_json(out) if as_json else console.print(f"new secret: {out['secret']}", markup=False)


@integration_app.command("delete")
def integration_delete(
    name: str, server: ServerOpt = None, token: TokenOpt = None, as_json: JsonOpt = False
) -> None:
    """Delete an integration (its alerts and incidents stay)."""
    out = call(lambda: Api(server, token).request("DELETE", f"/api/integrations/{name}"))
    emit_json(out) if as_json else console.print(f"integration {name} deleted")


# -- silences -----------------------------------------------------------------------------


@silence_app.command("create")
def silence_create(
    matchers: Annotated[list[str], typer.Argument(help="e.g. service=user-api 'env=~\"prod|staging\"'")],
    duration: Annotated[str | None, typer.Option(help="2h, 30m, 1d")] = None,
    ends_at: Annotated[str | None, typer.Option(help="ISO time")] = None,
    starts_at: Annotated[str | None, typer.Option(help="ISO time (maintenance window start)")] = None,
    comment: Annotated[str, typer.Option("--comment", "-m")] = "",
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Silence matching alerts: they are recorded but open and page nothing."""
    body: dict[str, Any] = {
        "matchers": matchers,
        "comment": comment,
        "duration": duration,
        "ends_at": ends_at,
        "starts_at": starts_at,
    }
    if not duration and not ends_at:
        body["duration"] = "2h"
    out = call(
        lambda: Api(server, token).post(
            "/api/silences", json={k: v for k, v in body.items() if v is not None}
        )
    )
    emit_json(out) if as_json else console.print(
        f"silence {out['id']} {out['state']} until {out['ends_at']}: {', '.join(out['matchers'])}"
    )


@silence_app.command("ls")
def silence_ls(
    state: Annotated[str | None, typer.Option(help="active, pending or expired")] = None,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List silences."""
    out = call(lambda: Api(server, token).get("/api/silences", params={"state": state} if state else {}))
    emit_json(out) if as_json else table(
        out["silences"], ["id", "state", "matchers", "starts_at", "ends_at", "created_by", "comment"]
    )


@silence_app.command("expire")
def silence_expire(
    silence_id: str, server: ServerOpt = None, token: TokenOpt = None, as_json: JsonOpt = False
) -> None:
    """End a silence now."""
    out = call(lambda: Api(server, token).request("DELETE", f"/api/silences/{silence_id}"))
    emit_json(out) if as_json else console.print(f"silence {silence_id} expired")


@incident_app.command("escalate")
def incident_escalate(
    ref: str, server: ServerOpt = None, token: TokenOpt = None, as_json: JsonOpt = False
) -> None:
    """Page the next escalation level now."""
    out = call(lambda: Api(server, token).post(f"/api/incidents/{ref}/escalate"))
    if as_json:
        emit_json(out)
        return
    console.print(
        f"{out['incident']}: level {out['level']} paged ({', '.join(out['users']) or 'nobody on call'})"
    )
