"""The knowledge base: services, runbooks and change events; import/export as files."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import Connection, delete, insert, or_, select, update

from warroom.errors import Forbidden, InvalidInput, NotFound
from warroom.events.log import append_event
from warroom.identity.models import Principal, Scope
from warroom.intelligence.facts import Change, Runbook, ServiceInfo
from warroom.store.tables import change_events, runbooks, services
from warroom.timeutil import iso, utcnow

ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,99}$")
CHANGE_KINDS = ("deploy", "config", "feature_flag", "other")


class ServiceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    name: str | None = None
    owner_team: str | None = None
    tier: int = Field(default=3, ge=1, le=3)
    dependencies: list[str] = Field(default_factory=list)
    repository: str | None = None
    dashboards: list[str] = Field(default_factory=list)
    runbook_links: list[str] = Field(default_factory=list)
    stakeholders: list[str] = Field(default_factory=list)
    description: str = ""


class RunbookMatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    services: list[str] = Field(default_factory=list)
    alertnames: list[str] = Field(default_factory=list)
    labels: dict[str, str] = Field(default_factory=dict)
    keywords: list[str] = Field(default_factory=list)


class RunbookIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    title: str = Field(min_length=1, max_length=200)
    match: RunbookMatch = Field(default_factory=RunbookMatch)
    steps: list[str] = Field(default_factory=list)
    body: str = ""


def _check_id(value: str, what: str) -> None:
    if not ID.match(value):
        raise InvalidInput(
            f"{what} id {value!r} must be lowercase letters, digits, '.', '_' or '-'", field="id"
        )


def _invalid(exc: ValidationError, what: str) -> InvalidInput:
    e = exc.errors()[0]
    loc = ".".join(str(x) for x in e.get("loc", ()))
    return InvalidInput(f"{what}.{loc}: {e.get('msg')}", field=what)


def service_wire(r: Any) -> dict[str, Any]:
    return {
        "id": r.id,
        "name": r.name,
        "owner_team": r.owner_team,
        "tier": r.tier,
        "dependencies": r.dependencies,
        "repository": r.repository,
        "dashboards": r.dashboards,
        "runbook_links": r.runbook_links,
        "stakeholders": r.stakeholders,
        "description": r.description,
        "updated_at": iso(r.updated_at),
    }


def runbook_wire(r: Any) -> dict[str, Any]:
    return {
        "id": r.id,
        "title": r.title,
        "match": r.match,
        "steps": r.steps,
        "body": r.body,
        "updated_at": iso(r.updated_at),
    }


def change_wire(r: Any) -> dict[str, Any]:
    return {
        "id": int(r.id),
        "kind": r.kind,
        "service": r.service,
        "version": r.version,
        "description": r.description,
        "author": r.author,
        "source": r.source,
        "url": r.url,
        "external_id": r.external_id,
        "at": iso(r.at),
    }


def _writer(p: Principal) -> None:
    if not p.has_scope(Scope.PUBLISH):
        raise Forbidden("changing the knowledge base needs the publish scope")


class KnowledgeService:
    # -- services --------------------------------------------------------------------

    def put_service(self, conn: Connection, p: Principal, data: dict[str, Any]) -> dict[str, Any]:
        _writer(p)
        try:
            s = ServiceIn.model_validate(data)
        except ValidationError as exc:
            raise _invalid(exc, "service") from None
        _check_id(s.id, "service")
        values = {**s.model_dump(exclude={"id"}), "name": s.name or s.id, "updated_at": utcnow()}
        if conn.execute(select(services.c.id).where(services.c.id == s.id)).first():
            conn.execute(update(services).where(services.c.id == s.id).values(**values))
        else:
            conn.execute(insert(services).values(id=s.id, **values))
        return self.get_service(conn, s.id)

    def get_service(self, conn: Connection, service_id: str) -> dict[str, Any]:
        r = conn.execute(select(services).where(services.c.id == service_id)).first()
        if r is None:
            raise NotFound(
                f"service {service_id!r} is not in the catalog; add it with `warroom kb service put`",
                field="service",
            )
        return service_wire(r)

    def list_services(self, conn: Connection) -> list[dict[str, Any]]:
        return [service_wire(r) for r in conn.execute(select(services).order_by(services.c.id))]

    def delete_service(self, conn: Connection, p: Principal, service_id: str) -> dict[str, Any]:
        _writer(p)
        self.get_service(conn, service_id)
        conn.execute(delete(services).where(services.c.id == service_id))
        return {"id": service_id, "deleted": True}

    def catalog(self, conn: Connection) -> dict[str, ServiceInfo]:
        return {
            r.id: ServiceInfo(
                r.id,
                r.name,
                int(r.tier),
                r.owner_team,
                tuple(r.dependencies),
                tuple(r.stakeholders),
                tuple(r.runbook_links),
                tuple(r.dashboards),
            )
            for r in conn.execute(select(services))
        }

    # -- runbooks ---------------------------------------------------------------------

    def put_runbook(self, conn: Connection, p: Principal, data: dict[str, Any]) -> dict[str, Any]:
        _writer(p)
        try:
            rb = RunbookIn.model_validate(data)
        except ValidationError as exc:
            raise _invalid(exc, "runbook") from None
        _check_id(rb.id, "runbook")
        values = {
            "title": rb.title,
            "match": rb.match.model_dump(),
            "steps": rb.steps,
            "body": rb.body,
            "updated_at": utcnow(),
        }
        if conn.execute(select(runbooks.c.id).where(runbooks.c.id == rb.id)).first():
            conn.execute(update(runbooks).where(runbooks.c.id == rb.id).values(**values))
        else:
            conn.execute(insert(runbooks).values(id=rb.id, **values))
        return self.get_runbook(conn, rb.id)

    def get_runbook(self, conn: Connection, runbook_id: str) -> dict[str, Any]:
        r = conn.execute(select(runbooks).where(runbooks.c.id == runbook_id)).first()
        if r is None:
            raise NotFound(
                f"runbook {runbook_id!r} does not exist; `warroom kb runbooks` lists them", field="runbook"
            )
        return runbook_wire(r)

    def list_runbooks(self, conn: Connection) -> list[dict[str, Any]]:
        return [runbook_wire(r) for r in conn.execute(select(runbooks).order_by(runbooks.c.id))]

    def delete_runbook(self, conn: Connection, p: Principal, runbook_id: str) -> dict[str, Any]:
        _writer(p)
        self.get_runbook(conn, runbook_id)
        conn.execute(delete(runbooks).where(runbooks.c.id == runbook_id))
        return {"id": runbook_id, "deleted": True}

    def runbook_models(self, conn: Connection) -> list[Runbook]:
        out = []
        for r in conn.execute(select(runbooks).order_by(runbooks.c.id)):
            m = r.match or {}
            out.append(
                Runbook(
                    r.id,
                    r.title,
                    tuple(m.get("services", ())),
                    tuple(m.get("alertnames", ())),
                    dict(m.get("labels", {})),
                    tuple(m.get("keywords", ())),
                    tuple(r.steps),
                )
            )
        return out

    # -- change events ------------------------------------------------------------------

    def record_change(
        self,
        conn: Connection,
        p: Principal,
        *,
        kind: str,
        service: str,
        version: str | None = None,
        description: str = "",
        author: str | None = None,
        source: str = "api",
        url: str | None = None,
        at: datetime | None = None,
        external_id: str | None = None,
        data: dict[str, Any] | None = None,
    ) -> tuple[dict[str, Any], bool]:
        """Record a deploy/config/flag change; (change, created). Idempotent on external_id."""
        _writer(p)
        if kind not in CHANGE_KINDS:
            raise InvalidInput(f"kind {kind!r} is not valid; use {', '.join(CHANGE_KINDS)}", field="kind")
        if not service or len(service) > 100:
            raise InvalidInput("service must be 1–100 characters", field="service")
        if at is not None and at.tzinfo is None:
            raise InvalidInput("at needs a time zone, e.g. 2024-01-12T02:15:00Z", field="at")
        if external_id:
            seen = conn.execute(
                select(change_events).where(change_events.c.external_id == external_id)
            ).first()
            if seen is not None:
                return change_wire(seen), False
        cid = conn.execute(
            insert(change_events)
            .values(
                kind=kind,
                service=service,
                version=version,
                description=description,
                author=author,
                source=source,
                url=url,
                external_id=external_id,
                at=at or utcnow(),
                data=data or {},
            )
            .returning(change_events.c.id)
        ).scalar_one()
        row = conn.execute(select(change_events).where(change_events.c.id == cid)).one()
        out = change_wire(row)
        append_event(conn, "change.recorded", data=out)
        return out, True

    def list_changes(
        self, conn: Connection, *, service: str | None = None, since: datetime | None = None, limit: int = 100
    ) -> list[dict[str, Any]]:
        q = select(change_events).order_by(change_events.c.at.desc()).limit(limit)
        if service:
            q = q.where(change_events.c.service == service)
        if since:
            q = q.where(change_events.c.at >= since)
        return [change_wire(r) for r in conn.execute(q)]

    def changes_for(
        self, conn: Connection, service_ids: set[str], start: datetime, end: datetime
    ) -> list[Change]:
        if not service_ids:
            return []
        rows = conn.execute(
            select(change_events).where(
                change_events.c.service.in_(sorted(service_ids)),
                change_events.c.at >= start,
                change_events.c.at <= end,
            )
        )
        return [
            Change(int(r.id), r.kind, r.service, r.version, r.description, r.author, r.at, r.url)
            for r in rows
        ]

    # -- files ----------------------------------------------------------------------------

    def import_dir(self, conn: Connection, p: Principal, directory: Path) -> dict[str, int]:
        """`catalog.yaml` (services: [...]) and `runbooks/*.md` (YAML front matter + steps)."""
        svcs, books = read_kb_dir(directory)
        for s in svcs:
            self.put_service(conn, p, s)
        for rb in books:
            self.put_runbook(conn, p, rb)
        return {"services": len(svcs), "runbooks": len(books)}

    def export_dir(self, conn: Connection, directory: Path) -> dict[str, int]:
        return write_kb_dir(directory, self.list_services(conn), self.list_runbooks(conn))

    def search(self, conn: Connection, q: str, limit: int = 20) -> dict[str, list[dict[str, Any]]]:
        like = f"%{q.strip()}%"
        svc = conn.execute(
            select(services)
            .where(
                or_(
                    services.c.id.ilike(like), services.c.name.ilike(like), services.c.description.ilike(like)
                )
            )
            .limit(limit)
        ).all()
        rbs = conn.execute(
            select(runbooks)
            .where(or_(runbooks.c.title.ilike(like), runbooks.c.body.ilike(like)))
            .limit(limit)
        ).all()
        return {"services": [service_wire(r) for r in svc], "runbooks": [runbook_wire(r) for r in rbs]}


_STEP = re.compile(r"^\s*(\d+)[.)]\s+(.+)$")


def parse_runbook_markdown(text: str, *, default_id: str) -> dict[str, Any]:
    """YAML front matter (id, title, match, optional steps) and a markdown body.

    The steps are the body's numbered lines, unless the front matter lists them (export does
    that when the body does not hold them, so a runbook survives an export/import round trip).
    """
    meta: Any = {}
    body = text
    if text.startswith("---"):
        parts = text.split("---", 2)
        if len(parts) < 3:
            raise InvalidInput(
                f"runbook {default_id}: front matter opened with --- is never closed", field="runbook"
            )
        _, front, body = parts
        try:
            meta = yaml.safe_load(front) or {}
        except yaml.YAMLError as exc:
            raise InvalidInput(
                f"runbook {default_id}: front matter is not valid YAML: {exc}", field="runbook"
            ) from None
        if not isinstance(meta, dict):
            raise InvalidInput(f"runbook {default_id}: front matter must be a YAML mapping", field="runbook")
    steps = [m.group(2).strip() for m in map(_STEP.match, body.splitlines()) if m]
    if isinstance(meta.get("steps"), list):
        steps = [str(x) for x in meta["steps"]]
    title = meta.get("title") or next(
        (ln.lstrip("# ").strip() for ln in body.splitlines() if ln.startswith("#")), default_id
    )
    return {
        "id": meta.get("id", default_id),
        "title": title,
        "match": meta.get("match", {}),
        "steps": steps,
        "body": body.strip(),
    }


def render_runbook_markdown(rb: dict[str, Any]) -> str:
    head: dict[str, Any] = {"id": rb["id"], "title": rb["title"], "match": rb["match"]}
    body = rb["body"] or "\n".join(
        [f"# {rb['title']}", "", *(f"{i}. {s}" for i, s in enumerate(rb["steps"], 1))]
    )
    if [m.group(2).strip() for m in map(_STEP.match, body.splitlines()) if m] != list(rb["steps"]):
        head["steps"] = list(rb["steps"])
    front = yaml.safe_dump(head, sort_keys=False, allow_unicode=True)
    return f"---\n{front}---\n{body}\n"


def read_kb_dir(directory: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The services of `catalog.yaml` and the runbooks of `runbooks/*.md`, parsed, not yet stored.

    Pure file reading, shared by the store-side import and the CLI (which sends them over HTTP).
    """
    catalog = directory / "catalog.yaml"
    svcs: list[dict[str, Any]] = []
    if catalog.exists():
        try:
            doc = yaml.safe_load(catalog.read_text()) or {}
        except yaml.YAMLError as exc:
            raise InvalidInput(f"{catalog} is not valid YAML: {exc}", field="catalog") from None
        if not isinstance(doc, dict) or not isinstance(doc.get("services", []), list):
            raise InvalidInput(f"{catalog} must hold a mapping with a `services:` list", field="catalog")
        for s in doc.get("services", []):
            if not isinstance(s, dict):
                raise InvalidInput(f"{catalog}: every service must be a mapping with an id", field="catalog")
            svcs.append(s)
    books = [
        parse_runbook_markdown(path.read_text(), default_id=path.stem)
        for path in sorted((directory / "runbooks").glob("*.md"))
    ]
    if not catalog.exists() and not books:
        raise InvalidInput(f"{directory} has neither catalog.yaml nor runbooks/*.md", field="directory")
    return svcs, books


def write_kb_dir(directory: Path, svcs: list[dict[str, Any]], books: list[dict[str, Any]]) -> dict[str, int]:
    """Write services (wire form) as `catalog.yaml` and runbooks as `runbooks/<id>.md`."""
    directory.mkdir(parents=True, exist_ok=True)
    clean = [{k: v for k, v in s.items() if k != "updated_at"} for s in svcs]
    (directory / "catalog.yaml").write_text(
        yaml.safe_dump({"services": clean}, sort_keys=False, allow_unicode=True)
    )
    rb_dir = directory / "runbooks"
    rb_dir.mkdir(exist_ok=True)
    for rb in books:
        (rb_dir / f"{rb['id']}.md").write_text(render_runbook_markdown(rb))
    return {"services": len(clean), "runbooks": len(books)}
