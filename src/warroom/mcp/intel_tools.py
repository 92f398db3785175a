"""Intelligence tools: analysis, similar incidents, runbooks, change events, postmortems,
numbers, digests and search. The server computes the facts; the model writes the prose."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field

from warroom.errors import InvalidInput
from warroom.mcp import intel_schemas as x
from warroom.mcp import schemas as s
from warroom.mcp.args import IncidentRef, TimeArg, when
from warroom.mcp.args import incident as incident_out
from warroom.mcp.tools import IDEMPOTENT, READ, WRITE
from warroom.timeutil import utcnow

if TYPE_CHECKING:
    from warroom.mcp.server import WarroomMCP

ChangeKind = Literal["deploy", "config", "feature_flag", "other"]
Version = Annotated[int | None, Field(ge=1, description="A stored version; default the latest")]


def register(server: WarroomMCP) -> None:
    intel = server.core.intel_door
    me = server.identity.current

    @server.tool(
        title="Analyze an incident",
        annotations=IDEMPOTENT,
        description="""The incident's analysis: triage (severity confirmed or proposed, each factor stated),
similar past incidents and how they were fixed, changes (deploys) on the service and its
dependencies shortly before, concurrent incidents, matching runbook steps, who is on call and
who is paged next, stakeholders and a draft status update.

It runs by itself on trigger; calling it brings it up to date (a new version only when the
facts changed). Explain conclusions with the facts given; do not invent causes.
Example: {"incident": "INC-42"} or {"incident": "INC-42", "version": 1}""",
    )
    async def analyze_incident(incident: IncidentRef, version: Version = None) -> x.AnalysisOut:
        p = me()
        data = await (
            intel.analysis(p, incident, version) if version else intel.analyse(p, incident, force=False)
        )
        return x.AnalysisOut.model_validate(data)

    @server.tool(
        title="Find similar incidents",
        annotations=READ,
        description="""Past incidents most like this one (text of titles, summaries, root causes and labels),
ranked with a score, the reason, and their root cause and fix.

Example: {"incident": "INC-42", "limit": 3}""",
    )
    async def find_similar_incidents(
        incident: IncidentRef, limit: Annotated[int, Field(ge=1, le=50)] = 5
    ) -> x.SimilarOut:
        p = me()
        found = await intel.similar(p, incident)
        ref = (await server.core.get_incident(p, incident))["id"]
        return x.SimilarOut(
            incident=ref, similar=[x.SimilarIncident.model_validate(f) for f in found[:limit]]
        )

    @server.tool(
        title="Get runbooks",
        annotations=READ,
        description="""A runbook by id (with its steps and markdown), or the runbooks that match an incident
(service, alertname, labels, keywords) with the steps to follow and why each matched.
With neither: every runbook's title and steps.

Example: {"incident": "INC-42"} or {"runbook_id": "db-connection-pool"}""",
    )
    async def get_runbook(
        runbook_id: Annotated[str | None, Field(min_length=1, max_length=100)] = None,
        incident: Annotated[str | None, Field(min_length=1, max_length=200, description="INC-n")] = None,
    ) -> x.RunbookList:
        p = me()
        if runbook_id and incident:
            raise InvalidInput("name a runbook_id or an incident, not both", field="runbook_id")
        if runbook_id:
            return x.RunbookList(runbooks=[x.RunbookOut.model_validate(await intel.runbook(runbook_id))])
        if incident:
            hits = await intel.runbooks_for(p, incident)
            ref = (await server.core.get_incident(p, incident))["id"]
            return x.RunbookList(
                incident=ref, runbooks=[x.RunbookOut.model_validate({**h, "id": h["runbook"]}) for h in hits]
            )
        return x.RunbookList(runbooks=[x.RunbookOut.model_validate(r) for r in await intel.runbooks()])

    @server.tool(
        title="Record a change",
        annotations=WRITE,
        description="""Record a deploy, config change or feature flag on a service. The analysis of open
incidents on that service (and services depending on it) re-runs and names recent changes.

Pass external_id to make retries safe. Example: {"service": "user-api", "kind": "deploy",
"version": "v2.4.3", "description": "Connection pool refactor", "author": "ci",
"at": "2026-01-12T02:15:00Z"}""",
    )
    async def record_change(
        service: Annotated[str, Field(min_length=1, max_length=100)],
        kind: ChangeKind = "deploy",
        version: Annotated[str | None, Field(max_length=200)] = None,
        description: Annotated[str, Field(max_length=5000)] = "",
        author: Annotated[str | None, Field(max_length=200)] = None,
        url: Annotated[str | None, Field(max_length=1000)] = None,
        at: Annotated[str | None, Field(max_length=64, description="ISO 8601 time; default now")] = None,
        external_id: Annotated[str | None, Field(max_length=200, description="Retry-safe key")] = None,
    ) -> x.ChangeOut:
        out, created = await intel.record_change(
            me(),
            kind=kind,
            service=service,
            version=version,
            description=description,
            author=author,
            url=url,
            at=when(at, "at"),
            external_id=external_id,
            source="mcp",
        )
        return x.ChangeOut.model_validate({**out, "created": created})

    @server.tool(
        title="Generate a postmortem",
        annotations=WRITE,
        description="""Draft a blameless postmortem from the incident's timeline (a new stored version):
summary, impact, timeline, root cause, decisions, action items, figures (time to acknowledge,
mitigate, resolve) and participants with the assistant each used.

Then improve the prose (the postmortem_review prompt helps). Example: {"incident": "INC-42"}""",
    )
    async def generate_postmortem(incident: IncidentRef) -> x.PostmortemOut:
        return x.PostmortemOut.model_validate(await intel.generate_postmortem(me(), incident))

    @server.tool(
        title="Get a postmortem",
        annotations=READ,
        description="""The incident's stored postmortem (latest version, or one version), as markdown with the
facts it was written from. Example: {"incident": "INC-42"}""",
    )
    async def get_postmortem(incident: IncidentRef, version: Version = None) -> x.PostmortemOut:
        return x.PostmortemOut.model_validate(await intel.postmortem(me(), incident, version))

    @server.tool(
        title="Edit a postmortem",
        annotations=WRITE,
        description="""Store your edited postmortem markdown as a new version (earlier versions are kept).

Example: {"incident": "INC-42", "markdown": "# Postmortem: Database pool exhausted (INC-42)\\n..."}""",
    )
    async def edit_postmortem(
        incident: IncidentRef,
        markdown: Annotated[str, Field(min_length=1, max_length=200_000)],
    ) -> x.PostmortemOut:
        return x.PostmortemOut.model_validate(await intel.edit_postmortem(me(), incident, markdown))

    @server.tool(
        title="Incident statistics",
        annotations=READ,
        description="""Incident numbers over a window: count, open, MTTA and MTTR (mean and median, minutes),
by severity, service, cause and period (day, week or month).

Answers "how many P0s this month and what was our MTTR?".
Example: {"since": "30d", "period": "week"} or {"since": "2026-01-01T00:00:00Z",
"until": "2026-02-01T00:00:00Z", "period": "month"}""",
    )
    async def incident_stats(
        since: Annotated[TimeArg, Field(description="Window start: 30d (default) or an ISO time")] = "30d",
        until: Annotated[TimeArg, Field(description="Window end; default now")] = None,
        period: Literal["day", "week", "month"] = "week",
    ) -> x.StatsOut:
        start = when(since, "since") or utcnow() - timedelta(days=30)
        data = await intel.stats(me(), since=start, until=when(until, "until"), period=period)
        return x.StatsOut.model_validate(data)

    @server.tool(
        title="Summarize",
        annotations=READ,
        description="""A deterministic plain-language summary of one incident (timeline, cause, figures,
people), or of a channel since a time ("what happened tonight?"): active incidents and the
urgent and incident messages. Without a channel: every channel you can read.

Example: {"incident": "INC-42"} or {"channel": "incidents", "since": "8h"}""",
    )
    async def summarize(
        incident: Annotated[str | None, Field(min_length=1, max_length=200, description="INC-n")] = None,
        channel: Annotated[str | None, Field(min_length=1, max_length=64)] = None,
        since: Annotated[TimeArg, Field(description="Channel digest window start; default 12h")] = "12h",
    ) -> x.DigestOut:
        p = me()
        if incident:
            if channel:
                raise InvalidInput("name an incident or a channel, not both", field="channel")
            d = await intel.incident_digest(p, incident)
            return x.DigestOut(kind="incident", text=d["text"], incident=d["incident"], facts=d["facts"])
        start = when(since, "since") or utcnow() - timedelta(hours=12)
        d = await intel.channel_digest(p, channel, start)
        return x.DigestOut(
            kind="channel",
            text=d["text"],
            channel=d["channel"],
            since=d["since"],
            messages=d["messages"],
            incidents=d["incidents"],
            has_more=d["has_more"],
        )

    @server.tool(
        title="Search everything",
        annotations=READ,
        description="""Search incidents, messages, runbooks and services at once (incidents and messages only
from channels you can read). Example: {"query": "connection pool"}""",
    )
    async def search_all(
        query: Annotated[str, Field(min_length=1, max_length=500)],
        limit: Annotated[int, Field(ge=1, le=100, description="Per kind")] = 20,
    ) -> x.SearchOut:
        d = await intel.search_all(me(), query, limit)
        return x.SearchOut(
            query=d["query"],
            incidents=[incident_out(r) for r in d["incidents"]],
            messages=[s.Notification.model_validate(m) for m in d["messages"]],
            runbooks=d["runbooks"],
            services=d["services"],
        )
