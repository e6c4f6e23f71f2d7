"""Receipts per second over the last minutes: whole-second buckets, bounded (pure)."""

from __future__ import annotations

import math
from collections import deque

WINDOW_SECONDS = 600  # ten minutes of history for the sparkline


class ReceiptRate:
    """Counts added at a time fall into that whole second; seconds with nothing count zero.

    Memory is bounded by `window` buckets whatever the rate. Times may go backwards a little
    (another thread's clock reading): such counts join the newest bucket.
    """

    def __init__(self, window: int = WINDOW_SECONDS) -> None:
        if window < 1:
            raise ValueError("window must be at least one second")
        self.window = window
        self._buckets: deque[list[int]] = deque()  # [second, count], oldest first
        self.total = 0

    def add(self, count: int, now: float) -> None:
        if count <= 0:
            return
        self.total += count
        second = math.floor(now)
        buckets = self._buckets
        if buckets and buckets[-1][0] >= second:
            buckets[-1][1] += count
        else:
            buckets.append([second, count])
        while buckets and buckets[0][0] <= second - self.window:
            buckets.popleft()

    def per_second(self, now: float, seconds: int) -> list[int]:
        """The counts of the last `seconds` whole seconds before `now`'s, oldest first (the
        second under way is left out: it is not over)."""
        seconds = max(0, min(seconds, self.window))
        end = math.floor(now)  # exclusive: the second under way
        start = end - seconds
        values = [0] * seconds
        for second, count in reversed(self._buckets):
            if second >= end:
                continue
            if second < start:
                break
            values[second - start] = count
        return values

    def last_second(self, now: float) -> int:
        """Receipts in the last whole second."""
        values = self.per_second(now, 1)
        return values[0] if values else 0

    def peak(self, now: float, seconds: int) -> int:
        return max(self.per_second(now, seconds), default=0)
