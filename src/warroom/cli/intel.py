"""`warroom kb|change|postmortem|followup …`, `warroom incident analyze|similar`, `warroom stats`,
`warroom summarize` and `warroom find`: the intelligence door of the CLI.

Everything goes over HTTP, like the rest of the CLI, so it works against a remote server.
`kb import`/`kb export` read and write the files here, on the machine running the command, and
send or fetch the services and runbooks through the REST API (file parsing and rendering are
the same functions the server uses).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import click
import typer

from warroom.cli.client import Api, CLIError
from warroom.cli.common import JsonOpt, ServerOpt, TokenOpt, call, fail
from warroom.cli.incidents import incident_app
from warroom.cli.render import console, emit_json, err_console, local_time, message_line, table

kb_app = typer.Typer(help="The knowledge base: services, runbooks, import/export.", no_args_is_help=True)
kb_service_app = typer.Typer(help="The service catalog.", no_args_is_help=True)
kb_runbook_app = typer.Typer(help="Runbooks with their match rules and steps.", no_args_is_help=True)
kb_app.add_typer(kb_service_app, name="service")
kb_app.add_typer(kb_runbook_app, name="runbook")
change_app = typer.Typer(help="Change events: deploys, config changes, feature flags.", no_args_is_help=True)
postmortem_app = typer.Typer(
    help="Blameless postmortems: generate, show, edit, export.", no_args_is_help=True
)
followup_app = typer.Typer(help="Follow-up tasks of an incident.", no_args_is_help=True)

SINCE_HELP = "A span such as 12h, 30d or an ISO 8601 time."


def _local(fn: Any) -> Any:
    """Run file work here; a bad file is invalid input (exit 8)."""
    from warroom.errors import WarroomError

    try:
        return fn()
    except WarroomError as exc:
        fail(CLIError(exc.message, 8))
    except OSError as exc:
        fail(CLIError(f"{exc.filename or ''}: {exc.strerror}", 8))


def _params(**kw: Any) -> dict[str, Any]:
    return {k: v for k, v in kw.items() if v is not None and v != ""}


# -- knowledge base ------------------------------------------------------------------------------


@kb_app.command("import")
def kb_import(
    directory: Annotated[Path, typer.Argument(help="Holds catalog.yaml and/or runbooks/*.md.")],
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Load catalog.yaml and runbooks/*.md into the knowledge base (creates or replaces by id)."""
    from warroom.intelligence.knowledge import read_kb_dir

    if not directory.is_dir():
        fail(CLIError(f"{directory} is not a directory", 2))
    svcs, books = _local(lambda: read_kb_dir(directory))
    api = Api(server, token)
    for s in svcs:
        sid = str(s.get("id") or "")
        if not sid:
            fail(CLIError(f"{directory / 'catalog.yaml'}: a service has no id", 8))
        call(lambda s=s, sid=sid: api.request("PUT", f"/api/services/{sid}", json=s))
    for rb in books:
        call(lambda rb=rb: api.request("PUT", f"/api/runbooks/{rb['id']}", json=rb))
    out = {"services": len(svcs), "runbooks": len(books)}
    if as_json:
        emit_json(out)
        return
    console.print(f"imported {out['services']} services and {out['runbooks']} runbooks from {directory}")


@kb_app.command("export")
def kb_export(
    directory: Annotated[Path, typer.Argument(help="Where to write catalog.yaml and runbooks/*.md.")],
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Write the knowledge base as catalog.yaml and runbooks/<id>.md (for review in git)."""
    from warroom.intelligence.knowledge import write_kb_dir

    api = Api(server, token)
    svcs = call(lambda: api.get("/api/services"))["services"]
    books = call(lambda: api.get("/api/runbooks"))["runbooks"]
    out = _local(lambda: write_kb_dir(directory, svcs, books))
    if as_json:
        emit_json(out)
        return
    console.print(f"exported {out['services']} services and {out['runbooks']} runbooks to {directory}")


@kb_service_app.command("put")
def kb_service_put(
    service_id: Annotated[str, typer.Argument(metavar="ID")],
    name: Annotated[str | None, typer.Option(help="Display name (default: the id).")] = None,
    tier: Annotated[int, typer.Option(min=1, max=3, help="1 = most critical.")] = 3,
    owner_team: Annotated[str | None, typer.Option("--owner-team")] = None,
    depends_on: Annotated[
        list[str] | None, typer.Option("--depends-on", "-d", help="A service it depends on (repeat).")
    ] = None,
    repository: Annotated[str | None, typer.Option()] = None,
    dashboard: Annotated[list[str] | None, typer.Option("--dashboard", help="URL (repeat).")] = None,
    runbook_link: Annotated[list[str] | None, typer.Option("--runbook-link", help="URL (repeat).")] = None,
    stakeholder: Annotated[
        list[str] | None, typer.Option("--stakeholder", help="Team or person to inform (repeat).")
    ] = None,
    description: Annotated[str, typer.Option()] = "",
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Create or replace a service (every field: options not given are reset to their default)."""
    body = {
        "name": name,
        "tier": tier,
        "owner_team": owner_team,
        "dependencies": depends_on or [],
        "repository": repository,
        "dashboards": dashboard or [],
        "runbook_links": runbook_link or [],
        "stakeholders": stakeholder or [],
        "description": description,
    }
    out = call(lambda: Api(server, token).request("PUT", f"/api/services/{service_id}", json=body))
    if as_json:
        emit_json(out)
        return
    _service_lines(out)


def _service_lines(s: dict[str, Any]) -> None:
    console.print(f"[bold]{s['id']}[/] {s['name']}  tier {s['tier']}  owner {s.get('owner_team') or '-'}")
    for label, key in (
        ("depends on", "dependencies"),
        ("stakeholders", "stakeholders"),
        ("dashboards", "dashboards"),
        ("runbooks", "runbook_links"),
    ):
        if s.get(key):
            console.print(f"  {label}: {', '.join(s[key])}", markup=False)
    if s.get("repository"):
        console.print(f"  repository: {s['repository']}", markup=False)
    if s.get("description"):
        console.print(f"  {s['description']}", markup=False)


@kb_service_app.command("ls")
def kb_service_ls(server: ServerOpt = None, token: TokenOpt = None, as_json: JsonOpt = False) -> None:
    """The service catalog."""
    out = call(lambda: Api(server, token).get("/api/services"))
    if as_json:
        emit_json(out)
        return
    table(out["services"], ["id", "name", "tier", "owner_team", "dependencies"])


@kb_service_app.command("show")
def kb_service_show(
    service_id: Annotated[str, typer.Argument(metavar="ID")],
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """One service."""
    out = call(lambda: Api(server, token).get(f"/api/services/{service_id}"))
    if as_json:
        emit_json(out)
        return
    _service_lines(out)


@kb_service_app.command("rm")
def kb_service_rm(
    service_id: Annotated[str, typer.Argument(metavar="ID")],
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Remove a service from the catalog."""
    out = call(lambda: Api(server, token).request("DELETE", f"/api/services/{service_id}"))
    if as_json:
        emit_json(out)
        return
    console.print(f"removed service {service_id}")


@kb_runbook_app.command("put")
def kb_runbook_put(
    file: Annotated[Path, typer.Argument(help="Markdown with YAML front matter (see docs/intelligence.md).")],
    runbook_id: Annotated[
        str | None, typer.Option("--id", help="Default: the front matter's id, else the file name.")
    ] = None,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Create or replace a runbook from a markdown file."""
    from warroom.intelligence.knowledge import parse_runbook_markdown

    rb = _local(lambda: parse_runbook_markdown(file.read_text(), default_id=file.stem))
    if runbook_id:
        rb["id"] = runbook_id
    out = call(lambda: Api(server, token).request("PUT", f"/api/runbooks/{rb['id']}", json=rb))
    if as_json:
        emit_json(out)
        return
    console.print(f"runbook {out['id']}: {out['title']} ({len(out['steps'])} steps)")


@kb_runbook_app.command("ls")
def kb_runbook_ls(server: ServerOpt = None, token: TokenOpt = None, as_json: JsonOpt = False) -> None:
    """Runbooks and what they match."""
    out = call(lambda: Api(server, token).get("/api/runbooks"))
    if as_json:
        emit_json(out)
        return
    rows = [
        {**r, "match": {k: v for k, v in r["match"].items() if v}, "steps": len(r["steps"])}
        for r in out["runbooks"]
    ]
    table(rows, ["id", "title", "match", "steps"])


@kb_runbook_app.command("show")
def kb_runbook_show(
    runbook_id: Annotated[str, typer.Argument(metavar="ID")],
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """One runbook, as the markdown `kb runbook put` reads."""
    from warroom.intelligence.knowledge import render_runbook_markdown

    out = call(lambda: Api(server, token).get(f"/api/runbooks/{runbook_id}"))
    if as_json:
        emit_json(out)
        return
    sys.stdout.write(render_runbook_markdown(out))


@kb_runbook_app.command("rm")
def kb_runbook_rm(
    runbook_id: Annotated[str, typer.Argument(metavar="ID")],
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Remove a runbook."""
    out = call(lambda: Api(server, token).request("DELETE", f"/api/runbooks/{runbook_id}"))
    if as_json:
        emit_json(out)
        return
    console.print(f"removed runbook {runbook_id}")


# -- change events ---------------------------------------------------------------------------------


@change_app.command("record")
def change_record(
    service: Annotated[str, typer.Option("--service", "-s", help="The service that changed.")],
    version: Annotated[str | None, typer.Option("--version", "-v")] = None,
    kind: Annotated[str, typer.Option(help="deploy, config, feature_flag or other.")] = "deploy",
    at: Annotated[str | None, typer.Option(help="When (default now): ISO 8601 or e.g. 15m (ago).")] = None,
    description: Annotated[str, typer.Option("--description", "-m")] = "",
    author: Annotated[str | None, typer.Option()] = None,
    url: Annotated[str | None, typer.Option(help="Link to the CI run or release.")] = None,
    external_id: Annotated[
        str | None, typer.Option("--external-id", help="Makes retries idempotent (e.g. the CI run id).")
    ] = None,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Record a deploy, config change or feature flag (open incidents on the service re-analyse)."""
    from warroom.timeutil import iso, parse_time

    when = None
    if at:
        try:
            when = iso(parse_time(at))
        except ValueError as exc:
            fail(CLIError(str(exc), 2))
    body = _params(
        kind=kind,
        service=service,
        version=version,
        at=when,
        description=description,
        author=author,
        url=url,
        external_id=external_id,
    )
    out = call(lambda: Api(server, token).post("/api/changes", json=body))
    if as_json:
        emit_json(out)
        return
    _change_line(out)


def _change_line(c: dict[str, Any]) -> None:
    console.print(
        f"[dim]{c['id']:>5}[/] {local_time(c['at'])} [bold]{c['kind']:<12}[/] {c['service']:<16} "
        f"{c.get('version') or '-':<12} {c.get('description') or ''}"
        f"[dim]{'  by ' + c['author'] if c.get('author') else ''}  {c['source']}[/]",
        soft_wrap=True,
    )


@change_app.command("ls")
def change_ls(
    service: Annotated[str | None, typer.Option("--service", "-s")] = None,
    since: Annotated[str, typer.Option(help=SINCE_HELP)] = "7d",
    limit: int = 100,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Recent change events, newest first."""
    params = _params(service=service, since=since, limit=limit)
    out = call(lambda: Api(server, token).get("/api/changes", params=params))
    if as_json:
        emit_json(out)
        return
    for c in out["changes"]:
        _change_line(c)
    if not out["changes"]:
        console.print("no changes")


# -- analysis ------------------------------------------------------------------------------------


@incident_app.command("analyze")
def incident_analyze(
    ref: str,
    latest: Annotated[
        bool, typer.Option("--latest", help="Show the stored analysis, do not run it.")
    ] = False,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Triage, similar incidents, recent changes, runbooks and who to tell, with their reasons."""
    api = Api(server, token)
    path = f"/api/incidents/{ref}/analysis"
    out = call(lambda: api.get(path) if latest else api.post(path))
    if as_json:
        emit_json(out)
        return
    _analysis(out)


def _analysis(a: dict[str, Any]) -> None:
    console.print(f"[bold]{a['incident']}[/] analysis v{a.get('version', '?')}  [dim]{a['generated_at']}[/]")
    console.print(a["summary"], markup=False, soft_wrap=True)
    tri = a["triage"]
    console.print(f"\n[bold]Triage[/] {tri['proposed']} ({tri['verdict']})")
    for f in tri["factors"]:
        console.print(f"  - {f}", markup=False)
    cor = a["correlation"]
    if cor["recent_changes"]:
        console.print("\n[bold]Recent changes[/]")
        for c in cor["recent_changes"]:
            console.print(f"  - {c['reason']}", markup=False)
    if cor["similar_incidents"]:
        console.print("\n[bold]Similar incidents[/]")
        _similar_lines(cor["similar_incidents"])
    if cor["concurrent_incidents"]:
        console.print("\n[bold]Concurrent incidents[/]")
        for c in cor["concurrent_incidents"]:
            console.print(f"  - {c['incident']} {c['title']} ({c['relation']})", markup=False)
    for rb in a["remediation"]["runbooks"]:
        console.print(f"\n[bold]Runbook[/] {rb['title']} [dim]({'; '.join(rb['matched_by'])})[/]")
        for i, step in enumerate(rb["steps"], 1):
            console.print(f"  {i}. {step}", markup=False)
    comms = a["comms"]
    console.print("\n[bold]Comms[/]")
    if comms["on_call"]:
        console.print("  on call: " + ", ".join(o.get("name") or o["user"] for o in comms["on_call"]))
    if comms["next"]:
        console.print("  next: " + ", ".join(o.get("name") or o["user"] for o in comms["next"]))
    if comms["stakeholders"]:
        console.print("  stakeholders: " + ", ".join(comms["stakeholders"]), markup=False)
    console.print(f"  draft: {comms['status_update']}", markup=False, soft_wrap=True)


def _similar_lines(items: list[dict[str, Any]]) -> None:
    for s in items:
        console.print(
            f"  {s['incident']:>8} [bold]{s['score']:.2f}[/] {s['title']}  [dim]{s['reason']}[/]",
            soft_wrap=True,
        )
        if s.get("fix"):
            console.print(f"           fix: {s['fix']}", markup=False, soft_wrap=True)


@incident_app.command("similar")
def incident_similar(
    ref: str, server: ServerOpt = None, token: TokenOpt = None, as_json: JsonOpt = False
) -> None:
    """Similar past (resolved) incidents, ranked, with the score, the reason and the fix."""
    out = call(lambda: Api(server, token).get(f"/api/incidents/{ref}/similar"))
    if as_json:
        emit_json(out)
        return
    _similar_lines(out["similar"])
    if not out["similar"]:
        console.print("no similar past incidents")


# -- postmortems -----------------------------------------------------------------------------------


@postmortem_app.command("generate")
def postmortem_generate(
    ref: str, server: ServerOpt = None, token: TokenOpt = None, as_json: JsonOpt = False
) -> None:
    """Draft a blameless postmortem from the timeline (a new version)."""
    out = call(lambda: Api(server, token).post(f"/api/incidents/{ref}/postmortem"))
    if as_json:
        emit_json(out)
        return
    sys.stdout.write(out["markdown"])
    err_console.print(f"{out['incident']} postmortem version {out['version']}", style="dim")


@postmortem_app.command("show")
def postmortem_show(
    ref: str,
    version: Annotated[int | None, typer.Option(help="Default: the latest.")] = None,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The postmortem's markdown (latest version unless --version)."""
    out = call(
        lambda: Api(server, token).get(f"/api/incidents/{ref}/postmortem", params=_params(version=version))
    )
    if as_json:
        emit_json(out)
        return
    sys.stdout.write(out["markdown"])
    err_console.print(
        f"{out['incident']} version {out['version']} of {', '.join(map(str, out['versions']))}"
        f" ({'generated' if out['generated'] else 'edited by ' + str(out['created_by'])})",
        style="dim",
    )


@postmortem_app.command("edit")
def postmortem_edit(
    ref: str,
    file: Annotated[
        Path | None, typer.Option("--file", "-f", help="Take the markdown from this file ('-' for stdin).")
    ] = None,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Save an edited postmortem as a new version: from --file, or in $EDITOR."""
    api = Api(server, token)
    if file is not None:
        text = sys.stdin.read() if str(file) == "-" else _local(file.read_text)
    else:
        current = call(lambda: api.get(f"/api/incidents/{ref}/postmortem"))["markdown"]
        edited = click.edit(current, extension=".md", require_save=True)
        if edited is None or edited == current:
            err_console.print("no change; nothing saved")
            return
        text = edited
    out = call(lambda: api.request("PUT", f"/api/incidents/{ref}/postmortem", json={"markdown": text}))
    if as_json:
        emit_json(out)
        return
    console.print(f"{out['incident']} postmortem version {out['version']} saved")


@postmortem_app.command("export")
def postmortem_export(
    ref: str,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Default: stdout.")] = None,
    version: Annotated[int | None, typer.Option()] = None,
    server: ServerOpt = None,
    token: TokenOpt = None,
) -> None:
    """Write the postmortem as a markdown file (or to stdout)."""
    out = call(
        lambda: Api(server, token).get(f"/api/incidents/{ref}/postmortem", params=_params(version=version))
    )
    if output is None:
        sys.stdout.write(out["markdown"])
        return
    _local(lambda: output.write_text(out["markdown"]))
    err_console.print(f"wrote {output} ({out['incident']} version {out['version']})")


# -- follow-ups ----------------------------------------------------------------------------------


def _followup_line(f: dict[str, Any]) -> None:
    mark = {"open": "[ ]", "done": "[x]", "dropped": "[-]"}.get(f["state"], "[?]")
    console.print(
        f"{f['id']} {mark} {f['title']}" + (f"  (owner: {f['owner']})" if f.get("owner") else ""),
        markup=False,
    )


@followup_app.command("add")
def followup_add(
    ref: str,
    title: str,
    owner: Annotated[str | None, typer.Option("--owner", "-o")] = None,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Add a follow-up task to an incident (it appears in the postmortem's action items)."""
    body = _params(title=title, owner=owner)
    out = call(lambda: Api(server, token).post(f"/api/incidents/{ref}/followups", json=body))
    if as_json:
        emit_json(out)
        return
    _followup_line(out)


@followup_app.command("ls")
def followup_ls(ref: str, server: ServerOpt = None, token: TokenOpt = None, as_json: JsonOpt = False) -> None:
    """The follow-up tasks of an incident."""
    out = call(lambda: Api(server, token).get(f"/api/incidents/{ref}/followups"))
    if as_json:
        emit_json(out)
        return
    for f in out["followups"]:
        _followup_line(f)
    if not out["followups"]:
        console.print("no follow-ups")


@followup_app.command("done")
def followup_done(
    followup_id: Annotated[str, typer.Argument(metavar="ID")],
    drop: Annotated[bool, typer.Option("--drop", help="Mark it dropped instead of done.")] = False,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Close a follow-up task."""
    body = {"state": "dropped" if drop else "done"}
    out = call(lambda: Api(server, token).request("PATCH", f"/api/followups/{followup_id}", json=body))
    if as_json:
        emit_json(out)
        return
    _followup_line(out)


# -- numbers, digests, search ------------------------------------------------------------------------


def stats(
    since: Annotated[str, typer.Option(help=SINCE_HELP)] = "30d",
    until: Annotated[str | None, typer.Option(help="Default: now.")] = None,
    period: Annotated[str, typer.Option(help="Trend buckets: day, week or month.")] = "week",
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """How many incidents, MTTA and MTTR: in total and by severity, service, cause and period."""
    out = call(
        lambda: Api(server, token).get("/api/stats", params=_params(since=since, until=until, period=period))
    )
    if as_json:
        emit_json(out)
        return
    t = out["total"]
    console.print(
        f"[bold]{t['count']} incident{'s' if t['count'] != 1 else ''}[/] "
        f"from {out['since']} to {out['until']}"
        f" ({t['open']} open); MTTA {_mins(t['mtta_minutes'])}, MTTR {_mins(t['mttr_minutes'])}"
    )
    for title, key in (
        ("by severity", "by_severity"),
        ("by service", "by_service"),
        ("by cause", "by_cause"),
        (f"by {out['period']}", "by_period"),
    ):
        if out[key]:
            rows = [
                {
                    "": k,
                    "count": v["count"],
                    "open": v["open"],
                    "MTTA": _mins(v["mtta_minutes"]),
                    "MTTR": _mins(v["mttr_minutes"]),
                }
                for k, v in out[key].items()
            ]
            table(rows, ["", "count", "open", "MTTA", "MTTR"], title=title)


def _mins(v: float | None) -> str:
    return "-" if v is None else f"{v:g} min"


def summarize(
    incident: Annotated[str | None, typer.Argument(help="An incident; without it, a channel digest.")] = None,
    channel: Annotated[
        str | None, typer.Option("--channel", "-c", help="Default: every channel you read.")
    ] = None,
    since: Annotated[str, typer.Option(help=SINCE_HELP)] = "12h",
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """What happened? A plain-language digest of an incident, or of a channel since a time."""
    api = Api(server, token)
    if incident:
        out = call(lambda: api.get(f"/api/incidents/{incident}/summary"))
    else:
        out = call(lambda: api.get("/api/digest", params=_params(channel=channel, since=since)))
    if as_json:
        emit_json(out)
        return
    console.print(out["text"], markup=False, soft_wrap=True)


def find(
    q: str,
    limit: int = 20,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Search incidents, messages, runbooks and services at once (`warroom search` is messages only)."""
    out = call(lambda: Api(server, token).get("/api/search", params={"q": q, "limit": limit}))
    if as_json:
        emit_json(out)
        return
    found = False
    if out["incidents"]:
        found = True
        console.print("[bold]Incidents[/]")
        for i in out["incidents"]:
            console.print(f"  {i['id']:>8} {i['severity']} {i['status']:<13} {i['title']}", markup=False)
    if out["services"]:
        found = True
        console.print("[bold]Services[/]")
        for s in out["services"]:
            console.print(f"  {s['id']} ({s['name']}, tier {s['tier']})", markup=False)
    if out["runbooks"]:
        found = True
        console.print("[bold]Runbooks[/]")
        for r in out["runbooks"]:
            console.print(f"  {r['id']}: {r['title']}", markup=False)
    if out["messages"]:
        found = True
        console.print("[bold]Messages[/]")
        for m in reversed(out["messages"]):
            message_line(m)
    if not found:
        console.print(f"nothing matches {q!r}", markup=False)


def intel_commands(app: typer.Typer) -> None:
    app.command("stats")(stats)
    app.command("summarize")(summarize)
    app.command("find")(find)
