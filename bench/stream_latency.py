"""Publish → delivery latency on live SSE subscribers, over loopback, against a real server.

One subscriber process holds all the SSE connections (plain sockets in one epoll loop, so the
client's own work costs as little as possible); this process publishes, on one raw keep-alive
socket, N messages one at a time, spaced out, each carrying `sent_ns`, the CLOCK_MONOTONIC
time (system-wide on Linux, so both processes read the same clock) just before its POST was
written. A subscriber timestamps a frame as soon as its bytes are read and leaves the JSON
for after the run (parsing inline delayed the other subscribers' reads); latency =
received - sent, for every (message, subscriber) pair. A delivery that never arrives within
the time limit counts as lost.

    .venv/bin/python bench/stream_latency.py [--subscribers 100] [--messages 200] [--interval-ms 25]
"""

from __future__ import annotations

import argparse
import json
import selectors
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import create_channel, percentile, print_table, running_server, write_results

CHANNEL = "bench-live"
TARGET_P50_MS = 5.0
TARGET_P99_MS = 20.0


# -- the subscriber process ---------------------------------------------------------------


def subscribe_all(url: str, subscribers: int, messages: int, limit_s: float) -> dict[str, Any]:
    """Hold every SSE connection in one plain epoll loop: when several sockets are readable
    at once, each is read and timestamped before any frame is looked at, so one
    subscriber's bookkeeping never delays another's timestamp (an asyncio task per socket
    cost ~10-20 µs of wake-up each, and the median subscriber waited behind ~50 of them)."""
    host, port = url.removeprefix("http://").split(":")
    path = f"/api/channels/{CHANNEL}/stream"
    request = f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAccept: text/event-stream\r\n\r\n".encode()
    socks: list[socket.socket] = []
    bufs: list[bytes] = []
    for _ in range(subscribers):
        sock = socket.create_connection((host, int(port)), timeout=60)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.sendall(request)
        socks.append(sock)
    for sock in socks:
        buf = b""
        while b"retry:" not in buf:  # the stream is open and following the log from now on
            chunk = sock.recv(65536)
            if not chunk:
                raise RuntimeError("the server closed a stream before it opened")
            buf += chunk
        head, _, rest = buf.partition(b"\r\n\r\n")
        if b" 200 " not in head.split(b"\r\n", 1)[0]:
            raise RuntimeError(f"stream refused: {head!r}")
        bufs.append(rest)
        sock.setblocking(False)
    print("READY", flush=True)  # tell the publisher to start

    # Per subscriber, (arrival ns, frame) pairs; the JSON is parsed after the run.
    arrivals: list[list[tuple[int, bytes]]] = [[] for _ in range(subscribers)]
    sel = selectors.DefaultSelector()
    for i, sock in enumerate(socks):
        sel.register(sock, selectors.EVENT_READ, i)
    open_streams = subscribers
    deadline = time.monotonic() + limit_s
    while open_streams and time.monotonic() < deadline:
        chunks: list[tuple[int, int, bytes]] = []
        for key, _ in sel.select(timeout=1.0):
            try:
                data = key.fileobj.recv(65536)  # type: ignore[union-attr]
            except BlockingIOError:
                continue
            chunks.append((key.data, time.monotonic_ns(), data))
        for i, now, data in chunks:
            buf = bufs[i] + data
            # Chunked transfer framing wraps the SSE text; a frame ends at a blank line.
            while b"\n\n" in buf:
                frame, buf = buf.split(b"\n\n", 1)
                if b"sent_ns" in frame:
                    arrivals[i].append((now, frame))
            bufs[i] = buf
            if not data or len(arrivals[i]) >= messages:
                sel.unregister(socks[i])
                socks[i].close()
                open_streams -= 1
    for sock in socks:
        sock.close()
    return {"latencies_ms": [[_latency_ms(now, frame) for now, frame in mine] for mine in arrivals]}


def _latency_ms(arrived_ns: int, frame: bytes) -> float:
    # Chunked transfer framing wraps the SSE text; the JSON data line survives intact.
    line = next(x for x in frame.split(b"\n") if x.startswith(b"data: {"))
    body = json.loads(json.loads(line[6:])["data"]["body"])
    return (arrived_ns - body["sent_ns"]) / 1e6


# -- the publisher (this process) -----------------------------------------------------------


class RawPublisher:
    """One keep-alive HTTP/1.1 connection on a plain socket. A full client library spends
    about a millisecond of its own per request building and parsing; that is not the
    server's latency, so the probe's POST is written and read by hand."""

    def __init__(self, url: str) -> None:
        host, port = url.removeprefix("http://").split(":")
        self.host = f"{host}:{port}"
        self.sock = socket.create_connection((host, int(port)), timeout=10)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def __enter__(self) -> RawPublisher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.sock.close()

    def post(self, path: str, payload: dict[str, Any]) -> int:
        body = json.dumps(payload).encode()
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {self.host}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        self.sock.sendall(head + body)
        while b"\r\n\r\n" not in self.buf:
            self.buf += self._recv()
        headers, self.buf = self.buf.split(b"\r\n\r\n", 1)
        status = int(headers[9:12])
        length = next(
            int(line.split(b":", 1)[1])
            for line in headers.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        )
        while len(self.buf) < length:
            self.buf += self._recv()
        self.buf = self.buf[length:]
        return status

    def _recv(self) -> bytes:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise RuntimeError("the server closed the connection")
        return chunk


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--subscribers", type=int, default=100)
    ap.add_argument("--messages", type=int, default=200)
    ap.add_argument("--interval-ms", type=float, default=25.0, help="pause between publishes")
    ap.add_argument("--sync", default="FULL", help="SQLite synchronous mode of the server")
    ap.add_argument("--subscriber-process", help=argparse.SUPPRESS)  # internal
    ap.add_argument("--result-file", help=argparse.SUPPRESS)  # internal
    ap.add_argument("--timeout", type=float, default=120.0, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.subscriber_process:
        out = subscribe_all(args.subscriber_process, args.subscribers, args.messages, args.timeout)
        # To a file: the result is large, and stdout carries the READY line.
        Path(args.result_file).write_text(json.dumps(out))
        return

    result_file = Path(tempfile.mkdtemp(prefix="warroom-bench-")) / "subscribers.json"
    with running_server({"WARROOM_SQLITE_SYNCHRONOUS": args.sync}) as srv:
        create_channel(srv.url, CHANNEL)
        sub = subprocess.Popen(
            [sys.executable, __file__, "--subscriber-process", srv.url,
             "--subscribers", str(args.subscribers), "--messages", str(args.messages),
             "--timeout", str(args.timeout), "--result-file", str(result_file)],
            stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert sub.stdout is not None
        line = sub.stdout.readline()
        if line.strip() != "READY":
            sub.kill()
            raise RuntimeError(f"subscriber process failed to start: {line!r}")
        publish_ms: list[float] = []
        with RawPublisher(srv.url) as publisher:
            for n in range(args.messages):
                sent_ns = time.monotonic_ns()
                body = json.dumps({"sent_ns": sent_ns, "n": n})
                status = publisher.post(
                    f"/api/channels/{CHANNEL}/messages",
                    {"title": f"latency probe {n}", "body": body, "priority": "high", "tags": ["bench"]},
                )
                publish_ms.append((time.monotonic_ns() - sent_ns) / 1e6)
                if status != 201:
                    raise RuntimeError(f"publish answered {status}")
                time.sleep(args.interval_ms / 1000)
        sub.communicate(timeout=args.timeout + 30)
    if sub.returncode != 0:
        raise RuntimeError(f"the subscriber process failed (exit {sub.returncode})")
    per_sub: list[list[float]] = json.loads(result_file.read_text())["latencies_ms"]
    shutil.rmtree(result_file.parent, ignore_errors=True)
    flat = [x for lat in per_sub for x in lat]
    expected = args.subscribers * args.messages
    row = {
        "subscribers": args.subscribers,
        "messages": args.messages,
        "interval_ms": args.interval_ms,
        "deliveries": len(flat),
        "lost": expected - len(flat),
        "p50_ms": percentile(flat, 50),
        "p90_ms": percentile(flat, 90),
        "p99_ms": percentile(flat, 99),
        "max_ms": max(flat, default=float("nan")),
        "publish_p50_ms": percentile(publish_ms, 50),
        "publish_p99_ms": percentile(publish_ms, 99),
        "synchronous": args.sync,
    }
    print_table(
        f"Publish → SSE delivery: {args.subscribers} subscribers, {args.messages} messages every "
        f"{args.interval_ms:g} ms (target p50 <= {TARGET_P50_MS:g} ms, p99 <= {TARGET_P99_MS:g} ms)",
        ["deliveries", "lost", "p50 ms", "p90 ms", "p99 ms", "max ms", "POST p50 ms", "POST p99 ms"],
        [[row["deliveries"], row["lost"], row["p50_ms"], row["p90_ms"], row["p99_ms"], row["max_ms"],
          row["publish_p50_ms"], row["publish_p99_ms"]]],
    )  # fmt: skip
    write_results(
        "stream_latency",
        {"target_p50_ms": TARGET_P50_MS, "target_p99_ms": TARGET_P99_MS, "run": row},
    )


if __name__ == "__main__":
    main()
