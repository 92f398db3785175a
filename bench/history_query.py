"""History: filtered pages of 100 from a channel holding 1,000,000 messages, via MessageService.

The data set is bulk-loaded straight into the tables through a SQLAlchemy connection, in
big transactions, keeping `events`, `messages`, `message_tags`, the FTS index (its insert
trigger) and the channel counters consistent, exactly as publish would leave them. Building
it takes a minute or two; the file is kept (bench/results/history-<n>.db, git-ignored) and
reused by later runs unless --rebuild is given.

Each query kind runs newest-first and again with a `before` cursor deep in history (10% of
the way from the oldest message), --repeat times each, timing MessageService.history on a
read connection: the same call the REST route makes, minus HTTP.

    .venv/bin/python bench/history_query.py [--messages 1000000] [--repeat 15] [--rebuild]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import RESULTS_DIR, percentile, print_table, write_results

from warroom.config import Settings
from warroom.core import Core
from warroom.events.log import last_event_id
from warroom.identity.models import LOCAL
from warroom.messages.filters import MessageFilter, build_filter
from warroom.messages.models import WELL_KNOWN_THEMES
from warroom.messages.service import MESSAGE_EVENT
from warroom.priority import Priority

CHANNEL = "history"
TARGET_MS = 50.0
PAGE = 100
SERVICES = ["api", "db-1", "db-2", "checkout", "payments", "search", "auth", "cdn", "queue", "billing"]
COMMON_TAGS = ["database", "network", "storage", "kubernetes", "latency", "errors", "deploy", "cpu"]
OTHER_TAGS = [f"team-{i}" for i in range(24)]
RARE_TAG = "pci-audit"  # ~0.05% of messages
RARE_WORD = "zeppelin"  # ~0.02% of messages
WORDS = (  # noqa: SIM905 (a sentence is easier to edit than 50 quoted words)
    "disk full latency spike error rate increased replica lag connection pool exhausted timeout "
    "rollback deploy canary memory pressure oom killed restart pod node drain certificate expired "
    "queue backlog consumer stalled cache miss ratio upstream 502 gateway throttled quota exceeded "
    "index bloat vacuum checkpoint wal archive failover primary standby page customer impact"
).split()
SENDERS = [f"user-{i}" for i in range(20)]


def _ts(dt: datetime) -> str:
    # How SQLAlchemy's SQLite DATETIME stores a (naive UTC) datetime.
    return dt.strftime("%Y-%m-%d %H:%M:%S.%f")


def build(db_path: Path, n: int, seed: int = 7) -> dict[str, Any]:
    """Create a fresh store at db_path holding n messages in CHANNEL; returns build facts."""
    for suffix in ("", "-wal", "-shm"):
        Path(str(db_path) + suffix).unlink(missing_ok=True)
    core = Core(Settings(data_dir=db_path.parent, database_url=f"sqlite+pysqlite:///{db_path}"))
    core.migrate()
    core.db.write_sync(lambda c: core.channels.create(c, LOCAL, channel_id=CHANNEL))
    first_id = core.db.read_sync(last_event_id) + 1
    rng = random.Random(seed)
    prio_ranks = rng.choices([0, 1, 2, 3], weights=[1, 9, 40, 50], k=n)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    step = timedelta(days=365) / n
    t0 = time.perf_counter()
    batch = 20_000
    raw = core.db.write_engine.raw_connection()  # one connection, big transactions
    try:
        cur = raw.cursor()
        cur.execute("PRAGMA synchronous=OFF")  # the load only; the server keeps its own setting
        for lo in range(0, n, batch):
            ev_rows, msg_rows, tag_rows = [], [], []
            for i in range(lo, min(n, lo + batch)):
                mid = first_id + i
                rank = prio_ranks[i]
                prio = Priority.from_rank(rank)
                theme = rng.choice(WELL_KNOWN_THEMES) if rng.random() < 0.8 else None
                if theme == "root-cause" and rng.random() < 0.9:
                    theme = "incident-update"  # keep one theme rare
                tags = rng.sample(COMMON_TAGS, k=rng.choice([0, 1, 1, 2]))
                if rng.random() < 0.3:
                    tags.append(rng.choice(OTHER_TAGS))
                if rng.random() < 0.0005:
                    tags.append(RARE_TAG)
                svc = rng.choice(SERVICES)
                words = rng.choices(WORDS, k=12)
                if rng.random() < 0.0002:
                    words.append(RARE_WORD)
                title = f"{svc}: {' '.join(words[:4])}"
                body = " ".join(words)
                sender = rng.choice(SENDERS)
                created = start + step * i
                created_s = _ts(created)
                thread = f"inc-{i // 50}" if rng.random() < 0.1 else None
                data = {
                    "channel": CHANNEL, "title": title, "body": body, "priority": prio.value,
                    "severity": prio.severity, "theme": theme, "tags": tags, "thread_id": thread,
                    "in_reply_to": None,
                    "sender": {"user_id": sender, "name": sender, "role": None, "ai_tool": None},
                    "links": [], "actions": [], "published_by": LOCAL.id,
                    "created_at": created.isoformat().replace("+00:00", "Z"),
                    "received_at": created.isoformat().replace("+00:00", "Z"), "imported": False,
                }  # fmt: skip
                ev_rows.append((mid, created_s, MESSAGE_EVENT, CHANNEL, thread, json.dumps(data)))
                msg_rows.append(
                    (mid, CHANNEL, thread, None, title, body, rank, theme, json.dumps(tags), sender, sender,
                     None, None, "[]", "[]", LOCAL.id, None, created_s, created_s, 0)
                )  # fmt: skip
                tag_rows.extend((t, mid, CHANNEL) for t in tags)
            cur.execute("BEGIN")
            cur.executemany(
                "INSERT INTO events (id, ts, kind, channel_id, thread_id, data) VALUES (?,?,?,?,?,?)", ev_rows
            )
            cur.executemany(
                "INSERT INTO messages (id, channel_id, thread_id, in_reply_to, title, body, priority, theme, "
                "tags, sender_user_id, sender_name, sender_role, sender_ai_tool, links, actions, "
                "published_by, idempotency_key, created_at, received_at, imported) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                msg_rows,
            )
            cur.executemany("INSERT INTO message_tags (tag, message_id, channel_id) VALUES (?,?,?)", tag_rows)
            # Into the full-text index as the server's indexer puts them (search_index.py).
            cur.execute(
                "INSERT INTO messages_fts(rowid, title, body) SELECT id, title, body FROM messages "
                "WHERE id > (SELECT indexed_upto FROM search_progress)"
            )
            cur.execute("UPDATE search_progress SET indexed_upto = (SELECT max(id) FROM messages)")
            cur.execute("COMMIT")
            done = min(n, lo + batch)
            if done % 200_000 == 0 or done == n:
                print(f"  loaded {done:,} messages ({time.perf_counter() - t0:.0f} s)", flush=True)
        last = _ts(start + step * (n - 1))
        cur.execute(
            "UPDATE channels SET message_count = ?, last_message_at = ? WHERE id = ?", (n, last, CHANNEL)
        )
        cur.execute("ANALYZE")
        cur.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        raw.commit()
    finally:
        raw.close()
        core.db.close()
    return {"messages": n, "first_id": first_id, "build_seconds": time.perf_counter() - t0}


def query_kinds(first_id: int, n: int) -> list[tuple[str, MessageFilter]]:
    del first_id, n
    return [
        ("no filter", MessageFilter()),
        ("priority=critical", build_filter(priorities="critical")),
        ("priority=critical,high", build_filter(priorities="critical,high")),
        ("min_priority=high", build_filter(min_priority="high")),
        ("tag=database (common)", build_filter(tags="database")),
        (f"tag={RARE_TAG} (rare)", build_filter(tags=RARE_TAG)),
        ("tags_all=database,latency", build_filter(tags_all="database,latency")),
        ("theme=incident-alert", build_filter(themes="incident-alert")),
        ("theme=root-cause (rare)", build_filter(themes="root-cause")),
        ("sender=user-3", build_filter(senders="user-3")),
        ("text=replica lag (common)", build_filter(text="replica lag")),
        (f"text={RARE_WORD} (rare)", build_filter(text=RARE_WORD)),
        ("critical + tag=database", build_filter(priorities="critical", tags="database")),
        ("since=30d", build_filter(since="2025-12-01T00:00:00Z")),
    ]


def run_queries(db_path: Path, first_id: int, n: int, repeat: int) -> list[dict[str, Any]]:
    core = Core(Settings(data_dir=db_path.parent, database_url=f"sqlite+pysqlite:///{db_path}"))
    core.migrate()
    deep = first_id + n // 10  # a cursor 90% of the way back into history
    rows = []
    try:
        for name, f in query_kinds(first_id, n):
            for where, before in (("newest", None), ("before=deep", deep)):
                times: list[float] = []
                count = 0
                for _ in range(repeat + 1):
                    t0 = time.perf_counter()
                    page = core.db.read_sync(
                        lambda c, f=f, before=before: core.messages.history(
                            c, LOCAL, [CHANNEL], f, before=before, limit=PAGE
                        )
                    )
                    times.append((time.perf_counter() - t0) * 1000)
                    count = len(page["items"])
                times = times[1:]  # the first run warms the page cache
                rows.append(
                    {
                        "query": name,
                        "cursor": where,
                        "items": count,
                        "median_ms": percentile(times, 50),
                        "p95_ms": percentile(times, 95),
                        "max_ms": max(times),
                        "ok": percentile(times, 50) <= TARGET_MS,
                    }
                )
                r = rows[-1]
                print(
                    f"  {name:30s} {where:12s} items={count:3d} median={r['median_ms']:8.2f} ms", flush=True
                )
    finally:
        core.db.close()
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--messages", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=15)
    ap.add_argument("--rebuild", action="store_true", help="rebuild the data set even if it exists")
    ap.add_argument("--db", type=Path, help="SQLite file to build or reuse")
    args = ap.parse_args()
    db_path = args.db or RESULTS_DIR / f"history-{args.messages}.db"
    db_path.parent.mkdir(parents=True, exist_ok=True)
    meta_path = Path(str(db_path) + ".meta.json")
    if args.rebuild or not db_path.exists() or not meta_path.exists():
        print(f"building {args.messages:,} messages into {db_path} ...", flush=True)
        meta = build(db_path, args.messages)
        meta_path.write_text(json.dumps(meta))
    else:
        meta = json.loads(meta_path.read_text())
        print(f"reusing {db_path} ({meta['messages']:,} messages; --rebuild to start over)")
    rows = run_queries(db_path, meta["first_id"], meta["messages"], args.repeat)
    print_table(
        f"History pages of {PAGE} from one channel of {meta['messages']:,} messages, SQLite "
        f"(target <= {TARGET_MS:g} ms)",
        ["query", "cursor", "items", "median ms", "p95 ms", "max ms", "<= target"],
        [
            [r["query"], r["cursor"], r["items"], r["median_ms"], r["p95_ms"], r["max_ms"], r["ok"]]
            for r in rows
        ],
    )
    write_results(
        "history_query",
        {"target_ms": TARGET_MS, "dialect": "sqlite", "page": PAGE, "dataset": meta, "queries": rows},
    )


if __name__ == "__main__":
    main()
