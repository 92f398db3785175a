"""Publish throughput over HTTP: 8 concurrent keep-alive clients POSTing to a real `warroom serve`.

Every 201 means the message was committed (the group-commit writer answers only after
COMMIT). Runs once with the default SQLite `synchronous=FULL` and once with `NORMAL`.
The load generator is Debian's `wrk` (C, one thread) when installed, so it takes little CPU
from the server on a 2-core machine; otherwise a separate asyncio process with raw sockets.

    .venv/bin/python bench/publish_throughput.py [--seconds 15] [--connections 8]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import create_channel, percentile, print_table, running_server, write_results

CHANNEL = "bench"
TARGET = 2000.0
OUTCOME_HEADERS = ["2xx", "errors", "all stored"]
BODY = {
    "title": "db-1: disk usage above 95%",
    "body": "pg_wal is at 97% on db-1; autovacuum is behind. Runbook: https://runbooks/db/disk",
    "priority": "high",
    "theme": "incident-alert",
    "tags": ["database", "storage"],
    "sender": {"name": "prometheus", "role": "monitor"},
}

WRK_LUA = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = [==[%BODY%]==]
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"status_errors":%d,"connect_errors":%d,'
    .. '"read_errors":%d,"write_errors":%d,"timeouts":%d,"p50_us":%d,"p90_us":%d,'
    .. '"p99_us":%d,"max_us":%d,"mean_us":%.1f}\\n',
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
"""


def run_wrk(url: str, connections: int, seconds: float) -> dict[str, Any]:
    lua = Path(tempfile.mkdtemp(prefix="warroom-wrk-")) / "post.lua"
    lua.write_text(WRK_LUA.replace("%BODY%", json.dumps(BODY)))
    cmd = [
        "wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "10s",
        "-s", str(lua), f"{url}/api/channels/{CHANNEL}/messages",
    ]  # fmt: skip
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=seconds + 60).stdout
    line = next(x for x in out.splitlines() if x.startswith("WRKJSON "))
    raw = json.loads(line.removeprefix("WRKJSON "))
    errors = sum(
        raw[k] for k in ("status_errors", "connect_errors", "read_errors", "write_errors", "timeouts")
    )
    secs = raw["duration_us"] / 1e6
    ok = raw["requests"] - raw["status_errors"]
    return {
        "generator": "wrk",
        "ok": ok,
        "errors": errors,
        "seconds": secs,
        "msgs_per_s": ok / secs,
        "p50_ms": raw["p50_us"] / 1000,
        "p90_ms": raw["p90_us"] / 1000,
        "p99_ms": raw["p99_us"] / 1000,
        "max_ms": raw["max_us"] / 1000,
        "wrk": raw,
    }


# -- fallback load generator: a separate process, raw asyncio keep-alive connections ----------


async def _client(url: str, connections: int, seconds: float) -> dict[str, Any]:
    host, port = url.removeprefix("http://").split(":")
    payload = json.dumps(BODY).encode()
    request = (
        f"POST /api/channels/{CHANNEL}/messages HTTP/1.1\r\nHost: {host}:{port}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n"
    ).encode() + payload
    latencies: list[float] = []
    errors = 0
    stop_at = time.perf_counter() + seconds

    async def one_connection() -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection(host, int(port))
        while time.perf_counter() < stop_at:
            t0 = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = 0
            for h in head.split(b"\r\n"):
                if h[:15].lower() == b"content-length:":
                    length = int(h[15:])
            await reader.readexactly(length)
            if 200 <= status < 300:
                latencies.append(time.perf_counter() - t0)
            else:
                errors += 1
        writer.close()

    t0 = time.perf_counter()
    await asyncio.gather(*(one_connection() for _ in range(connections)))
    secs = time.perf_counter() - t0
    ms = [x * 1000 for x in latencies]
    return {
        "generator": "asyncio",
        "ok": len(latencies),
        "errors": errors,
        "seconds": secs,
        "msgs_per_s": len(latencies) / secs,
        "p50_ms": percentile(ms, 50),
        "p90_ms": percentile(ms, 90),
        "p99_ms": percentile(ms, 99),
        "max_ms": max(ms, default=float("nan")),
    }


def run_asyncio_client(url: str, connections: int, seconds: float) -> dict[str, Any]:
    cmd = [
        sys.executable,
        __file__,
        "--client",
        url,
        "--connections",
        str(connections),
        "--seconds",
        str(seconds),
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=seconds + 60).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


def count_messages(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT count(*) FROM messages").fetchone()[0])


def measure(sync: str, connections: int, seconds: float, warmup: float, generator: str) -> dict[str, Any]:
    with running_server({"WARROOM_SQLITE_SYNCHRONOUS": sync}, keep_data=True) as srv:
        create_channel(srv.url, CHANNEL)
        run = run_wrk if generator == "wrk" else run_asyncio_client
        if warmup > 0:
            run(srv.url, connections, warmup)
        before = count_messages(srv.db_path)
        result = run(srv.url, connections, seconds)
        data_dir = srv.data_dir
    # After a clean stop: every acknowledged publish must be in the database.
    stored = count_messages(data_dir / "warroom.db") - before
    shutil.rmtree(data_dir, ignore_errors=True)
    result.update(
        synchronous=sync, connections=connections, stored=stored, all_acked_stored=stored >= result["ok"]
    )
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=15.0)
    ap.add_argument("--warmup", type=float, default=3.0)
    ap.add_argument("--connections", type=int, default=8)
    ap.add_argument("--generator", choices=["auto", "wrk", "asyncio"], default="auto")
    ap.add_argument("--sync", default="FULL,NORMAL", help="SQLite synchronous modes to run, comma-separated")
    ap.add_argument("--client", help=argparse.SUPPRESS)  # internal: run as the asyncio load generator
    args = ap.parse_args()
    if args.client:
        print(json.dumps(asyncio.run(_client(args.client, args.connections, args.seconds))))
        return
    generator = args.generator
    if generator == "auto":
        generator = "wrk" if shutil.which("wrk") else "asyncio"
    rows = [
        measure(s.strip().upper(), args.connections, args.seconds, args.warmup, generator)
        for s in args.sync.split(",")
    ]
    print_table(
        f"Publish throughput: {args.connections} keep-alive clients, {args.seconds:g} s, "
        f"generator {generator} (target >= {TARGET:,.0f} msg/s)",
        ["sqlite synchronous", "msgs/s", "p50 ms", "p90 ms", "p99 ms", "max ms", *OUTCOME_HEADERS],
        [
            [r["synchronous"], r["msgs_per_s"], r["p50_ms"], r["p90_ms"], r["p99_ms"], r["max_ms"],
             r["ok"], r["errors"], r["all_acked_stored"]]
            for r in rows
        ],
    )  # fmt: skip
    write_results(
        "publish_throughput",
        {"target_msgs_per_s": TARGET, "generator": generator, "body": BODY, "runs": rows},
    )


if __name__ == "__main__":
    main()
