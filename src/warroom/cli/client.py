"""The HTTP client the CLI uses, with exit codes that mean something."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import httpx

DEFAULT_SERVER = "http://127.0.0.1:8025"

# Exit codes: 0 ok, 1 unexpected, 2 usage, 3 not found, 4 auth, 5 conflict,
# 6 server unreachable/unavailable, 7 rate limited, 8 invalid input.
EXIT_BY_STATUS = {400: 8, 401: 4, 403: 4, 404: 3, 409: 5, 413: 8, 422: 8, 429: 7, 503: 6}


class CLIError(Exception):
    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code


class Api:
    def __init__(self, server: str | None = None, token: str | None = None, timeout: float = 30.0) -> None:
        self.server = (server or os.environ.get("WARROOM_SERVER") or DEFAULT_SERVER).rstrip("/")
        token = token or os.environ.get("WARROOM_TOKEN")
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.http = httpx.Client(base_url=self.server, headers=headers, timeout=timeout)
        self.token = token

    def request(self, method: str, path: str, **kw: Any) -> Any:
        try:
            r = self.http.request(method, path, **kw)
        except httpx.TransportError as exc:
            raise CLIError(
                f"cannot reach the warroom server at {self.server} ({type(exc).__name__}); "
                "start it with `warroom serve` or set --server / WARROOM_SERVER",
                6,
            ) from None
        return self._result(r)

    @staticmethod
    def _result(r: httpx.Response) -> Any:
        if r.status_code >= 400:
            try:
                err = r.json().get("error", {})
                msg = err.get("message") or r.text
            except ValueError:
                msg = r.text or r.reason_phrase
            raise CLIError(f"{msg} (HTTP {r.status_code})", EXIT_BY_STATUS.get(r.status_code, 1))
        if not r.content:
            return None
        return r.json()

    def get(self, path: str, **kw: Any) -> Any:
        return self.request("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> Any:
        return self.request("POST", path, **kw)

    def sse(
        self, path: str, params: dict[str, Any], last_event_id: str | None
    ) -> Iterator[tuple[str, str, str]]:
        """Yield (id, event, data) from an SSE endpoint until the connection ends."""
        headers = {"Accept": "text/event-stream"}
        if last_event_id:
            headers["Last-Event-ID"] = last_event_id
        timeout = httpx.Timeout(10.0, read=60.0)
        with self.http.stream("GET", path, params=params, headers=headers, timeout=timeout) as r:
            if r.status_code >= 400:
                r.read()
                self._result(r)
            ev_id, ev_type = "", "message"
            data: list[str] = []
            for line in r.iter_lines():
                if line == "":
                    if data:
                        yield ev_id, ev_type, "\n".join(data)
                    ev_id, ev_type, data = "", "message", []
                elif line.startswith(":"):
                    continue
                else:
                    field, _, value = line.partition(":")
                    value = value[1:] if value.startswith(" ") else value
                    if field == "id":
                        ev_id = value
                    elif field == "event":
                        ev_type = value
                    elif field == "data":
                        data.append(value)
