"""EventStream: one websocket to the relay that survives blips, restarts and sleep.

Usage (no UI)::

    stream = EventStream("ws://127.0.0.1:8801/events", token, since=saved_seq, on_seq=save)
    async for item in stream:            # or: async for item in stream.batches()
        match item:
            case Event(): ...             # a numbered event, never a duplicate
            case GapNotice(): ...         # the relay could not replay some events
            case StreamState(): ...       # connecting / live / reconnecting (attempt n) / gap
            case Presence(): ...          # a colleague viewing or typing (never numbered)
    ...
    await stream.close()                 # from anywhere: the loop above then ends

In the Textual app, run ``batches()`` in an App worker and post one message per batch.

Behaviour:

- Connects with ``Authorization: Bearer <token>`` and ``?since=<last seq handled>`` once it
  knows one (``since`` argument, the first heartbeat, or the last event it handed over).
- Drops every event with ``seq <= last_seq`` (a replay overlapping what was handled).
- A ``gap`` frame becomes a :class:`GapNotice` followed by a ``StreamPhase.GAP`` state; the
  stream then continues from ``resumes_at``. A hole the relay did not announce is reported the same.
- A dead peer is detected when nothing (event, heartbeat) arrives for ``heartbeat_timeout``
  seconds (the relay sends a heartbeat every 15 s when idle); websockets' own ping/pong
  runs too. Then it reconnects.
- ``url`` may be a list of relays serving one log (several relays on one Redis): each
  reconnection tries the next one, so the consoles of a relay that died resume on another with
  ``since=``. Behind a load balancer one URL is enough.
- A relay restarting (draining on SIGTERM) closes with **1012**: the stream reconnects at
  once, without a backoff wait, with ``since=`` (when that connection had gone live; a relay
  that refuses at connect time with 1012 is backed off from like any other failure).
- Otherwise it reconnects forever with exponential backoff and full jitter:
  ``uniform(0, min(backoff_max, backoff_initial * 2**(attempt-1)))``. The attempt counter
  resets once a connection delivers a frame (so a relay that accepts and immediately closes,
  e.g. for a bad token, still backs off).
- ``on_seq(seq)`` is called once the consumer has taken an event (or a batch) and come back
  for the next item: that seq is handled, and the app may persist it as its resume point.

No Textual import: the app turns these items into messages.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import (
    ConnectionClosed,
    InvalidHandshake,
    InvalidStatus,
    InvalidURI,
)

from console.live.events import Event, FrameError, GapNotice, Heartbeat
from console.live.frames import parse_message
from console.live.state import StreamPhase, StreamState
from console.live.team import Presence
from console.net import is_loopback_url

#: The close code of a relay restarting (draining on SIGTERM): the stream resumes at once.
CLOSE_SERVICE_RESTART = 1012


@dataclass(frozen=True)
class EventBatch:
    """The new events of one websocket message, in seq order (never empty). `replayed`:
    sent before the relay's first heartbeat on this connection, i.e. the catch-up after
    ``since=`` rather than events happening now."""

    events: tuple[Event, ...]
    replayed: bool = False

    @property
    def last_seq(self) -> int:
        return self.events[-1].seq


StreamItem = Event | GapNotice | StreamState | Presence
BatchItem = EventBatch | GapNotice | StreamState | Presence


def events_url(url: str, since: int | None) -> str:
    """The websocket URL: http(s) becomes ws(s), a bare host gets ``/events``, ``since`` added."""
    parts = urlsplit(url)
    scheme = {"http": "ws", "https": "wss"}.get(parts.scheme, parts.scheme)
    path = parts.path if parts.path not in ("", "/") else "/events"
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "since"]
    if since is not None:
        query.append(("since", str(since)))
    return urlunsplit((scheme, parts.netloc, path, urlencode(query), ""))


def describe_error(error: BaseException) -> str:
    """A short, readable reason for a failed or lost connection."""
    if isinstance(error, ConnectionClosed):
        frame = error.rcvd
        if frame is None:
            return "connection lost"
        reason = f" {frame.reason}" if frame.reason else ""
        return f"closed by the relay ({frame.code}{reason})"
    if isinstance(error, InvalidStatus):
        return f"the relay refused the connection (HTTP {error.response.status_code})"
    if isinstance(error, InvalidURI):
        return f"invalid relay URL: {error}"
    if isinstance(error, InvalidHandshake):
        return f"websocket handshake failed: {error}"
    if isinstance(error, TimeoutError):
        return "timed out connecting to the relay"
    if isinstance(error, OSError):
        return f"cannot reach the relay: {error.strerror or error}"
    if isinstance(error, FrameError):
        return f"unexpected data from the relay: {error}"
    return f"{type(error).__name__}: {error}"


def _closed_for_restart(error: BaseException) -> bool:
    """The relay closed the websocket with 1012 (service restart)."""
    if not isinstance(error, ConnectionClosed):
        return False
    frame = error.rcvd
    return frame is not None and frame.code == CLOSE_SERVICE_RESTART


class EventStream:
    """An async iterator of Events, GapNotices and StreamStates from the relay, forever."""

    def __init__(
        self,
        url: str | Sequence[str],
        token: str,
        *,
        since: int | None = None,
        heartbeat_timeout: float = 30.0,
        backoff_initial: float = 0.5,
        backoff_max: float = 30.0,
        on_seq: Callable[[int], None] | None = None,
        open_timeout: float = 10.0,
        close_timeout: float = 2.0,
        compression: bool = True,
        max_message_size: int = 16 * 1024 * 1024,
        rng: random.Random | None = None,
    ) -> None:
        self.urls = (url,) if isinstance(url, str) else tuple(url)
        if not self.urls:
            raise ValueError("an EventStream needs at least one relay URL")
        self._url_index = 0
        self._token = token
        self._last_seq = since
        self.heartbeat_timeout = heartbeat_timeout
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self.on_seq = on_seq
        self.open_timeout = open_timeout
        self.close_timeout = close_timeout
        self.compression = compression
        self.max_message_size = max_message_size
        self._rng = rng or random.Random()
        self._closed = False
        self._iterating = False
        self._ws: ClientConnection | None = None
        self._wake: asyncio.Event | None = None
        self._skip_pause = False
        self._state: StreamState | None = None
        self._replaying = False
        self.duplicates_dropped = 0
        self.connections = 0

    # ------------------------------------------------------------------ public

    @property
    def url(self) -> str:
        """The relay this stream connects to now (the next of ``urls`` after a failure)."""
        return self.urls[self._url_index]

    @property
    def last_seq(self) -> int | None:
        """The seq of the last event handed over (the resume point), or None."""
        return self._last_seq

    @property
    def state(self) -> StreamState | None:
        """The latest state yielded."""
        return self._state

    @property
    def closed(self) -> bool:
        return self._closed

    def __aiter__(self) -> AsyncIterator[StreamItem]:
        return self._flatten()

    def batches(self) -> AsyncIterator[BatchItem]:
        """Like iterating the stream, but events come grouped per websocket message."""
        return self._batched()

    async def close(self) -> None:
        """Stop: the iteration ends after the current item (the websocket closes politely)."""
        ws = self._stop()
        if ws is not None:
            with contextlib.suppress(Exception):
                await ws.close()

    def abort(self) -> None:
        """Stop now, without the websocket closing handshake (the console is quitting)."""
        ws = self._stop()
        if ws is not None:
            ws.transport.abort()

    def _stop(self) -> ClientConnection | None:
        self._closed = True
        if self._wake is not None:
            self._wake.set()
        return self._ws

    def reconnect(self) -> None:
        """Drop the current connection (or cut the backoff short) and reconnect now."""
        self._skip_pause = True
        if self._wake is not None:
            self._wake.set()
        ws = self._ws
        if ws is not None:
            ws.transport.abort()

    async def __aenter__(self) -> EventStream:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # ------------------------------------------------------------------ iteration

    async def _flatten(self) -> AsyncIterator[StreamItem]:
        async for item in self._run():
            if isinstance(item, EventBatch):
                for event in item.events:
                    yield event
                    if self.on_seq is not None:
                        self.on_seq(event.seq)
            else:
                yield item

    async def _batched(self) -> AsyncIterator[BatchItem]:
        async for item in self._run():
            yield item
            if isinstance(item, EventBatch) and self.on_seq is not None:
                self.on_seq(item.last_seq)

    def _set_state(self, state: StreamState) -> StreamState:
        self._state = state
        return state

    async def _run(self) -> AsyncIterator[BatchItem]:
        if self._iterating:
            raise RuntimeError("an EventStream can be iterated only once at a time")
        self._iterating = True
        self._wake = asyncio.Event()
        attempt = 0
        try:
            if not self._closed:
                yield self._set_state(StreamState(StreamPhase.CONNECTING, last_seq=self._last_seq))
            while not self._closed:
                error: str = "connection closed"
                live = False
                restarting = False
                try:
                    async with connect(
                        events_url(self.url, self._last_seq),
                        additional_headers={"Authorization": f"Bearer {self._token}"},
                        open_timeout=self.open_timeout,
                        close_timeout=self.close_timeout,
                        ping_interval=self.heartbeat_timeout / 2,
                        ping_timeout=self.heartbeat_timeout / 2,
                        max_size=self.max_message_size,
                        compression="deflate" if self.compression else None,
                        proxy=None if is_loopback_url(self.url) else True,
                    ) as ws:
                        self._ws = ws
                        self.connections += 1
                        live = False
                        self._replaying = True
                        while not self._closed:
                            try:
                                async with asyncio.timeout(self.heartbeat_timeout):
                                    message = await ws.recv()
                            except TimeoutError:
                                error = (
                                    f"no heartbeat from the relay for {self.heartbeat_timeout:g} s"
                                )
                                ws.transport.abort()
                                break
                            frames = parse_message(message)
                            if not live:
                                live = True
                                attempt = 0
                                yield self._set_state(
                                    StreamState(StreamPhase.LIVE, last_seq=self._last_seq)
                                )
                            for item in self._accept(frames):
                                yield item
                except (ConnectionClosed, InvalidHandshake, InvalidURI, OSError, FrameError) as exc:
                    error = describe_error(exc)  # OSError includes TimeoutError (open_timeout)
                    restarting = live and _closed_for_restart(exc)
                finally:
                    self._ws = None
                if self._closed:
                    break
                self._url_index = (self._url_index + 1) % len(self.urls)
                attempt += 1
                growth = 2.0 ** min(attempt - 1, 40)  # capped: days offline must not overflow
                ceiling = min(self.backoff_max, self.backoff_initial * growth)
                # A relay that served us and then closed for a restart (1012, draining): resume
                # at once, on the next relay or through the load balancer, with since=.
                delay = 0.0 if restarting else self._rng.uniform(0, ceiling)
                yield self._set_state(
                    StreamState(
                        StreamPhase.RECONNECTING,
                        attempt=attempt,
                        error=error,
                        retry_in=delay,
                        last_seq=self._last_seq,
                    )
                )
                await self._pause(delay)
        finally:
            self._iterating = False

    async def _pause(self, delay: float) -> None:
        assert self._wake is not None
        self._wake.clear()
        if self._closed or self._skip_pause or delay <= 0:
            self._skip_pause = False
            return
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(delay):
                await self._wake.wait()

    def _accept(self, frames: list[Event | GapNotice | Heartbeat | Presence]) -> list[BatchItem]:
        """Turn decoded frames into items: drop duplicates, report gaps, track last_seq."""
        out: list[BatchItem] = []
        events: list[Event] = []

        def flush() -> None:
            if events:
                out.append(EventBatch(tuple(events), replayed=self._replaying))
                events.clear()

        def gap(notice: GapNotice) -> None:
            flush()
            self._last_seq = notice.resumes_at - 1
            out.append(notice)
            out.append(
                self._set_state(StreamState(StreamPhase.GAP, gap=notice, last_seq=self._last_seq))
            )

        for frame in frames:
            if isinstance(frame, Event):
                last = self._last_seq
                if last is not None and frame.seq <= last:
                    self.duplicates_dropped += 1
                    continue
                if last is not None and frame.seq > last + 1:
                    gap(GapNotice.describe(last, frame.seq))
                events.append(frame)
                self._last_seq = frame.seq
            elif isinstance(frame, GapNotice):
                gap(frame)
            elif isinstance(frame, Presence):  # not numbered: passed on in its place
                flush()
                out.append(frame)
            else:
                flush()
                self._replaying = False  # the relay sends one right after its replay
                if self._last_seq is None:  # it also tells a fresh stream where it is
                    self._last_seq = frame.seq
        flush()
        return out
