"""Paging benchmark: outbox throughput, trigger → first page, escalation lag.

(a) 1,000 pages are committed to the outbox in one transaction (straight into the store of
    a running `warroom serve`); the server's delivery worker sends them to a loopback
    webhook receiver running in another process. deliveries/s = 1000 / (last arrival −
    commit). Target ≥ 500/s.
(b) N incidents are declared over REST against a policy "sarah now, tom after D seconds".
    trigger → first page = arrival of sarah's page − the moment before the POST (p50/p99,
    target p99 ≤ 1 s); escalation lag = arrival of tom's page − its due time
    (`escalations.triggered_at` + D), target ≤ 1 s.

Everything runs on 127.0.0.1 with default delivery and clock settings (only the outbound
allowlist opens loopback). Bounded: each phase gives up after its deadline.

    .venv/bin/python bench/paging_bench.py [--pages 1000] [--incidents 40] [--delay 2]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import free_port, percentile, print_table, running_server, write_results

# -- the receiver (runs in its own process) -------------------------------------------------


async def _receiver(port: int) -> None:
    arrivals: list[dict[str, Any]] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, path, _ = lines[0].split(" ", 2)
                headers = {k.lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:] if ln)}
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                if method == "GET" and path == "/stats":
                    out = json.dumps(arrivals).encode()
                else:
                    now = time.time()
                    doc = json.loads(body or b"{}")
                    arrivals.append(
                        {
                            "t": now,
                            "id": headers.get("x-warroom-delivery"),
                            "incident": doc.get("incident"),
                            "level": doc.get("level"),
                        }
                    )
                    out = b"{}"
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                    + str(len(out)).encode()
                    + b"\r\n\r\n"
                    + out
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", port, backlog=1024)
    async with server:
        await server.serve_forever()


def start_receiver() -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, __file__, "--receiver", str(port)])
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 10
    while True:
        try:
            httpx.get(f"{url}/stats", timeout=1)
            return proc, url
        except httpx.HTTPError:
            if time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError("the receiver did not start") from None
            time.sleep(0.05)


def arrivals(url: str) -> list[dict[str, Any]]:
    return list(httpx.get(f"{url}/stats", timeout=30).json())


def wait_for_count(url: str, n: int, deadline_s: float) -> list[dict[str, Any]]:
    deadline = time.monotonic() + deadline_s
    while True:
        got = arrivals(url)
        if len(got) >= n or time.monotonic() > deadline:
            return got
        time.sleep(0.1)


# -- phases -----------------------------------------------------------------------------------


def phase_throughput(server_url: str, db_url: str, rx: str, pages: int) -> dict[str, Any]:
    from warroom.config import Settings
    from warroom.core import Core
    from warroom.delivery.outbox import enqueue

    http = httpx.Client(base_url=server_url, timeout=30)
    http.put("/api/users/bulk", json={"name": "Bulk"}).raise_for_status()
    cm = http.post("/api/users/bulk/contacts", json={"kind": "webhook", "target": f"{rx}/bulk"}).json()
    core = Core(Settings(database_url=db_url, outbound_allowlist=["127.0.0.1"]))

    def tx(conn: Any) -> None:
        for i in range(pages):
            enqueue(
                conn,
                dedup_key=f"bench:{i}",
                kind="webhook",
                destination="webhook:127.0.0.1",
                payload={"kind": "direct", "action": "trigger", "title": f"page {i}", "dedup_key": f"b{i}"},
                principal_id="bulk",
                contact_method_id=cm["id"],
            )

    core.db.write_sync(tx)
    committed = time.time()
    core.db.close()
    got = wait_for_count(rx, pages, 60)
    bulk = [a for a in got if a["incident"] is None]
    last = max(a["t"] for a in bulk) if bulk else float("nan")
    first = min(a["t"] for a in bulk) if bulk else float("nan")
    unique = len({a["id"] for a in bulk})
    return {
        "pages": pages,
        "delivered": len(bulk),
        "unique_ids": unique,
        "seconds_commit_to_last": last - committed,
        "seconds_first_to_last": last - first,
        "deliveries_per_s": len(bulk) / (last - committed) if bulk else 0.0,
        "deliveries_per_s_after_first": (len(bulk) - 1) / (last - first) if len(bulk) > 1 else 0.0,
    }


def phase_latency(server_url: str, db_url: str, rx: str, incidents: int, delay: float) -> dict[str, Any]:
    from sqlalchemy import create_engine, select

    from warroom.store.tables import escalations
    from warroom.store.tables import incidents as incidents_table

    http = httpx.Client(base_url=server_url, timeout=30)
    for u in ("sarah", "tom"):
        http.put(f"/api/users/{u}", json={"name": u.title()}).raise_for_status()
        http.post(
            f"/api/users/{u}/contacts", json={"kind": "webhook", "target": f"{rx}/{u}"}
        ).raise_for_status()
    levels = [
        {"targets": [{"kind": "user", "id": "sarah"}], "delay": delay},
        {"targets": [{"kind": "user", "id": "tom"}], "delay": 3600},
    ]
    http.put("/api/policies/bench", json={"name": "Bench", "levels": levels}).raise_for_status()
    http.post("/api/policies/bench/routes", json={}).raise_for_status()
    http.post("/api/channels", json={"id": "incidents", "incident_enabled": True})
    sent_at: dict[str, float] = {}
    for i in range(incidents):
        t = time.time()
        r = http.post("/api/incidents", json={"title": f"bench outage {i}", "severity": "P1"})
        r.raise_for_status()
        sent_at[r.json()["id"]] = t
        time.sleep(0.05)  # pacing: one trigger every 50 ms, as a storm of separate incidents would
    got: list[dict[str, Any]] = []
    deadline = time.monotonic() + delay + 30
    while time.monotonic() < deadline:
        got = [a for a in arrivals(rx) if a["incident"] in sent_at]
        if len([a for a in got if a["level"] == 2]) >= incidents:
            break
        time.sleep(0.1)
    engine = create_engine(db_url)
    with engine.connect() as conn:
        rows = conn.execute(
            select(incidents_table.c.thread_id, escalations.c.triggered_at).join(
                escalations, escalations.c.incident_number == incidents_table.c.number
            )
        ).all()
    engine.dispose()
    due = {r.thread_id: r.triggered_at.timestamp() + delay for r in rows}
    first = {a["incident"]: a["t"] for a in got if a["level"] == 1}
    second = {a["incident"]: a["t"] for a in got if a["level"] == 2}
    trig = [first[k] - sent_at[k] for k in sent_at if k in first]
    lag = [second[k] - due[k] for k in sent_at if k in second and k in due]
    return {
        "incidents": incidents,
        "level1_pages": len(first),
        "level2_pages": len(second),
        "trigger_to_first_page_ms": {
            "p50": percentile(trig, 50) * 1000,
            "p99": percentile(trig, 99) * 1000,
            "max": max(trig) * 1000 if trig else float("nan"),
        },
        "escalation_lag_ms": {
            "p50": percentile(lag, 50) * 1000,
            "p99": percentile(lag, 99) * 1000,
            "max": max(lag) * 1000 if lag else float("nan"),
        },
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pages", type=int, default=1000)
    ap.add_argument("--incidents", type=int, default=40)
    ap.add_argument("--delay", type=float, default=2.0, help="seconds before level 2")
    ap.add_argument("--receiver", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.receiver:
        asyncio.run(_receiver(args.receiver))
        return
    rx_proc, rx = start_receiver()
    try:
        env = {"WARROOM_OUTBOUND_ALLOWLIST": '["127.0.0.1"]'}
        with running_server(env) as srv:
            db_url = f"sqlite+pysqlite:///{srv.db_path}"
            tp = phase_throughput(srv.url, db_url, rx, args.pages)
            lat = phase_latency(srv.url, db_url, rx, args.incidents, args.delay)
    finally:
        rx_proc.kill()
        rx_proc.wait()
    rows = [
        [
            "deliveries/s (commit → last arrival)",
            tp["deliveries_per_s"],
            "≥ 500",
            tp["deliveries_per_s"] >= 500,
        ],
        ["deliveries/s (first → last arrival)", tp["deliveries_per_s_after_first"], "", ""],
        [
            "delivered / unique ids",
            f"{tp['delivered']} / {tp['unique_ids']}",
            str(tp["pages"]),
            tp["delivered"] == tp["unique_ids"] == tp["pages"],
        ],
        ["trigger → first page p50 (ms)", lat["trigger_to_first_page_ms"]["p50"], "", ""],
        [
            "trigger → first page p99 (ms)",
            lat["trigger_to_first_page_ms"]["p99"],
            "≤ 1000",
            lat["trigger_to_first_page_ms"]["p99"] <= 1000,
        ],
        ["escalation lag p50 (ms)", lat["escalation_lag_ms"]["p50"], "", ""],
        [
            "escalation lag max (ms)",
            lat["escalation_lag_ms"]["max"],
            "≤ 1000",
            lat["escalation_lag_ms"]["max"] <= 1000,
        ],
        [
            "pages level 1 / level 2",
            f"{lat['level1_pages']} / {lat['level2_pages']}",
            str(lat["incidents"]),
            lat["level1_pages"] == lat["level2_pages"] == lat["incidents"],
        ],
    ]
    print_table(
        "paging (SQLite, default delivery/clock settings)", ["measure", "value", "target", "ok"], rows
    )
    write_results("paging_bench", {"throughput": tp, "latency": lat, "args": vars(args)})


if __name__ == "__main__":
    main()
