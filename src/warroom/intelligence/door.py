"""Async intelligence use cases for the doors (REST, MCP, CLI)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection

from warroom.identity.models import Principal
from warroom.timeutil import utcnow

if TYPE_CHECKING:
    from warroom.core import Core


class IntelDoor:
    def __init__(self, core: Core) -> None:
        self.core = core
        self.db = core.db
        self.intel = core.intel
        self.kb = core.knowledge

    async def analyse(self, p: Principal, ref: str, *, force: bool = False) -> dict[str, Any]:
        """Run now; an analysis equal to the stored one is returned (`unchanged`), not stored again."""
        prepared = await self.db.read(lambda c: self.intel.prepare_analysis(c, p, ref))
        return await self.db.write(lambda c: self.intel.store_analysis(c, p, prepared, force=force))

    async def analysis(self, p: Principal, ref: str, version: int | None = None) -> dict[str, Any]:
        return await self.db.read(lambda c: self.intel.get_analysis(c, p, ref, version))

    async def similar(self, p: Principal, ref: str) -> list[dict[str, Any]]:
        return await self.db.read(lambda c: self.intel.similar(c, p, ref))

    async def generate_postmortem(self, p: Principal, ref: str) -> dict[str, Any]:
        draft = await self.db.read(lambda c: self.intel.prepare_draft(c, p, ref))
        return await self.db.write(lambda c: self.intel.store_draft(c, p, draft))

    async def postmortem(self, p: Principal, ref: str, version: int | None = None) -> dict[str, Any]:
        return await self.db.read(lambda c: self.intel.get_postmortem(c, p, ref, version))

    async def edit_postmortem(self, p: Principal, ref: str, markdown: str) -> dict[str, Any]:
        return await self.db.write(lambda c: self.intel.edit_postmortem(c, p, ref, markdown))

    async def add_followup(self, p: Principal, ref: str, title: str, owner: str | None) -> dict[str, Any]:
        return await self.db.write(lambda c: self.intel.add_followup(c, p, ref, title, owner))

    async def update_followup(
        self, p: Principal, fid: str, *, state: str | None, owner: str | None
    ) -> dict[str, Any]:
        return await self.db.write(lambda c: self.intel.update_followup(c, p, fid, state=state, owner=owner))

    async def followups(self, p: Principal, ref: str) -> list[dict[str, Any]]:
        return await self.db.read(lambda c: self.intel.list_followups(c, p, ref))

    async def stats(
        self, p: Principal, *, since: datetime, until: datetime | None, period: str
    ) -> dict[str, Any]:
        return await self.db.read(lambda c: self.intel.stats(c, p, since=since, until=until, period=period))

    async def incident_digest(self, p: Principal, ref: str) -> dict[str, Any]:
        return await self.db.read(lambda c: self.intel.incident_digest(c, p, ref))

    async def channel_digest(self, p: Principal, channel: str | None, since: datetime) -> dict[str, Any]:
        return await self.db.read(lambda c: self.intel.channel_digest(c, p, channel, since))

    # -- knowledge base ---------------------------------------------------------------------

    async def put_service(self, p: Principal, data: dict[str, Any]) -> dict[str, Any]:
        return await self.db.write(lambda c: self.kb.put_service(c, p, data))

    async def services(self) -> list[dict[str, Any]]:
        return await self.db.read(self.kb.list_services)

    async def service(self, service_id: str) -> dict[str, Any]:
        return await self.db.read(lambda c: self.kb.get_service(c, service_id))

    async def delete_service(self, p: Principal, service_id: str) -> dict[str, Any]:
        return await self.db.write(lambda c: self.kb.delete_service(c, p, service_id))

    async def put_runbook(self, p: Principal, data: dict[str, Any]) -> dict[str, Any]:
        return await self.db.write(lambda c: self.kb.put_runbook(c, p, data))

    async def runbooks(self) -> list[dict[str, Any]]:
        return await self.db.read(self.kb.list_runbooks)

    async def runbook(self, runbook_id: str) -> dict[str, Any]:
        return await self.db.read(lambda c: self.kb.get_runbook(c, runbook_id))

    async def runbooks_for(self, p: Principal, ref: str) -> list[dict[str, Any]]:
        def q(conn: Connection) -> list[dict[str, Any]]:
            from warroom.intelligence.analysis import runbooks_matching

            r = self.core.incidents.visible(conn, p, ref)
            return runbooks_matching(self.intel.facts_of(r), self.kb.runbook_models(conn))

        return await self.db.read(q)

    async def delete_runbook(self, p: Principal, runbook_id: str) -> dict[str, Any]:
        return await self.db.write(lambda c: self.kb.delete_runbook(c, p, runbook_id))

    async def record_change(self, p: Principal, **kw: Any) -> tuple[dict[str, Any], bool]:
        return await self.db.write(lambda c: self.kb.record_change(c, p, **kw))

    async def changes(
        self, *, service: str | None, since: datetime | None, limit: int = 100
    ) -> list[dict[str, Any]]:
        return await self.db.read(
            lambda c: self.kb.list_changes(c, service=service, since=since, limit=limit)
        )

    async def import_dir(self, p: Principal, directory: Path) -> dict[str, int]:
        return await self.db.write(lambda c: self.kb.import_dir(c, p, directory))

    async def export_dir(self, directory: Path) -> dict[str, int]:
        return await self.db.read(lambda c: self.kb.export_dir(c, directory))

    async def search_all(self, p: Principal, q: str, limit: int = 20) -> dict[str, Any]:
        """Full-text search across incidents, messages, runbooks and services."""
        from warroom.messages.filters import MessageFilter

        def run(conn: Connection) -> dict[str, Any]:
            kb = self.kb.search(conn, q, limit)
            msgs = self.core.messages.history(conn, p, None, MessageFilter(text=q), limit=limit)["items"]
            incs = self.core.incidents.search(conn, p, q, limit=limit)
            return {"query": q, "incidents": incs, "messages": msgs, **kb, "at": utcnow().isoformat()}

        await self.core.search_index.catch_up()  # a search sees every committed message
        return await self.db.read(run)
