"""Ingestion: a batch of normalized alerts becomes stored alerts and a few incidents.

One webhook delivery is one transaction: every alert is committed, with the incidents it
opened, joined, reopened or resolved, before the sender gets its 2xx. The rule for each
alert is `grouping.decide`; this module gathers its facts and carries out its decision,
with one query per batch for the alerts already known.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

import orjson
from sqlalchemy import Connection, select

from warroom.alerts.fingerprint import GROUP_BY_ALL, group_key
from warroom.alerts.grouping import GroupingAction, GroupingDecision, GroupingInput, decide
from warroom.alerts.integrations import Integration
from warroom.alerts.model import AlertAction, AlertSource, AlertStatus, NormalizedAlert
from warroom.alerts.silence_service import SilenceService
from warroom.alerts.silences import find_silence
from warroom.identity.models import Principal
from warroom.incidents.lifecycle import Status
from warroom.incidents.service import (
    IncidentService,
    incident_by_number,
    incident_ref,
    last_resolved_for_group,
    open_incident_for_group,
)
from warroom.priority import Priority
from warroom.store.raw import RawSQL, db_time
from warroom.store.tables import alerts
from warroom.timeutil import utcnow

CHUNK = 500

# A delivery of a hundred alerts runs in the single writer thread: the alert rows are read and
# written with hand-written SQL on the DBAPI cursor (see store/raw.py), values converted as
# the column types would store them.
_ALERT_COLUMNS = (
    "integration_id",
    "source",
    "fingerprint",
    "status",
    "title",
    "description",
    "severity",
    "severity_rule",
    "service",
    "labels",
    "annotations",
    "links",
    "source_key",
    "group_key",
    "incident_number",
    "silenced_by",
    "count",
    "starts_at",
    "ends_at",
    "first_seen",
    "last_seen",
    "resolved_at",
    "raw",
)
_INSERT_ALERTS = RawSQL(
    f"INSERT INTO alerts ({', '.join(_ALERT_COLUMNS)}) VALUES ({', '.join(':' + c for c in _ALERT_COLUMNS)})"
)
_COUNT_ALERTS = RawSQL(
    "UPDATE incidents SET alert_count = :alert_count, firing_count = :firing_count, "
    "updated_at = :updated_at WHERE number = :number"
)
# A resend usually changes only `last_seen` and `count`: reading the stored columns with the
# known alerts lets the UPDATE set only what changed, which costs SQLite (and PostgreSQL) less
# than rewriting twenty columns. JSON columns are read as the text that was written.
_JSON_COLUMNS = frozenset({"labels", "annotations", "links", "raw"})
_STORED_COLUMNS = tuple(c for c in _ALERT_COLUMNS if c not in ("integration_id", "fingerprint", "first_seen"))
_KNOWN_COLUMNS = ("id", "fingerprint", *_STORED_COLUMNS)
_KNOWN_SELECT = ", ".join(f"CAST({c} AS TEXT)" if c in _JSON_COLUMNS else c for c in _KNOWN_COLUMNS)
_known_sql: dict[int, RawSQL] = {}
_update_sql: dict[tuple[str, ...], RawSQL] = {}


# Looked up per alert: a dict is several times cheaper than calling the enum, or `.value`.
_ALERT_STATUS = {s.value: s for s in AlertStatus}
_RESOLVED_INCIDENT = Status.RESOLVED.value


def _select_known(n: int) -> RawSQL:
    sql = _known_sql.get(n)
    if sql is None:
        marks = ", ".join(f":f{i}" for i in range(n))
        sql = _known_sql[n] = RawSQL(
            f"SELECT {_KNOWN_SELECT} FROM alerts "
            f"WHERE integration_id = :integration AND fingerprint IN ({marks})"
        )
    return sql


def _update_alerts(shape: tuple[str, ...]) -> RawSQL:
    sql = _update_sql.get(shape)
    if sql is None:
        sets = ", ".join(f"{c} = :{c}" for c in shape)
        sql = _update_sql[shape] = RawSQL(f"UPDATE alerts SET {sets} WHERE id = :alert_id")
    return sql


def _json_text(value: Any) -> str:
    """A JSON column's value as bound here: its text, on both dialects.

    SQLite stores the text; psycopg sends a str untyped, so PostgreSQL casts it into the json
    column, which keeps the text as given. `_known` reads the same text back to compare.
    """
    return orjson.dumps(value).decode()


class _Binder:
    """Values as the alerts table's column types would bind them, each instant converted once."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._times: dict[datetime, Any] = {}

    def time(self, value: datetime | None) -> Any:
        if value is None:
            return None
        out = self._times.get(value)
        if out is None:
            out = self._times[value] = db_time(self.conn, value)
        return out


class _Decider:
    """`grouping.decide` for one delivery, once per distinct set of facts.

    `decide` is pure, and the alerts of a delivery mostly share their facts (a resend of a
    hundred firing alerts asks the same question a hundred times), so each answer is kept.
    """

    def __init__(self, now: datetime, reopen_window: timedelta, auto_resolve: bool) -> None:
        self.now = now
        self.reopen_window = reopen_window
        self.auto_resolve = auto_resolve
        self._decisions: dict[tuple[Any, ...], GroupingDecision] = {}

    def decide(
        self,
        status: AlertStatus,
        previous_status: AlertStatus | None,
        in_open_incident: bool,
        group_has_open_incident: bool,
        group_resolved_at: datetime | None,
        silenced: bool,
        firing_in_incident: int,
    ) -> GroupingDecision:
        facts = (
            status,
            previous_status,
            in_open_incident,
            group_has_open_incident,
            group_resolved_at,
            silenced,
            firing_in_incident,
        )
        decision = self._decisions.get(facts)
        if decision is None:
            decision = self._decisions[facts] = decide(
                GroupingInput(
                    status=status,
                    previous_status=previous_status,
                    in_open_incident=in_open_incident,
                    group_has_open_incident=group_has_open_incident,
                    group_resolved_at=group_resolved_at,
                    silenced=silenced,
                    now=self.now,
                    reopen_window=self.reopen_window,
                    firing_in_incident=firing_in_incident,
                    auto_resolve=self.auto_resolve,
                )
            )
        return decision


def integration_principal(integ: Integration) -> Principal:
    """Alert-driven changes act as the integration, with the rights of the system."""
    return Principal(id="warroom", name=f"{integ.source.value} ({integ.id})", kind="bot", is_admin=True)


@dataclass
class _IncidentDelta:
    number: int
    new: bool = False
    reopened: bool = False
    joined: list[str] = field(default_factory=list)
    resolved: list[str] = field(default_factory=list)
    added: int = 0
    firing_delta: int = 0
    severity: int | None = None
    resolve: str | None = None  # reason, when the last firing alert resolved it


@dataclass
class IngestResult:
    received: int = 0
    new_alerts: int = 0
    updated_alerts: int = 0
    silenced: int = 0
    resolved_alerts: int = 0
    incidents_opened: list[str] = field(default_factory=list)
    incidents_joined: list[str] = field(default_factory=list)
    incidents_reopened: list[str] = field(default_factory=list)
    incidents_resolved: list[str] = field(default_factory=list)
    incidents_acknowledged: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items()}


class IngestService:
    def __init__(self, incidents: IncidentService, silences: SilenceService) -> None:
        self.incidents = incidents
        self.silences = silences

    def ingest(
        self,
        conn: Connection,
        integ: Integration,
        batch: list[NormalizedAlert],
        *,
        now: datetime | None = None,
    ) -> IngestResult:
        now = now or utcnow()
        p = integration_principal(integ)
        settings = integ.settings
        result = IngestResult(received=len(batch))
        known = self._known(conn, integ.id, {a.fingerprint for a in batch})
        silences = self.silences.active(conn, now)
        open_by_group: dict[str, Any] = {}
        resolved_by_group: dict[str, Any] = {}
        incident_rows: dict[int, SimpleNamespace] = {}
        deltas: dict[int, _IncidentDelta] = {}
        inserts: list[dict[str, Any]] = []
        updates: dict[int, dict[str, Any]] = {}
        bind = _Binder(conn)

        def incident(number: int) -> Any:
            if number not in incident_rows:
                incident_rows[number] = _record(incident_by_number(conn, number))
            return incident_rows[number]

        def delta(number: int) -> _IncidentDelta:
            d = deltas.get(number)
            if d is None:  # not setdefault: that would build a delta for every alert
                d = deltas[number] = _IncidentDelta(number)
            return d

        def firing_now(number: int) -> int:
            return int(incident(number).firing_count) + delta(number).firing_delta

        def is_open(number: int | None) -> bool:
            if not number:
                return False
            d = deltas.get(number)
            if d is not None and d.resolve:
                return False
            r = incident(number)
            return bool(r.status != _RESOLVED_INCIDENT or (d is not None and d.reopened))

        group_by = settings.group_by
        decider = _Decider(now, settings.reopen_window, settings.auto_resolve)
        by_labels = GROUP_BY_ALL not in group_by
        group_keys: dict[tuple[str, ...], str] = {}
        for a in batch:
            if by_labels:  # the key depends on the group_by labels only: one per distinct values
                gk_of = tuple(a.labels.get(name, "") for name in group_by)
                gk = group_keys.get(gk_of) or group_keys.setdefault(
                    gk_of, f"{integ.id}:{group_key(a.labels, group_by)}"
                )
            else:
                gk = f"{integ.id}:{group_key(a.labels, group_by)}"
            prev = known.get(a.fingerprint)
            prev_status = _ALERT_STATUS[prev["status"]] if prev else None
            inc_num = prev["incident_number"] if prev else None
            # The group's open incident first: for a resend it is the alert's own incident,
            # which is_open then finds read already.
            if gk not in open_by_group:
                row = open_incident_for_group(conn, gk)
                open_by_group[gk] = int(row.number) if row else None
                if row is not None:
                    incident_rows.setdefault(int(row.number), _record(row))
                else:
                    last = last_resolved_for_group(conn, gk)
                    resolved_by_group[gk] = (int(last.number), last.resolved_at) if last else None
            in_open = is_open(inc_num)
            group_open = open_by_group[gk]
            last_resolved = resolved_by_group.get(gk) if group_open is None else None

            if a.action in (AlertAction.ACKNOWLEDGE, AlertAction.UNACKNOWLEDGE, AlertAction.UPDATE) and prev:
                # The source runs its own lifecycle (PagerDuty, Opsgenie): mirror an acknowledge.
                self._touch(prev, a, bind.time(now), _json_text(a.raw), updates)
                result.updated_alerts += 1
                if a.action is AlertAction.ACKNOWLEDGE and inc_num and in_open:
                    out = self.incidents.set_status(
                        conn,
                        p,
                        inc_num,
                        "acknowledged",
                        reason=f"acknowledged in {a.source.value} ({a.source_event or 'ack'})",
                    )
                    incident_rows.pop(inc_num, None)
                    if out.get("changed"):
                        result.incidents_acknowledged.append(incident_ref(inc_num))
                continue

            silence = find_silence(a.labels, silences, now) if silences and a.is_firing else None
            d = decider.decide(
                a.status,
                prev_status,
                in_open,
                group_open is not None,
                last_resolved[1] if last_resolved else None,
                silence is not None,
                firing_now(inc_num) if inc_num and in_open else 0,
            )
            values = self._values(integ, a, gk, now, bind)
            if d.action is GroupingAction.IGNORE_SILENCED:
                values["silenced_by"] = silence.id if silence else None
                result.silenced += 1
                self._store(prev, values, known, inserts, updates, a, keep_incident=False)
                continue
            if d.action is GroupingAction.UPDATE_ONLY:
                self._store(prev, values, known, inserts, updates, a, keep_incident=True)
                result.updated_alerts += 1 if prev else 0
                result.new_alerts += 0 if prev else 1
                if a.status is AlertStatus.RESOLVED:
                    result.resolved_alerts += 1
                continue
            if d.action is GroupingAction.RESOLVE_PART:
                assert inc_num is not None
                values["incident_number"] = inc_num
                self._store(prev, values, known, inserts, updates, a, keep_incident=True)
                result.resolved_alerts += 1
                dl = delta(inc_num)
                dl.firing_delta -= 1
                dl.resolved.append(a.title)
                if d.resolves_incident:
                    dl.resolve = d.reason
                continue
            # Firing: join, reopen or open.
            if d.action is GroupingAction.NEW_INCIDENT:
                declared, out = self.incidents.declare_row(
                    conn,
                    p,
                    title=a.title,
                    channel=integ.channel_id,
                    severity=a.severity,
                    service=a.service,
                    summary=a.description,
                    labels=_common_labels(a),
                    group_key=gk,
                    integration_id=integ.id,
                    sender_name=p.name,
                )
                number = int(out["number"])
                incident_rows[number] = _record(declared)
                open_by_group[gk] = number
                delta(number).new = True
                result.incidents_opened.append(out["id"])
            elif d.action is GroupingAction.REOPEN:
                assert last_resolved is not None
                number = last_resolved[0]
                self.incidents.reopen(conn, p, number, reason=f"{a.title}: {d.reason}")
                incident_rows.pop(number, None)
                open_by_group[gk] = number
                delta(number).reopened = True
                result.incidents_reopened.append(incident_ref(number))
            else:  # JOIN
                number = inc_num if in_open and inc_num else group_open
                assert number is not None
            dl = delta(number)
            was_attached = bool(prev and prev["incident_number"] == number)
            if not was_attached:
                dl.added += 1
                dl.joined.append(a.title)
            if not (was_attached and prev_status is AlertStatus.FIRING):
                dl.firing_delta += 1
            r = incident(number)
            if a.severity.rank < (dl.severity if dl.severity is not None else r.severity):
                dl.severity = a.severity.rank
            values["incident_number"] = number
            self._store(prev, values, known, inserts, updates, a, keep_incident=False)
            if not prev:
                result.new_alerts += 1
            else:
                result.updated_alerts += 1
            if not dl.new and not dl.reopened and incident_ref(number) not in result.incidents_joined:
                result.incidents_joined.append(incident_ref(number))

        self._flush(conn, inserts, updates)
        self._apply_deltas(conn, p, deltas, incident, result)
        return result

    def resolve_stale(
        self, conn: Connection, integ: Integration, *, now: datetime | None = None
    ) -> IngestResult:
        """Resolve firing alerts not refreshed within the integration's staleness window."""
        now = now or utcnow()
        after = integ.settings.stale_after_seconds
        if not after:
            return IngestResult()
        rows = conn.execute(
            select(alerts)
            .where(
                alerts.c.integration_id == integ.id,
                alerts.c.status == AlertStatus.FIRING.value,
                alerts.c.last_seen < now - timedelta(seconds=after),
            )
            .limit(CHUNK)
        ).all()
        batch = [
            NormalizedAlert(
                source=AlertSource(r.source),
                fingerprint=r.fingerprint,
                status=AlertStatus.RESOLVED,
                title=r.title,
                severity=Priority.from_rank(r.severity),
                severity_rule=r.severity_rule,
                description=f"not refreshed for {after}s; resolved as stale",
                service=r.service,
                labels=dict(r.labels),
                annotations=dict(r.annotations),
                starts_at=r.starts_at,
                raw=dict(r.raw),
            )
            for r in rows
        ]
        return self.ingest(conn, integ, batch, now=now) if batch else IngestResult()

    # -- helpers -----------------------------------------------------------------------

    def _known(self, conn: Connection, integration_id: str, fps: Iterable[str]) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        fp_list = sorted(fps)
        for i in range(0, len(fp_list), CHUNK):
            part = fp_list[i : i + CHUNK]
            params: dict[str, Any] = {f"f{j}": fp for j, fp in enumerate(part)}
            params["integration"] = integration_id
            for row in _select_known(len(part)).execute(conn, params).fetchall():
                stored = dict(zip(_KNOWN_COLUMNS, row, strict=True))
                out[stored["fingerprint"]] = {
                    "id": int(stored["id"]),
                    "status": stored["status"],
                    "incident_number": stored["incident_number"],
                    "count": int(stored["count"]),
                    "stored": stored,
                }
        return out

    @staticmethod
    def _values(
        integ: Integration, a: NormalizedAlert, gk: str, now: datetime, bind: _Binder
    ) -> dict[str, Any]:
        """The alert's columns, bound for the store."""
        db_now = bind.time(now)
        return {
            "integration_id": integ.id,
            "source": a.source.value,
            "fingerprint": a.fingerprint,
            "status": a.status.value,
            "title": a.title[:500],
            "description": a.description,
            "severity": a.severity.rank,
            "severity_rule": a.severity_rule[:500],
            "service": a.service,
            "labels": _json_text(a.labels),
            "annotations": _json_text(a.annotations),
            "links": _json_text(a.links.as_dict()),
            "source_key": a.source_key,
            "group_key": gk,
            "starts_at": bind.time(a.starts_at),
            "ends_at": bind.time(a.ends_at),
            "last_seen": db_now,
            "resolved_at": db_now if a.status is AlertStatus.RESOLVED else None,
            "raw": _json_text(a.raw),
            "silenced_by": None,
        }

    @staticmethod
    def _touch(
        prev: dict[str, Any], a: NormalizedAlert, db_now: Any, db_raw: Any, updates: dict[int, dict[str, Any]]
    ) -> None:
        prev["count"] += 1
        updates.setdefault(prev["id"], {}).update(
            {"last_seen": db_now, "count": prev["count"], "raw": db_raw}
        )

    @staticmethod
    def _store(
        prev: dict[str, Any] | None,
        values: dict[str, Any],
        known: dict[str, dict[str, Any]],
        inserts: list[dict[str, Any]],
        updates: dict[int, dict[str, Any]],
        a: NormalizedAlert,
        *,
        keep_incident: bool,
    ) -> None:
        if prev is None:
            row = {**values, "first_seen": values["last_seen"], "count": 1}
            row.setdefault("incident_number", None)
            inserts.append(row)
            # Later alerts of the same batch with this fingerprint update this pending row.
            known[a.fingerprint] = {
                "id": None,
                "status": values["status"],
                "incident_number": row["incident_number"],
                "count": 1,
                "_pending": row,
            }
            return
        prev["count"] += 1
        prev["status"] = values["status"]
        if not keep_incident or "incident_number" in values:
            prev["incident_number"] = values.get(
                "incident_number", prev["incident_number"] if keep_incident else None
            )
        pending = prev.get("_pending")
        if pending is not None:
            pending.update(values)
            pending["count"] = prev["count"]
            pending["incident_number"] = prev["incident_number"]
            return
        # Only the columns whose value differs from the stored row: a resend sets `last_seen`
        # and `count` alone, and unchanged indexed columns cost no index upkeep. Compared with
        # the stored row (not an earlier update of this batch), so a repeat within one delivery
        # still leaves the row exactly as its last values say. `count` always moves, so the SET
        # list is never empty.
        stored = prev["stored"]
        changed = {column: value for column, value in values.items() if stored.get(column, value) != value}
        changed["count"] = prev["count"]
        if prev["incident_number"] != stored["incident_number"]:
            changed["incident_number"] = prev["incident_number"]
        else:
            changed.pop("incident_number", None)
        updates[prev["id"]] = changed

    @staticmethod
    def _flush(conn: Connection, inserts: list[dict[str, Any]], updates: dict[int, dict[str, Any]]) -> None:
        if inserts:
            _INSERT_ALERTS.executemany(conn, inserts)
        if updates:
            # Group rows by the set of columns they change, so each group is one executemany.
            by_shape: dict[tuple[str, ...], list[dict[str, Any]]] = {}
            for alert_id, vals in updates.items():
                by_shape.setdefault(tuple(sorted(vals)), []).append({**vals, "alert_id": alert_id})
            for shape, rows in by_shape.items():
                _update_alerts(shape).executemany(conn, rows)

    def _apply_deltas(
        self,
        conn: Connection,
        p: Principal,
        deltas: dict[int, _IncidentDelta],
        incident: Any,
        result: IngestResult,
    ) -> None:
        for number, d in deltas.items():
            r = incident(number)  # as read or written by this delivery: current
            values: dict[str, Any] = {
                "alert_count": r.alert_count + d.added,
                "firing_count": max(0, r.firing_count + d.firing_delta),
                "updated_at": utcnow(),
            }
            _COUNT_ALERTS.execute(
                conn, {**values, "updated_at": db_time(conn, values["updated_at"]), "number": number}
            )
            severity_changed = d.severity is not None and d.severity < r.severity
            if severity_changed:
                self.incidents.set_severity(
                    conn, p, number, f"P{d.severity}", reason="a more severe alert joined"
                )
            if d.joined and not d.new:
                self.incidents.say(
                    conn,
                    p,
                    r,
                    title=f"➕ {len(d.joined)} alert(s) joined {incident_ref(number)}",
                    body="\n".join(f"- {t}" for t in d.joined[:50]),
                    theme="incident-update",
                    tags=["alerts"],
                )
            elif d.new and len(d.joined) > 1:
                pass  # the trigger message already announced the incident; counts are on it
            if d.joined or d.resolved:
                self.incidents.record_current(
                    conn,
                    "incident.alerts_changed",
                    incident_by_number(conn, number) if severity_changed else _with_values(r, values),
                    p,
                    joined=d.joined[:100],
                    resolved=d.resolved[:100],
                    firing=values["firing_count"],
                )
            if d.resolve:
                out = self.incidents.set_status(
                    conn, p, number, "resolved", reason=f"All alerts resolved ({d.resolve})."
                )
                if out.get("changed"):
                    result.incidents_resolved.append(incident_ref(number))
            elif d.resolved and not d.joined:
                self.incidents.say(
                    conn,
                    p,
                    r,
                    title=(
                        f"✔️ {len(d.resolved)} alert(s) resolved on {incident_ref(number)}; "
                        f"{values['firing_count']} still firing"
                    ),
                    body="\n".join(f"- {t}" for t in d.resolved[:50]),
                    theme="incident-update",
                    tags=["alerts"],
                )


def _record(row: Any) -> SimpleNamespace:
    """An incident row as plain attributes: the loop reads its status and counts per alert,
    and a Row's attribute access goes through __getattr__ (~1 µs each)."""
    return SimpleNamespace(**row._mapping)


def _with_values(record: SimpleNamespace, values: dict[str, Any]) -> SimpleNamespace:
    """`record` as it reads after an UPDATE of `values`, without reading it again.

    `record` is the incident as this delivery last read or wrote it, so it is current.
    """
    return SimpleNamespace(**{**vars(record), **values})


def _common_labels(a: NormalizedAlert) -> dict[str, str]:
    keep = ("alertname", "service", "severity", "env", "environment", "cluster", "namespace", "team")
    return {k: v for k, v in a.labels.items() if k in keep}
