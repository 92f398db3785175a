"""Alert ingestion throughput, warroom vs Prometheus Alertmanager, and webhook → stream latency.

A real `warroom serve` (SQLite, fresh data dir) and a real Alertmanager (Debian package), both
on loopback. Eight sender processes post Alertmanager v4 webhook batches of 100 alerts to
warroom's webhook (each 2xx means every alert of the batch is committed), then the same alerts,
as the same batches, to Alertmanager's own ingestion API (`POST /api/v2/alerts`). Each batch is
one Alertmanager group (one alertname, 100 instances), as Alertmanager itself notifies; half the
batches are new groups, half are resends of a group already sent (repeats: only counters move).

Then the latency phase: one SSE client follows `/api/stream?kind=incident`; one alert at a time
is posted for a new group, and the time from just before the POST to the `incident.triggered`
frame is measured.

    .venv/bin/python bench/ingest_throughput.py [--batches 40] [--senders 8] [--latency-samples 200]
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import contextlib
import json
import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import free_port, percentile, print_table, rss_kb, running_server, write_results

TARGET_ALERTS_PER_S = 10_000
TARGET_P99_MS = 50.0
BATCH = 100
TIME_LIMIT_S = 120.0


# -- the alerts --------------------------------------------------------------------------


def _iso(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def group_alerts(sender: int, group: int, starts: str) -> list[dict[str, Any]]:
    """One Alertmanager group: 100 instances of one alertname on one service."""
    out = []
    for i in range(BATCH):
        labels = {
            "alertname": f"Bench{sender}x{group}",
            "service": f"svc-{group % 7}",
            "severity": ("critical", "warning", "info")[group % 3],
            "instance": f"host-{i}:9100",
            "env": "production",
        }
        out.append(
            {
                "labels": labels,
                "annotations": {"summary": f"Bench alert {sender}/{group}", "description": f"instance {i}"},
                "startsAt": starts,
                "generatorURL": "http://prometheus.example.com:9090/graph?g0.expr=up",
            }
        )
    return out


def plan(senders: int, batches: int) -> list[list[list[dict[str, Any]]]]:
    """Per sender, `batches` batches alternating a new group and a resend of an earlier one."""
    starts = _iso(datetime.now(UTC) - timedelta(minutes=1))
    out = []
    for s in range(senders):
        mine: list[list[dict[str, Any]]] = []
        for b in range(batches):
            group = b // 2 if b % 2 == 0 else (b // 2) // 2  # even: new group; odd: an earlier one
            mine.append(group_alerts(s, group, starts))
        out.append(mine)
    return out


def webhook_body(alerts: list[dict[str, Any]]) -> bytes:
    entries = [
        {
            "status": "firing",
            "labels": a["labels"],
            "annotations": a["annotations"],
            "startsAt": a["startsAt"],
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": a["generatorURL"],
            "fingerprint": "",
        }
        for a in alerts
    ]
    for e in entries:
        del e["fingerprint"]  # the label hash is computed on arrival, as for any sender without one
    common = {
        k: v for k, v in alerts[0]["labels"].items() if k in ("alertname", "service", "severity", "env")
    }
    return json.dumps(
        {
            "version": "4",
            "groupKey": f'{{}}:{{alertname="{common["alertname"]}"}}',
            "truncatedAlerts": 0,
            "status": "firing",
            "receiver": "warroom",
            "groupLabels": {"alertname": common["alertname"]},
            "commonLabels": common,
            "commonAnnotations": {},
            "externalURL": "http://alertmanager.example.com:9093",
            "alerts": entries,
        }
    ).encode()


# -- a sender process ---------------------------------------------------------------------


def send_all(url: str, bodies: list[bytes], headers: dict[str, str], deadline: float) -> dict[str, Any]:
    """Post each body in turn on one keep-alive connection; monotonic times are system-wide."""
    lat: list[float] = []
    errors = 0
    first = last = 0.0
    with httpx.Client(timeout=30, headers={"Content-Type": "application/json", **headers}) as c:
        first = time.monotonic()
        for body in bodies:
            if time.monotonic() > deadline:
                break
            t = time.monotonic()
            r = c.post(url, content=body)
            lat.append(time.monotonic() - t)
            if r.status_code >= 300:
                errors += 1
        last = time.monotonic()
    return {"start": first, "end": last, "latencies": lat, "errors": errors, "sent": len(lat)}


def run_senders(url: str, per_sender: list[list[bytes]], headers: dict[str, str]) -> dict[str, Any]:
    ctx = multiprocessing.get_context("spawn")
    deadline = time.monotonic() + TIME_LIMIT_S
    with concurrent.futures.ProcessPoolExecutor(len(per_sender), mp_context=ctx) as pool:
        futures = [pool.submit(send_all, url, bodies, headers, deadline) for bodies in per_sender]
        results = [f.result() for f in futures]
    start = min(r["start"] for r in results)
    end = max(r["end"] for r in results)
    sent = sum(r["sent"] for r in results)
    lat = [x for r in results for x in r["latencies"]]
    return {
        "batches": sent,
        "alerts": sent * BATCH,
        "seconds": end - start,
        "alerts_per_s": sent * BATCH / (end - start) if end > start else 0.0,
        "errors": sum(r["errors"] for r in results),
        "batch_p50_ms": percentile(lat, 50) * 1000,
        "batch_p99_ms": percentile(lat, 99) * 1000,
    }


# -- Alertmanager -------------------------------------------------------------------------


@contextlib.contextmanager
def running_alertmanager() -> Iterator[str]:
    binary = shutil.which("prometheus-alertmanager")
    if binary is None:
        raise SystemExit("prometheus-alertmanager is missing; run scripts/services.sh")
    work = Path(tempfile.mkdtemp(prefix="warroom-bench-am-"))
    (work / "am.yml").write_text(
        "route:\n  receiver: devnull\n  group_by: [alertname]\n  group_wait: 30s\n"
        "  group_interval: 5m\n  repeat_interval: 4h\nreceivers:\n  - name: devnull\n"
    )
    port = free_port()
    log = (work / "am.log").open("wb")
    proc = subprocess.Popen(
        [
            binary,
            f"--config.file={work / 'am.yml'}",
            f"--storage.path={work / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",
            "--log.level=warn",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            if proc.poll() is not None:
                raise RuntimeError((work / "am.log").read_text()[-2000:])
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(url + "/-/ready", timeout=1).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError("alertmanager did not become ready")
            time.sleep(0.05)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
        shutil.rmtree(work, ignore_errors=True)


# -- latency: webhook → incident event on a live stream -----------------------------------------


async def latency(url: str, token: str, samples: int, interval_s: float) -> dict[str, Any]:
    arrived: dict[str, float] = {}
    waiting: dict[str, asyncio.Future[float]] = {}
    ready = asyncio.Event()

    async def listen() -> None:
        async with (
            httpx.AsyncClient(timeout=httpx.Timeout(10, read=60)) as c,
            c.stream("GET", f"{url}/api/stream", params={"kind": "incident"}) as r,
        ):
            ready.set()
            event = None
            async for line in r.aiter_lines():
                if line.startswith("event:"):
                    event = line[6:].strip()
                elif line.startswith("data:") and event == "incident.triggered":
                    now = time.monotonic()
                    title = json.loads(line[5:])["data"]["incident"]["title"]
                    arrived[title] = now
                    fut = waiting.pop(title, None)
                    if fut is not None and not fut.done():
                        fut.set_result(now)

    task = asyncio.create_task(listen())
    await asyncio.wait_for(ready.wait(), 10)
    lat: list[float] = []
    lost = 0
    starts = _iso(datetime.now(UTC))
    async with httpx.AsyncClient(timeout=10) as c:
        hook = f"{url}/api/webhooks/bench?token={token}"
        # Let the stream subscription settle with one unmeasured incident.
        for n in range(samples + 1):
            title = f"latency probe {n}"
            alert = group_alerts(10_000 + n, 0, starts)[:1]
            alert[0]["annotations"]["summary"] = title
            body = webhook_body(alert)
            fut: asyncio.Future[float] = asyncio.get_running_loop().create_future()
            waiting[title] = fut
            t0 = time.monotonic()
            r = await c.post(hook, content=body, headers={"Content-Type": "application/json"})
            assert r.status_code == 202, r.text
            try:
                t1 = await asyncio.wait_for(fut, 5)
            except TimeoutError:
                lost += 1
                continue
            if n:
                lat.append(t1 - t0)
            await asyncio.sleep(interval_s)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await task
    return {
        "samples": len(lat),
        "lost": lost,
        "p50_ms": percentile(lat, 50) * 1000,
        "p99_ms": percentile(lat, 99) * 1000,
        "max_ms": max(lat) * 1000 if lat else float("nan"),
    }


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# -- main -----------------------------------------------------------------------------------


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--senders", type=int, default=8)
    ap.add_argument("--batches", type=int, default=40, help="batches of 100 alerts per sender")
    ap.add_argument("--latency-samples", type=int, default=200)
    ap.add_argument("--latency-interval-ms", type=float, default=10.0)
    args = ap.parse_args()

    batches = plan(args.senders, args.batches)
    wr_bodies = [[webhook_body(b) for b in mine] for mine in batches]
    am_bodies = [[json.dumps(b).encode() for b in mine] for mine in batches]
    new = sum(1 for mine in batches for i, _ in enumerate(mine) if i % 2 == 0)

    with running_server() as srv:
        r = httpx.post(
            f"{srv.url}/api/integrations", json={"name": "bench", "source": "alertmanager"}, timeout=10
        )
        r.raise_for_status()
        secret = r.json()["secret"]
        hook = f"{srv.url}/api/webhooks/bench?token={secret}"
        cpu0 = cpu_seconds(srv.pid)
        warroom = run_senders(hook, wr_bodies, {})
        warroom["server_cpu_s"] = cpu_seconds(srv.pid) - cpu0
        warroom["server_cpu_ms_per_batch"] = warroom["server_cpu_s"] * 1000 / max(1, warroom["batches"])
        warroom["alerts_per_server_cpu_s"] = warroom["alerts"] / max(1e-9, warroom["server_cpu_s"])
        incidents = httpx.get(f"{srv.url}/api/incidents", params={"limit": 500}, timeout=30).json()["items"]
        lat = asyncio.run(latency(srv.url, secret, args.latency_samples, args.latency_interval_ms / 1000))
        server_rss = rss_kb(srv.pid)

    with running_alertmanager() as am_url:
        am_pid = int(
            subprocess.check_output(["pgrep", "-n", "-f", f"web.listen-address={am_url[7:]}"]).split()[0]
        )
        cpu0 = cpu_seconds(am_pid)
        am = run_senders(f"{am_url}/api/v2/alerts", am_bodies, {})
        am["server_cpu_s"] = cpu_seconds(am_pid) - cpu0
        am["server_cpu_ms_per_batch"] = am["server_cpu_s"] * 1000 / max(1, am["batches"])
        am["alerts_per_server_cpu_s"] = am["alerts"] / max(1e-9, am["server_cpu_s"])

    ratio = warroom["alerts_per_s"] / am["alerts_per_s"] if am["alerts_per_s"] else float("nan")
    expected_incidents = new
    print_table(
        f"Ingestion: {args.senders} senders × {args.batches} batches × {BATCH} alerts "
        f"({new} new groups, {args.senders * args.batches - new} resends)",
        [
            "system",
            "alerts",
            "seconds",
            "alerts/s",
            "batch p50 ms",
            "batch p99 ms",
            "server CPU ms/batch",
            "alerts per server CPU-s",
            "errors",
        ],
        [
            [
                "warroom (SQLite)",
                warroom["alerts"],
                warroom["seconds"],
                warroom["alerts_per_s"],
                warroom["batch_p50_ms"],
                warroom["batch_p99_ms"],
                warroom["server_cpu_ms_per_batch"],
                warroom["alerts_per_server_cpu_s"],
                warroom["errors"],
            ],
            [
                "alertmanager 0.25",
                am["alerts"],
                am["seconds"],
                am["alerts_per_s"],
                am["batch_p50_ms"],
                am["batch_p99_ms"],
                am["server_cpu_ms_per_batch"],
                am["alerts_per_server_cpu_s"],
                am["errors"],
            ],
        ],
    )
    print_table(
        "Summary",
        ["measure", "value", "target", "met"],
        [
            [
                "warroom alerts/s",
                warroom["alerts_per_s"],
                f"≥ {TARGET_ALERTS_PER_S}",
                warroom["alerts_per_s"] >= TARGET_ALERTS_PER_S,
            ],
            ["ratio warroom / alertmanager", ratio, "report", True],
            [
                "open incidents after the run",
                len([i for i in incidents if not i["title"].startswith("latency")]),
                f"= {expected_incidents} (one per group)",
                len(incidents) == expected_incidents,
            ],
            ["webhook → stream p50 ms", lat["p50_ms"], "report", True],
            ["webhook → stream p99 ms", lat["p99_ms"], f"≤ {TARGET_P99_MS}", lat["p99_ms"] <= TARGET_P99_MS],
            ["latency samples lost", lat["lost"], "0", lat["lost"] == 0],
        ],
    )
    write_results(
        "ingest_throughput",
        {
            "params": vars(args),
            "warroom": warroom,
            "alertmanager": am,
            "ratio_warroom_over_alertmanager": ratio,
            "incidents_after_load": len(incidents),
            "expected_incidents": expected_incidents,
            "latency": lat,
            "server_rss_kb": server_rss,
            "cpus": os.cpu_count(),
            "targets": {"alerts_per_s": TARGET_ALERTS_PER_S, "p99_ms": TARGET_P99_MS},
        },
    )


if __name__ == "__main__":
    main()
