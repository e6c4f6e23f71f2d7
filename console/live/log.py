"""The relay's replay log: numbered events, bounded by count and age, behind a small interface.

:class:`EventLog` is the interface the relay uses. Two implementations live here; the third,
:class:`console.live.redis_log.RedisEventLog`, puts the log on Redis Streams so several relays
serve one team:

- :class:`FileEventLog`: survives restarts. An append-only JSON-lines file, one event frame per
  line, preceded by a ``{"meta": {...}}`` header line that remembers the numbering base (so
  ``seq`` never goes backwards, even when every event has aged out).

  *Durability*: ``append`` returns only after the event is written **and fsynced**. Appends are
  group-committed: while one write+fsync runs (in a worker thread), new appends queue up and
  are written together by the next one, so 2,000 events/s cost a few hundred fsyncs/s at most.
  The relay acknowledges a webhook only after ``append`` returns.

  *Crash safety*: a torn last line (crash mid-write: it was never acknowledged) is cut off at
  the next open. A corrupt line in the middle is dropped after the original file is copied
  aside to ``<name>.corrupt-<time>``. Compaction writes a temp file, fsyncs it and
  ``os.replace``-s the log, so a crash leaves either the old or the new file.

  *Bounds*: events beyond ``max_events`` or older than ``max_age_seconds`` are dropped from
  memory at once (on every commit and on ``trim()``), and from the file by compaction once
  the dropped lines exceed a quarter of the bound, so the file holds at most ~1.25x
  ``max_events`` lines; ``compact()`` forces it. Events too old are also dropped at open.

  *Memory*: only the newest events' text is kept in memory, up to ``max_bytes`` (each line
  counted with ``LINE_OVERHEAD``); older kept events are read back from the file when a
  replay asks for them, so 100,000 events of 60 KB cost ``max_bytes``, not 6 GB. The index
  of every kept event (seq, time, file offset) costs 24 bytes each.

  One process per file: an advisory lock (``<name>.lock``) refuses a second relay.

  *Privacy*: the events hold customers' numbers and messages, so every file the log writes
  (the log, its lock, compaction temp files, copies of a corrupt log) is 0600 and a folder it
  creates is 0700, as the history's are; an existing log or lock is tightened to 0600.

- :class:`MemoryEventLog`: the same behaviour without a file (tests, demos); there
  ``max_bytes`` bounds what is kept at all: the oldest events beyond it are dropped.

Sequence numbers are positive, strictly increasing, and assigned at commit time, so a failed
write never leaves a hole.

*Subscriptions* (both logs): a subscription is registered when ``subscribe()`` returns and every
commit queues its batch on every subscription in the same step that makes it visible to
``read_since`` and before the appends return, so a reader that subscribes first and then reads
the backlog misses nothing. Its queue is unbounded: iterate it, or ``aclose()`` it.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import json
import logging
import os
import shutil
import time
from array import array
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, NamedTuple, Protocol, runtime_checkable

from console.live.events import Event, FrameError, parse_iso, utc_iso

logger = logging.getLogger(__name__)

DEFAULT_MAX_EVENTS = 100_000
DEFAULT_MAX_BYTES = 64 * 1024 * 1024
REPLAY_BYTES = 1024 * 1024  # text one replay step reads (a relay replays to many consoles)
LINE_OVERHEAD = 80  # what a kept line costs beyond its characters: str header, list slot
DEFAULT_MAX_AGE = 7 * 86400.0
LOG_FORMAT = "agent-console-relay-log"
PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700
LOG_VERSION = 1


class LogError(RuntimeError):
    """The log could not store or load events; the message says why."""


class LogBounds(NamedTuple):
    """What a log holds: ``oldest_seq`` (``last_seq + 1`` when it keeps nothing) and
    ``last_seq``, the highest seq ever committed (0 for a new log; never decreases)."""

    oldest_seq: int
    last_seq: int


@runtime_checkable
class Subscription(Protocol):
    """Committed events as they come: an async iterator of non-empty batches in seq order.

    It ends (``StopAsyncIteration``) when the log closes; ``aclose()`` ends it sooner.
    """

    def __aiter__(self) -> AsyncIterator[list[Event]]: ...

    async def __anext__(self) -> list[Event]: ...

    def deliver_to(self, callback: Callable[[list[Event]], None]) -> None:
        """Instead of being iterated: hand every batch to ``callback`` as it comes, until
        ``aclose()`` or the log closes. A log of this process calls it in the commit step
        itself (no task hop between a commit and the relay's fan-out); a shared log calls it
        from its reading task. An exception in ``callback`` is logged, never raised."""
        ...

    async def aclose(self) -> None: ...


def call_safely(callback: Callable[[list[Event]], None], batch: list[Event]) -> None:
    """``callback(batch)``; a failure is logged: it must not break a commit or a reader."""
    try:
        callback(batch)
    except Exception:
        logger.exception("event log subscriber failed")


async def deliver(subscription: Subscription, callback: Callable[[list[Event]], None]) -> None:
    """Iterate ``subscription`` and hand each batch to ``callback`` (``deliver_to``'s task)."""
    async for batch in subscription:
        call_safely(callback, batch)


@runtime_checkable
class EventLog(Protocol):
    """What the relay needs from a replay log (memory, file, or Redis Streams).

    - ``append`` numbers one event and returns once it is stored (durable for the file log;
      acknowledged by Redis for Redis): seqs are positive, gapless and strictly increasing
      in commit order; a failed append raises and uses no seq.
    - ``read_since(seq, limit)``: up to ``limit`` kept events with seq > ``seq``, in order;
      ``read_frames_since`` the same as (seq, frame JSON) pairs, bounded in bytes too.
    - ``bounds()``: the :class:`LogBounds` now.
    - ``subscribe(after)``: every event with seq > ``after`` (default: the last seq when the
      subscription starts), in order, then every later commit, as batches; a reader that
      subscribes, then reads ``bounds()`` and the backlog, misses nothing.
    - ``trim()``: apply the count and age bounds now; returns how many events were dropped.
    - ``publish_transient(text)`` hands a frame that is neither numbered nor kept (presence)
      to the *other* relays sharing the log, whose ``transients()`` yield it; a log that one
      process owns has no others, and its ``transients()`` only ends when the log closes.
    """

    async def open(self) -> None: ...

    async def close(self) -> None: ...

    async def append(self, namespace: str, event_type: str, payload: dict[str, Any]) -> Event:
        """Number and store one event; returns once it is stored."""
        ...

    async def read_since(self, seq: int, limit: int = 1000) -> list[Event]:
        """Up to ``limit`` kept events with seq > ``seq``, in order."""
        ...

    async def read_frames_since(
        self, seq: int, limit: int = 1000, max_bytes: int = REPLAY_BYTES
    ) -> list[tuple[int, str]]:
        """``read_since`` as (seq, frame JSON) pairs, unparsed, for sending on as they are:
        up to ``limit`` events and about ``max_bytes`` of text (at least one event); fewer
        does not mean the end (ask again after the last seq)."""
        ...

    async def bounds(self) -> LogBounds:
        """The oldest kept seq and the last committed seq, now."""
        ...

    def subscribe(self, after: int | None = None) -> Subscription:
        """Committed events after ``after`` (default: from now on), as batches."""
        ...

    async def trim(self) -> int:
        """Apply the count and age bounds now; return how many events were dropped."""
        ...

    async def publish_transient(self, text: str) -> None:
        """Hand a frame that is never numbered nor kept to the other relays on this log."""
        ...

    def transients(self) -> AsyncIterator[str]:
        """Frames the other relays published, as they come (ends when the log closes)."""
        ...


class _LocalSubscription:
    """A subscription to a log of this process: registered at once, fed by each commit."""

    def __init__(self, log: _RetainedEvents, after: int | None) -> None:
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


class _RetainedEvents:
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


class MemoryEventLog(_RetainedEvents):
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


@dataclass
class PendingAppend:
    """An append waiting for its group's commit; ``future`` gets the numbered event."""

    namespace: str
    event_type: str
    payload: dict[str, Any]
    moment: float
    future: asyncio.Future[Event]


class GroupCommit:
    """Group commit for a log that stores on disk or over the network: while one commit runs,
    new appends queue up, and the next commit takes them together (at most ``max_group``),
    in arrival order. ``commit`` settles every future of its group; if it raises (a bug), the
    group fails with a LogError and the queue goes on. ``after`` runs after each commit."""

    def __init__(
        self,
        commit: Callable[[list[PendingAppend]], Awaitable[None]],
        *,
        name: str,
        max_group: int = 0,
        after: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self._commit = commit
        self._name = name
        self._max_group = max_group
        self._after = after
        self._pending: list[PendingAppend] = []
        self._task: asyncio.Task[None] | None = None

    async def append(
        self, namespace: str, event_type: str, payload: dict[str, Any], moment: float
    ) -> Event:
        loop = asyncio.get_running_loop()
        item = PendingAppend(namespace, event_type, payload, moment, loop.create_future())
        self._pending.append(item)
        if self._task is None or self._task.done():
            self._task = loop.create_task(self._run(), name=self._name)
        return await item.future

    async def drain(self) -> None:
        """Wait until every queued append is settled."""
        while self._task is not None and not self._task.done():
            await asyncio.shield(self._task)

    async def _run(self) -> None:
        while self._pending:
            size = self._max_group or len(self._pending)
            group, self._pending = self._pending[:size], self._pending[size:]
            try:
                await self._commit(group)
            except Exception as error:  # a bug, not I/O (commit handles that): fail, go on
                logger.exception("%s: commit failed", self._name)
                for item in group:
                    fail_pending(item.future, LogError(f"could not store the event: {error}"))
            if self._after is not None:
                await self._after()


@dataclass
class _Loaded:
    """What ``_load`` found on disk."""

    base_seq: int
    events: list[tuple[int, float, str, int]]  # seq, time, line, offset in the file
    size: int
    needs_rewrite: bool


class FileEventLog(_RetainedEvents):
    """An EventLog in an fsynced, append-only JSON-lines file that survives restarts."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        max_events: int = DEFAULT_MAX_EVENTS,
        max_age_seconds: float = DEFAULT_MAX_AGE,
        max_bytes: int = DEFAULT_MAX_BYTES,
        fsync: bool = True,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(
            max_events=max_events, max_age_seconds=max_age_seconds, max_bytes=max_bytes, clock=clock
        )
        self.path = Path(path)
        self._offsets = array("q")  # where each indexed event's line starts in the file
        self._fsync = fsync
        self._fd: int | None = None
        self._lock_file: IO[bytes] | None = None
        self._size = 0
        self._dead_lines = 0
        self._queue = GroupCommit(
            self._commit_locked, name="event-log-flush", after=self._compact_if_due
        )
        self._write_lock = asyncio.Lock()
        self._closed = True

    # -- lifecycle

    async def open(self) -> None:
        """Load the file (creating it if needed), recover from a crash, apply the bounds."""
        if not self._closed:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR)
        self._lock_file = _acquire_lock(self.path.with_name(self.path.name + ".lock"))
        try:
            loaded = await asyncio.to_thread(self._load)
        except BaseException:
            _release_lock(self._lock_file)
            self._lock_file = None
            raise
        self._last_seq = loaded.base_seq
        for seq, moment, line, offset in loaded.events:
            self._seqs.append(seq)
            self._times.append(moment)
            self._lines.append(line)
            self._offsets.append(offset)
            self._cached_bytes += len(line) + LINE_OVERHEAD
            self._last_seq = max(self._last_seq, seq)
        self._size = loaded.size
        self._dead_lines = 0
        self._fd = _open_private(self.path, os.O_WRONLY | os.O_APPEND)
        self._closed = False
        self._ended.clear()
        dropped = self._drop_expired()
        if loaded.needs_rewrite or dropped:  # every kept line is still in memory here
            async with self._write_lock:
                await self._rewrite_from_memory()
        self._evict()

    async def _rewrite_from_memory(self) -> None:
        base_seq = self.oldest_seq - 1
        lines = [line for line in self._lines[self._head :] if line is not None]
        assert len(lines) == len(self), "a line left memory before the rewrite"
        header = _meta_line(base_seq) + "\n"
        size = await asyncio.to_thread(self._replace_with_lines, header, lines)
        offset = len(header.encode("utf-8"))
        offsets = array("q", [0] * self._head)
        for line in lines:
            offsets.append(offset)
            offset += len(line.encode("utf-8")) + 1
        self._offsets = offsets
        self._size = size
        self._dead_lines = 0

    async def close(self) -> None:
        """Finish pending appends, then close the file and release the lock."""
        if self._closed:
            return
        self._closed = True  # refuse new appends; the pending ones are still written
        await self._queue.drain()
        async with self._write_lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None
        if self._lock_file is not None:
            _release_lock(self._lock_file)
            self._lock_file = None
        self._end_subscriptions()

    # -- EventLog

    async def read_since(self, seq: int, limit: int = 1000) -> list[Event]:
        """Kept events after ``seq``: from memory, or from the file for older ones (then
        at most the events up to the first one in memory; the caller asks again)."""
        if limit <= 0 or self._index_after(seq) >= self._cached:
            return self._read_memory(seq, limit)
        async with self._write_lock:  # no compaction moves the lines while we read them
            start = self._index_after(seq)
            end = min(start + limit, self._cached)
            if start >= end or self._closed:
                return self._read_memory(seq, limit)
            first = self._offsets[start]
            last = self._offsets[end] if end < len(self._offsets) else self._size
            data = await asyncio.to_thread(self._read_range, first, last)
        return [Event.from_json(line) for line in data.split(b"\n") if line.strip()]

    async def read_frames_since(
        self, seq: int, limit: int = 1000, max_bytes: int = REPLAY_BYTES
    ) -> list[tuple[int, str]]:
        if limit <= 0 or self._index_after(seq) >= self._cached:
            return self._frames_in_memory(seq, limit, max_bytes)
        async with self._write_lock:
            start = self._index_after(seq)
            end = min(start + limit, self._cached)
            if start >= end or self._closed:
                return self._frames_in_memory(seq, limit, max_bytes)
            first = self._offsets[start]
            # the lines that end within max_bytes (at least one): [start, k) ends at offsets[k]
            fits = bisect.bisect_right(self._offsets, first + max_bytes, start, end) - 1
            end = max(start + 1, fits)
            last = self._offsets[end] if end < len(self._offsets) else self._size
            seqs = self._seqs[start:end].tolist()
            data = await asyncio.to_thread(self._read_range, first, last)
        lines = [line.decode("utf-8") for line in data.split(b"\n") if line.strip()]
        if len(lines) != len(seqs):  # not one line per indexed event: read them properly
            return [(event.seq, event.frame_json) for event in map(Event.from_json, lines)]
        return list(zip(seqs, lines, strict=True))

    def _forget_prefix(self, count: int) -> None:
        super()._forget_prefix(count)
        del self._offsets[:count]

    def _evicted(self) -> None:
        return None  # the file keeps them: read back by read_since

    async def append(self, namespace: str, event_type: str, payload: dict[str, Any]) -> Event:
        if self._closed:
            raise LogError("the event log is not open")
        return await self._queue.append(namespace, event_type, payload, self._clock())

    async def trim(self) -> int:
        """Apply the bounds now; compact the file once enough dropped lines accumulated."""
        if self._closed:
            return 0
        dropped = self._drop_expired()
        self._dead_lines += dropped
        if self._dead_lines > self._compact_threshold:
            await self.compact()
        return dropped

    async def compact(self) -> None:
        """Rewrite the file with only the kept events (temp file, fsync, atomic replace)."""
        if self._closed:
            return
        async with self._write_lock:
            await self._rewrite()

    @property
    def _compact_threshold(self) -> int:
        return max(1, self.max_events // 4)

    @property
    def file_size(self) -> int:
        return self._size

    # -- group commit

    async def _commit_locked(self, batch: list[PendingAppend]) -> None:
        async with self._write_lock:
            await self._commit(batch)

    async def _compact_if_due(self) -> None:
        if self._dead_lines > self._compact_threshold:
            try:
                await self.compact()
            except Exception:  # the old file is intact; try again later
                logger.exception("event log compaction failed")

    async def _commit(self, batch: list[PendingAppend]) -> None:
        events: list[Event] = []
        times: list[float] = []
        waiting: list[PendingAppend] = []
        seq = self._last_seq
        for item in batch:
            candidate = Event(
                seq + 1, utc_iso(item.moment), item.namespace, item.event_type, item.payload
            )
            try:
                _ = candidate.frame_json
            except (TypeError, ValueError) as error:
                fail_pending(item.future, LogError(f"event cannot be encoded as JSON: {error}"))
                continue
            seq += 1
            events.append(candidate)
            times.append(item.moment)
            waiting.append(item)
        if not events:
            return
        encoded = [event.frame_json.encode("utf-8") for event in events]
        data = b"\n".join(encoded) + b"\n"
        try:
            await asyncio.to_thread(self._write, data)
        except Exception as error:
            logger.exception("event log write failed")
            with contextlib.suppress(Exception):
                await asyncio.to_thread(self._truncate, self._size)
            for item in waiting:
                fail_pending(item.future, LogError(f"could not store the event: {error}"))
            return
        offset = self._size
        for line in encoded:
            self._offsets.append(offset)
            offset += len(line) + 1
        self._size += len(data)
        self._retain(events, times)
        for item, event in zip(waiting, events, strict=True):
            if not item.future.done():
                item.future.set_result(event)
        self._dead_lines += self._drop_expired()

    # -- file work (runs in a worker thread)

    def _write(self, data: bytes) -> None:
        if self._fd is None:
            raise LogError("the event log is closed")
        view = memoryview(data)
        while view:
            written = os.write(self._fd, view)
            view = view[written:]
        if self._fsync:
            os.fsync(self._fd)

    def _truncate(self, size: int) -> None:
        if self._fd is not None:
            os.ftruncate(self._fd, size)

    async def _rewrite(self) -> None:
        """Compact: copy the kept events' lines (one stretch at the end of the file) after a
        new header to a temp file, fsync, and replace the log. Runs under the write lock."""
        base_seq = self.oldest_seq - 1
        head = self._head
        start = self._offsets[head] if head < len(self._offsets) else self._size
        header = (_meta_line(base_seq) + "\n").encode("utf-8")
        size = await asyncio.to_thread(self._replace_with_tail, header, start)
        shift = len(header) - start
        self._offsets = array("q", [offset + shift for offset in self._offsets])
        self._size = size
        self._dead_lines = 0

    def _read_range(self, first: int, last: int) -> bytes:
        with open(self.path, "rb") as handle:
            handle.seek(first)
            return handle.read(last - first)

    def _replace_with_tail(self, header: bytes, start: int) -> int:
        temp = self.path.with_name(self.path.name + ".tmp")
        fd = _open_private(temp, os.O_WRONLY | os.O_TRUNC)
        with os.fdopen(fd, "wb") as out, open(self.path, "rb") as source:
            out.write(header)
            source.seek(start)
            shutil.copyfileobj(source, out, 1 << 20)
            out.flush()
            os.fsync(out.fileno())
            size = out.tell()
        self._swap_in(temp)
        return size

    def _replace_with_lines(self, header: str, lines: list[str]) -> int:
        temp = self.path.with_name(self.path.name + ".tmp")
        data = (header + "".join(line + "\n" for line in lines)).encode("utf-8")
        _write_private(temp, data)
        self._swap_in(temp)
        return len(data)

    def _swap_in(self, temp: Path) -> None:
        os.replace(temp, self.path)
        _fsync_dir(self.path.parent)
        if self._fd is not None:
            os.close(self._fd)
        self._fd = _open_private(self.path, os.O_WRONLY | os.O_APPEND)

    def _load(self) -> _Loaded:
        if not self.path.exists():
            data = (_meta_line(0) + "\n").encode("utf-8")
            _write_private(self.path, data)
            _fsync_dir(self.path.parent)
            return _Loaded(base_seq=0, events=[], size=len(data), needs_rewrite=False)

        raw = self.path.read_bytes()
        base_seq = 0
        events: list[tuple[int, float, str, int]] = []
        good_end = 0  # byte offset just after the last line that parsed
        bad_before_good = False
        bad_since_good = 0
        last_seq = 0
        position = 0
        for chunk in raw.split(b"\n"):
            begin = position
            end = position + len(chunk) + 1
            complete = end <= len(raw)  # the final chunk has no newline: torn
            position = end
            if not chunk.strip():
                if complete:
                    good_end = end if bad_since_good == 0 else good_end
                continue
            parsed = _parse_line(chunk) if complete else None
            if parsed is None:
                bad_since_good += 1
                continue
            if isinstance(parsed, int):  # a meta line
                base_seq = max(base_seq, parsed)
                last_seq = max(last_seq, parsed)
            else:
                seq = parsed[0]
                if seq <= last_seq:
                    bad_since_good += 1
                    continue
                events.append((*parsed, begin))
                last_seq = seq
            if bad_since_good:
                bad_before_good = True
                bad_since_good = 0
            good_end = end

        needs_rewrite = False
        if bad_before_good:
            aside = self.path.with_name(f"{self.path.name}.corrupt-{int(time.time())}")
            _write_private(aside, raw)
            logger.warning(
                "%s: corrupt lines dropped; the original file was copied to %s", self.path, aside
            )
            needs_rewrite = True
        if good_end < len(raw):
            logger.warning(
                "%s: cut %d bytes of an unfinished write (crash?)", self.path, len(raw) - good_end
            )
            with open(self.path, "r+b") as handle:
                handle.truncate(good_end)
                handle.flush()
                os.fsync(handle.fileno())
        return _Loaded(base_seq=base_seq, events=events, size=good_end, needs_rewrite=needs_rewrite)


# ----------------------------------------------------------------------------- helpers


def _parse_line(chunk: bytes) -> int | tuple[int, float, str] | None:
    """A meta line's base seq, an event line's (seq, time, text), or None when invalid."""
    try:
        decoded = json.loads(chunk)
    except (ValueError, RecursionError):
        return None
    if isinstance(decoded, dict) and "meta" in decoded:
        meta = decoded["meta"]
        if isinstance(meta, dict) and isinstance(meta.get("baseSeq"), int):
            return int(meta["baseSeq"])
        return None
    try:
        event = Event.from_frame(decoded)
    except FrameError:
        return None
    moment = parse_iso(event.received_at)
    if moment is None:
        return None
    return event.seq, moment, chunk.decode("utf-8").strip()


def _meta_line(base_seq: int) -> str:
    meta = {"format": LOG_FORMAT, "version": LOG_VERSION, "baseSeq": base_seq}
    return json.dumps({"meta": meta}, separators=(",", ":"))


def fail_pending(future: asyncio.Future[Event], error: Exception) -> None:
    """Settle an append's future with ``error`` (unless it is settled already)."""
    if not future.done():
        future.set_exception(error)


def _fsync_dir(directory: Path) -> None:
    """Make a rename or a new file durable (POSIX); a no-op where directories can't be opened."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _open_private(path: Path, flags: int) -> int:
    """``os.open`` for a file only its owner may read: created 0600, an older one tightened."""
    fd = os.open(path, flags | os.O_CREAT | getattr(os, "O_BINARY", 0), PRIVATE_FILE)
    if hasattr(os, "fchmod"):
        with contextlib.suppress(OSError):  # not ours to change: leave it as it is
            os.fchmod(fd, PRIVATE_FILE)
    return fd


def _write_private(path: Path, data: bytes) -> None:
    """Write a whole private file (replacing its content) and fsync it."""
    fd = _open_private(path, os.O_WRONLY | os.O_TRUNC)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _acquire_lock(path: Path) -> IO[bytes]:
    handle = os.fdopen(_open_private(path, os.O_RDWR), "r+b")  # held for the log's lifetime
    try:
        import fcntl
    except ImportError:  # Windows: no advisory lock
        return handle
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as error:
        handle.close()
        raise LogError(
            f"{path.with_suffix('')} is already used by another relay process ({error})"
        ) from error
    return handle


def _release_lock(handle: IO[bytes]) -> None:
    try:
        import fcntl

        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    except (ImportError, OSError):
        pass
    handle.close()
