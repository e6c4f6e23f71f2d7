"""The webhook relay: receives 8x8 webhooks, numbers and persists them, fans them out.

Routes (Starlette):

- ``POST /webhooks/sms`` and ``POST /webhooks/chatapps``: an 8x8 webhook body
  ``{namespace, eventType, description?, payload}``. The ``Authorization`` header must equal
  the webhook secret (8x8 sends the webhook's ``httpAuthorization`` string verbatim); it is
  compared in constant time. Answers: 401 (wrong or missing secret, nothing stored), 413 (body
  over ``max_body`` bytes, by ``Content-Length`` or counted while reading), 400 (not strict
  JSON: not UTF-8, NaN or Infinity, a lone surrogate, nested deeper than 1,024 levels; or no
  string ``namespace``/``eventType`` and object ``payload``; or an envelope that is not one
  8x8 sends on this route: ``/webhooks/sms`` takes only namespace ``SMS``, ``/webhooks/chatapps``
  only ``ChatApps``, each with 8x8's event types (``inbound_message_received``,
  ``outbound_message_status_changed``), so the webhook secret can never post a ``Team``
  event; ``namespace``, ``eventType`` and ``description`` bounded and free of control
  characters), 503 (could not persist: 8x8 retries), 200 ``{"seq": n}`` once the event is
  durably in the log. Every error, 404 and 405 included, is 8x8's error body ``{code,
  message, errorId, timestamp}``. What the relay stores and sends is therefore JSON any strict
  parser accepts. The payload is 8x8's event as 8x8 sent it (a customer's text may hold any
  character): consoles show it as text.

- ``POST /team/events``: a console's team event (console/live/team.py), authenticated by
  ``Authorization: Bearer <token>``: an agent's own token from the agents file
  (console/live/agents.py), which makes the token's agent the one who acts (a body naming
  anyone else is refused with 403 and not stored), or, without an agents file, the shared
  events token (the embedded demo), which may name any agent. Validated completely first (401,
  413 and 400 as for webhooks, naming the field): a conversation the log has never mentioned
  (no customer's message, no team event) takes only a valid first event (an assignment or a
  reply) for a valid id (one of 8x8's channels, a number or user id), and a snooze ends within
  a year of the relay's clock and not in the past. Kept kinds (assigned, status_changed,
  labelled, note_added, replied) are numbered and persisted in the same log as webhooks
  (namespace ``Team``) and answered ``{"seq": n}``; presence (viewing, typing) is fanned out
  at once as a ``presence`` frame to the consoles connected now, never kept nor numbered, and
  answered ``{"fannedOut": n}``, the number of this relay's consoles it reached. With several
  relays on one Redis log, it is also handed to the other relays (Redis pub/sub, through the
  log's ``publish_transient``), which fan it out to theirs.

- websocket ``/events``: authenticated by ``Authorization: Bearer <token>`` or
  ``?token=<token>`` (an agent's token, or the shared events token); a wrong or missing token
  is accepted and then closed with 1008 (policy violation), as is a ``since`` that is not a
  plain number. ``?since=N`` replays every kept event after N, then continues live, with no
  duplicate and no hole: the connection subscribes to new commits *before* it reads the log's
  bounds and backlog, and drops queued events it already sent (by seq). The relay itself holds
  one subscription to the log and queues each batch it yields on every connection, so with
  several relays on one Redis log every console sees the same events in the same seq order,
  whichever relay numbered them. When the log cannot store or be read (Redis unreachable),
  every console is let go at once (1013, "the relay cannot store events now …"): the relay
  asks the log every ``health_interval`` s, so consoles hear of an outage within a few seconds
  even when nothing is posted, and the relay logs one line when it begins and one when it
  ends, not one per refused request. A console comes back with ``since=`` (refused with 1013
  until the log answers again). Every console is let go the same way when the log's
  numbering went back (a Redis that lost what it had acknowledged), and the replay then tells
  it so. Without
  ``since`` the stream starts live. Every websocket message is a JSON array of frames (see
  :mod:`console.live.events`): events, a ``gap`` frame first when N is older than the log (or
  ahead of it), and a ``heartbeat`` right after the replay and whenever the stream has been
  idle for ``heartbeat`` seconds. Batches hold up to ``max_batch`` events or about
  ``max_batch_bytes`` of JSON.

  Each subscriber has a bounded queue (``subscriber_queue`` events and ``subscriber_bytes``
  of JSON). When it overflows, or when one send to it has waited ``send_timeout`` seconds
  (a client that stopped reading: its socket buffers are full), that subscriber alone is
  dropped and its socket closed with **1013** ("try again later") and a reason naming the
  last seq sent; it reconnects with ``since=``. Others are unaffected: a commit costs each
  subscriber one deque append per event.

Mounting the routes on another Starlette app (the sandbox does): see :class:`Relay`.
``startup()`` opens the log, subscribes to it and starts the periodic trim; ``shutdown()``
closes every subscriber with 1012 (service restart) and closes the log. Routes answer 503
before startup.

Operations (``agent-console relay`` wires them; deploy/ runs them behind HAProxy): ``GET
/healthz``, ``/readyz`` and ``/metrics`` (console/live/admin.py, console/live/metrics.py);
a restart drains: :meth:`Relay.begin_drain` makes ``/readyz`` answer 503 while everything is
still served, then :meth:`Relay.drain` sends each console what was queued for it and closes
it with 1012 (its EventStream resumes at once, on another relay, with ``since=``).

Where the code is: the websocket fan-out here; the webhook and team-event routes in
console/live/ingest.py; the log's health watch in console/live/relay_health.py; error bodies
and header helpers in console/live/relay_http.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import re
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from console.live.agents import AgentDirectory
from console.live.events import (
    Event,
    GapNotice,
    Heartbeat,
    control_json,
    encode_message,
    parse_iso,
)
from console.live.fanout import Fanout, Outbox, forward
from console.live.ingest import ANYONE, MAX_KNOWN_CONVERSATIONS, IngestRoutes
from console.live.log import EventLog, LogBounds, LogError, Subscription
from console.live.metrics import RelayMetrics, log_kind
from console.live.oplog import RefusalTally
from console.live.relay_health import LOG_DOWN, LogHealth
from console.live.relay_http import (
    CLOSE_POLICY_VIOLATION,
    CLOSE_SERVICE_RESTART,
    CLOSE_TRY_AGAIN_LATER,
    DEFAULT_MAX_BODY,
    bearer,
    http_error,
    same_secret,
)
from console.live.team import Presence, conversation_of

__all__ = [
    "ANYONE",
    "DEFAULT_MAX_BODY",
    "LOG_DOWN",
    "MAX_KNOWN_CONVERSATIONS",
    "Relay",
    "create_relay_app",
    "http_error",
]

logger = logging.getLogger(__name__)

SINCE = re.compile(r"[0-9]{1,18}")  # a seq: ASCII digits only, well inside 64 bits


_Subscriber = Outbox  # one websocket's bounded queue (console/live/fanout.py)


class Relay(IngestRoutes, LogHealth):
    """The relay's routes and state, for ``create_relay_app`` or for mounting elsewhere.

    ``routes`` are four Starlette routes at the root: ``POST /webhooks/sms``,
    ``POST /webhooks/chatapps``, ``POST /team/events`` and websocket ``/events`` (protocol:
    module docstring).
    ``webhook_secret`` is the exact ``Authorization`` value webhooks must carry and
    ``events_token`` the bearer token (or tokens) of ``/events``. Both are required: there is
    no relay without them.

    To mount them on another app (the sandbox), add the routes and run the relay's
    lifespan inside the app's own::

        relay = Relay(FileEventLog(path), webhook_secret=secret, events_token=demo_key)

        @contextlib.asynccontextmanager
        async def lifespan(app):
            async with relay.lifespan():   # = await relay.startup() ... relay.shutdown()
                yield

        app = Starlette(routes=[*sandbox_routes, *relay.routes], lifespan=lifespan)

    ``startup()`` opens the log, starts the fan-out and a trim every ``trim_interval`` s;
    ``shutdown()`` closes subscribers (1012) and then the log. Before startup the routes
    answer 503 (webhooks) or close 1012 (events). Run it on the loop that serves the routes.
    """

    def __init__(
        self,
        log: EventLog,
        *,
        webhook_secret: str,
        events_token: str | Sequence[str] | None = None,
        agents: AgentDirectory | None = None,
        max_body: int = DEFAULT_MAX_BODY,
        subscriber_queue: int = 10_000,
        subscriber_bytes: int = 16 * 1024 * 1024,
        send_timeout: float = 10.0,
        heartbeat: float = 15.0,
        trim_interval: float = 60.0,
        max_batch: int = 1000,
        max_batch_bytes: int = 256 * 1024,
        close_timeout: float = 5.0,
        health_interval: float = 1.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.log = log
        self.metrics = RelayMetrics(
            log_kind=log_kind(log), subscribers=lambda: len(self._subscribers)
        )
        self.refusals = RefusalTally(logger, clock)
        self._letting_go = False  # drain(): each console gets its queue, then 1012
        self._draining = False  # SIGTERM: not ready, then consoles let go (1012), then stop
        self._ready: bool | None = None  # what /readyz said last (logged when it changes)
        if events_token is None:
            tokens: tuple[str, ...] = ()
        elif isinstance(events_token, str):
            tokens = (events_token,)
        else:
            tokens = tuple(events_token)
        if not isinstance(webhook_secret, str) or not webhook_secret:
            raise ValueError("the relay needs a webhook secret")
        if agents is not None and tokens:
            raise ValueError("an agents file replaces the shared events token: give one")
        if agents is None and (not tokens or not all(isinstance(t, str) and t for t in tokens)):
            raise ValueError("the relay needs at least one events token, or an agents file")
        self._webhook_secret = webhook_secret.encode()
        self._events_tokens = tuple(t.encode() for t in tokens)
        self.agents = agents
        self.health_interval = health_interval
        self._clock = clock
        self._known: OrderedDict[str, None] = OrderedDict()  # conversations seen in the log
        self._log_down: str | None = None  # why the log cannot store, while it cannot
        self._down_by_probe = False  # the watch saw it (so the watch may see it back)
        self.max_body = max_body
        self.subscriber_queue = subscriber_queue
        self.subscriber_bytes = subscriber_bytes
        self.send_timeout = send_timeout
        self.heartbeat = heartbeat
        self.trim_interval = trim_interval
        self.max_batch = max_batch
        self.max_batch_bytes = max_batch_bytes
        self.close_timeout = close_timeout
        self._subscribers: set[_Subscriber] = set()
        self._fanout = Fanout(
            self._subscribers, self._drop, max_batch=max_batch, max_batch_bytes=max_batch_bytes
        )
        self._handlers: set[asyncio.Task[Any]] = set()
        self._started = False
        self._closing = False
        self._maintenance: asyncio.Task[None] | None = None
        self._feeds: list[asyncio.Task[None]] = []
        self._subscription: Subscription | None = None
        self._fanned_seq = 0  # the highest seq fanned out
        self.accepted = 0
        self.routes: list[BaseRoute] = [
            Route("/webhooks/sms", self._sms_webhook, methods=["POST"], name="webhook_sms"),
            Route(
                "/webhooks/chatapps",
                self._chatapps_webhook,
                methods=["POST"],
                name="webhook_chatapps",
            ),
            Route("/team/events", self._team_event, methods=["POST"], name="team_events"),
            WebSocketRoute("/events", self._events, name="events"),
        ]

    # ------------------------------------------------------------------ lifecycle

    @property
    def started(self) -> bool:
        return self._started

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)

    async def startup(self) -> None:
        """Open the log, start fanning out its commits, and start the periodic trim."""
        if self._started:
            return
        await self.log.open()
        try:
            bounds = await self.log.bounds()
        except BaseException:
            await self.log.close()
            raise
        self._fanned_seq = bounds.last_seq
        self.metrics.log_first_seq, self.metrics.log_last_seq = bounds.oldest_seq, bounds.last_seq
        try:
            await self._learn_conversations(bounds)
        except BaseException:
            await self.log.close()
            raise
        self._subscription = self.log.subscribe(after=bounds.last_seq)
        self._subscription.deliver_to(self._on_commit)
        self._feeds = [
            asyncio.create_task(self._fan_out_transients(), name="relay-transients"),
            asyncio.create_task(self._watch_log(), name="relay-log-watch"),
        ]
        self._closing = False
        self._started = True
        self._maintenance = asyncio.create_task(self._trim_forever(), name="relay-trim")
        self.note_readiness(None)

    async def shutdown(self) -> None:
        """Close every subscriber (1012, service restart), then close the log."""
        if not self._started:
            return
        self._closing = True
        if self._maintenance is not None:
            self._maintenance.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._maintenance
        for subscriber in list(self._subscribers):
            if subscriber.pump is not None:
                subscriber.pump.cancel()
        if self._handlers:
            await asyncio.wait(set(self._handlers), timeout=self.close_timeout + 1)
        if self._subscription is not None:
            await self._subscription.aclose()
            self._subscription = None
        for feed in self._feeds:
            feed.cancel()
        for feed in self._feeds:
            with contextlib.suppress(asyncio.CancelledError):
                await feed
        self._feeds = []
        self._subscribers.clear()
        await self.log.close()
        self._started = False

    @contextlib.asynccontextmanager
    async def lifespan(self, app: Any = None) -> AsyncIterator[None]:
        """``startup()`` on enter, ``shutdown()`` on exit; usable as a Starlette lifespan."""
        await self.startup()
        try:
            yield
        finally:
            await self.shutdown()

    async def _fan_out_transients(self) -> None:
        """Presence another relay received: to this relay's consoles."""
        async for text in self.log.transients():
            self._queue_transient(text)

    def _observe_lag(self, oldest: Event) -> None:
        """The fan-out lag histogram: the oldest event of a batch, numbered to queued."""
        numbered = parse_iso(oldest.received_at)
        if numbered is not None:
            self.metrics.fanout_lag.observe(max(0.0, self._clock() - numbered))

    def _note_dropped(self, subscriber: _Subscriber, reason: str) -> None:
        """Count a console let go; a slow one gets a line (an outage has its own)."""
        if subscriber.dropped is not None or subscriber not in self._subscribers:
            return  # already let go
        kind = {LOG_DOWN: "log_down"}.get(reason, "slow" if "slow" in reason else "restart")
        self.metrics.subscribers_dropped[kind] += 1
        if kind == "slow":
            logger.warning(
                "relay: a console was too slow and was let go (1013; it resumes with since=)",
                extra={"event": "subscriber_dropped", "queued": subscriber.queued},
            )

    # ------------------------------------------------------------------ presence

    async def publish_presence(self, presence: Presence) -> int:
        """Send a presence frame to every console connected to this relay now, and hand it to
        the other relays on the log for theirs (not kept, not numbered: a console that
        connects later never sees it); returns how many of this relay's consoles it reached."""
        text = json.dumps(presence.to_frame(), separators=(",", ":"))
        reached = self._queue_transient(text)
        try:
            await self.log.publish_transient(text)
        except LogError as error:  # presence is best effort: it is sent again while it lasts
            self._log_failed(error, probe=True)
        except Exception:
            logger.warning("relay: could not hand presence to the other relays", exc_info=True)
        return reached

    def _queue_transient(self, text: str) -> int:
        """Queue an unnumbered frame on every console that has room; returns how many."""
        return self._fanout.transient(text)

    def _identify(self, supplied: bytes | None) -> str | None:
        """Who a bearer token is: an agent's name (the agents file), :data:`ANYONE` (the
        shared events token, without an agents file), or None (nobody we know)."""
        if self.agents is not None:
            return self.agents.agent_for(supplied)
        # Compare against every token (no early exit), each in constant time.
        matches = [same_secret(supplied, token) for token in self._events_tokens]
        return ANYONE if any(matches) else None

    # ------------------------------------------------------------------ fan-out

    def _on_commit(self, events: Sequence[Event]) -> None:
        """The log's subscription: queue a committed batch (this relay's or, on a shared log,
        another's) on every console (O(1) per event each).

        A batch at or below a seq already fanned out means the log's numbering went back (a
        shared log whose Redis lost acknowledged writes, restarted without persistence): the
        consoles' resume points belong to the old numbering, so each is let go (1013) and
        comes back with ``since=``, which the replay answers with a reset gap notice."""
        went_back = bool(events) and events[0].seq <= self._fanned_seq
        if events:
            self._fanned_seq = events[-1].seq
            self._observe_lag(events[0])
        for event in events:
            self._know(conversation_of(event))
        if went_back:
            logger.warning(
                "relay: the event log's numbering went back to seq %d; consoles resume anew",
                events[0].seq,
            )
            for subscriber in list(self._subscribers):
                self._drop(subscriber, "the event log's numbering restarted")
            return
        self._fanout.publish(events)  # encoded once, the same message to every console

    def _drop(self, subscriber: _Subscriber, reason: str = "subscriber too slow") -> None:
        """Let a subscriber go (overflow, by default): forget its queue; its handler closes it
        with 1013 and ``reason``."""
        self._note_dropped(subscriber, reason)
        subscriber.dropped = reason
        subscriber.queue.clear()
        subscriber.queued_bytes = 0
        self._subscribers.discard(subscriber)
        if subscriber.pump is not None:
            subscriber.pump.cancel()

    async def _events(self, websocket: WebSocket) -> None:
        await websocket.accept()
        if not self._token_ok(websocket):
            await self._close(websocket, CLOSE_POLICY_VIOLATION, "invalid or missing events token")
            return
        since_text = websocket.query_params.get("since")
        since: int | None = None
        if since_text not in (None, ""):
            if not SINCE.fullmatch(since_text):
                await self._close(
                    websocket, CLOSE_POLICY_VIOLATION, "since must be a non-negative integer"
                )
                return
            since = int(since_text)
        if not self._started or self._closing or self._letting_go:
            await self._close(websocket, CLOSE_SERVICE_RESTART, "relay is not running")
            return

        handler = asyncio.current_task()
        if handler is not None:
            self._handlers.add(handler)
        subscriber = _Subscriber(self.subscriber_queue, self.subscriber_bytes)
        self._subscribers.add(subscriber)  # subscribe first, then read the bounds and backlog
        try:
            bounds = await self.log.bounds()
        except Exception as error:
            self._subscribers.discard(subscriber)
            if handler is not None:
                self._handlers.discard(handler)
            self._log_failed(error, probe=True)
            await self._close(websocket, CLOSE_TRY_AGAIN_LATER, LOG_DOWN)
            return
        progress = [since if since is not None else bounds.last_seq]
        subscriber.pump = asyncio.create_task(
            self._pump(websocket, subscriber, since, bounds, progress)
        )
        reader = asyncio.create_task(_read_until_disconnect(websocket))
        try:
            await asyncio.wait({subscriber.pump, reader}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            self._subscribers.discard(subscriber)
            for task in (subscriber.pump, reader):
                task.cancel()
            for task in (subscriber.pump, reader):
                with contextlib.suppress(BaseException):
                    await task
            if handler is not None:
                self._handlers.discard(handler)
        if reader.done() and not reader.cancelled():
            return  # the client went away
        pump = subscriber.pump
        failed = pump.exception() if pump.done() and not pump.cancelled() else None
        if isinstance(failed, LogError):
            self._log_failed(failed, probe=True)
            reason = f"{LOG_DOWN}; reconnect with since={progress[0]}"
            await self._close(websocket, CLOSE_TRY_AGAIN_LATER, reason)
        elif subscriber.dropped is not None:
            reason = f"{subscriber.dropped}; reconnect with since={progress[0]}"
            await self._close(websocket, CLOSE_TRY_AGAIN_LATER, reason)
        elif self._closing or self._letting_go:
            await self._close(websocket, CLOSE_SERVICE_RESTART, "relay restarting")
        else:
            await self._close(websocket, 1011, "relay error")

    def _token_ok(self, websocket: WebSocket) -> bool:
        supplied = bearer(websocket.scope)
        if supplied is None:
            query = websocket.query_params.get("token")
            if query is not None:
                supplied = query.encode()
        return self._identify(supplied) is not None

    async def _close(self, websocket: WebSocket, code: int, reason: str) -> None:
        try:
            async with asyncio.timeout(self.close_timeout):
                await websocket.close(code=code, reason=reason)
        except (TimeoutError, OSError, RuntimeError, WebSocketDisconnect):
            pass

    async def _pump(
        self,
        websocket: WebSocket,
        subscriber: _Subscriber,
        since: int | None,
        bounds: LogBounds,
        progress: list[int],
    ) -> None:
        """Replay after ``since`` up to ``bounds.last_seq``, then forward the live queue."""
        cursor = progress[0]
        target = bounds.last_seq

        async def send_control(frame: GapNotice | Heartbeat) -> None:
            await self._send(websocket, subscriber, encode_message([control_json(frame)]))

        if since is not None:
            oldest = bounds.oldest_seq
            if since > target or since + 1 < oldest:
                gap = GapNotice.describe(since, oldest)
                await send_control(gap)
                cursor = progress[0] = gap.resumes_at - 1
            while cursor < target:  # frames as stored: nothing is parsed to be sent on
                batch = await self.log.read_frames_since(cursor, self.max_batch)
                if not batch:
                    break
                if batch[0][0] > cursor + 1:  # trimmed while we replayed, or a lost stretch
                    await send_control(GapNotice.describe(cursor, batch[0][0]))
                await self._send_events(websocket, subscriber, [text for _, text in batch])
                cursor = progress[0] = batch[-1][0]
        await send_control(Heartbeat(cursor))

        send = functools.partial(self._send, websocket, subscriber)
        await forward(subscriber, send, progress, self.heartbeat, self.max_batch_bytes)

    async def _send_events(
        self, websocket: WebSocket, subscriber: _Subscriber, texts: list[str]
    ) -> None:
        parts: list[str] = []
        size = 0
        for text in texts:
            if parts and size + len(text) > self.max_batch_bytes:
                await self._send(websocket, subscriber, encode_message(parts))
                parts, size = [], 0
            parts.append(text)
            size += len(text)
        if parts:
            await self._send(websocket, subscriber, encode_message(parts))

    async def _send(self, websocket: WebSocket, subscriber: _Subscriber, message: str) -> None:
        """Send one message; a client that takes none for ``send_timeout`` s overflows."""
        try:
            async with asyncio.timeout(self.send_timeout):
                await websocket.send_text(message)
        except TimeoutError:
            self._drop(subscriber)
            raise asyncio.CancelledError from None


async def _read_until_disconnect(websocket: WebSocket) -> None:
    """Consume client messages (ignored) until the client disconnects."""
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return


def create_relay_app(
    log: EventLog,
    *,
    webhook_secret: str,
    events_token: str | Sequence[str] | None = None,
    admin: bool = True,
    **options: Any,
) -> Starlette:
    """A Starlette app serving only the relay; ``app.state.relay`` is the :class:`Relay`.
    With ``admin`` (the default) it also serves ``/healthz``, ``/readyz`` and ``/metrics``
    (console/live/admin.py); without, serve those elsewhere with ``create_admin_app``."""
    from console.live.admin import admin_routes

    relay = Relay(log, webhook_secret=webhook_secret, events_token=events_token, **options)
    app = Starlette(
        routes=[*relay.routes, *(admin_routes(relay) if admin else ())],
        lifespan=relay.lifespan,
        exception_handlers={HTTPException: http_error},
    )
    app.state.relay = relay
    return app
