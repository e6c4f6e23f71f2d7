"""The logs of this process: :class:`RetainedEvents`, the in-memory index both the memory and
the file log keep (numbered events, their newest lines, the bounds, the subscriptions fed in
the commit step), and :class:`MemoryEventLog`, which keeps nothing else (tests, the demo).
Behaviour: :mod:`console.live.log`.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import time
from array import array
from collections import deque
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

from console.live.events import Event, utc_iso
from console.live.log_base import (
    DEFAULT_MAX_AGE,
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_EVENTS,
    LINE_OVERHEAD,
    REPLAY_BYTES,
    LogBounds,
    LogError,
    Subscription,
    call_safely,
    deliver,
)


class _LocalSubscription:
    """A subscription to a log of this process: registered at once, fed by each commit."""

    def __init__(self, log: RetainedEvents, after: int | None) -> None:
        self._log = log
        self._queue: deque[Sequence[Event]] = deque()
        self._wake = asyncio.Event()
        self._cursor = log.last_seq if after is None else after
        self._backlog = after is not None and after < log.last_seq
        self._ended = False
        self._callback: Callable[[list[Event]], None] | None = None
        self._task: asyncio.Task[None] | None = None
        log._subscriptions.add(self)

    def push(self, batch: Sequence[Event]) -> None:
        if self._callback is not None:  # called in the commit step
            fresh = [e for e in batch if e.seq > self._cursor]
            if fresh:
                self._cursor = fresh[-1].seq
                call_safely(self._callback, fresh)
            return
        self._queue.append(batch)
        self._wake.set()

    def deliver_to(self, callback: Callable[[list[Event]], None]) -> None:
        if self._backlog or self._queue:  # what came before goes through a task first
            self._task = asyncio.ensure_future(deliver(self, callback))
        else:
            self._callback = callback

    def end(self) -> None:
        self._ended = True
        self._log._subscriptions.discard(self)
        self._wake.set()

    def __aiter__(self) -> _LocalSubscription:
        return self

    async def __anext__(self) -> list[Event]:
        while self._backlog:
            batch = await self._log.read_since(self._cursor)
            if not batch:
                self._backlog = False
                break
            self._cursor = batch[-1].seq
            return batch
        while True:
            while self._queue:
                batch = [e for e in self._queue.popleft() if e.seq > self._cursor]
                if batch:
                    self._cursor = batch[-1].seq
                    return batch
            if self._ended:
                raise StopAsyncIteration
            self._wake.clear()
            await self._wake.wait()

    async def aclose(self) -> None:
        self._queue.clear()
        self._callback = None
        self.end()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


class RetainedEvents:
    """The in-memory index shared by both logs: kept events, the newest as JSON lines.

    Index ``i`` (``_head <= i < len``) is a kept event; its line is in memory from
    ``_cached`` on, and ``None`` before (the file has it: FileEventLog reads it back).
    """

    def __init__(
        self,
        *,
        max_events: int,
        max_age_seconds: float,
        max_bytes: int,
        clock: Callable[[], float],
    ) -> None:
        if max_events < 1:
            raise ValueError("max_events must be at least 1")
        if max_age_seconds <= 0:
            raise ValueError("max_age_seconds must be positive")
        if max_bytes < 1:
            raise ValueError("max_bytes must be at least 1")
        self.max_events = max_events
        self.max_age_seconds = max_age_seconds
        self.max_bytes = max_bytes
        self._clock = clock
        self._seqs = array("q")
        self._times = array("d")
        self._lines: list[str | None] = []
        self._head = 0
        self._cached = 0
        self._cached_bytes = 0
        self._last_seq = 0
        self._subscriptions: set[_LocalSubscription] = set()
        self._ended = asyncio.Event()

    # -- interface helpers

    @property
    def last_seq(self) -> int:
        return self._last_seq

    @property
    def oldest_seq(self) -> int:
        if self._head < len(self._seqs):
            return self._seqs[self._head]
        return self._last_seq + 1

    @property
    def memory_bytes(self) -> int:
        """What the kept lines in memory cost (bounded by ``max_bytes``)."""
        return self._cached_bytes

    def __len__(self) -> int:
        return len(self._seqs) - self._head

    async def bounds(self) -> LogBounds:
        return LogBounds(self.oldest_seq, self._last_seq)

    def subscribe(self, after: int | None = None) -> Subscription:
        return _LocalSubscription(self, after)

    async def publish_transient(self, text: str) -> None:
        return None  # one process owns this log: there is no other relay to tell

    async def transients(self) -> AsyncIterator[str]:
        await self._ended.wait()
        return
        yield  # an async generator that yields nothing

    def _end_subscriptions(self) -> None:
        """The log closed: every subscription ends after what it has queued."""
        for subscription in list(self._subscriptions):
            subscription.end()
        self._ended.set()

    async def read_since(self, seq: int, limit: int = 1000) -> list[Event]:
        return self._read_memory(seq, limit)

    async def read_frames_since(
        self, seq: int, limit: int = 1000, max_bytes: int = REPLAY_BYTES
    ) -> list[tuple[int, str]]:
        return self._frames_in_memory(seq, limit, max_bytes)

    def _index_after(self, seq: int) -> int:
        return bisect.bisect_right(self._seqs, seq, lo=self._head)

    def _read_memory(self, seq: int, limit: int) -> list[Event]:
        """Kept events after ``seq`` whose lines are in memory (from ``_cached`` on)."""
        start = max(self._index_after(seq), self._cached)
        lines = self._lines[start : start + max(0, limit)]
        return [Event.from_json(line) for line in lines if line is not None]

    def _frames_in_memory(self, seq: int, limit: int, max_bytes: int) -> list[tuple[int, str]]:
        start = max(self._index_after(seq), self._cached)
        out: list[tuple[int, str]] = []
        size = 0
        seqs, lines = self._seqs, self._lines
        for index in range(start, min(start + max(0, limit), len(lines))):
            line = lines[index]
            if line is None or (out and size + len(line) > max_bytes):
                break
            out.append((seqs[index], line))
            size += len(line)
        return out

    # -- mutation

    def _retain(self, events: Sequence[Event], times: Sequence[float]) -> None:
        """Make committed events visible and queue them on every subscription, in one step."""
        added = 0
        for event, moment in zip(events, times, strict=True):
            line = event.frame_json
            self._seqs.append(event.seq)
            self._times.append(moment)
            self._lines.append(line)
            added += len(line) + LINE_OVERHEAD
        self._cached_bytes += added
        if events:
            self._last_seq = max(self._last_seq, events[-1].seq)
        self._evict()
        if events:
            for subscription in self._subscriptions:
                subscription.push(events)

    def _evict(self) -> None:
        """Let go of the oldest lines in memory beyond ``max_bytes`` (the newest stays)."""
        lines = self._lines
        last = len(lines) - 1
        while self._cached_bytes > self.max_bytes and self._cached < last:
            line = lines[self._cached]
            if line is not None:
                self._cached_bytes -= len(line) + LINE_OVERHEAD
                lines[self._cached] = None
            self._cached += 1
        self._evicted()

    def _evicted(self) -> None:
        """After lines left memory: the memory log forgets those events altogether."""
        self._head = max(self._head, self._cached)

    def _drop_expired(self) -> int:
        """Drop events over the count or age bound; return how many."""
        end = len(self._seqs)
        head = max(self._head, end - self.max_events)
        cutoff = self._clock() - self.max_age_seconds
        while head < end and self._times[head] < cutoff:
            head += 1
        dropped = head - self._head
        self._head = head
        while self._cached < head:  # dropped lines still in memory
            line = self._lines[self._cached]
            if line is not None:
                self._cached_bytes -= len(line) + LINE_OVERHEAD
                self._lines[self._cached] = None
            self._cached += 1
        if self._head > 4096 and self._head * 2 > end:
            self._forget_prefix(self._head)
        return dropped

    def _forget_prefix(self, count: int) -> None:
        """Delete the first ``count`` index entries (all dropped) from the arrays."""
        del self._seqs[:count]
        del self._times[:count]
        del self._lines[:count]
        self._head -= count
        self._cached -= count


class MemoryEventLog(RetainedEvents):
    """An EventLog kept in memory only: for tests and the demo sandbox."""

    def __init__(
        self,
        *,
        max_events: int = DEFAULT_MAX_EVENTS,
        max_age_seconds: float = DEFAULT_MAX_AGE,
        max_bytes: int = DEFAULT_MAX_BYTES,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(
            max_events=max_events, max_age_seconds=max_age_seconds, max_bytes=max_bytes, clock=clock
        )

    async def open(self) -> None:
        self._ended.clear()

    async def close(self) -> None:
        self._end_subscriptions()

    async def append(self, namespace: str, event_type: str, payload: dict[str, Any]) -> Event:
        moment = self._clock()
        event = Event(self._last_seq + 1, utc_iso(moment), namespace, event_type, payload)
        try:
            _ = event.frame_json  # encode now: fails here, before the seq is used, if it can't
        except (TypeError, ValueError) as error:
            raise LogError(f"event cannot be encoded as JSON: {error}") from error
        self._retain([event], [moment])
        self._drop_expired()
        return event

    async def trim(self) -> int:
        return self._drop_expired()
