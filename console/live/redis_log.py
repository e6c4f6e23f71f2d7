"""The relay's event log on Redis Streams, shared by several relay processes.

``agent-console relay --redis redis://…`` (or ``AGENT_CONSOLE_REDIS_URL``) puts the log here so
that any number of relays, on one machine or many, behind any load balancer, serve one team:
a webhook acknowledged by any relay reaches every console of every relay, in the same order,
and a console resumes with ``since=`` on whichever relay it reaches.

Keys (``{prefix}`` is a Redis Cluster hash tag, so both live in one slot):

- ``{prefix}:seq``: the last seq assigned (a string integer).
- ``{prefix}:events``: the stream. Entry id ``<seq>-0``; fields ``f`` (the event's frame JSON,
  exactly what consoles receive) and ``t`` (when the relay received it, seconds since the
  epoch, for the age bound).

*Numbering*: one Lua script (:data:`APPEND`) reads the counter, ``XADD``-s each event of a
group with the next seq as its id, and stores the counter: Redis runs a script atomically, so
seqs are gapless and strictly increasing across every relay, and the stream's order is the
seq order. The first ``XADD`` is the script's first write, so a refused write (out of memory,
a read-only replica) leaves nothing behind; the script reports how many of a group it stored,
and the others fail. Appends are group-committed as in the file log: while one script runs,
new appends queue up and go together in the next, so one round trip numbers many events;
and appends are pipelined: up to :data:`PIPELINE` groups are in flight at once (each its own
script run, numbered atomically by Redis), so a group does not wait for the answer to the
one before it, and a slow answer does not hold up every append behind it.

*Acknowledgement*: ``append`` returns once Redis has executed the script: the event is in
Redis's memory and, with ``appendonly yes``, in its AOF (``appendfsync always`` makes that
an fsync per write; ``everysec``, Redis's default, at most one second of writes at risk in a
crash of the Redis host). Any failure (unreachable, timeout, refused) raises
:class:`~console.live.log.LogError` and the relay answers 503, so 8x8 sends the webhook again;
nothing is acknowledged that Redis did not accept. A timeout is never retried by the client,
since the script may have run: the retry is 8x8's, and a receipt seen twice is harmless. Each
failed attempt is logged at debug level only: the relay says an outage once, when it begins
and when it ends.

*Bounds*: ``XADD … MAXLEN ~ max_events`` trims whole stream nodes cheaply as it goes; reads
and ``bounds()`` apply the exact count on top (the oldest kept seq is never below
``last - max_events + 1``). ``trim()`` (every minute, by every relay) trims to the exact count
and drops entries older than ``max_age_seconds`` (``XTRIM MINID``). There is no memory bound
in the relay: Redis holds the events (size it with ``maxmemory``, policy ``noeviction``).

*Subscriptions*: ``XREAD BLOCK … COUNT 1000`` from the subscription's last seq on a connection
of its own; a lost connection is retried with backoff from where it stopped, so nothing is
skipped. After a lost connection or an idle block it checks that the counter is not below its
last seq: a Redis that came back without the events it had acknowledged (no persistence)
restarts the numbering, and the subscription follows it from the start of what the stream
keeps. The relay holds one subscription and fans its batches out to every console
(console/live/fanout.py): one reader per relay, however many consoles, and each read brings
whatever was stored since the last one (batched under load, as the appends are). A batch this
log stored itself is delivered as soon as the script returns when it follows what the
subscription delivered (:meth:`_RedisSubscription.stored_here`): the relay's own webhooks do
not wait for the read back; the reader skips them, and anything another relay numbered in
between holds them back until the reader has delivered it, so the order is the stream's.

*Transients* (presence): published on the channel ``<prefix>:presence`` (Redis pub/sub), each
message tagged with the publishing log's random origin so that a relay does not fan its own
presence out twice. Pub/sub rather than a stream because presence has exactly its delivery
semantics: it reaches the relays connected now, is never kept, replayed or numbered, costs
nothing to trim, and a relay that was away gets none of the stale ones; a message lost while
a relay reconnects is sent again by the console within seconds and expires on its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

import orjson

from console.live.events import Event, FrameError, utc_iso
from console.live.log import (
    DEFAULT_MAX_AGE,
    DEFAULT_MAX_EVENTS,
    REPLAY_BYTES,
    GroupCommit,
    LogBounds,
    LogError,
    PendingAppend,
    Subscription,
    call_safely,
    deliver,
    fail_pending,
)

if TYPE_CHECKING:
    from redis.asyncio import Redis

logger = logging.getLogger(__name__)

REDIS_URL_ENV = "AGENT_CONSOLE_REDIS_URL"
DEFAULT_PREFIX = "agent-console"
INSTALL_HINT = "pip install 'agent-console[redis]'"
MAX_GROUP = 500  # events numbered by one script run
PIPELINE = 2  # script runs at once (each numbers its group atomically: order is Redis's)
MAX_GROUP_BYTES = 4 * 1024 * 1024
MIN_VERSION = (6, 2)  # XTRIM MINID and exclusive ranges
BLOCK_MS = 5_000  # one XREAD BLOCK; the socket timeout of the reading client is above it

# KEYS: counter, stream. ARGV: max_events, then (time, frame without its opening '{"seq":N,')
# for each event. Returns {first seq, how many stored, error text when some were not}.
APPEND = """
local seq = tonumber(redis.call('GET', KEYS[1]) or '0')
if seq == 0 and redis.call('EXISTS', KEYS[2]) == 1 then
  local info = redis.call('XINFO', 'STREAM', KEYS[2])
  for i = 1, #info, 2 do
    if info[i] == 'last-generated-id' then
      seq = tonumber(string.match(info[i + 1], '^(%d+)'))
    end
  end
end
local first = seq + 1
local count = (#ARGV - 1) / 2
for i = 1, count do
  local text = string.format('%d', seq + 1)
  local stored = redis.pcall('XADD', KEYS[2], 'MAXLEN', '~', ARGV[1], text .. '-0',
    'f', '{"seq":' .. text .. ',' .. ARGV[2 * i + 1], 't', ARGV[2 * i])
  if type(stored) == 'table' and stored.err then
    if seq >= first then redis.call('SET', KEYS[1], string.format('%d', seq)) end
    return {first, seq - first + 1, stored.err}
  end
  seq = seq + 1
end
redis.call('SET', KEYS[1], string.format('%d', seq))
return {first, count}
"""

# KEYS: counter, stream. ARGV: max_events. Returns {oldest kept seq, last seq}.
BOUNDS = """
local last = tonumber(redis.call('GET', KEYS[1]) or '0')
local oldest = last + 1
local head = redis.call('XRANGE', KEYS[2], '-', '+', 'COUNT', 1)
if head[1] then oldest = tonumber(string.match(head[1][1], '^(%d+)')) end
local floor = last - tonumber(ARGV[1]) + 1
if oldest < floor then oldest = floor end
if oldest > last + 1 then oldest = last + 1 end
return {oldest, last}
"""

# KEYS: counter, stream. ARGV: after, limit, max_events, max_bytes. Returns seq, frame, seq,
# frame… in seq order: up to limit events and about max_bytes of frames (at least one).
READ = """
local last = tonumber(redis.call('GET', KEYS[1]) or '0')
local after = tonumber(ARGV[1])
local floor = last - tonumber(ARGV[3])
if after < floor then after = floor end
local rows = redis.call('XRANGE', KEYS[2], string.format('%d', after + 1) .. '-0', '+',
  'COUNT', ARGV[2])
local budget = tonumber(ARGV[4])
local out = {}
local size = 0
for _, row in ipairs(rows) do
  local fields = row[2]
  local frame = nil
  for j = 1, #fields, 2 do
    if fields[j] == 'f' then frame = fields[j + 1] end
  end
  if frame then
    if #out > 0 and size + #frame > budget then break end
    size = size + #frame
    out[#out + 1] = tonumber(string.match(row[1], '^(%d+)'))
    out[#out + 1] = frame
  end
end
return out
"""


def load_redis() -> Any:
    """The ``redis.asyncio`` module, or a LogError saying what to install."""
    try:
        import redis.asyncio as redis_asyncio
    except ImportError as error:
        raise LogError(f"the Redis event log needs the redis package: {INSTALL_HINT}") from error
    return redis_asyncio


def redis_version(text: str) -> tuple[int, ...]:
    """``"7.0.15"`` as ``(7, 0, 15)``; what does not parse counts as 0."""
    parts = []
    for piece in text.split(".")[:3]:
        digits = "".join(c for c in piece if c.isdigit())
        parts.append(int(digits) if digits else 0)
    return tuple(parts)


def redact_url(url: str) -> str:
    """The URL with its password (and user) replaced, for banners and logs."""
    parts = urlsplit(url)
    if parts.password is None and parts.username is None:
        return url
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def stream_keys(prefix: str) -> tuple[str, str]:
    """The counter and stream keys for ``prefix`` (one Cluster slot: a ``{…}`` hash tag)."""
    return f"{{{prefix}}}:seq", f"{{{prefix}}}:events"


def seq_of(entry_id: bytes | str) -> int:
    """The seq of a stream entry id ``<seq>-0``."""
    text = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
    return int(text.partition("-")[0])


def split_frame(event: Event) -> bytes:
    """The event's frame JSON without its opening ``{"seq":N,`` (the script writes that)."""
    frame = event.to_frame()
    del frame["seq"]
    return orjson.dumps(frame)[1:]


def event_of(frame: bytes) -> Event:
    """The Event of a stored frame, its text kept as ``frame_json`` (sent on as it is).

    orjson, not :meth:`Event.from_json`: the reader parses every event every relay fans out,
    and orjson does it several times faster; what it accepts the script stored from
    :func:`split_frame` (strict JSON), so the two agree."""
    try:
        decoded = orjson.loads(frame)
    except orjson.JSONDecodeError as error:
        raise FrameError(f"not valid JSON: {error}") from error
    event = Event.from_frame(decoded)
    event.__dict__["frame_json"] = frame.decode("utf-8")
    return event


def frame_with_seq(seq: int, rest: bytes) -> str:
    """What the script stores: the frame JSON with ``seq`` first."""
    return f'{{"seq":{seq},' + rest.decode("utf-8")


class RedisEventLog:
    """An EventLog on a Redis stream, shared by every relay given the same URL and prefix."""

    def __init__(
        self,
        url: str,
        *,
        prefix: str = DEFAULT_PREFIX,
        max_events: int = DEFAULT_MAX_EVENTS,
        max_age_seconds: float = DEFAULT_MAX_AGE,
        clock: Callable[[], float] = time.time,
        timeout: float = 5.0,
        block_ms: int = BLOCK_MS,
    ) -> None:
        if max_events < 1:
            raise ValueError("max_events must be at least 1")
        if max_age_seconds <= 0:
            raise ValueError("max_age_seconds must be positive")
        if not prefix or any(c in prefix for c in "{} \t\r\n"):
            raise ValueError("the key prefix must be non-empty, without braces or spaces")
        self.url = url
        self.prefix = prefix
        self.max_events = max_events
        self.max_age_seconds = max_age_seconds
        self._clock = clock
        self._timeout = timeout
        self._block_ms = block_ms
        self.counter_key, self.stream_key = stream_keys(prefix)
        self.channel = f"{prefix}:presence"
        self._origin = secrets.token_hex(8).encode()
        self._client: Redis | None = None
        self._reader: Redis | None = None
        self._scripts: dict[str, Any] = {}
        self._queue = GroupCommit(
            self._commit, name="redis-log-flush", max_group=MAX_GROUP, pipeline=PIPELINE
        )
        self._closed = True
        self._ended = asyncio.Event()
        self._subscriptions: set[_RedisSubscription] = set()

    def __repr__(self) -> str:
        return f"RedisEventLog({redact_url(self.url)!r}, prefix={self.prefix!r})"

    @property
    def description(self) -> str:
        """Where the log is, without any password: for the relay's banner."""
        return f"Redis Streams at {redact_url(self.url)}, key {self.stream_key}"

    # -- lifecycle

    async def open(self) -> None:
        """Connect (and check that Redis answers); raises LogError when it cannot."""
        if not self._closed:
            return
        redis_asyncio = load_redis()
        from redis.asyncio.retry import Retry
        from redis.backoff import NoBackoff

        def client(socket_timeout: float) -> Redis:
            return redis_asyncio.Redis.from_url(
                self.url,
                socket_timeout=socket_timeout,
                socket_connect_timeout=self._timeout,
                retry=Retry(NoBackoff(), 0),  # a timed-out script may have run: never again
                health_check_interval=10,
                protocol=2,
            )

        try:
            self._client = client(self._timeout)
            self._reader = client(self._timeout + self._block_ms / 1000)
            self._scripts = {
                name: self._client.register_script(source)
                for name, source in (("append", APPEND), ("bounds", BOUNDS), ("read", READ))
            }
            info = await self._client.info("server")
        except Exception as error:
            await self._disconnect()
            raise LogError(f"cannot reach Redis at {redact_url(self.url)}: {error}") from error
        version = str(info.get("redis_version", "0"))
        if redis_version(version) < MIN_VERSION:
            await self._disconnect()
            raise LogError(f"the event log needs Redis 6.2 or later (XTRIM MINID); found {version}")
        self._closed = False
        self._ended.clear()

    async def close(self) -> None:
        """Finish pending appends, end the subscriptions, and disconnect."""
        if self._closed:
            return
        self._closed = True
        await self._queue.drain()
        self._ended.set()
        for subscription in list(self._subscriptions):
            subscription.end()
        await self._disconnect()

    async def _disconnect(self) -> None:
        for client in (self._client, self._reader):
            if client is not None:
                with contextlib.suppress(Exception):
                    await client.aclose()
        self._client = self._reader = None

    # -- EventLog

    async def append(self, namespace: str, event_type: str, payload: dict[str, Any]) -> Event:
        if self._closed:
            raise LogError("the event log is not open")
        return await self._queue.append(namespace, event_type, payload, self._clock())

    async def read_since(self, seq: int, limit: int = 1000) -> list[Event]:
        return [Event.from_json(frame) for _, frame in await self._read(seq, limit, 1 << 62)]

    async def read_frames_since(
        self, seq: int, limit: int = 1000, max_bytes: int = REPLAY_BYTES
    ) -> list[tuple[int, str]]:
        return await self._read(seq, limit, max_bytes)

    async def _read(self, seq: int, limit: int, max_bytes: int) -> list[tuple[int, str]]:
        if limit <= 0:
            return []
        flat = await self._run("read", [max(0, seq), limit, self.max_events, max_bytes])
        return [
            (int(flat[index]), flat[index + 1].decode("utf-8")) for index in range(0, len(flat), 2)
        ]

    async def bounds(self) -> LogBounds:
        oldest, last = await self._run("bounds", [self.max_events])
        return LogBounds(int(oldest), int(last))

    def subscribe(self, after: int | None = None) -> Subscription:
        return _RedisSubscription(self, after)

    async def trim(self) -> int:
        """Trim to exactly ``max_events`` and drop what is older than ``max_age_seconds``."""
        if self._closed or self._client is None:
            return 0
        client = self._client
        try:
            dropped = int(
                await client.xtrim(self.stream_key, maxlen=self.max_events, approximate=False)
            )
            cutoff = self._clock() - self.max_age_seconds
            start = "-"
            keep_from: int | None = None
            while keep_from is None:
                rows = await client.xrange(self.stream_key, start, "+", count=500)
                if not rows:
                    break
                for entry_id, fields in rows:
                    if float(fields.get(b"t", b"0")) >= cutoff:
                        keep_from = seq_of(entry_id)
                        break
                else:
                    start = f"({rows[-1][0].decode()}"
                    continue
            if keep_from is None:  # every entry is too old (or there is none)
                top = await client.xrevrange(self.stream_key, "+", "-", count=1)
                keep_from = seq_of(top[0][0]) + 1 if top else None
            if keep_from is not None:
                dropped += int(
                    await client.xtrim(self.stream_key, minid=f"{keep_from}-0", approximate=False)
                )
        except Exception as error:
            raise LogError(f"cannot trim the Redis event log: {error}") from error
        return dropped

    async def publish_transient(self, text: str) -> None:
        if self._closed or self._client is None:
            raise LogError("the event log is not open")
        try:
            await self._client.publish(self.channel, self._origin + b"\n" + text.encode())
        except Exception as error:
            raise LogError(f"cannot publish to Redis: {error}") from error

    async def transients(self) -> AsyncIterator[str]:
        """Presence from the other relays, through Redis pub/sub; reconnects on its own."""
        backoff = _Backoff()
        while not self._closed and self._reader is not None:
            pubsub = self._reader.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self.channel)
                backoff.reset()
                while not self._closed:
                    message = await pubsub.get_message(timeout=self._block_ms / 1000)
                    if message is None or message.get("type") != "message":
                        continue
                    origin, _, text = bytes(message["data"]).partition(b"\n")
                    if origin != self._origin:
                        yield text.decode("utf-8", "replace")
            except Exception as error:
                if self._closed:
                    break
                logger.debug("Redis presence channel lost (%s); reconnecting", error)
                await backoff.wait(self._ended)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()

    # -- internals

    async def _run(self, name: str, args: list[Any]) -> Any:
        if self._closed or name not in self._scripts:
            raise LogError("the event log is not open")
        try:
            return await self._scripts[name](keys=[self.counter_key, self.stream_key], args=args)
        except Exception as error:
            raise LogError(f"Redis: {error}") from error

    async def _commit(self, group: list[PendingAppend]) -> None:
        """Number and store a group in as few script runs as its size allows (in order)."""
        run: list[tuple[PendingAppend, Event, bytes]] = []
        size = 0
        for item in group:
            moment = utc_iso(item.moment)
            candidate = Event(0, moment, item.namespace, item.event_type, item.payload)
            try:
                rest = split_frame(candidate)
            except (TypeError, ValueError) as error:
                fail_pending(item.future, LogError(f"event cannot be encoded as JSON: {error}"))
                continue
            if run and size + len(rest) > MAX_GROUP_BYTES:
                await self._store(run)
                run, size = [], 0
            run.append((item, candidate, rest))
            size += len(rest)
        if run:
            await self._store(run)

    async def _store(self, run: list[tuple[PendingAppend, Event, bytes]]) -> None:
        args: list[Any] = [self.max_events]
        for item, _, rest in run:
            args.append(repr(item.moment))
            args.append(rest)
        try:
            reply = await self._run("append", args)
        except LogError as error:
            logger.debug("Redis event log: could not store %d event(s): %s", len(run), error)
            for item, _, _ in run:
                fail_pending(item.future, error)
            return
        first, count = int(reply[0]), int(reply[1])
        stored: list[Event] = []
        for index, (item, candidate, rest) in enumerate(run):
            if index >= count:
                reason = reply[2].decode() if len(reply) > 2 else "not stored"
                fail_pending(item.future, LogError(f"Redis refused the event: {reason}"))
                continue
            seq = first + index
            event = Event(seq, candidate.received_at, item.namespace, item.event_type, item.payload)
            event.__dict__["frame_json"] = frame_with_seq(seq, rest)
            stored.append(event)
            if not item.future.done():
                item.future.set_result(event)
        if stored:
            for subscription in list(self._subscriptions):
                subscription.stored_here(stored)


class _RedisSubscription:
    """``XREAD BLOCK`` after the last seq it yielded, on the log's reading client."""

    def __init__(self, log: RedisEventLog, after: int | None) -> None:
        self._log = log
        self._cursor = after
        self._ended = asyncio.Event()
        self._backoff = _Backoff()
        self._task: asyncio.Task[None] | None = None
        self._verify = False  # check that the numbering did not go back before the next read
        self._callback: Callable[[list[Event]], None] | None = None
        log._subscriptions.add(self)

    def deliver_to(self, callback: Callable[[list[Event]], None]) -> None:
        self._callback = callback
        self._task = asyncio.ensure_future(deliver(self, callback))

    def stored_here(self, events: list[Event]) -> None:
        """This process's log just stored ``events`` (consecutive seqs): when they come right
        after what this subscription delivered, deliver them now, without waiting for the
        reader's round trip through Redis (the reader then skips them). Events numbered by
        another relay in between make them wait for the reader, so the order holds."""
        callback = self._callback
        if (
            callback is None
            or self._verify
            or self._cursor is None
            or self._ended.is_set()
            or events[0].seq != self._cursor + 1
        ):
            return
        self._cursor = events[-1].seq
        call_safely(callback, events)

    def end(self) -> None:
        self._ended.set()
        self._log._subscriptions.discard(self)

    def __aiter__(self) -> _RedisSubscription:
        return self

    async def aclose(self) -> None:
        self.end()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def __anext__(self) -> list[Event]:
        log = self._log
        while not self._ended.is_set() and not log._closed:
            try:
                if self._cursor is None:
                    self._cursor = (await log.bounds()).last_seq
                elif self._verify:
                    self._cursor = await self._followed(self._cursor)
                    self._verify = False
                reply = await self._until_ended(self._read(self._cursor))
            except Exception as error:  # LogError, redis.exceptions.RedisError, OSError
                if self._ended.is_set() or log._closed:
                    break
                logger.debug("Redis event log: reading the stream failed (%s); retrying", error)
                self._verify = True  # Redis may have restarted without what it had
                await self._backoff.wait(self._ended)
                continue
            if reply is None:
                break  # ended while waiting
            self._backoff.reset()
            # here, with no await before the return: stored_here may have delivered some
            delivered = self._cursor
            fresh = [
                event_of(fields[b"f"]) for entry_id, fields in reply if seq_of(entry_id) > delivered
            ]  # what was delivered as it was stored is not parsed again
            if fresh:
                self._cursor = fresh[-1].seq
                return fresh
            if reply:
                continue  # delivered as they were stored (stored_here): read on
            self._verify = True  # nothing new for a whole block: is the counter below us?
        self.end()
        raise StopAsyncIteration

    async def _followed(self, cursor: int) -> int:
        """Where to read from: ``cursor``, or from the start of what the stream keeps when
        its numbering went back below ``cursor`` (Redis lost acknowledged writes: restarted
        without persistence, or from an older snapshot). Otherwise the reads would wait for
        seqs the new numbering reaches only much later and hand its events to nobody; this
        way the subscriber sees seqs go back (the relay lets its consoles resume anew)."""
        bounds = await self._log.bounds()
        if bounds.last_seq >= cursor:
            return cursor
        logger.warning(
            "Redis event log: the numbering went back from seq %d to %d (Redis lost writes it "
            "had acknowledged: check its persistence); following the new numbering",
            cursor,
            bounds.last_seq,
        )
        return bounds.oldest_seq - 1

    async def _read(self, cursor: int) -> list[tuple[bytes, dict[bytes, bytes]]]:
        """The stream's entries after ``cursor`` (up to 1,000; waits up to a block)."""
        reader = self._log._reader
        if reader is None:
            raise LogError("the event log is closed")
        reply = await reader.xread(
            {self._log.stream_key: f"{cursor}-0"}, count=1000, block=self._log._block_ms
        )
        return _entries(reply)

    async def _until_ended(self, read: Any) -> list[tuple[bytes, dict[bytes, bytes]]] | None:
        """The read's result, or None when the subscription ended first (the read is cancelled)."""
        task = asyncio.ensure_future(read)
        ended = asyncio.ensure_future(self._ended.wait())
        try:
            await asyncio.wait({task, ended}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            ended.cancel()
            if not task.done():
                task.cancel()
                with contextlib.suppress(BaseException):
                    await task
        if not task.done() or task.cancelled():
            return None
        return task.result()


def _entries(reply: Any) -> list[tuple[bytes, dict[bytes, bytes]]]:
    """Stream entries from an XREAD reply (RESP2: ``[[stream, [(id, fields), ...]], ...]``)."""
    return [entry for _, entries in reply or () for entry in entries]


class _Backoff:
    """Exponential backoff for reconnecting: 0.1 s doubling to 5 s."""

    def __init__(self) -> None:
        self.delay = 0.1

    def reset(self) -> None:
        self.delay = 0.1

    async def wait(self, stop: asyncio.Event) -> None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self.delay):
                await stop.wait()
        self.delay = min(5.0, self.delay * 2)
