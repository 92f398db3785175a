"""Loopback HTTP receivers and real `warroom serve` processes for the delivery tests."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

WARROOM = str(Path(__file__).resolve().parents[2] / ".venv" / "bin" / "warroom")


@dataclass
class Hit:
    path: str
    headers: dict[str, str]
    body: bytes
    status: int

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def delivery(self) -> str:
        return self.headers.get("x-warroom-delivery", "")


class Receiver:
    """A small HTTP server on 127.0.0.1 that records every request.

    `fail_first` requests get HTTP 500, `fail_always` makes every request fail, and
    `hang_first` holds the first request open (no answer) until `release()`.
    """

    def __init__(self, *, fail_first: int = 0, fail_always: bool = False, hang_first: bool = False) -> None:
        self.fail_first = fail_first
        self.fail_always = fail_always
        self.hang_first = hang_first
        self.hits: list[Hit] = []
        self.lock = threading.Lock()
        self._release = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                with receiver.lock:
                    n = len(receiver.hits) + 1
                    hang = receiver.hang_first and n == 1
                    fail = receiver.fail_always or n <= receiver.fail_first
                    status = 0 if hang else (500 if fail else 200)
                    receiver.hits.append(
                        Hit(self.path, {k.lower(): v for k, v in self.headers.items()}, body, status)
                    )
                if hang:
                    receiver._release.wait(30)
                    self.close_connection = True
                    return
                payload = b'{"ok": false}' if status >= 400 else b'{"status": "success", "ok": true}'
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = int(self.server.server_address[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def ok(self) -> list[Hit]:
        with self.lock:
            return [h for h in self.hits if h.status == 200]

    def all(self) -> list[Hit]:
        with self.lock:
            return list(self.hits)

    def recover(self) -> None:
        with self.lock:
            self.fail_always = False
            self.fail_first = 0

    def release(self) -> None:
        self._release.set()

    def close(self) -> None:
        self._release.set()
        self.server.shutdown()
        self.server.server_close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(predicate: Callable[[], Any], timeout: float = 10.0, what: str = "condition") -> Any:
    """Poll a synchronous predicate until truthy; fail clearly on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not met within {timeout}s")
        time.sleep(0.01)


class ServerProcess:
    """`warroom serve` as a real subprocess on a loopback port."""

    def __init__(self, home: Path, database_url: str, **settings: Any) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("WARROOM_")}
        env.update({"HOME": str(home), "XDG_DATA_HOME": str(home), "PYTHONUNBUFFERED": "1"})
        env["WARROOM_DATABASE_URL"] = database_url
        env["WARROOM_LOG_LEVEL"] = "warning"
        for k, v in settings.items():
            env[f"WARROOM_{k.upper()}"] = json.dumps(v) if isinstance(v, list) else str(v)
        self.log = (home / f"serve-{self.port}.log").open("wb")
        self.proc = subprocess.Popen(
            [WARROOM, "serve", "--port", str(self.port)], env=env, stdout=self.log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1.0).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.log.flush()
                raise RuntimeError(
                    f"warroom serve did not start: {(home / self.log.name).read_text()[-2000:]}"
                )
            time.sleep(0.05)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()
