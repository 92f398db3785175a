"""Reading `follow_batches` in tests: one item at a time, until a condition holds, with a timeout."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable

from warroom.events.log import Event
from warroom.events.stream import Keepalive, StreamItem


async def one_by_one(batches: AsyncIterator[list[StreamItem]]) -> AsyncIterator[StreamItem]:
    """The items of `follow_batches`, one at a time; closing this closes the stream."""
    try:
        async for batch in batches:
            for item in batch:
                yield item
    finally:
        await batches.aclose()  # type: ignore[attr-defined]


async def take(
    items: AsyncIterator[StreamItem],
    until: Callable[[list[StreamItem]], bool],
    *,
    timeout: float = 10.0,
) -> list[StreamItem]:
    """Read items (keep-alives dropped) until `until(items so far)`; fail after `timeout` seconds."""
    got: list[StreamItem] = []

    async def run() -> None:
        async for item in items:
            if isinstance(item, Keepalive):
                continue
            got.append(item)
            if until(got):
                return

    try:
        await asyncio.wait_for(run(), timeout)
    except TimeoutError:
        raise AssertionError(f"stream did not deliver in {timeout}s; got {got!r}") from None
    return got


async def wait_until(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    """Yield to the loop until `predicate()` holds (the hub catching up, say)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        await asyncio.sleep(0.005)


def events(items: list[StreamItem]) -> list[Event]:
    return [i for i in items if isinstance(i, Event)]


def n_messages(n: int) -> Callable[[list[StreamItem]], bool]:
    return lambda got: sum(1 for e in events(got) if e.kind == "message.published") >= n
