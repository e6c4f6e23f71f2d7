"""The relay's fan-out: each batch of committed events is encoded once, as one websocket
message, and that same message goes to every console connected to this relay.

Before, each console's task joined the frames it had queued into a message of its own, and
uvicorn compressed each console's message separately (permessage-deflate keeps a context per
connection), so a commit cost every subscriber an encoding and a compression: the cost grew
with the consoles. Now:

- :meth:`Fanout.publish` takes a committed batch (the log's subscription calls it, in commit
  order) and keeps it pending; the pending events are *flushed* soon after: at once (on the
  next turn of the loop, so that the commits of one turn make one message) when the last
  flush is ``interval`` s old, else ``interval`` s after it, or as soon as ``max_batch``
  events or :data:`FLUSH_BYTES` of JSON are pending. The interval is 0.5 ms per console
  connected, from 2 to 25 ms, so that the relay's sends per second stay bounded however many
  consoles: under load this batches events per message, while a lone event goes out at once.
- :meth:`Fanout.flush` cuts the pending events into messages of at most ``max_batch`` events
  and about ``max_batch_bytes`` of JSON, encodes each **once** (:func:`encode_batch`) into a
  :class:`Batch`, and queues the same Batch on every :class:`Outbox` (O(1) per console).
  A console whose queue would go over its bounds (events or bytes) is handed to ``drop``.
- :func:`forward` is a console's sending loop: it sends each queued Batch's message as it is
  (the same ``str`` object for every console), skipping what the console's replay already
  sent; a Batch that straddles the replay's end is the only one re-encoded (for that console
  alone, once per connection). A console that fell behind (several Batches waiting when its
  previous send returns) gets them joined into one message: on a busy relay a send costs
  more than the join (measured: 40 consoles at 500 events/s). A heartbeat goes out when
  nothing was sent for ``heartbeat`` s.
- Presence (:meth:`Fanout.transient`) is one unnumbered frame: encoded once too, queued after
  the pending events (flushed first, so the order of what was published holds).

The wire format is unchanged: a message is a JSON array of frames (console.live.frames parses
any number of them), so consoles of every version read the larger batches.

Compression: the relay serves ``/events`` without permessage-deflate by default (see
:data:`EVENTS_DEFLATE_ENV`). With it, uvicorn compresses every console's copy of a message
separately (a deflate context per connection): measured with bench/relay.py on this 2-core
machine, +20-25 % relay CPU per webhook (257-272 -> 308-347 µs at 2,000/s to 10 consoles;
707-767 -> 853-973 µs at 500/s to 40), for no latency gain on a LAN. One compressed frame
for all would need no-context-takeover negotiated and frames written beneath uvicorn's
websocket protocol (outside ASGI): not done. What a console costs the relay is now mostly
one send per message (~50 µs: Starlette, uvicorn, the socket write), hence the batching.
"""

from __future__ import annotations

import asyncio
import os
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from typing import Final

from console.live.events import Event, Heartbeat, control_json, encode_message

#: ``1`` serves ``/events`` with permessage-deflate when a console asks for it (one
#: compression per console and message); anything else, or unset, serves it uncompressed.
EVENTS_DEFLATE_ENV: Final = "AGENT_CONSOLE_EVENTS_DEFLATE"
#: The interval between flushes while events keep coming, per console connected (s): the
#: relay then makes at most 1 / PER_CONSOLE sends a second in all, however many consoles
#: (a send costs ~50 µs of the relay's CPU, measured with 40 consoles), within the bounds below.
PER_CONSOLE: Final = 0.0005
MIN_INTERVAL: Final = 0.002
MAX_INTERVAL: Final = 0.025
#: Pending JSON that is flushed at once rather than after the interval: large events go out
#: in pieces a console's queue can take while it is still sending the previous one.
FLUSH_BYTES: Final = 64 * 1024


def events_deflate() -> bool:
    """Whether the relay's websocket server should offer permessage-deflate."""
    return os.environ.get(EVENTS_DEFLATE_ENV, "").strip() == "1"


def encode_batch(texts: Sequence[str]) -> str:
    """One websocket message (a JSON array) from frames already encoded as JSON."""
    return encode_message(list(texts))


class Batch:
    """One message for every console: events ``first_seq..last_seq`` (both 0: an unnumbered
    frame, presence), ``message`` the encoded JSON array, ``items`` the (seq, frame) pairs it
    holds (to re-encode the part after a console's cursor, at the end of its replay)."""

    __slots__ = ("first_seq", "items", "last_seq", "message")

    def __init__(self, items: Sequence[tuple[int, str]], message: str) -> None:
        self.items = items
        self.message = message
        self.first_seq = items[0][0]
        self.last_seq = items[-1][0]

    def __len__(self) -> int:
        return len(self.items)

    def after(self, cursor: int) -> str | None:
        """The message for a console that has sent up to ``cursor``: this Batch's own (the
        same object for everyone), the part after ``cursor`` encoded anew, or None."""
        if not self.last_seq or self.first_seq > cursor:
            return self.message
        if self.last_seq <= cursor:
            return None
        return encode_batch([text for seq, text in self.items if seq > cursor])


class Outbox:
    """A console's queue of Batches, bounded in events and in bytes of JSON."""

    __slots__ = (
        "dropped",
        "limit",
        "limit_bytes",
        "pump",
        "queue",
        "queued",
        "queued_bytes",
        "wake",
    )

    def __init__(self, limit: int, limit_bytes: int) -> None:
        self.limit = limit
        self.limit_bytes = limit_bytes
        self.queue: deque[Batch] = deque()
        self.queued = 0  # events in the queue
        self.queued_bytes = 0
        self.wake = asyncio.Event()
        self.dropped: str | None = None  # why the relay let it go (it reconnects with since=)
        self.pump: asyncio.Task[None] | None = None

    def fits(self, batch: Batch) -> bool:
        return (
            self.queued + len(batch) <= self.limit
            and self.queued_bytes + len(batch.message) <= self.limit_bytes
        )

    def put(self, batch: Batch) -> None:
        self.queue.append(batch)
        self.queued += len(batch)
        self.queued_bytes += len(batch.message)
        self.wake.set()

    def take(self) -> Batch:
        batch = self.queue.popleft()
        self.queued -= len(batch)
        self.queued_bytes -= len(batch.message)
        return batch

    def clear(self) -> None:
        self.queue.clear()
        self.queued = self.queued_bytes = 0


class Fanout:
    """Encode each batch of committed events once and queue it on every Outbox in
    ``subscribers`` (the relay's set: it adds and removes them); an Outbox that would
    overflow is passed to ``drop``. Run on the relay's loop."""

    def __init__(
        self,
        subscribers: set[Outbox],
        drop: Callable[[Outbox], None],
        *,
        max_batch: int = 1000,
        max_batch_bytes: int = 256 * 1024,
        interval: float | None = None,
    ) -> None:
        self.subscribers = subscribers
        self._drop = drop
        self.max_batch = max(1, max_batch)
        self.max_batch_bytes = max(1, max_batch_bytes)
        self.flush_bytes = min(self.max_batch_bytes, FLUSH_BYTES)
        self.fixed_interval = interval  # None: by the number of consoles (interval)
        self._pending: list[tuple[int, str]] = []
        self._pending_bytes = 0
        self._timer: asyncio.TimerHandle | asyncio.Handle | None = None
        self._last_flush = float("-inf")
        self.messages_encoded = 0  # Batches made (each encoded once), for tests and metrics

    @property
    def interval(self) -> float:
        """The least time between two flushes while events keep coming: the one given, or
        ``PER_CONSOLE`` s per console, between ``MIN_INTERVAL`` and ``MAX_INTERVAL``."""
        if self.fixed_interval is not None:
            return self.fixed_interval
        return min(MAX_INTERVAL, max(MIN_INTERVAL, len(self.subscribers) * PER_CONSOLE))

    def publish(self, events: Sequence[Event]) -> None:
        """A committed batch, in seq order: queued on every console soon (see the module)."""
        if not events:
            return
        if not self.subscribers and not self._pending:
            return  # nobody to tell: a console that comes later replays from the log
        for event in events:
            text = event.frame_json
            self._pending.append((event.seq, text))
            self._pending_bytes += len(text)
        if len(self._pending) >= self.max_batch or self._pending_bytes >= self.flush_bytes:
            self.flush()  # enough for a message: no reason to wait (nor to hold more)
        elif self._timer is None:
            loop = asyncio.get_running_loop()
            wait = self._last_flush + self.interval - loop.time()
            if wait > 0:
                self._timer = loop.call_later(wait, self.flush)
            else:
                self._timer = loop.call_soon(self.flush)

    def transient(self, text: str) -> int:
        """Queue an unnumbered frame (presence) on every console that has room, after the
        events published before it; returns how many consoles it reached."""
        self.flush()
        batch = Batch(((0, text),), encode_batch([text]))
        self.messages_encoded += 1
        reached = 0
        for outbox in list(self.subscribers):
            if outbox.fits(batch):
                outbox.put(batch)
                reached += 1
        return reached

    def flush(self) -> None:
        """Encode the pending events (once per message) and queue them on every console."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        pending, self._pending = self._pending, []
        self._pending_bytes = 0
        if not pending:
            return
        self._last_flush = asyncio.get_running_loop().time()
        for batch in self._cut(pending):
            for outbox in list(self.subscribers):
                if outbox.fits(batch):
                    outbox.put(batch)
                else:
                    self._drop(outbox)

    def close(self) -> None:
        """Forget what is pending (the relay is stopping)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._pending = []
        self._pending_bytes = 0

    def _cut(self, items: list[tuple[int, str]]) -> list[Batch]:
        batches: list[Batch] = []
        start = size = 0
        for index, (_, text) in enumerate(items):
            count = index - start
            if count and (count >= self.max_batch or size + len(text) > self.max_batch_bytes):
                batches.append(self._batch(items[start:index]))
                start, size = index, 0
            size += len(text)
        batches.append(self._batch(items[start:]))
        return batches

    def _batch(self, items: list[tuple[int, str]]) -> Batch:
        self.messages_encoded += 1
        return Batch(items, encode_batch([text for _, text in items]))


async def forward(
    outbox: Outbox,
    send: Callable[[str], Awaitable[None]],
    progress: list[int],
    heartbeat: float,
    max_bytes: int = 256 * 1024,
) -> None:
    """A console's live stream: send each queued Batch after ``progress[0]`` (the last seq
    sent; updated after each send), and a heartbeat after ``heartbeat`` s with nothing to
    send. A console that keeps up gets each Batch's own message (the same object as every
    other console); one that fell behind gets the Batches waiting for it joined into one
    message (up to about ``max_bytes``): one send instead of several, when sends are what
    it is short of. Runs until cancelled (or ``send`` raises)."""
    cursor = progress[0]
    queue = outbox.queue
    while True:
        if not queue:
            outbox.wake.clear()
            try:
                async with asyncio.timeout(heartbeat):
                    await outbox.wake.wait()
            except TimeoutError:
                await send(encode_message([control_json(Heartbeat(cursor))]))
                continue
        parts: list[str] = []
        size = 0
        while queue and (not parts or size + len(queue[0].message) <= max_bytes):
            batch = outbox.take()
            message = batch.after(cursor)
            if message is None:
                continue  # already sent by the replay
            parts.append(message)
            size += len(message)
            if batch.last_seq:
                cursor = batch.last_seq
        if not parts:
            continue
        await send(parts[0] if len(parts) == 1 else join_messages(parts))
        progress[0] = cursor


def join_messages(messages: Sequence[str]) -> str:
    """Several messages (JSON arrays of frames) as one array of all their frames."""
    return "[" + ",".join(message[1:-1] for message in messages) + "]"
