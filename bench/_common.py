"""Shared helpers for the benchmarks: a real `warroom serve` subprocess, tables, JSON results.

Every benchmark talks to 127.0.0.1 only and stops by itself within a bounded time.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

BENCH_DIR = Path(__file__).resolve().parent
RESULTS_DIR = BENCH_DIR / "results"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def warroom_command() -> list[str]:
    """The real console script next to this interpreter, else `python -m warroom.cli.main`."""
    script = Path(sys.executable).with_name("warroom")
    if script.exists() and not os.environ.get("WARROOM_BENCH_MODULE"):
        return [sys.executable, str(script)]
    return [sys.executable, "-m", "warroom.cli.main"]


@dataclass
class Server:
    url: str
    pid: int
    data_dir: Path
    proc: subprocess.Popen[bytes]
    log_path: Path

    @property
    def db_path(self) -> Path:
        return self.data_dir / "warroom.db"


@contextlib.contextmanager
def running_server(
    env: dict[str, str] | None = None, *, data_dir: Path | None = None, keep_data: bool = False
) -> Iterator[Server]:
    """Start `warroom serve` on a free loopback port with a fresh data dir; stop it after."""
    own_dir = data_dir is None
    ddir = Path(tempfile.mkdtemp(prefix="warroom-bench-")) if data_dir is None else data_dir
    port = free_port()
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("WARROOM_")}
    full_env.update({"WARROOM_LOG_LEVEL": "warning", **(env or {})})
    log_path = ddir / "server.log"
    cmd = [*warroom_command(), "serve", "--host", "127.0.0.1", "--port", str(port), "--data-dir", str(ddir)]
    with log_path.open("wb") as log:
        proc = subprocess.Popen(cmd, env=full_env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited with {proc.returncode}:\n{log_path.read_text()[-3000:]}")
            try:
                if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("server did not become healthy within 30 s")
            time.sleep(0.1)
        yield Server(url, proc.pid, ddir, proc, log_path)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if own_dir and not keep_data:
            shutil.rmtree(ddir, ignore_errors=True)


def create_channel(url: str, channel: str) -> None:
    r = httpx.post(f"{url}/api/channels", json={"id": channel}, timeout=10)
    if r.status_code not in (200, 201, 409):
        raise RuntimeError(f"creating channel {channel}: {r.status_code} {r.text}")


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100); NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


def print_table(title: str, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    cells = [[_fmt(c) for c in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(headers)]
    print(f"\n{title}")
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for row in cells:
        print("  ".join(c.rjust(w) if _numeric(c) else c.ljust(w) for c, w in zip(row, widths, strict=True)))


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:,.0f}" if abs(v) >= 100 else f"{v:.2f}"
    if isinstance(v, bool):
        return "yes" if v else "NO"
    return str(v)


def _numeric(s: str) -> bool:
    return s.replace(",", "").replace(".", "").replace("-", "").isdigit()


def machine() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "loadavg_at_end": os.getloadavg(),
    }


def write_results(name: str, payload: dict[str, Any]) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    doc = {"benchmark": name, "at": stamp, "machine": machine(), **payload}
    path = RESULTS_DIR / f"{name}-{stamp}.json"
    text = json.dumps(doc, indent=2, default=str)
    path.write_text(text)
    (RESULTS_DIR / f"{name}-latest.json").write_text(text)
    print(f"\nresults: {path.relative_to(BENCH_DIR.parent)}")
    return path


def rss_kb(pid: int) -> dict[str, int]:
    out: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "RssAnon", "RssFile", "RssShmem", "VmHWM", "Threads"):
            out[key] = int(value.split()[0])
    return out
