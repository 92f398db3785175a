"""Intelligence use cases: analyse, postmortem, follow-ups, statistics and digests.

The pure parts (analysis.py, postmortem.py, text.py) decide; this module gathers their
facts from the store, keeps their results (versioned) and puts them on the timeline.
"""

from __future__ import annotations

import hashlib
import secrets
import statistics
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import Connection, bindparam, func, insert, or_, select, update

from warroom.channels.acl import Permission
from warroom.channels.service import readable_channel_ids
from warroom.errors import InvalidInput, NotFound
from warroom.identity.models import Principal
from warroom.incidents.service import IncidentService, incident_ref
from warroom.intelligence import analysis as A
from warroom.intelligence import postmortem as PM
from warroom.intelligence.facts import IncidentFacts, OnCallFacts
from warroom.intelligence.knowledge import KnowledgeService
from warroom.intelligence.text import idf, label_tokens, tokens
from warroom.messages.filters import MessageFilter
from warroom.messages.service import MessageService
from warroom.paging.escalation import TargetKind, plan
from warroom.paging.schedules import on_call_at
from warroom.paging.service import PagingService
from warroom.priority import Priority
from warroom.store.tables import (
    alerts,
    escalations,
    followups,
    incident_analyses,
    incident_knowledge,
    incidents,
    postmortems,
    principals,
)
from warroom.timeutil import iso, utcnow

# What a reader prepares for the writer on resolve: the knowledge to file, the draft to keep.
Knowledge = tuple[int, dict[str, Any]]  # incident number, incident_knowledge values
Draft = tuple[Any, str, dict[str, Any]]  # incident row, markdown, facts

# Every new incident is analysed (and stored) once alerts open it: the statements are built
# once, with bind parameters, rather than on each analysis.
# The store extracts the alertnames: parsing every alert's labels in Python cost more.
_ALERTNAMES = (
    select(alerts.c.labels["alertname"].as_string())
    .where(alerts.c.incident_number == bindparam("number"))
    .distinct()
)
# The incidents around this one, as `facts_of` reads them: only its columns, since a storm
# has hundreds and each row's unused timestamps would still be converted.
_CONCURRENT = select(
    incidents.c.number,
    incidents.c.title,
    incidents.c.summary,
    incidents.c.severity,
    incidents.c.status,
    incidents.c.service,
    incidents.c.labels,
    incidents.c.triggered_at,
    incidents.c.resolved_at,
    incidents.c.acknowledged_at,
).where(
    incidents.c.number != bindparam("number"),
    incidents.c.merged_into.is_(None),
    incidents.c.triggered_at >= bindparam("since", type_=incidents.c.triggered_at.type),
    incidents.c.triggered_at <= bindparam("until", type_=incidents.c.triggered_at.type),
)
_LAST_ANALYSIS = (
    select(incident_analyses)
    .where(incident_analyses.c.incident_number == bindparam("number"))
    .order_by(incident_analyses.c.version.desc())
    .limit(1)
)
_INSERT_ANALYSIS = insert(incident_analyses)


@dataclass(frozen=True)
class PreparedAnalysis:
    """An analysis worked out on a reader, waiting to be stored by the writer."""

    row: Any  # the incident row it was worked out from
    result: dict[str, Any]
    digest: str
    at: datetime


class IntelligenceService:
    def __init__(
        self,
        incidents_svc: IncidentService,
        messages: MessageService,
        paging: PagingService,
        knowledge: KnowledgeService,
    ) -> None:
        self.incidents = incidents_svc
        self.messages = messages
        self.paging = paging
        self.kb = knowledge
        self._corpus_cache: tuple[Any, A.PastCorpus] | None = None
        self._lock = threading.Lock()

    # -- facts -------------------------------------------------------------------------

    def facts_of(self, r: Any, know: Any | None = None, alertnames: tuple[str, ...] = ()) -> IncidentFacts:
        # Read through the row's mapping: a Row's attribute access goes through __getattr__
        # (~1 µs each), and an analysis reads the facts of every incident around its own.
        m = r._mapping
        labels = m["labels"] or {}
        return IncidentFacts(
            ref=incident_ref(int(m["number"])),
            number=int(m["number"]),
            title=m["title"],
            summary=m["summary"] or "",
            severity=int(m["severity"]),
            status=m["status"],
            service=m["service"],
            labels=dict(labels),
            triggered_at=m["triggered_at"],
            resolved_at=m["resolved_at"],
            acknowledged_at=m["acknowledged_at"],
            root_cause=(know.root_cause if know else ""),
            resolution=(know.resolution if know else ""),
            alertnames=alertnames or tuple(v for k, v in labels.items() if k == "alertname"),
        )

    def _corpus(self, conn: Connection) -> A.PastCorpus:
        """Resolved incidents with their stored tokens, as a similarity corpus with IDF weights.

        Built once and kept while a cheap fingerprint of the resolved set and of the filed
        knowledge stays the same, so an analysis at 3 AM does not re-read and re-tokenize
        every past incident. The fingerprint is read from the store, so replicas agree.
        """
        resolved = (incidents.c.status == "resolved", incidents.c.merged_into.is_(None))
        fp = conn.execute(
            select(func.count(), func.sum(incidents.c.number), func.max(incidents.c.updated_at)).where(
                *resolved
            )
        ).one()
        kfp = conn.execute(select(func.count(), func.max(incident_knowledge.c.updated_at))).one()
        key = (tuple(fp), tuple(kfp))
        with self._lock:
            if self._corpus_cache is not None and self._corpus_cache[0] == key:
                return self._corpus_cache[1]
        rows = conn.execute(
            select(
                incidents.c.number,
                incidents.c.title,
                incidents.c.service,
                incidents.c.severity,
                incidents.c.status,
                incidents.c.triggered_at,
                incidents.c.resolved_at,
                incident_knowledge.c.root_cause,
                incident_knowledge.c.resolution,
                incident_knowledge.c.tokens,
            )
            .outerjoin(incident_knowledge, incident_knowledge.c.incident_number == incidents.c.number)
            .where(*resolved)
            .order_by(incidents.c.number)
        ).all()
        past = [
            IncidentFacts(
                ref=incident_ref(int(r.number)),
                number=int(r.number),
                title=r.title,
                summary=r.tokens or "",
                severity=int(r.severity),
                status=r.status,
                service=r.service,
                labels={},
                triggered_at=r.triggered_at,
                resolved_at=r.resolved_at,
                root_cause=r.root_cause or "",
                resolution=r.resolution or "",
            )
            for r in rows
        ]
        weights = idf(set(tokens(f"{p.title} {p.summary}")) for p in past)
        corpus = A.PastCorpus.build(past, weights)
        with self._lock:
            self._corpus_cache = (key, corpus)
        return corpus

    def _oncall(self, conn: Connection, r: Any, now: datetime) -> OnCallFacts:
        policy = self.paging.route_for(
            conn,
            service=r.service,
            integration=r.integration_id,
            channel=r.channel_id,
            priority=Priority.from_rank(r.severity),
        )
        if policy is None:
            return OnCallFacts()
        names = dict(conn.execute(select(principals.c.id, principals.c.name)).all())
        esc = conn.execute(select(escalations).where(escalations.c.incident_number == r.number)).first()
        fired = int(esc.fired_steps) if esc else 0
        steps = plan(policy, esc.triggered_at if esc else now)

        def people(step_index: int) -> list[dict[str, Any]]:
            if step_index >= len(steps):
                return []
            out = []
            for t in steps[step_index].targets:
                if t.kind is TargetKind.USER:
                    out.append({"user": t.id, "name": names.get(t.id, t.id)})
                elif t.kind is TargetKind.SCHEDULE:
                    try:
                        sched = self.paging.schedule_model(conn, t.id)
                    except NotFound:
                        continue
                    out += [
                        {"user": s.user_id, "name": names.get(s.user_id or "", s.user_id), "schedule": t.id}
                        for s in on_call_at(sched, now)
                        if s.user_id
                    ]
            return out

        current = max(0, fired - 1)
        return OnCallFacts(now=people(current), next=people(current + 1), policy=policy.id)

    # -- analysis -------------------------------------------------------------------------

    def analyse(
        self, conn: Connection, p: Principal, ref: str | int, *, force: bool = False
    ) -> dict[str, Any]:
        """Work out and store an analysis in one transaction (tests, one-off callers)."""
        return self.store_analysis(conn, p, self.prepare_analysis(conn, p, ref), force=force)

    def prepare_analysis(self, conn: Connection, p: Principal, ref: str | int) -> PreparedAnalysis:
        """Everything an analysis needs, read and worked out: no writes, so it runs on a
        reader, not in the single writer where it would hold up every publish and ack."""
        r = self.incidents.visible(conn, p, ref)
        now = utcnow()
        names = tuple(sorted(name for (name,) in conn.execute(_ALERTNAMES, {"number": r.number}) if name))
        inc = self.facts_of(r, alertnames=names)
        catalog = self.kb.catalog(conn)
        lead = r.service or (A.infer_service(f"{r.title}\n{r.summary}", catalog) or ("", ""))[0]
        svc = catalog.get(lead)
        related = {lead} | set(svc.dependencies if svc else ())
        changes = self.kb.changes_for(conn, related, r.triggered_at - A.CHANGE_WINDOW, r.triggered_at)
        others_rows = conn.execute(
            _CONCURRENT,
            {
                "number": r.number,
                "since": r.triggered_at - timedelta(hours=6),
                "until": r.triggered_at + timedelta(hours=6),
            },
        ).all()
        others = [self.facts_of(o) for o in others_rows]
        corpus = self._corpus(conn)
        result = A.analyse(
            inc,
            catalog=catalog,
            past=corpus.past,
            weights=corpus.weights,
            corpus=corpus,
            changes=changes,
            others=others,
            books=self.kb.runbook_models(conn),
            oncall=self._oncall(conn, r, now),
            now=now,
        )
        # Same facts, same conclusion: only a changed analysis becomes a new version.
        stable = {k: v for k, v in result.items() if k != "generated_at"}
        digest = hashlib.sha256(orjson.dumps(stable, option=orjson.OPT_SORT_KEYS)).hexdigest()
        return PreparedAnalysis(row=r, result=result, digest=digest, at=now)

    def store_analysis(
        self, conn: Connection, p: Principal, prepared: PreparedAnalysis, *, force: bool = False
    ) -> dict[str, Any]:
        """Keep a prepared analysis as the incident's next version, unless it is unchanged."""
        r, result, digest, now = prepared.row, dict(prepared.result), prepared.digest, prepared.at
        last = conn.execute(_LAST_ANALYSIS, {"number": r.number}).first()
        if last is not None and last.input_hash == digest and not force:
            return {**last.data, "version": int(last.version), "unchanged": True}
        version = (int(last.version) if last else 0) + 1
        result["version"] = version
        conn.execute(
            _INSERT_ANALYSIS,
            {
                "incident_number": r.number,
                "version": version,
                "created_at": now,
                "input_hash": digest,
                "data": result,
            },
        )
        self.incidents.record(
            conn, "incident.analysis", r, p, analysis=result, version=version, summary=result["summary"]
        )
        return result

    def get_analysis(
        self, conn: Connection, p: Principal, ref: str | int, version: int | None = None
    ) -> dict[str, Any]:
        r = self.incidents.visible(conn, p, ref)
        q = select(incident_analyses).where(incident_analyses.c.incident_number == r.number)
        q = (
            q.where(incident_analyses.c.version == version)
            if version
            else q.order_by(incident_analyses.c.version.desc())
        )
        row = conn.execute(q.limit(1)).first()
        if row is None:
            raise NotFound(
                f"{incident_ref(r.number)} has no analysis yet; run analyze_incident / "
                f"POST /api/incidents/{incident_ref(r.number)}/analysis",
                field="analysis",
            )
        return {**row.data, "version": int(row.version)}

    def similar(self, conn: Connection, p: Principal, ref: str | int) -> list[dict[str, Any]]:
        r = self.incidents.visible(conn, p, ref)
        corpus = self._corpus(conn)
        return A.similar(self.facts_of(r), corpus.past, corpus.weights, corpus)

    def remember(self, conn: Connection, ref: str | int) -> None:
        """On resolve: keep the root cause and fix, for "similar past incidents" later."""
        self.store_knowledge(conn, *self.prepare_knowledge(conn, ref))

    def prepare_knowledge(self, conn: Connection, ref: str | int) -> Knowledge:
        """What `remember` files, read and worked out (no writes: runs on a reader)."""
        r = self.incidents.row(conn, ref)
        tl = self.incidents.timeline(conn, _SYSTEM, r.number, limit=2000)
        f = PM.facts(tl["incident"], tl["items"], [])
        fix = "; ".join(d["decision"] for d in f["decisions"]) or f["cause"]
        words = " ".join(
            sorted(set(tokens(f"{r.summary} {f['root_cause']} {f['cause']}")) | label_tokens(r.labels or {}))
        )
        values = {
            "root_cause": (f["root_cause"] or f["cause"])[:2000],
            "resolution": fix[:2000],
            "tokens": words[:8000],
            "updated_at": utcnow(),
        }
        return int(r.number), values

    def store_knowledge(self, conn: Connection, number: int, values: dict[str, Any]) -> None:
        if conn.execute(
            select(incident_knowledge.c.incident_number).where(incident_knowledge.c.incident_number == number)
        ).first():
            where = incident_knowledge.c.incident_number == number
            conn.execute(update(incident_knowledge).where(where).values(**values))
        else:
            conn.execute(insert(incident_knowledge).values(incident_number=number, **values))

    # -- postmortems -----------------------------------------------------------------------

    def _followups(self, conn: Connection, number: int) -> list[dict[str, Any]]:
        return [
            {
                "id": f.id,
                "title": f.title,
                "owner": f.owner,
                "state": f.state,
                "created_at": iso(f.created_at),
            }
            for f in conn.execute(
                select(followups)
                .where(followups.c.incident_number == number)
                .order_by(followups.c.created_at)
            )
        ]

    def generate_postmortem(self, conn: Connection, p: Principal, ref: str | int) -> dict[str, Any]:
        return self.store_draft(conn, p, self.prepare_draft(conn, p, ref))

    def prepare_draft(self, conn: Connection, p: Principal, ref: str | int) -> Draft:
        """A postmortem draft (incident row, markdown, facts) from the whole timeline: reads
        only, so it runs on a reader and the writer just stores it."""
        r = self.incidents.visible(conn, p, ref)
        tl = self.incidents.timeline(conn, p, r.number, limit=5000)
        f = PM.facts(tl["incident"], tl["items"], self._followups(conn, r.number))
        md = PM.render(f, generated_at=iso(utcnow()) or "")
        return r, md, f

    def store_draft(self, conn: Connection, p: Principal, draft: Draft) -> dict[str, Any]:
        r, md, f = draft
        return self._store_postmortem(conn, p, r, md, f, generated=True)

    def _store_postmortem(
        self, conn: Connection, p: Principal, r: Any, md: str, f: dict[str, Any], *, generated: bool
    ) -> dict[str, Any]:
        last = conn.execute(
            select(func.max(postmortems.c.version)).where(postmortems.c.incident_number == r.number)
        ).scalar()
        version = int(last or 0) + 1
        conn.execute(
            insert(postmortems).values(
                incident_number=r.number,
                version=version,
                created_at=utcnow(),
                created_by=p.id,
                generated=generated,
                markdown=md,
                facts=f,
            )
        )
        self.incidents.record(conn, "incident.postmortem", r, p, version=version, generated=generated)
        return {
            "incident": incident_ref(r.number),
            "version": version,
            "generated": generated,
            "markdown": md,
            "facts": f,
        }

    def get_postmortem(
        self, conn: Connection, p: Principal, ref: str | int, version: int | None = None
    ) -> dict[str, Any]:
        r = self.incidents.visible(conn, p, ref)
        q = select(postmortems).where(postmortems.c.incident_number == r.number)
        q = q.where(postmortems.c.version == version) if version else q.order_by(postmortems.c.version.desc())
        row = conn.execute(q.limit(1)).first()
        if row is None:
            raise NotFound(
                f"{incident_ref(r.number)} has no postmortem yet; generate one with "
                f"`warroom postmortem generate {incident_ref(r.number)}`",
                field="postmortem",
            )
        versions = [
            int(v)
            for v in conn.execute(
                select(postmortems.c.version).where(postmortems.c.incident_number == r.number)
            ).scalars()
        ]
        return {
            "incident": incident_ref(r.number),
            "version": int(row.version),
            "generated": bool(row.generated),
            "created_by": row.created_by,
            "created_at": iso(row.created_at),
            "markdown": row.markdown,
            "facts": row.facts,
            "versions": sorted(versions),
        }

    def edit_postmortem(
        self, conn: Connection, p: Principal, ref: str | int, markdown: str
    ) -> dict[str, Any]:
        r = self.incidents.visible(conn, p, ref, Permission.PUBLISH)
        if not markdown.strip() or len(markdown) > 200_000:
            raise InvalidInput("markdown must be 1–200,000 characters", field="markdown")
        prev = conn.execute(
            select(postmortems.c.facts)
            .where(postmortems.c.incident_number == r.number)
            .order_by(postmortems.c.version.desc())
            .limit(1)
        ).first()
        return self._store_postmortem(conn, p, r, markdown, prev.facts if prev else {}, generated=False)

    def add_followup(
        self, conn: Connection, p: Principal, ref: str | int, title: str, owner: str | None
    ) -> dict[str, Any]:
        r = self.incidents.visible(conn, p, ref, Permission.PUBLISH)
        if not title.strip() or len(title) > 500:
            raise InvalidInput("title must be 1–500 characters", field="title")
        fid = "fu_" + secrets.token_hex(5)
        now = utcnow()
        conn.execute(
            insert(followups).values(
                id=fid,
                incident_number=r.number,
                title=title.strip(),
                owner=owner,
                state="open",
                created_at=now,
                updated_at=now,
            )
        )
        self.incidents.record(conn, "incident.followup_added", r, p, followup=fid, title=title, owner=owner)
        return {
            "id": fid,
            "incident": incident_ref(r.number),
            "title": title,
            "owner": owner,
            "state": "open",
        }

    def update_followup(
        self, conn: Connection, p: Principal, followup_id: str, *, state: str | None, owner: str | None
    ) -> dict[str, Any]:
        f = conn.execute(select(followups).where(followups.c.id == followup_id)).first()
        if f is None:
            raise NotFound(f"follow-up {followup_id!r} does not exist", field="followup")
        self.incidents.visible(conn, p, f.incident_number, Permission.PUBLISH)
        if state is not None and state not in ("open", "done", "dropped"):
            raise InvalidInput("state must be open, done or dropped", field="state")
        values: dict[str, Any] = {"updated_at": utcnow()}
        if state:
            values["state"] = state
        if owner is not None:
            values["owner"] = owner or None
        conn.execute(update(followups).where(followups.c.id == followup_id).values(**values))
        row = conn.execute(select(followups).where(followups.c.id == followup_id)).one()
        return {
            "id": row.id,
            "incident": incident_ref(row.incident_number),
            "title": row.title,
            "owner": row.owner,
            "state": row.state,
        }

    def list_followups(self, conn: Connection, p: Principal, ref: str | int) -> list[dict[str, Any]]:
        r = self.incidents.visible(conn, p, ref)
        return self._followups(conn, r.number)

    # -- numbers ------------------------------------------------------------------------------

    def stats(
        self,
        conn: Connection,
        p: Principal,
        *,
        since: datetime,
        until: datetime | None = None,
        period: str = "week",
    ) -> dict[str, Any]:
        if period not in ("day", "week", "month"):
            raise InvalidInput("period must be day, week or month", field="period")
        until = until or utcnow()
        rows = conn.execute(
            select(
                incidents.c.number,
                incidents.c.severity,
                incidents.c.service,
                incidents.c.status,
                incidents.c.triggered_at,
                incidents.c.acknowledged_at,
                incidents.c.resolved_at,
                incident_knowledge.c.root_cause,
            )
            .outerjoin(incident_knowledge, incident_knowledge.c.incident_number == incidents.c.number)
            .where(
                incidents.c.channel_id.in_(readable_channel_ids(conn, p)),
                incidents.c.merged_into.is_(None),
                incidents.c.triggered_at >= since,
                incidents.c.triggered_at < until,
            )
        ).all()

        def summarise(items: list[Any]) -> dict[str, Any]:
            tta = [
                (i.acknowledged_at - i.triggered_at).total_seconds() / 60 for i in items if i.acknowledged_at
            ]
            ttr = [(i.resolved_at - i.triggered_at).total_seconds() / 60 for i in items if i.resolved_at]
            return {
                "count": len(items),
                "open": sum(1 for i in items if i.status != "resolved"),
                "mtta_minutes": round(statistics.fmean(tta), 1) if tta else None,
                "mttr_minutes": round(statistics.fmean(ttr), 1) if ttr else None,
                "median_tta_minutes": round(statistics.median(tta), 1) if tta else None,
                "median_ttr_minutes": round(statistics.median(ttr), 1) if ttr else None,
            }

        def group(key: Any) -> dict[str, Any]:
            buckets: dict[str, list[Any]] = {}
            for i in rows:
                buckets.setdefault(str(key(i)), []).append(i)
            return {k: summarise(v) for k, v in sorted(buckets.items())}

        def bucket(i: Any) -> str:
            t = i.triggered_at
            if period == "day":
                return str(t.strftime("%Y-%m-%d"))
            if period == "month":
                return str(t.strftime("%Y-%m"))
            iso_year, iso_week, _ = t.isocalendar()
            return f"{iso_year}-W{iso_week:02d}"

        return {
            "since": iso(since),
            "until": iso(until),
            "period": period,
            "total": summarise(list(rows)),
            "by_severity": group(lambda i: f"P{i.severity}"),
            "by_service": group(lambda i: i.service or "(none)"),
            "by_cause": group(lambda i: (i.root_cause or "(unknown)")[:80]),
            "by_period": group(bucket),
        }

    # -- digests --------------------------------------------------------------------------

    def incident_digest(self, conn: Connection, p: Principal, ref: str | int) -> dict[str, Any]:
        r = self.incidents.visible(conn, p, ref)
        tl = self.incidents.timeline(conn, p, r.number, limit=5000)
        f = PM.facts(tl["incident"], tl["items"], self._followups(conn, r.number))
        fig = f["figures"]
        lines = [
            f"{f['incident']} ({f['severity']}, {f['service'] or 'no service'}): {f['title']}. "
            f"Status: {f['status']}."
        ]
        for row in f["timeline"]:
            when = PM.parse_dt(row["at"])
            lines.append(
                f"{when.strftime('%H:%M') if when else '?'} {row['what']}"
                + (f" ({row['who']})" if row["who"] else "")
            )
        if f["cause"]:
            lines.append(f"Cause: {f['cause']}.")
        if fig["time_to_acknowledge_minutes"] is not None:
            lines.append(f"Acknowledged after {PM.fmt_minutes(fig['time_to_acknowledge_minutes'])}.")
        if fig["time_to_resolve_minutes"] is not None:
            lines.append(f"Resolved after {PM.fmt_minutes(fig['time_to_resolve_minutes'])}.")
        people = ", ".join(
            f"{x['name']}" + (f" ({x['ai_tool']})" if x.get("ai_tool") else "") for x in f["participants"]
        )
        if people:
            lines.append(f"People: {people}.")
        return {"incident": f["incident"], "text": "\n".join(lines), "facts": f}

    def channel_digest(
        self, conn: Connection, p: Principal, channel: str | None, since: datetime
    ) -> dict[str, Any]:
        chans = [channel] if channel else None
        page = self.messages.history(conn, p, chans, MessageFilter(since=since), limit=500)
        msgs = list(reversed(page["items"]))
        incs = conn.execute(
            select(incidents)
            .where(
                incidents.c.channel_id.in_(chans or readable_channel_ids(conn, p)),
                # active: touched in the window, or still open however old
                or_(incidents.c.updated_at >= since, incidents.c.status != "resolved"),
                incidents.c.merged_into.is_(None),
            )
            .order_by(incidents.c.number)
        ).all()
        lines = [
            f"Since {iso(since)}: {len(msgs)} message{'s' if len(msgs) != 1 else ''}"
            f"{' in ' + channel if channel else ''}, "
            f"{len(incs)} incident{'s' if len(incs) != 1 else ''} active."
        ]
        for i in incs:
            lines.append(f"- {incident_ref(i.number)} (P{i.severity}, {i.status}): {i.title}")
        by_prio: dict[str, int] = {}
        for m in msgs:
            by_prio[m["priority"]] = by_prio.get(m["priority"], 0) + 1
        if by_prio:
            lines.append("Messages by priority: " + ", ".join(f"{k} {v}" for k, v in by_prio.items()) + ".")
        for m in msgs:
            if m["priority"] in ("critical", "high") or (m.get("theme") or "").startswith("incident-"):
                who = (m.get("sender") or {}).get("name") or m["published_by"]
                lines.append(f"{m['created_at'][11:16]} {who}: {PM.clean_title(m['title'])}")
        return {
            "since": iso(since),
            "channel": channel,
            "text": "\n".join(lines[:200]),
            "messages": len(msgs),
            "incidents": [incident_ref(i.number) for i in incs],
            "has_more": page["has_more"],
        }


_SYSTEM = Principal(id="warroom", name="warroom", kind="bot", is_admin=True)
