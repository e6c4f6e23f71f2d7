"""An exact sliding-window rate limiter: at most ``limit`` admissions in any window."""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable

MAX_KEYS = 10_000
KEPT_SECONDS = 120  # per-second admission counts kept for /sandbox/info


class SecondCounts:
    """Admitted and refused requests per whole second of the limiter's clock, the last
    ``KEPT_SECONDS`` seconds: what a load test reads to see the limit the server applied."""

    def __init__(self, keep: int = KEPT_SECONDS) -> None:
        self._keep = keep
        self._seconds: deque[list[int]] = deque()  # [second, admitted, refused]

    def add(self, now: float, admitted: bool) -> None:
        second = math.floor(now)
        if not self._seconds or self._seconds[-1][0] != second:
            self._seconds.append([second, 0, 0])
            while len(self._seconds) > self._keep:
                self._seconds.popleft()
        self._seconds[-1][1 if admitted else 2] += 1

    def as_list(self) -> list[dict[str, int]]:
        """Oldest first; seconds with no request are absent."""
        return [{"second": s, "admitted": a, "refused": r} for s, a, r in self._seconds]


class SlidingWindowLimiter:
    """Admits at most ``rate`` requests per second per key, measured over a sliding window.

    It keeps the admission times of the last window per key (a deque of at most ``capacity``
    floats), so over any stretch of time it admits the limit exactly, not the limit plus a
    burst as a token bucket would.
    """

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.window = 1.0 if rate >= 1 else 1.0 / rate
        self.capacity = max(1, round(rate * self.window))
        self._clock = clock
        self._hits: dict[str, deque[float]] = {}
        self.counts = SecondCounts()

    def acquire(self, key: str) -> float:
        """Admit one request: returns 0.0, or the seconds to wait before one would be admitted."""
        now = self._clock()
        hits = self._hits.get(key)
        if hits is None:
            if len(self._hits) >= MAX_KEYS:
                self._forget_idle(now)
            hits = self._hits[key] = deque()
        horizon = now - self.window
        while hits and hits[0] <= horizon:
            hits.popleft()
        if len(hits) < self.capacity:
            hits.append(now)
            self.counts.add(now, True)
            return 0.0
        self.counts.add(now, False)
        return max(hits[0] + self.window - now, 1e-3)

    def _forget_idle(self, now: float) -> None:
        """Drop keys (client IPs) with no admission inside the window: bounded memory."""
        horizon = now - self.window
        for key in [k for k, hits in self._hits.items() if not hits or hits[-1] <= horizon]:
            del self._hits[key]


def retry_after_seconds(wait: float) -> int:
    """The whole seconds for a Retry-After header: never 0."""
    return max(1, math.ceil(wait))
