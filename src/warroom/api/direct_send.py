"""Writing a chunk of a streamed response from plain (non-async) code, when the socket takes it.

The hub hands each new event to every caught-up SSE stream in one loop (see events/hub.py).
With a hundred streams, a task switch per stream cost more than the write, and so did
running uvicorn's `send` coroutine per stream (a message dict, a coroutine, its checks).
So for the one response shape this serves (uvicorn's httptools HTTP/1.1 cycle sending a
chunked body) the chunk goes straight to the connection's transport. That reads uvicorn's
cycle attributes, not a public API: when they are not all there (another server, a test
transport, uvicorn's h11 protocol), there is no direct writer and streams keep to tasks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.types import Send

# Write `body` as the next chunk now and return True, or return False having written nothing.
SyncBodyWriter = Callable[[bytes], bool]


def sync_body_writer(send: Send) -> SyncBodyWriter | None:
    """A synchronous writer for the body `send` is streaming, or None when `send` is not
    uvicorn's httptools cycle in the middle of a chunked response."""
    cycle: Any = getattr(send, "__self__", None)
    flow: Any = getattr(cycle, "flow", None)
    if (
        type(cycle).__module__ != "uvicorn.protocols.http.httptools_impl"
        or not hasattr(flow, "write_paused")
        or not hasattr(cycle, "disconnected")
        or getattr(cycle, "chunked_encoding", None) is not True
        or getattr(cycle, "response_started", None) is not True
    ):
        return None
    transport: Any = cycle.transport

    def write(body: bytes) -> bool:
        # Over the high-water mark (a slow consumer), gone, or ended: say no. The stream's
        # task then sends through uvicorn, which waits for the buffer to drain without
        # holding up the hub or any other stream, or notices the end.
        if flow.write_paused or cycle.disconnected or cycle.response_complete or transport.is_closing():
            return False
        transport.write(b"%x\r\n%b\r\n" % (len(body), body))  # HTTP/1.1 chunk, as uvicorn frames it
        return True

    return write
