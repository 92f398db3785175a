"""`warroom user|contact|schedule|policy|deliveries …`, `warroom oncall`, `warroom page`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from warroom.cli.client import Api, CLIError
from warroom.cli.common import JsonOpt, ServerOpt, TokenOpt, call, fail
from warroom.cli.render import console, emit_json, local_time, table

user_app = typer.Typer(help="People: time zone, notification rules, contact methods.", no_args_is_help=True)
contact_app = typer.Typer(help="Contact methods: add, remove, send a test.", no_args_is_help=True)
schedule_app = typer.Typer(
    help="On-call schedules: rotations, layers, overrides, iCal.", no_args_is_help=True
)
policy_app = typer.Typer(help="Escalation policies and the routes that pick them.", no_args_is_help=True)
deliveries_app = typer.Typer(
    help="The outbox: pages sent, failed, dead-lettered; retry.", no_args_is_help=True
)


def _load_file(path: str) -> Any:
    """A JSON (or, when PyYAML is installed, YAML) document from a file or '-' for stdin."""
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text()
    except OSError as exc:
        fail(CLIError(f"cannot read {path}: {exc.strerror}", 2))
    try:
        return json.loads(text)
    except ValueError as json_error:
        try:
            import yaml  # type: ignore[import-untyped,unused-ignore]
        except ImportError:
            fail(CLIError(f"{path} is not valid JSON: {json_error}", 8))
        try:
            return yaml.safe_load(text)
        except yaml.YAMLError as exc:
            fail(CLIError(f"{path} is neither valid JSON nor YAML: {exc}", 8))


def _seconds(value: str) -> int:
    """'300', '5m', '2h', '30s' → seconds."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    v = value.strip().lower()
    try:
        if v and v[-1] in units:
            return int(float(v[:-1]) * units[v[-1]])
        return int(v)
    except ValueError:
        fail(CLIError(f"{value!r} is not a duration; use e.g. 300, 30s, 5m or 2h", 2))


# -- users and contacts ------------------------------------------------------------------


def user_line(u: dict[str, Any]) -> None:
    console.print(f"[bold]{u['id']}[/] {u['name']}  [dim]{u['time_zone']}  {u.get('email') or ''}[/]")
    for c in u.get("contacts", []):
        console.print(f"    {c['id']}  {c['kind']:<9} {c['label']:<16} {c['target']}", markup=False)
    rules = u.get("rules") or {}
    for kind in ("important", "other"):
        steps = rules.get(kind) or []
        if steps:
            text = ", ".join(f"{s['contact_method_id']} after {s.get('delay', 'PT0S')}" for s in steps)
            console.print(f"    rules {kind}: {text}", markup=False)


@user_app.command("set")
def user_set(
    user_id: str,
    name: Annotated[str | None, typer.Option(help="Display name.")] = None,
    email: Annotated[str | None, typer.Option()] = None,
    tz: Annotated[
        str | None, typer.Option("--tz", "--time-zone", help="IANA zone, e.g. Europe/Berlin")
    ] = None,
    rules: Annotated[
        str | None,
        typer.Option(
            "--rules",
            help='JSON file (or -) like {"important": [{"contact_method_id": "cm_…", "delay": 0}], '
            '"other": [...]}; delays in seconds',
        ),
    ] = None,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Create or update a person's paging profile (admins create people)."""
    body: dict[str, Any] = {"name": name, "email": email, "time_zone": tz}
    if rules:
        body["rules"] = _load_file(rules)
    body = {k: v for k, v in body.items() if v is not None}
    out = call(lambda: Api(server, token).request("PUT", f"/api/users/{user_id}", json=body))
    emit_json(out) if as_json else user_line(out)


@user_app.command("show")
def user_show(
    user_id: str, server: ServerOpt = None, token: TokenOpt = None, as_json: JsonOpt = False
) -> None:
    """A person with contact methods and notification rules."""
    out = call(lambda: Api(server, token).get(f"/api/users/{user_id}"))
    emit_json(out) if as_json else user_line(out)


@user_app.command("ls")
def user_ls(server: ServerOpt = None, token: TokenOpt = None, as_json: JsonOpt = False) -> None:
    """Everyone who can be paged."""
    out = call(lambda: Api(server, token).get("/api/users"))
    if as_json:
        emit_json(out)
        return
    rows = [{**u, "contacts": [c["kind"] for c in u["contacts"]]} for u in out["users"]]
    table(rows, ["id", "name", "time_zone", "email", "contacts"])


@contact_app.command("add")
def contact_add(
    user_id: str,
    kind: Annotated[str, typer.Argument(help="apprise, webhook, pagerduty or opsgenie")],
    target: Annotated[
        str, typer.Argument(help="Apprise URL (ntfy://…, slack://…), webhook URL, routing key or API key")
    ],
    label: Annotated[str, typer.Option(help="A name for it, e.g. 'phone'.")] = "",
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Add a contact method; a webhook's signing secret is printed once."""
    body = {"kind": kind, "target": target, "label": label}
    out = call(lambda: Api(server, token).post(f"/api/users/{user_id}/contacts", json=body))
    if as_json:
        emit_json(out)
        return
    console.print(f"contact method {out['id']} ({out['kind']}) added for {user_id}")
    if out.get("secret"):
        console.print(f"signing secret: {out['secret']}", markup=False)


@contact_app.command("rm")
def contact_rm(
    contact_id: str, server: ServerOpt = None, token: TokenOpt = None, as_json: JsonOpt = False
) -> None:
    """Remove a contact method."""
    out = call(lambda: Api(server, token).request("DELETE", f"/api/contacts/{contact_id}"))
    emit_json(out) if as_json else console.print(f"contact method {contact_id} removed")


@contact_app.command("test")
def contact_test(
    contact_id: str, server: ServerOpt = None, token: TokenOpt = None, as_json: JsonOpt = False
) -> None:
    """Send a test notification through a contact method."""
    out = call(lambda: Api(server, token).post(f"/api/contacts/{contact_id}/test"))
    emit_json(out) if as_json else console.print(
        f"test queued as {out['delivery']}; `warroom deliveries ls` shows its state"
    )


# -- schedules ------------------------------------------------------------------------------


def _shift_line(s: dict[str, Any]) -> None:
    who = s.get("user_id") or "(nobody)"
    src = s.get("kind", "")
    console.print(f"{local_time(s['start']):>16} → {local_time(s['end']):<16} {who:<16} [dim]{src}[/]")


@schedule_app.command("put")
def schedule_put(
    schedule_id: str,
    file: Annotated[
        str | None, typer.Option("--file", "-f", help='JSON/YAML: {"name": …, "layers": [...]} (or -)')
    ] = None,
    name: Annotated[str | None, typer.Option(help="Display name.")] = None,
    participant: Annotated[
        list[str] | None, typer.Option("--participant", "-u", help="User id, in rotation order (repeat).")
    ] = None,
    unit: Annotated[str, typer.Option(help="hours, days or weeks")] = "weeks",
    length: Annotated[int, typer.Option(help="Shift length in units.")] = 1,
    tz: Annotated[str, typer.Option("--tz", "--time-zone", help="IANA zone of the handoff.")] = "UTC",
    start: Annotated[str | None, typer.Option(help="First day, YYYY-MM-DD (default today).")] = None,
    handoff: Annotated[str, typer.Option(help="Handoff time of day, HH:MM.")] = "09:00",
    handoff_day: Annotated[str | None, typer.Option("--handoff-day", help="e.g. monday (weeks)")] = None,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Create or replace a schedule, from a file or from flags (one rotation layer)."""
    if file:
        doc = _load_file(file)
        if not isinstance(doc, dict):
            fail(CLIError(f"{file} must hold an object with name and layers", 8))
        body = {"name": name or doc.get("name") or schedule_id, "layers": doc.get("layers")}
    else:
        if not participant:
            fail(CLIError("give --file, or at least one --participant", 2))
        from datetime import date

        rotation: dict[str, Any] = {
            "participants": participant,
            "unit": unit,
            "length": length,
            "time_zone": tz,
            "start": start or date.today().isoformat(),
            "handoff_time": handoff,
        }
        if handoff_day:
            rotation["handoff_weekday"] = handoff_day
        body = {"name": name or schedule_id, "layers": [{"name": "primary", "rotation": rotation}]}
    out = call(lambda: Api(server, token).request("PUT", f"/api/schedules/{schedule_id}", json=body))
    if as_json:
        emit_json(out)
        return
    console.print(
        f"schedule {out['id']} ({out['name']}): {len(out['layers'])} layer(s); "
        f"on call now: {', '.join(out['on_call_now']) or 'nobody'}"
    )


@schedule_app.command("ls")
def schedule_ls(server: ServerOpt = None, token: TokenOpt = None, as_json: JsonOpt = False) -> None:
    """Schedules and who is on call now."""
    out = call(lambda: Api(server, token).get("/api/schedules"))
    if as_json:
        emit_json(out)
        return
    rows = [{**s, "layers": len(s["layers"]), "overrides": len(s["overrides"])} for s in out["schedules"]]
    table(rows, ["id", "name", "layers", "overrides", "on_call_now"])


@schedule_app.command("show")
def schedule_show(
    schedule_id: str, server: ServerOpt = None, token: TokenOpt = None, as_json: JsonOpt = False
) -> None:
    """One schedule: its layers, overrides and who is on call now."""
    out = call(lambda: Api(server, token).get(f"/api/schedules/{schedule_id}"))
    if as_json:
        emit_json(out)
        return
    console.print(
        f"[bold]{out['id']}[/] {out['name']}  on call now: {', '.join(out['on_call_now']) or 'nobody'}"
    )
    for layer in out["layers"]:
        r = layer["rotation"]
        console.print(
            f"  layer {layer['name']}: {', '.join(r['participants'])} every {r['length']} {r['unit']} "
            f"at {r['handoff_time']} {r['time_zone']}"
            + (" (restricted)" if layer.get("restrictions") else ""),
            markup=False,
        )
    for o in out["overrides"]:
        console.print(f"  override {o['id']}: {o['user_id']} {o['start']} → {o['end']}", markup=False)


@schedule_app.command("override")
def schedule_override(
    schedule_id: str,
    user: Annotated[str, typer.Option("--user", "-u", help="Who covers.")],
    start: Annotated[str, typer.Option(help="ISO time, e.g. 2026-11-24T09:00:00Z")],
    end: Annotated[str, typer.Option(help="ISO time")],
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Put someone on call over [start, end), whatever the rotation says."""
    body = {"user": user, "start": start, "end": end}
    out = call(lambda: Api(server, token).post(f"/api/schedules/{schedule_id}/overrides", json=body))
    emit_json(out) if as_json else console.print(
        f"override {out['id']}: {out['user']} on {schedule_id} {out['start']} → {out['end']}"
    )


@schedule_app.command("shifts")
def schedule_shifts(
    schedule_id: str,
    start: Annotated[str | None, typer.Option(help="ISO time (default now)")] = None,
    end: Annotated[str | None, typer.Option(help="ISO time (default start + 7 days)")] = None,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Who is on call over a range (a week by default), gaps included."""
    params = {k: v for k, v in {"start": start, "end": end}.items() if v}
    out = call(lambda: Api(server, token).get(f"/api/schedules/{schedule_id}/shifts", params=params))
    if as_json:
        emit_json(out)
        return
    for s in out["shifts"]:
        _shift_line(s)


@schedule_app.command("ical")
def schedule_ical(
    schedule_id: str,
    start: Annotated[str | None, typer.Option(help="ISO time (default a week ago)")] = None,
    end: Annotated[str | None, typer.Option(help="ISO time (default start + 90 days)")] = None,
    output: Annotated[str | None, typer.Option("--output", "-o", help="Write to this file.")] = None,
    server: ServerOpt = None,
    token: TokenOpt = None,
) -> None:
    """Export a schedule's shifts as an iCalendar (.ics) file."""
    api = Api(server, token)
    params = {k: v for k, v in {"start": start, "end": end}.items() if v}
    try:
        r = api.http.get(f"/api/schedules/{schedule_id}/ical", params=params)
    except Exception as exc:
        fail(CLIError(f"cannot reach the warroom server at {api.server} ({type(exc).__name__})", 6))
    if r.status_code >= 400:
        call(lambda: Api._result(r))
    if output:
        Path(output).write_text(r.text)
        console.print(f"wrote {output}")
    else:
        sys.stdout.write(r.text)


# -- policies ---------------------------------------------------------------------------------


def _parse_level(spec: str) -> dict[str, Any]:
    """'schedule:sre,user:tom@5m' → targets and delay (default 30m)."""
    targets_text, _, delay = spec.partition("@")
    targets = []
    for t in targets_text.split(","):
        kind, _, ident = t.strip().partition(":")
        if not ident or kind not in ("user", "schedule", "channel"):
            fail(CLIError(f"--level {spec!r}: targets look like schedule:sre,user:tom@5m", 2))
        targets.append({"kind": kind, "id": ident})
    return {"targets": targets, "delay": _seconds(delay) if delay else 1800}


def policy_line(p: dict[str, Any]) -> None:
    console.print(f"[bold]{p['id']}[/] {p['name']}  repeat {p['repeat']}")
    for i, lvl in enumerate(p["levels"], 1):
        who = ", ".join(f"{t['kind']}:{t['id']}" for t in lvl["targets"])
        console.print(f"  level {i}: {who}  then wait {lvl['delay']}", markup=False)
    for r in p.get("routes", []):
        scope = {k: r[k] for k in ("service", "integration", "channel", "severities") if r.get(k)}
        console.print(f"  route {r['id']}: {scope or 'everything'}", markup=False)


@policy_app.command("put")
def policy_put(
    policy_id: str,
    file: Annotated[
        str | None, typer.Option("--file", "-f", help='JSON/YAML {"name", "levels", "repeat"} (or -)')
    ] = None,
    name: Annotated[str | None, typer.Option()] = None,
    level: Annotated[
        list[str] | None,
        typer.Option("--level", "-l", help="Targets@delay, e.g. schedule:sre@5m or user:tom,user:ann@15m"),
    ] = None,
    repeat: Annotated[int | None, typer.Option(help="Extra rounds after the last level.")] = None,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Create or replace an escalation policy, from a file or from --level flags."""
    if file:
        doc = _load_file(file)
        if not isinstance(doc, dict):
            fail(CLIError(f"{file} must hold an object with name and levels", 8))
        body = {
            "name": name or doc.get("name") or policy_id,
            "levels": doc.get("levels"),
            "repeat": repeat if repeat is not None else doc.get("repeat", 0),
        }
    else:
        if not level:
            fail(CLIError("give --file, or at least one --level", 2))
        body = {"name": name or policy_id, "levels": [_parse_level(x) for x in level], "repeat": repeat or 0}
    out = call(lambda: Api(server, token).request("PUT", f"/api/policies/{policy_id}", json=body))
    emit_json(out) if as_json else policy_line(out)


@policy_app.command("ls")
def policy_ls(server: ServerOpt = None, token: TokenOpt = None, as_json: JsonOpt = False) -> None:
    """Escalation policies with their routes."""
    out = call(lambda: Api(server, token).get("/api/policies"))
    if as_json:
        emit_json(out)
        return
    for p in out["policies"]:
        policy_line(p)
    if not out["policies"]:
        console.print("no escalation policies")


@policy_app.command("show")
def policy_show(
    policy_id: str, server: ServerOpt = None, token: TokenOpt = None, as_json: JsonOpt = False
) -> None:
    """One escalation policy."""
    out = call(lambda: Api(server, token).get(f"/api/policies/{policy_id}"))
    emit_json(out) if as_json else policy_line(out)


@policy_app.command("rm")
def policy_rm(
    policy_id: str, server: ServerOpt = None, token: TokenOpt = None, as_json: JsonOpt = False
) -> None:
    """Delete an escalation policy and its routes."""
    out = call(lambda: Api(server, token).request("DELETE", f"/api/policies/{policy_id}"))
    emit_json(out) if as_json else console.print(f"policy {policy_id} deleted")


@policy_app.command("route")
def policy_route(
    policy_id: str,
    service: Annotated[str | None, typer.Option()] = None,
    integration: Annotated[str | None, typer.Option()] = None,
    channel: Annotated[str | None, typer.Option()] = None,
    severity: Annotated[list[str] | None, typer.Option("--severity", "-s", help="P0-P3 (repeat)")] = None,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Route incidents to this policy by service, integration, channel and severity."""
    body = {"service": service, "integration": integration, "channel": channel, "severities": severity}
    out = call(lambda: Api(server, token).post(f"/api/policies/{policy_id}/routes", json=body))
    emit_json(out) if as_json else console.print(f"route {out['id']} → {policy_id}")


# -- deliveries ---------------------------------------------------------------------------------


@deliveries_app.command("ls")
def deliveries_ls(
    state: Annotated[
        str | None, typer.Option(help="queued, sending, sent, failed, gave_up (dead letters), cancelled")
    ] = None,
    incident: Annotated[str | None, typer.Option(help="e.g. INC-7")] = None,
    limit: int = 100,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Deliveries, newest first (yours, or everyone's for an admin)."""
    params = {k: v for k, v in {"state": state, "incident": incident, "limit": limit}.items() if v}
    out = call(lambda: Api(server, token).get("/api/deliveries", params=params))
    if as_json:
        emit_json(out)
        return
    table(
        out["deliveries"],
        ["id", "state", "kind", "recipient", "incident", "attempts", "last_error", "title"],
    )


@deliveries_app.command("retry")
def deliveries_retry(
    delivery_id: str, server: ServerOpt = None, token: TokenOpt = None, as_json: JsonOpt = False
) -> None:
    """Queue a failed or dead-lettered delivery again (same id)."""
    out = call(lambda: Api(server, token).post(f"/api/deliveries/{delivery_id}/retry"))
    emit_json(out) if as_json else console.print(f"delivery {out['id']} {out['state']}")


# -- top-level commands ---------------------------------------------------------------------------


def oncall(
    schedule: Annotated[str | None, typer.Option(help="One schedule (default all).")] = None,
    at: Annotated[str | None, typer.Option(help="ISO time (default now).")] = None,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Who is on call now (or at --at)."""
    params = {k: v for k, v in {"schedule": schedule, "at": at}.items() if v}
    out = call(lambda: Api(server, token).get("/api/oncall", params=params))
    if as_json:
        emit_json(out)
        return
    for o in out["on_call"]:
        console.print(
            f"[bold]{o['schedule']:<16}[/] {o['name']} ({o['user']})  [dim]until {local_time(o['until'])} "
            f"· {o['source']}[/]"
        )
    if not out["on_call"]:
        console.print("nobody is on call")


def page(
    user_id: str,
    title: Annotated[str, typer.Option("--title", "-t", help="What it is about.")],
    body: Annotated[str, typer.Option("--body", "-b")] = "",
    priority: Annotated[
        str, typer.Option("--priority", "-p", help="critical|high|medium|low or P0-P3")
    ] = "high",
    incident: Annotated[
        str | None, typer.Option(help="Attach to an incident (goes on its timeline).")
    ] = None,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Page a person now, through their notification rules."""
    req = {"title": title, "body": body, "priority": priority, "incident": incident}
    out = call(lambda: Api(server, token).post(f"/api/users/{user_id}/page", json=req))
    emit_json(out) if as_json else console.print(
        f"paged {out['user']}: {len(out['deliveries'])} delivery(ies) queued"
    )


def paging_commands(app: typer.Typer) -> None:
    app.command("oncall")(oncall)
    app.command("page")(page)
