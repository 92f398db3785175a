"""Helpers for the intelligence door tests: waiting without sleeps, the CLI as a subprocess."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

WARROOM = [str(Path(sys.executable).with_name("warroom"))]
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "webhooks"


async def wait_for(predicate: Any, timeout: float = 10.0) -> Any:
    """Poll `predicate` (sync or async) until truthy; fail on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        await asyncio.sleep(0.02)


def assert_error(r: httpx.Response, status: int, *says: str) -> dict[str, Any]:
    assert r.status_code == status, f"{r.status_code} != {status}: {r.text}"
    err = r.json()["error"]
    for word in says:
        assert word.lower() in err["message"].lower(), f"{word!r} not in {err['message']!r}"
    return dict(err)


def cli(
    srv: Any,
    token: str,
    *args: str,
    code: int = 0,
    stdin: str | None = None,
    env: dict[str, str] | None = None,
) -> Any:
    """Run `warroom ARGS` against the live server; parse stdout when --json is given."""
    full = {k: v for k, v in os.environ.items() if not k.startswith("WARROOM_")}
    full.update({"WARROOM_SERVER": srv.url, "WARROOM_TOKEN": token, "NO_COLOR": "1", "COLUMNS": "200"})
    full.update(env or {})
    p = subprocess.run([*WARROOM, *args], env=full, capture_output=True, text=True, timeout=60, input=stdin)
    assert p.returncode == code, (args, p.returncode, p.stdout, p.stderr)
    if code == 0 and "--json" in args:
        return json.loads(p.stdout)
    return p.stdout + p.stderr
