"""Intelligence at scale: analysis, monthly statistics and a postmortem draft, via the services.

The store holds 1,000,000 messages (a copy of bench/results/history-1000000.db, built by
history_query.py if missing) plus 10,000 past incidents with what they taught (root cause,
fix, tokens), a 30-service catalog, 50 runbooks and 20,000 change events, bulk-loaded through
SQLAlchemy Core. Then, timing the same service calls the doors make (minus HTTP):

- analysis of a new incident: declare one (untimed), time IntelligenceService.analyse;
- statistics for a month: IntelligenceService.stats over each of the 12 months;
- postmortem draft of a 500-event incident: IntelligenceService.generate_postmortem.

Targets (issue 6): p95 ≤ 200 ms each.

    .venv/bin/python bench/intel_bench.py [--incidents 10000] [--repeat 30] [--keep]
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import RESULTS_DIR, percentile, print_table, write_results

from warroom.config import Settings
from warroom.core import Core
from warroom.identity.models import LOCAL
from warroom.messages.models import MessageIn
from warroom.store.tables import change_events, incident_knowledge, incidents, runbooks, services
from warroom.timeutil import utcnow

TARGET_MS = 200.0
MESSAGES = 1_000_000
CHANNEL = "incidents"
SERVICES = [f"svc-{i:02d}" for i in range(30)]
PROBLEMS = [
    (
        "Database connection pool exhausted",
        "connection leak after a deploy",
        "rollback to the previous release",
    ),
    ("High error rate on checkout", "bad feature flag rollout", "disabled the flag"),
    ("Disk full on primary", "log rotation stopped", "rotated logs and added an alert"),
    ("Replica lag over 60s", "long running migration", "paused the migration"),
    ("Certificate expired on the gateway", "renewal job failed silently", "renewed and fixed the job"),
    ("Memory pressure and OOM kills", "cache grew without bound", "capped the cache size"),
    ("Queue backlog growing", "consumer stalled on a poison message", "moved it to the dead letter queue"),
    ("Latency spike on search", "index bloat", "reindexed"),
    ("DNS resolution failures", "resolver config pushed with a typo", "reverted the config"),
    ("Upstream 502 from payments provider", "provider outage", "failed over to the secondary provider"),
]


def timed(fn: Callable[[], Any]) -> float:
    t0 = time.perf_counter()
    fn()
    return (time.perf_counter() - t0) * 1000


def store_with_messages(workdir: Path) -> Path:
    src = RESULTS_DIR / f"history-{MESSAGES}.db"
    if not src.exists():
        from history_query import build

        print(f"building {src} (1,000,000 messages; a few minutes, kept for later runs)", flush=True)
        build(src, MESSAGES)
    dst = workdir / "intel.db"
    t0 = time.perf_counter()
    shutil.copyfile(src, dst)
    print(
        f"copied {src.name} ({src.stat().st_size / 1e9:.2f} GB) in {time.perf_counter() - t0:.1f} s",
        flush=True,
    )
    return dst


def load(core: Core, n_incidents: int, seed: int = 11) -> dict[str, Any]:
    rng = random.Random(seed)
    now = utcnow()
    t0 = time.perf_counter()

    def tx(conn: Any) -> None:
        core.channels.create(conn, LOCAL, channel_id=CHANNEL, incident_enabled=True)
        conn.execute(
            services.insert(),
            [
                {
                    "id": s,
                    "name": s.replace("-", " ").title(),
                    "owner_team": f"team-{i % 6}",
                    "tier": 1 + i % 3,
                    "dependencies": rng.sample(SERVICES[:i], k=min(i, rng.choice([0, 1, 2, 3]))),
                    "repository": f"acme/{s}",
                    "dashboards": [],
                    "runbook_links": [],
                    "stakeholders": [f"stakeholders-{i % 4}"],
                    "description": f"service number {i}",
                    "updated_at": now,
                }
                for i, s in enumerate(SERVICES)
            ],
        )
        conn.execute(
            runbooks.insert(),
            [
                {
                    "id": f"rb-{i:02d}",
                    "title": PROBLEMS[i % len(PROBLEMS)][0],
                    "match": {
                        "services": [SERVICES[i % len(SERVICES)]] if i % 2 else [],
                        "alertnames": [],
                        "labels": {},
                        "keywords": PROBLEMS[i % len(PROBLEMS)][0].lower().split()[:2],
                    },
                    "steps": [f"step {k}" for k in range(1, 6)],
                    "body": "",
                    "updated_at": now,
                }
                for i in range(50)
            ],
        )
        rows, know = [], []
        for i in range(n_incidents):
            title, cause, fix = PROBLEMS[rng.randrange(len(PROBLEMS))]
            svc = rng.choice(SERVICES)
            trig = now - timedelta(days=365) * rng.random() - timedelta(days=1)
            ack = trig + timedelta(minutes=rng.uniform(0.5, 30))
            res = ack + timedelta(minutes=rng.uniform(5, 300))
            number = i + 1
            rows.append(
                {
                    "number": number,
                    "thread_id": f"INC-{number}",
                    "title": f"{title} on {svc}",
                    "severity": rng.choices([0, 1, 2, 3], weights=[1, 3, 4, 2])[0],
                    "status": "resolved",
                    "service": svc,
                    "channel_id": CHANNEL,
                    "labels": {"alertname": title.split()[0] + "Alert", "env": "prod"},
                    "summary": f"{title}. {cause}.",
                    "created_by": LOCAL.id,
                    "triggered_at": trig,
                    "acknowledged_at": ack,
                    "resolved_at": res,
                    "updated_at": res,
                    "reopen_count": 0,
                    "alert_count": 1,
                    "firing_count": 0,
                }
            )
            know.append(
                {
                    "incident_number": number,
                    "root_cause": cause,
                    "resolution": fix,
                    "tokens": f"{title} {cause} {fix} env=prod".lower(),
                    "updated_at": res,
                }
            )
        for lo in range(0, n_incidents, 2000):
            conn.execute(incidents.insert(), rows[lo : lo + 2000])
            conn.execute(incident_knowledge.insert(), know[lo : lo + 2000])
        conn.execute(
            change_events.insert(),
            [
                {
                    "kind": rng.choice(["deploy", "deploy", "config", "feature_flag"]),
                    "service": rng.choice(SERVICES),
                    "version": f"v{rng.randrange(1, 9)}.{rng.randrange(20)}.{i % 100}",
                    "description": "",
                    "author": "ci",
                    "source": "bench",
                    "external_id": f"bench-{i}",
                    "at": now - timedelta(days=365) * rng.random(),
                    "data": {},
                }
                for i in range(20_000)
            ],
        )
        if conn.dialect.name == "postgresql":  # keep the sequence ahead of the explicit numbers
            conn.exec_driver_sql(
                "SELECT setval(pg_get_serial_sequence('incidents', 'number'), "
                "(SELECT max(number) FROM incidents))"
            )

    core.db.write_sync(tx)
    core.db.write_sync(lambda c: c.exec_driver_sql("ANALYZE") if c.dialect.name == "sqlite" else None)
    return {"incidents": n_incidents, "load_seconds": round(time.perf_counter() - t0, 1)}


def bench_analysis(core: Core, repeat: int) -> list[float]:
    rng = random.Random(3)
    out = []
    for i in range(repeat):
        title, cause, _ = PROBLEMS[i % len(PROBLEMS)]
        svc = rng.choice(SERVICES)
        inc = core.db.write_sync(
            lambda c, title=title, svc=svc, cause=cause: core.incidents.declare(
                c, LOCAL, title=f"{title} on {svc}", channel=CHANNEL, severity="P1", service=svc,
                summary=f"maybe {cause}",
            )
        )  # fmt: skip
        out.append(
            timed(lambda inc=inc: core.db.write_sync(lambda c: core.intel.analyse(c, LOCAL, inc["id"])))
        )
    return out


def bench_stats(core: Core, repeat: int) -> list[float]:
    now = utcnow()
    out = []
    for i in range(repeat):
        end = now - timedelta(days=30 * (i % 12))
        start = end - timedelta(days=30)
        out.append(
            timed(lambda s=start, e=end: core.db.read_sync(
                lambda c: core.intel.stats(c, LOCAL, since=s, until=e, period="week")))
        )  # fmt: skip
    return out


def bench_postmortem(core: Core, repeat: int, events: int = 500) -> tuple[list[float], int]:
    inc = core.db.write_sync(
        lambda c: core.incidents.declare(
            c, LOCAL, title="Checkout down after deploy", channel=CHANNEL, severity="P0", service=SERVICES[0]
        )
    )
    thread = inc["thread_id"]
    rng = random.Random(5)
    people = [
        ("Sarah Chen", "ChatGPT"),
        ("Tom Rodriguez", "Claude"),
        ("Ana Lima", None),
        ("Bo Chen", "Gemini"),
    ]

    def publish_all(conn: Any) -> int:
        first = None
        for k in range(
            events - 6
        ):  # with the declare and two status moves (a message and an event each): 500
            who, tool = people[k % len(people)]
            theme = rng.choice(["incident-update", "incident-update", "incident-note", None])
            body = f"update {k}: error rate {rng.randrange(100)}%"
            if k == 40:
                theme, body = "root-cause", "## Root Cause\n\nConnection leak in v2.4.3.\n"
            elif k % 97 == 0:
                theme, body = "incident-decision", "**Decision:** roll back"
            elif k % 50 == 0:
                body += "\n\n## Next steps\n1. Add a leak test\n2. Alert on pool usage"
            msg = MessageIn(
                title=f"Update {k}", body=body, theme=theme, thread_id=thread,
                sender={"user_id": who.split()[0].lower(), "name": who, "ai_tool": tool},
                in_reply_to=first if theme == "incident-decision" else None,
            )  # fmt: skip
            pub = core.messages.publish(conn, LOCAL, CHANNEL, msg)
            if k == 40:
                first = pub.message["id"]
        return int(first or 0)

    core.db.write_sync(publish_all)
    core.db.write_sync(lambda c: core.incidents.set_status(c, LOCAL, thread, "acknowledged"))
    core.db.write_sync(lambda c: core.incidents.set_status(c, LOCAL, thread, "resolved"))
    n = len(core.db.read_sync(lambda c: core.incidents.timeline(c, LOCAL, thread, limit=5000))["items"])
    out = [timed(lambda: core.db.write_sync(lambda c: core.intel.generate_postmortem(c, LOCAL, thread)))
           for _ in range(repeat)]  # fmt: skip
    return out, n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--incidents", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=30)
    ap.add_argument("--keep", action="store_true", help="keep the working copy of the store")
    args = ap.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="warroom-intel-bench-"))
    try:
        db_path = store_with_messages(workdir)
        core = Core(Settings(data_dir=workdir, database_url=f"sqlite+pysqlite:///{db_path}"))
        core.migrate()
        dataset = load(core, args.incidents)
        print(f"loaded {args.incidents:,} incidents in {dataset['load_seconds']} s", flush=True)
        analysis = bench_analysis(core, args.repeat)
        stats = bench_stats(core, args.repeat)
        pm, pm_events = bench_postmortem(core, max(10, args.repeat // 3))
        core.db.close()
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print(f"kept {workdir}")

    rows = []
    results = {}
    for name, values in (
        ("analysis of a new incident", analysis),
        ("statistics for a month", stats),
        (f"postmortem draft ({pm_events} events)", pm),
    ):
        p50, p95, mx = percentile(values, 50), percentile(values, 95), max(values)
        rows.append((name, len(values), p50, p95, mx, TARGET_MS, p95 <= TARGET_MS))
        results[name] = {
            "runs": len(values),
            "p50_ms": p50,
            "p95_ms": p95,
            "max_ms": mx,
            "first_ms": values[0],
            "target_ms": TARGET_MS,
            "ok": p95 <= TARGET_MS,
        }
    print_table(
        f"Intelligence over {args.incidents:,} past incidents and {MESSAGES:,} messages, SQLite (ms)",
        ["operation", "runs", "p50", "p95", "max", "target p95", "ok"],
        rows,
    )
    write_results(
        "intel_bench",
        {"dialect": "sqlite", "dataset": {**dataset, "messages": MESSAGES, "postmortem_events": pm_events},
         "results": results},
    )  # fmt: skip


if __name__ == "__main__":
    main()
