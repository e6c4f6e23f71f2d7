"""One heap of timed callbacks on the server's event loop.

A 10,000-message batch schedules 20,000 receipts; they live here as heap entries, not as
asyncio tasks. One loop timer is armed for the earliest entry; due entries are fired in
chunks so that a burst never blocks request handling for long.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

CHUNK = 500


class Timeline:
    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Callable[..., Any], tuple[Any, ...]]] = []
        self._seq = itertools.count()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._time: Callable[[], float] | None = None
        self._handle: asyncio.TimerHandle | asyncio.Handle | None = None
        self._armed_at: float | None = None
        self._closed = False

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._time = loop.time
        self._arm()

    def close(self) -> None:
        self._closed = True
        if self._handle is not None:
            self._handle.cancel()
        self._heap.clear()

    def __len__(self) -> int:
        return len(self._heap)

    def now(self) -> float:
        assert self._time is not None, "timeline not started"
        return self._time()

    def call_later(self, delay: float, fn: Callable[..., Any], *args: Any) -> None:
        """Run ``fn(*args)`` on the loop after ``delay`` seconds (must be called on the loop)."""
        if self._closed:
            return
        when = self.now() + max(0.0, delay)
        heapq.heappush(self._heap, (when, next(self._seq), fn, args))
        if self._armed_at is None or when < self._armed_at:
            self._arm()

    def _arm(self) -> None:
        if self._loop is None or self._closed:
            return
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
            self._armed_at = None
        if self._heap:
            when = self._heap[0][0]
            self._armed_at = when
            self._handle = self._loop.call_at(when, self._fire)

    def _fire(self) -> None:
        self._handle = None
        self._armed_at = None
        if self._closed or self._loop is None:
            return
        now = self._loop.time()
        fired = 0
        while self._heap and self._heap[0][0] <= now and fired < CHUNK:
            _, _, fn, args = heapq.heappop(self._heap)
            fired += 1
            try:
                fn(*args)
            except Exception:
                log.exception("sandbox timeline callback failed")
        if self._handle is not None:  # a callback armed a timer meanwhile: re-decide below
            self._handle.cancel()
            self._handle = None
            self._armed_at = None
        if self._heap and self._heap[0][0] <= now:
            # more are due: yield to the loop (requests, webhooks) before the next chunk
            self._armed_at = now
            self._handle = self._loop.call_soon(self._fire)
        else:
            self._arm()
