"""A circuit breaker per destination: stop hammering a receiver that is down.

After `threshold` consecutive failures the circuit opens for `cooldown` seconds; sends to
that destination are deferred (not attempted, not counted against the delivery's
attempts). Then one trial send goes through (half-open): success closes the circuit,
failure opens it again.
"""

from __future__ import annotations

import time
from dataclasses import dataclass


@dataclass
class _State:
    failures: int = 0
    open_until: float = 0.0


class CircuitBreaker:
    def __init__(self, threshold: int = 5, cooldown: float = 30.0) -> None:
        self.threshold = threshold
        self.cooldown = cooldown
        self._states: dict[str, _State] = {}

    def allow(self, destination: str, now: float | None = None) -> float | None:
        """None when a send may go; otherwise the monotonic time it may retry."""
        st = self._states.get(destination)
        if st is None or st.failures < self.threshold:
            return None
        now = time.monotonic() if now is None else now
        if now >= st.open_until:
            st.open_until = now + self.cooldown  # half-open: this one trial, others wait
            return None
        return st.open_until

    def success(self, destination: str) -> None:
        self._states.pop(destination, None)

    def failure(self, destination: str, now: float | None = None) -> None:
        st = self._states.setdefault(destination, _State())
        st.failures += 1
        if st.failures >= self.threshold:
            st.open_until = (time.monotonic() if now is None else now) + self.cooldown

    def state(self, destination: str) -> str:
        st = self._states.get(destination)
        if st is None or st.failures < self.threshold:
            return "closed"
        return "open" if time.monotonic() < st.open_until else "half-open"

    def snapshot(self) -> dict[str, str]:
        return {d: self.state(d) for d in self._states}
