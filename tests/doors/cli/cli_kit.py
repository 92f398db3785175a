"""Running the real `warroom` executable as a subprocess, with deadlines on everything."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

WARROOM = str(Path(__file__).resolve().parents[3] / ".venv" / "bin" / "warroom")


def cli_env(home: Path, server: str | None = None, token: str | None = None, **extra: str) -> dict[str, str]:
    """A clean environment: no WARROOM_* from outside, data under the test's directory."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WARROOM_")}
    env.update(
        {
            "XDG_DATA_HOME": str(home),
            "HOME": str(home),
            "NO_COLOR": "1",
            "COLUMNS": "200",
            "TERM": "dumb",
            "PYTHONUNBUFFERED": "1",
        }
    )
    if server:
        env["WARROOM_SERVER"] = server
    if token:
        env["WARROOM_TOKEN"] = token
    env.update(extra)
    return env


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def json(self) -> Any:
        return json.loads(self.out)


def run(env: dict[str, str], *args: str, stdin: str | None = None, timeout: float = 120.0) -> Result:
    p = subprocess.run(
        [WARROOM, *args], env=env, input=stdin, capture_output=True, text=True, timeout=timeout
    )
    return Result(p.returncode, p.stdout, p.stderr)


class Follower:
    """A long-running `warroom … --follow` whose stdout is read line by line with deadlines."""

    def __init__(self, env: dict[str, str], *args: str) -> None:
        self.proc = subprocess.Popen(
            [WARROOM, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.err: list[str] = []
        threading.Thread(target=self._pump, daemon=True).start()
        threading.Thread(target=self._pump_err, daemon=True).start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def _pump_err(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.err.append(line)

    def line(self, timeout: float = 10.0) -> str:
        """The next line of stdout, or fail (with stderr) after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        try:
            item = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            raise AssertionError(f"no output within {timeout}s; stderr: {''.join(self.err)}") from None
        if item is None:
            raise AssertionError(f"the process ended (code {self.proc.wait()}); stderr: {''.join(self.err)}")
        return item

    def json_line(self, timeout: float = 10.0) -> Any:
        return json.loads(self.line(timeout))

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)
