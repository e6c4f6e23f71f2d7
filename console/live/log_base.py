"""What every event log shares: the :class:`EventLog` protocol the relay uses, its errors and
bounds, the subscription protocol, and the group commit of the logs that store on disk or
over the network (the file log and Redis). The behaviour is described in
:mod:`console.live.log`, which re-exports everything here.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol, runtime_checkable

from console.live.events import Event

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


@dataclass
class PendingAppend:
    """An append waiting for its group's commit; ``future`` gets the numbered event."""

    namespace: str
    event_type: str
    payload: dict[str, Any]
    moment: float
    future: asyncio.Future[Event]


class GroupCommit:
    """Group commit for a log that stores on disk or over the network: while a commit runs,
    new appends queue up, and the next commit takes them together (at most ``max_group``),
    in arrival order. ``commit`` settles every future of its group; if it raises (a bug), the
    group fails with a LogError and the queue goes on. ``after`` runs after each commit.

    ``pipeline`` commits may run at once (1: one after the other, as a file must be written).
    A log whose store numbers each group atomically on its own (Redis: one script per group)
    pipelines: a group does not wait for the round trip of the one before it, so one slow
    answer does not hold up every append behind it."""

    def __init__(
        self,
        commit: Callable[[list[PendingAppend]], Awaitable[None]],
        *,
        name: str,
        max_group: int = 0,
        after: Callable[[], Awaitable[None]] | None = None,
        pipeline: int = 1,
    ) -> None:
        self._commit = commit
        self._name = name
        self._max_group = max_group
        self._after = after
        self._pipeline = max(1, pipeline)
        self._pending: list[PendingAppend] = []
        self._tasks: set[asyncio.Task[None]] = set()

    async def append(
        self, namespace: str, event_type: str, payload: dict[str, Any], moment: float
    ) -> Event:
        loop = asyncio.get_running_loop()
        item = PendingAppend(namespace, event_type, payload, moment, loop.create_future())
        self._pending.append(item)
        # a task whose loop has ended is done at once (its callbacks run later): not counted
        # a task whose loop has ended is done at once (its callbacks run later): not counted
        if sum(not task.done() for task in self._tasks) < self._pipeline:
            task = loop.create_task(self._run(), name=self._name)
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return await item.future

    async def drain(self) -> None:
        """Wait until every queued append is settled."""
        while running := {task for task in self._tasks if not task.done()}:
            await asyncio.shield(asyncio.wait(running))

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


def fail_pending(future: asyncio.Future[Event], error: Exception) -> None:
    """Settle an append's future with ``error`` (unless it is settled already)."""
    if not future.done():
        future.set_exception(error)
