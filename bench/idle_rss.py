"""Idle server memory: RSS of a real `warroom serve` (SQLite) after start-up and some use.

Starts the server on a fresh data dir, exercises each door once (channel, publish, history,
a short SSE stream, metrics) so lazily imported code is loaded, waits for the process to go
idle (CPU time stops moving), then reads VmRSS and its parts from /proc/<pid>/status.

    .venv/bin/python bench/idle_rss.py [--settle 5]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import create_channel, print_table, rss_kb, running_server, write_results

TARGET_MB = 150.0


def cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def wait_idle(pid: int, settle: float, limit: float = 60.0) -> float:
    """Wait until the process used no CPU for `settle` seconds; returns the seconds waited."""
    t0 = time.monotonic()
    last, quiet_since = cpu_ticks(pid), time.monotonic()
    while time.monotonic() - t0 < limit:
        time.sleep(0.5)
        now = cpu_ticks(pid)
        if now != last:
            last, quiet_since = now, time.monotonic()
        elif time.monotonic() - quiet_since >= settle:
            break
    return time.monotonic() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--settle", type=float, default=5.0, help="seconds without CPU use that count as idle")
    args = ap.parse_args()
    rows = []
    with running_server() as srv:
        fresh = rss_kb(srv.pid)
        wait_idle(srv.pid, args.settle)
        at_start = rss_kb(srv.pid)
        create_channel(srv.url, "rss")
        with httpx.Client(base_url=srv.url, timeout=10) as c:
            for i in range(200):
                c.post(
                    "/api/channels/rss/messages", json={"title": f"m{i}", "tags": ["db"], "priority": "high"}
                )
            c.get("/api/channels/rss/messages", params={"tag": "db", "limit": 100}).raise_for_status()
            c.get("/api/messages", params={"q": "m1"}).raise_for_status()
            c.get("/api/channels").raise_for_status()
            c.get("/metrics").raise_for_status()
            with c.stream("GET", "/api/channels/rss/stream", params={"since": 0}) as s:
                for line in s.iter_lines():
                    if line.startswith("id: 10"):
                        break
        waited = wait_idle(srv.pid, args.settle)
        used = rss_kb(srv.pid)
    for name, r in (("just started", fresh), ("idle after start", at_start), ("idle after use", used)):
        rows.append(
            {
                "state": name,
                "rss_mb": r["VmRSS"] / 1024,
                "anon_mb": r.get("RssAnon", 0) / 1024,
                "file_mb": r.get("RssFile", 0) / 1024,
                "peak_mb": r.get("VmHWM", 0) / 1024,
                "threads": r.get("Threads", 0),
            }
        )
    print_table(
        f"Idle RSS of `warroom serve` (SQLite), target <= {TARGET_MB:g} MB",
        ["state", "RSS MB", "anon MB", "file MB", "peak MB", "threads", "<= target"],
        [
            [
                r["state"],
                r["rss_mb"],
                r["anon_mb"],
                r["file_mb"],
                r["peak_mb"],
                r["threads"],
                r["rss_mb"] <= TARGET_MB,
            ]
            for r in rows
        ],
    )
    write_results(
        "idle_rss", {"target_mb": TARGET_MB, "settle_s": args.settle, "waited_s": waited, "states": rows}
    )


if __name__ == "__main__":
    main()
