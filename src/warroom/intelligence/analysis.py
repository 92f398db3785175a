"""The analysis of one incident, from plain facts: five parts and a summary sentence.

Each part states the facts behind it (`factors`, `reason`), so a responder at 3 AM can
check the conclusion instead of trusting it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from warroom.intelligence.facts import Change, IncidentFacts, OnCallFacts, Runbook, ServiceInfo
from warroom.intelligence.text import label_tokens, tokens, weighted_jaccard
from warroom.timeutil import iso

CHANGE_WINDOW = timedelta(hours=2)
CONCURRENT_WINDOW = timedelta(minutes=30)
SIMILAR_MIN_SCORE = 0.12
SIMILAR_MAX = 5


def infer_service(text: str, catalog: Mapping[str, ServiceInfo]) -> tuple[str, str] | None:
    """The catalog service named first in `text` (by id or by name), with how it was named.

    Incidents declared by a message (the seed's workflow) often name their service only in
    prose ("Affected Services: User API, Payment API"); the first one named is the lead.
    """
    low = text.lower()
    best: tuple[int, str, str] | None = None
    for s in catalog.values():
        spellings = {
            s.id.lower(),
            s.name.lower(),
            s.id.lower().replace("-", " "),
            s.name.lower().replace("-", " "),
        }
        for sp in spellings:
            if len(sp) < 3:
                continue
            at = low.find(sp)
            if at >= 0 and (best is None or at < best[0]):
                best = (at, s.id, text[at : at + len(sp)])
    return (best[1], best[2]) if best else None


def dependents_of(service: str, catalog: Mapping[str, ServiceInfo]) -> list[str]:
    """Every service that depends on `service`, directly or through others (blast radius)."""
    reverse: dict[str, set[str]] = {}
    for s in catalog.values():
        for dep in s.dependencies:
            reverse.setdefault(dep, set()).add(s.id)
    seen: list[str] = []
    todo = sorted(reverse.get(service, ()))
    while todo:
        nxt = todo.pop(0)
        if nxt in seen or nxt == service:
            continue
        seen.append(nxt)
        todo.extend(sorted(reverse.get(nxt, ())))
    return seen


def triage(inc: IncidentFacts, catalog: Mapping[str, ServiceInfo]) -> dict[str, Any]:
    factors = [f"the alerts say P{inc.severity}"]
    proposed = inc.severity
    svc = catalog.get(inc.service or "")
    blast: list[str] = []
    if svc is None:
        factors.append(
            f"service {inc.service!r} is not in the catalog" if inc.service else "no service named"
        )
    else:
        blast = dependents_of(svc.id, catalog)
        factors.append(f"{svc.id} is tier {svc.tier}")
        if blast:
            factors.append(f"{', '.join(blast)} depend{'s' if len(blast) == 1 else ''} on it")
        floor = {1: 1, 2: 2}.get(svc.tier, 3)
        if svc.tier == 1 and len(blast) >= 2:
            floor = 0
            factors.append("tier 1 with two or more dependents: at least P0")
        elif svc.tier == 1:
            factors.append("tier 1: at least P1")
        if floor < proposed:
            proposed = floor
        elif svc.tier >= 3 and not blast and inc.severity == 0:
            proposed = 1
            factors.append("tier 3 with no dependents: P1 is enough")
    verdict = "confirmed" if proposed == inc.severity else ("raise" if proposed < inc.severity else "lower")
    return {
        "current": f"P{inc.severity}",
        "proposed": f"P{proposed}",
        "verdict": verdict,
        "factors": factors,
        "blast_radius": blast,
    }


def _doc(inc: IncidentFacts) -> set[str]:
    words = set(tokens(f"{inc.title} {inc.summary} {inc.root_cause}")) | set(tokens(" ".join(inc.alertnames)))
    return words | label_tokens(inc.labels) | ({f"service={inc.service}"} if inc.service else set())


@dataclass(frozen=True)
class PastCorpus:
    """Past incidents with their word sets and an inverted index, built once and reused.

    Only a past incident sharing at least one word with the new one can score above zero,
    so `similar` scores those candidates only: the same result as scoring every document.
    """

    past: tuple[IncidentFacts, ...]
    docs: tuple[frozenset[str], ...]
    index: Mapping[str, tuple[int, ...]]
    weights: Mapping[str, float]

    @classmethod
    def build(cls, past: Sequence[IncidentFacts], weights: Mapping[str, float]) -> PastCorpus:
        docs = tuple(frozenset(_doc(p)) for p in past)
        index: dict[str, list[int]] = {}
        for i, d in enumerate(docs):
            for t in d:
                index.setdefault(t, []).append(i)
        return cls(tuple(past), docs, {t: tuple(v) for t, v in index.items()}, weights)

    def candidates(self, doc: set[str]) -> list[int]:
        hits: set[int] = set()
        for t in doc:
            hits.update(self.index.get(t, ()))
        return sorted(hits)


def similar(
    inc: IncidentFacts,
    past: Sequence[IncidentFacts],
    weights: Mapping[str, float],
    corpus: PastCorpus | None = None,
) -> list[dict[str, Any]]:
    mine = _doc(inc)
    scored: list[dict[str, Any]] = []
    if corpus is not None:
        pairs: Iterable[tuple[IncidentFacts, AbstractSet[str]]] = (
            (corpus.past[i], corpus.docs[i]) for i in corpus.candidates(mine)
        )
        weights = corpus.weights
    else:
        pairs = ((p, _doc(p)) for p in past)
    for p, doc in pairs:
        if p.number == inc.number:
            continue
        score, shared = weighted_jaccard(mine, doc, weights)
        same_service = bool(inc.service and p.service == inc.service)
        if same_service:
            score = min(1.0, score + 0.1)
        if score < SIMILAR_MIN_SCORE:
            continue
        reason = []
        if same_service:
            reason.append(f"same service {inc.service}")
        words = [w for w in shared if "=" not in w][:6]
        labels = [w for w in shared if "=" in w and not w.startswith("service=")][:4]
        if words:
            reason.append("shared words: " + ", ".join(words))
        if labels:
            reason.append("shared labels: " + ", ".join(labels))
        scored.append(
            {
                "incident": p.ref,
                "title": p.title,
                "score": round(score, 3),
                "reason": "; ".join(reason),
                "triggered_at": iso(p.triggered_at),
                "root_cause": p.root_cause[:300],
                "fix": p.resolution[:300],
            }
        )
    scored.sort(key=lambda s: (-s["score"], s["incident"]))
    return scored[:SIMILAR_MAX]


def changes_before(
    inc: IncidentFacts,
    changes: Sequence[Change],
    catalog: Mapping[str, ServiceInfo],
    window: timedelta = CHANGE_WINDOW,
) -> list[dict[str, Any]]:
    svc = catalog.get(inc.service or "")
    related = {inc.service} | set(svc.dependencies if svc else ())
    out: list[dict[str, Any]] = []
    for c in changes:
        if c.service not in related or not (inc.triggered_at - window <= c.at <= inc.triggered_at):
            continue
        minutes = int((inc.triggered_at - c.at).total_seconds() // 60)
        what = f"{c.version} of {c.service}" if c.version else f"a {c.kind} of {c.service}"
        relation = "the failing service" if c.service == inc.service else f"a dependency of {inc.service}"
        out.append(
            {
                "change": c.id,
                "kind": c.kind,
                "service": c.service,
                "version": c.version,
                "at": iso(c.at),
                "minutes_before": minutes,
                "author": c.author,
                "url": c.url,
                "reason": f"{what} ({relation}) {'was deployed' if c.kind == 'deploy' else 'changed'} "
                f"{minutes} minutes before the first alert",
            }
        )
    out.sort(key=lambda c: c["minutes_before"])
    return out


def concurrent(
    inc: IncidentFacts, others: Sequence[IncidentFacts], catalog: Mapping[str, ServiceInfo]
) -> list[dict[str, Any]]:
    if not inc.service:
        return []
    svc = catalog.get(inc.service)
    deps = set(svc.dependencies if svc else ())
    dependents = set(dependents_of(inc.service, catalog))
    out = []
    for o in others:
        if o.number == inc.number or not o.service or (o.service == inc.service and o.number == inc.number):
            continue
        # Concurrent: started no later than the window after this one, and still open (or
        # resolved no earlier than the window before it) when this one started.
        if o.triggered_at > inc.triggered_at + CONCURRENT_WINDOW:
            continue
        ended = o.resolved_at if o.resolved_at else (o.triggered_at if o.status == "resolved" else None)
        if ended is not None and ended < inc.triggered_at - CONCURRENT_WINDOW:
            continue
        if o.service in deps:
            relation = f"{inc.service} depends on {o.service}: it may be the cause"
        elif o.service in dependents:
            relation = f"{o.service} depends on {inc.service}: it may be a symptom"
        elif o.service == inc.service:
            relation = "same service"
        else:
            continue
        out.append(
            {
                "incident": o.ref,
                "title": o.title,
                "service": o.service,
                "status": o.status,
                "relation": relation,
            }
        )
    return out


def runbooks_matching(inc: IncidentFacts, books: Sequence[Runbook]) -> list[dict[str, Any]]:
    out = []
    words = set(tokens(f"{inc.title} {inc.summary}"))
    for b in books:
        why = []
        if b.services and inc.service not in b.services:
            continue
        if b.services:
            why.append(f"service {inc.service}")
        if b.alertnames:
            hit = sorted(set(b.alertnames) & set(inc.alertnames))
            if not hit:
                continue
            why.append(f"alertname {', '.join(hit)}")
        if b.labels:
            if any(inc.labels.get(k) != v for k, v in b.labels.items()):
                continue
            why.append("labels " + ", ".join(f"{k}={v}" for k, v in sorted(b.labels.items())))
        if b.keywords:
            kw = sorted({k.lower() for k in b.keywords} & words)
            if not kw:
                continue
            why.append("keywords " + ", ".join(kw))
        if not why:
            continue
        out.append({"runbook": b.id, "title": b.title, "matched_by": why, "steps": list(b.steps)})
    return out


def status_update(inc: IncidentFacts, tri: dict[str, Any], changes: list[dict[str, Any]]) -> str:
    lines = [f"[{tri['proposed']}] {inc.ref}: {inc.title}", f"Status: {inc.status}."]
    if tri["blast_radius"]:
        lines.append(f"Possibly affected: {', '.join(tri['blast_radius'])}.")
    if changes:
        lines.append(f"Investigating a recent change: {changes[0]['reason']}.")
    lines.append("Next update in 30 minutes.")
    return " ".join(lines)


def analyse(
    inc: IncidentFacts,
    *,
    catalog: Mapping[str, ServiceInfo],
    past: Sequence[IncidentFacts],
    weights: Mapping[str, float],
    changes: Sequence[Change],
    others: Sequence[IncidentFacts],
    books: Sequence[Runbook],
    oncall: OnCallFacts,
    now: datetime,
    corpus: PastCorpus | None = None,
) -> dict[str, Any]:
    inferred = None
    if not inc.service:
        found = infer_service(f"{inc.title}\n{inc.summary}", catalog)
        if found:
            inferred = found
            inc = replace(inc, service=found[0])
    tri = triage(inc, catalog)
    if inferred:
        tri["factors"].insert(1, f"service inferred from the text: {inferred[0]} (named as {inferred[1]!r})")
    sim = similar(inc, past, weights, corpus)
    chg = changes_before(inc, changes, catalog)
    conc = concurrent(inc, others, catalog)
    rb = runbooks_matching(inc, books)
    affected = [inc.service, *tri["blast_radius"]] if inc.service else []
    stakeholders: list[str] = []
    for sid in affected:
        s = catalog.get(sid or "")
        if s:
            stakeholders += [x for x in (s.owner_team, *s.stakeholders) if x and x not in stakeholders]
    result: dict[str, Any] = {
        "incident": inc.ref,
        "service": inc.service,
        "generated_at": iso(now),
        "triage": tri,
        "correlation": {"similar_incidents": sim, "recent_changes": chg, "concurrent_incidents": conc},
        "remediation": {
            "runbooks": rb,
            "past_fixes": [{"incident": s["incident"], "fix": s["fix"]} for s in sim if s["fix"]],
        },
        "comms": {
            "on_call": oncall.now,
            "next": oncall.next,
            "policy": oncall.policy,
            "stakeholders": stakeholders,
            "status_update": status_update(inc, tri, chg),
        },
    }
    result["summary"] = summary(inc, result, catalog)
    return result


def _names(items: Sequence[str]) -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def summary(inc: IncidentFacts, a: dict[str, Any], catalog: Mapping[str, ServiceInfo]) -> str:
    tri = a["triage"]
    svc = catalog.get(inc.service or "")
    parts = []
    verdict = "confirmed" if tri["verdict"] == "confirmed" else f"proposed (alerts say {tri['current']})"
    head = f"{tri['proposed']} {verdict}"
    if svc:
        head += f": {svc.id} is tier {svc.tier}"
        if tri["blast_radius"]:
            blast = tri["blast_radius"]
            head += f" and {_names(blast)} depend{'s' if len(blast) == 1 else ''} on it"
    parts.append(head + ".")
    chg = a["correlation"]["recent_changes"]
    if chg:
        c = chg[0]
        what = f"{c['version']} of {c['service']}" if c["version"] else f"A {c['kind']} of {c['service']}"
        verb = "was deployed" if c["kind"] == "deploy" else "changed"
        parts.append(f"{what} {verb} {c['minutes_before']} minutes before the first alert.")
    sim = a["correlation"]["similar_incidents"]
    if sim:
        first = sim[0]
        detail = f" ({first['fix'] or first['root_cause']})" if (first["fix"] or first["root_cause"]) else ""
        more = f" and {_names([s['incident'] for s in sim[1:]])}" if len(sim) > 1 else ""
        count = {1: "One", 2: "Two", 3: "Three", 4: "Four", 5: "Five"}[len(sim)]
        parts.append(
            f"{count} similar past incident{'s' if len(sim) > 1 else ''}: "
            f"{first['incident']}{detail[:120]}{more}."
        )
    conc = a["correlation"]["concurrent_incidents"]
    if conc:
        parts.append(
            "Concurrent: "
            + "; ".join(f"{c['incident']} on {c['service']} ({c['relation']})" for c in conc)
            + "."
        )
    rb = a["remediation"]["runbooks"]
    if rb:
        r = rb[0]
        parts.append(
            f"Runbook '{r['title']}' steps 1–{len(r['steps'])} apply."
            if r["steps"]
            else f"Runbook '{r['title']}' applies."
        )
    oc = a["comms"]
    if oc["on_call"]:
        who = _names([o.get("name") or o["user"] for o in oc["on_call"]])
        nxt = _names([o.get("name") or o["user"] for o in oc["next"]])
        parts.append(f"On call: {who}" + (f"; next: {nxt}." if nxt else "."))
    return " ".join(parts)
