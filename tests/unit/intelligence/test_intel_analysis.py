"""The pure analysis: triage, similarity, the change window, concurrency, runbooks, summary."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st
from intel_facts import T0, book, catalog, change, inc, seed_catalog, svc

from warroom.intelligence import analysis as A
from warroom.intelligence.facts import OnCallFacts
from warroom.intelligence.text import idf, tokens, weighted_jaccard

# -- triage ----------------------------------------------------------------------------------------


def test_tier_one_with_two_dependents_raises_to_p0_and_says_why() -> None:
    tri = A.triage(inc(severity=2), seed_catalog())
    assert (tri["current"], tri["proposed"], tri["verdict"]) == ("P2", "P0", "raise")
    assert tri["blast_radius"] == ["admin-dashboard", "payment-api"]
    assert tri["factors"] == [
        "the alerts say P2",
        "user-api is tier 1",
        "admin-dashboard, payment-api depend on it",
        "tier 1 with two or more dependents: at least P0",
    ]


def test_tier_one_with_one_dependent_is_at_least_p1() -> None:
    cat = catalog(svc("a", 1), svc("b", 3, ("a",)))
    tri = A.triage(inc(service="a", severity=3), cat)
    assert (tri["proposed"], tri["verdict"]) == ("P1", "raise")
    assert "b depends on it" in tri["factors"] and "tier 1: at least P1" in tri["factors"]
    assert A.triage(inc(service="a", severity=0), cat)["verdict"] == "confirmed"


def test_tier_two_floor_and_tier_three_confirmed() -> None:
    cat = catalog(svc("mid", 2), svc("leaf", 3))
    assert A.triage(inc(service="mid", severity=3), cat)["proposed"] == "P2"
    assert A.triage(inc(service="mid", severity=1), cat)["verdict"] == "confirmed"
    tri = A.triage(inc(service="leaf", severity=3), cat)
    assert (tri["proposed"], tri["verdict"], tri["blast_radius"]) == ("P3", "confirmed", [])


def test_tier_three_without_dependents_lowers_a_p0() -> None:
    tri = A.triage(inc(service="leaf", severity=0), catalog(svc("leaf", 3)))
    assert (tri["proposed"], tri["verdict"]) == ("P1", "lower")
    assert tri["factors"][-1] == "tier 3 with no dependents: P1 is enough"


def test_unknown_or_missing_service_keeps_the_alert_severity() -> None:
    tri = A.triage(inc(service="ghost", severity=1), seed_catalog())
    assert tri["verdict"] == "confirmed" and tri["factors"][1] == "service 'ghost' is not in the catalog"
    assert A.triage(inc(service=None), seed_catalog())["factors"][1] == "no service named"


def test_blast_radius_is_transitive_and_survives_cycles() -> None:
    cat = catalog(svc("db", 1), svc("api", 2, ("db",)), svc("web", 3, ("api",)), svc("mobile", 3, ("api",)))
    assert A.dependents_of("db", cat) == ["api", "mobile", "web"]
    assert A.dependents_of("web", cat) == []
    loop = catalog(svc("a", 1, ("b",)), svc("b", 1, ("a",)))
    assert A.dependents_of("a", loop) == ["b"]
    tri = A.triage(inc(service="db", severity=2), cat)
    assert tri["proposed"] == "P0"  # two or more, counting the ones behind api


def test_service_is_inferred_from_the_text_first_named_wins() -> None:
    cat = seed_catalog()
    assert A.infer_service("Payment API errors, then User API", cat) == ("payment-api", "Payment API")
    assert A.infer_service("errors on user-api pods", cat) == ("user-api", "user-api")
    assert A.infer_service("nothing we know", cat) is None
    a = A.analyse(
        inc(service=None, severity=2, title="🚨 User API latency spike"),
        catalog=cat,
        past=[],
        weights={},
        changes=[],
        others=[],
        books=[],
        oncall=OnCallFacts(),
        now=T0,
    )
    assert a["service"] == "user-api"
    assert a["triage"]["factors"][1] == "service inferred from the text: user-api (named as 'User API')"
    assert a["triage"]["proposed"] == "P0"


# -- similarity ------------------------------------------------------------------------------------


def test_similar_ranks_by_score_with_reasons_and_skips_the_incident_itself() -> None:
    me = inc(42, title="Database connection pool exhausted", labels={"cluster": "eu-1"})
    past = [
        inc(
            17,
            title="Connection pool exhausted after deploy",
            status="resolved",
            root_cause="connection leak",
            resolution="Rollback to v2.2.9",
            labels={"cluster": "eu-1"},
        ),
        inc(
            9,
            title="Database connection pool exhausted on payment-api",
            service="payment-api",
            status="resolved",
        ),
        inc(5, title="Disk full on logging host", service="logs", status="resolved"),
        inc(42, title="Database connection pool exhausted"),  # itself: never similar
    ]
    weights = idf(set(tokens(p.title)) for p in past)
    out = A.similar(me, past, weights)
    assert [s["incident"] for s in out] == ["INC-17", "INC-9"]
    assert out[0]["score"] > out[1]["score"] >= A.SIMILAR_MIN_SCORE
    assert out[0]["reason"].startswith("same service user-api; shared words: ")
    assert "shared labels: cluster=eu-1" in out[0]["reason"]
    assert set(out[0]["reason"].split("shared words: ")[1].split(";")[0].split(", ")) == {
        "connection",
        "pool",
        "exhausted",
    }
    assert out[0]["fix"] == "Rollback to v2.2.9" and out[0]["root_cause"] == "connection leak"
    assert "same service" not in out[1]["reason"] and "database" in out[1]["reason"]


def test_similar_keeps_the_five_best_ties_by_reference() -> None:
    past = [inc(n, title="Database connection pool exhausted", status="resolved") for n in range(1, 9)]
    out = A.similar(inc(42), past, {})
    assert len(out) == A.SIMILAR_MAX and {s["score"] for s in out} == {1.0}
    assert [s["incident"] for s in out] == sorted(s["incident"] for s in out)


words = st.sets(st.sampled_from(["pool", "db", "leak", "deploy", "disk", "cpu", "latency", "k=v", "x=y"]))


@settings(max_examples=200, deadline=None)
@given(words, words, st.dictionaries(st.sampled_from(["pool", "db", "leak", "disk"]), st.floats(0.1, 5)))
def test_weighted_jaccard_is_a_bounded_symmetric_score(a: set[str], b: set[str], w: dict[str, float]) -> None:
    s_ab, shared = weighted_jaccard(a, b, w)
    s_ba, _ = weighted_jaccard(b, a, w)
    assert 0.0 <= s_ab <= 1.0
    assert abs(s_ab - s_ba) < 1e-9
    assert set(shared) == (a & b if a and b else set())
    if a:
        assert weighted_jaccard(a, a, w)[0] == 1.0 >= s_ab


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.sampled_from(["pool", "leak", "deploy", "disk", "cpu", "latency", "dns"]),
        min_size=1,
        max_size=5,
        unique=True,
    ),
    st.lists(st.sampled_from(["pool", "leak", "disk", "tls", "cache"]), min_size=1, max_size=5, unique=True),
)
def test_identical_incident_scores_highest(mine: list[str], other: list[str]) -> None:
    me = inc(1, title=" ".join(mine), service="svc")
    twin = inc(2, title=" ".join(mine), service="svc", status="resolved")
    stranger = inc(3, title=" ".join(other), service="svc", status="resolved")
    out = A.similar(me, [stranger, twin], {})
    assert out[0]["incident"] == "INC-2" and out[0]["score"] == 1.0
    assert all(0.0 <= s["score"] <= 1.0 for s in out)
    back = A.similar(replace(stranger, number=4, ref="INC-4"), [replace(me, status="resolved")], {})
    forth = A.similar(me, [stranger], {})
    assert [s["score"] for s in back] == [s["score"] for s in forth]  # symmetric


# -- the change window -----------------------------------------------------------------------------


def test_change_window_is_two_hours_up_to_the_trigger_inclusive() -> None:
    cat = seed_catalog()
    changes = [
        change(1, "user-api", 120),  # exactly at the window's start: in
        change(2, "user-api", 120 + 1 / 60),  # one second before it: out
        change(3, "user-api", 0),  # at the trigger: in
        change(4, "user-api", -1),  # after the trigger: out
        change(5, "user-api", 32, version="v2.4.3"),
        change(6, "billing", 5),  # unrelated service: out
    ]
    out = A.changes_before(inc(), changes, cat)
    assert [(c["change"], c["minutes_before"]) for c in out] == [(3, 0), (5, 32), (1, 120)]
    assert (
        out[1]["reason"]
        == "v2.4.3 of user-api (the failing service) was deployed 32 minutes before the first alert"
    )


def test_changes_on_dependencies_count_and_say_so() -> None:
    cat = seed_catalog()
    out = A.changes_before(
        inc(service="payment-api"),
        [change(1, "user-api", 10, kind="config", version=None), change(2, "admin-dashboard", 5)],
        cat,
    )
    assert [c["change"] for c in out] == [1]
    assert (
        out[0]["reason"]
        == "a config of user-api (a dependency of payment-api) changed 10 minutes before the first alert"
    )
    narrow = A.changes_before(inc(), [change(1, "user-api", 50)], cat, window=timedelta(minutes=45))
    assert narrow == []


# -- concurrency -----------------------------------------------------------------------------------


def test_concurrent_incidents_on_related_services_say_cause_or_symptom() -> None:
    cat = seed_catalog()
    cat["user-api"] = replace(cat["user-api"], dependencies=("postgres",))
    others = [
        inc(50, service="postgres", triggered_at=T0 - timedelta(minutes=5), title="DB down"),
        inc(51, service="payment-api", triggered_at=T0 + timedelta(minutes=3), title="Payments failing"),
        inc(52, service="user-api", triggered_at=T0 + timedelta(minutes=10), title="again"),
        inc(53, service="billing", triggered_at=T0, title="unrelated"),
        inc(
            54,
            service="payment-api",
            triggered_at=T0 - timedelta(hours=3),
            status="resolved",
            resolved_at=T0 - timedelta(hours=2),
        ),  # over long before
        inc(55, service="postgres", triggered_at=T0 - timedelta(hours=3)),  # still open: concurrent
        inc(56, service="payment-api", triggered_at=T0 + timedelta(minutes=31)),  # starts after the window
        inc(
            57,
            service="postgres",
            triggered_at=T0 - timedelta(hours=1),
            status="resolved",
            resolved_at=T0 - timedelta(minutes=20),
        ),  # resolved inside the window
        inc(42, service="postgres"),  # itself
    ]
    out = A.concurrent(inc(), others, cat)
    assert [(c["incident"], c["relation"]) for c in out] == [
        ("INC-50", "user-api depends on postgres: it may be the cause"),
        ("INC-51", "payment-api depends on user-api: it may be a symptom"),
        ("INC-52", "same service"),
        ("INC-55", "user-api depends on postgres: it may be the cause"),
        ("INC-57", "user-api depends on postgres: it may be the cause"),
    ]
    assert A.concurrent(inc(service=None), others, cat) == []


# -- runbooks --------------------------------------------------------------------------------------


def test_runbooks_match_on_every_rule_they_have() -> None:
    books = [
        book("by-service", services=["user-api"]),
        book("other-service", services=["billing"]),
        book("by-alert", alertnames=["PoolExhausted"], steps=["a", "b"]),
        book("wrong-alert", alertnames=["DiskFull"]),
        book("by-labels", labels={"env": "prod", "cluster": "eu-1"}),
        book("label-mismatch", labels={"env": "staging"}),
        book("by-keyword", keywords=["Pool", "dns"]),
        book("no-keyword", keywords=["certificate"]),
        book(
            "all-rules",
            services=["user-api"],
            alertnames=["PoolExhausted"],
            labels={"env": "prod"},
            keywords=["connection"],
        ),
        book("no-rules"),
    ]
    me = inc(alertnames=("PoolExhausted",), labels={"env": "prod", "cluster": "eu-1"})
    out = {r["runbook"]: r["matched_by"] for r in A.runbooks_matching(me, books)}
    assert out == {
        "by-service": ["service user-api"],
        "by-alert": ["alertname PoolExhausted"],
        "by-labels": ["labels cluster=eu-1, env=prod"],
        "by-keyword": ["keywords pool"],
        "all-rules": [
            "service user-api",
            "alertname PoolExhausted",
            "labels env=prod",
            "keywords connection",
        ],
    }
    assert next(r for r in A.runbooks_matching(me, books) if r["runbook"] == "by-alert")["steps"] == [
        "a",
        "b",
    ]


# -- the whole analysis and its sentence -------------------------------------------------------------


def test_analysis_summary_states_each_conclusion() -> None:
    cat = seed_catalog()
    past = [
        inc(
            17,
            title="Database connection pool exhausted on user-api",
            status="resolved",
            resolution="Rollback to v2.2.9",
        ),
        inc(9, title="Connection pool exhausted", service="user-api", status="resolved"),
    ]
    oncall = OnCallFacts(
        now=[{"user": "sarah", "name": "Sarah Chen"}],
        next=[{"user": "tom", "name": "Tom Rodriguez"}],
        policy="backend",
    )
    a = A.analyse(
        inc(severity=1),
        catalog=cat,
        past=past,
        weights={},
        changes=[change(7, "user-api", 32, version="v2.4.3")],
        others=[
            inc(51, service="payment-api", triggered_at=T0 + timedelta(minutes=3), title="Payments failing")
        ],
        books=[
            book(
                "db-pool", title="Database connection pool", services=["user-api"], steps=["1", "2", "3", "4"]
            )
        ],
        oncall=oncall,
        now=T0,
    )
    assert a["summary"] == (
        "P0 proposed (alerts say P1): user-api is tier 1 and admin-dashboard and payment-api depend on it. "
        "v2.4.3 of user-api was deployed 32 minutes before the first alert. "
        "Two similar past incidents: INC-17 (Rollback to v2.2.9) and INC-9. "
        "Concurrent: INC-51 on payment-api (payment-api depends on user-api: it may be a symptom). "
        "Runbook 'Database connection pool' steps 1–4 apply. "
        "On call: Sarah Chen; next: Tom Rodriguez."
    )
    assert a["comms"]["stakeholders"] == ["backend", "support", "payments"]
    assert a["comms"]["status_update"] == (
        "[P0] INC-42: Database connection pool exhausted Status: triggered. "
        "Possibly affected: admin-dashboard, payment-api. "
        "Investigating a recent change: v2.4.3 of user-api (the failing service) was deployed 32 minutes "
        "before the first alert. Next update in 30 minutes."
    )
    assert a["remediation"]["past_fixes"] == [{"incident": "INC-17", "fix": "Rollback to v2.2.9"}]


def test_summary_of_a_bare_incident_is_just_the_triage() -> None:
    a = A.analyse(
        inc(service="leaf", severity=3),
        catalog=catalog(svc("leaf", 3)),
        past=[],
        weights={},
        changes=[],
        others=[],
        books=[],
        oncall=OnCallFacts(),
        now=T0,
    )
    assert a["summary"] == "P3 confirmed: leaf is tier 3."
    one = A.analyse(
        inc(service="leaf", severity=3),
        catalog=catalog(svc("leaf", 3)),
        past=[inc(3, service="leaf", status="resolved")],
        weights={},
        changes=[change(1, "leaf", 5, kind="feature_flag", version=None)],
        others=[],
        books=[book("kw", keywords=["pool"])],
        oncall=OnCallFacts(),
        now=T0,
    )
    assert one["summary"] == (
        "P3 confirmed: leaf is tier 3. A feature_flag of leaf changed 5 minutes before the first alert. "
        "One similar past incident: INC-3. Runbook 'kw' applies."
    )
