"""A client-side request limiter that spaces request starts evenly, a little under the rate.

One `RateLimiter` is shared by every call of a `CpaasClient`, so concurrent sends together
stay under 8x8's documented 1,800 requests/s per sub-account.

Why evenly spaced, and why a margin: 8x8 (and the sandbox) count requests as they *arrive*.
A client that sends exactly `rate` requests at once and `rate` more one second later is over
the limit as soon as network jitter delays one of the first burst: the server then sees
more than `rate` within one second. Spacing starts `(1 + margin) / rate` apart leaves every
request `margin` seconds of slack against the one `rate` places before it (20 ms at the
default 2 %), and bursts no more than the server would accept.

Each `acquire()` reserves its start time before it sleeps (no re-check loop), so the limiter
is fair (first come, first served), safe on one event loop without a lock, and testable with
a fake clock and a fake sleep. `defer()` holds every caller back, used when the server
answers 429 with Retry-After: the whole client waits, not just the request that was refused.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[object]]

MARGIN = 0.02  # stay 2 % under the rate: room for network jitter


class RateLimiter:
    """Request starts at least `(1 + margin) / rate` seconds apart."""

    def __init__(
        self,
        rate: float,
        *,
        margin: float = MARGIN,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if not rate > 0 or math.isinf(rate):
            raise ValueError(f"rate must be a positive number of requests per second, not {rate}")
        if not 0 <= margin < 1:
            raise ValueError("margin must be from 0 to 1")
        self.rate = rate
        self.interval = (1 + margin) / rate
        self._clock = clock
        self._sleep = sleep
        self._next = -math.inf  # earliest start for the next request
        self._hold_until = -math.inf

    def reserve(self) -> float:
        """Reserve the next start time and return how long the caller must wait for it."""
        now = self._clock()
        start = max(now, self._next, self._hold_until)
        self._next = start + self.interval
        return start - now

    async def acquire(self) -> None:
        """Wait until this request may start."""
        wait = self.reserve()
        if wait > 0:
            await self._sleep(wait)

    def defer(self, seconds: float) -> None:
        """Let no request start for `seconds` from now (e.g. the server's Retry-After)."""
        self._hold_until = max(self._hold_until, self._clock() + seconds)
