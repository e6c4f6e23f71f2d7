"""The relay's ingest routes: 8x8's webhooks and the consoles' team events, validated
completely before anything is stored (the protocol: console/live/relay.py's docstring), and
the conversations the log has mentioned (a team event about one it never did is refused).

A mixin of :class:`console.live.relay.Relay`, which provides the state named below.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import orjson
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from console.live.envelope import WebhookEnvelope
from console.live.events import Event, FrameError, utc_iso
from console.live.log import EventLog, LogBounds
from console.live.relay_http import (
    CODE_FORBIDDEN,
    CODE_INTERNAL,
    CODE_INVALID_PARAMETER,
    CODE_UNAUTHENTICATED,
    bearer,
    header,
    read_body,
    same_secret,
)
from console.live.relay_http import (
    error as _error,
)
from console.live.team import (
    FIRST_KINDS,
    ONLINE,
    PRESENCE_TTL,
    TEAM_NAMESPACE,
    Presence,
    TeamAction,
    TeamError,
    conversation_id_problem,
    conversation_in,
    snooze_problem,
)

if TYPE_CHECKING:
    from console.live.metrics import RelayMetrics
    from console.live.oplog import RefusalTally

logger = logging.getLogger("console.live.relay")

#: Conversations the relay remembers having seen (the oldest are forgotten past this).
MAX_KNOWN_CONVERSATIONS = 1_000_000
#: The identity of the shared events token: it may name any agent (the embedded demo).
ANYONE = ""
#: The ``reason`` label of a refused webhook, by the status it was answered.
_REFUSALS = {401: "unauthenticated", 413: "too_large", 400: "invalid", 503: "unavailable"}


class IngestRoutes:
    """Webhook and team-event handlers; the Relay supplies the attributes annotated here."""

    log: EventLog
    max_body: int
    max_batch: int
    metrics: RelayMetrics
    refusals: RefusalTally
    _clock: Callable[[], float]
    _known: OrderedDict[str, None]
    _fanned_seq: int
    _webhook_secret: bytes
    _started: bool
    accepted: int
    _closing: bool

    if TYPE_CHECKING:  # provided by the Relay

        def _identify(self, supplied: bytes | None) -> str | None: ...

        async def publish_presence(self, presence: Presence) -> int: ...

        async def _append(
            self, namespace: str, event_type: str, payload: dict[str, Any]
        ) -> Event: ...

    # ------------------------------------------------------------------ conversations

    def _know(self, conversation_id: str | None) -> None:
        if conversation_id is None:
            return
        self._known[conversation_id] = None
        self._known.move_to_end(conversation_id)
        while len(self._known) > MAX_KNOWN_CONVERSATIONS:
            self._known.popitem(last=False)

    async def _learn_conversations(self, bounds: LogBounds) -> None:
        """Every conversation the kept log mentions (customers' messages, team events)."""
        cursor = max(0, bounds.oldest_seq - 1)
        while cursor < bounds.last_seq:
            batch = await self.log.read_frames_since(cursor, self.max_batch)
            if not batch:
                break
            for _, text in batch:
                # receipts, most of a log, are passed over without being parsed
                if '"Team"' not in text and "inbound_message_received" not in text:
                    continue
                try:
                    frame = orjson.loads(text)
                except orjson.JSONDecodeError:
                    continue
                if isinstance(frame, dict):
                    fields = (frame.get("namespace"), frame.get("eventType"), frame.get("payload"))
                    self._know(conversation_in(*fields))
            cursor = batch[-1][0]

    async def _conversation_problem(self, action: TeamAction) -> str | None:
        """Why this team event cannot be about its conversation, or None."""
        if action.conversation_id in self._known or action.kind == ONLINE:
            return None  # an agent's own presence is about no conversation
        problem = conversation_id_problem(action.conversation_id)
        if problem is not None:
            return problem
        if not action.kept or action.kind in FIRST_KINDS:
            return None
        # Another relay on a shared log may have numbered the customer's message a moment
        # ago: let this relay's fan-out catch up with the log before saying no.
        with contextlib.suppress(Exception):
            target = (await self.log.bounds()).last_seq
            async with asyncio.timeout(2.0):
                while self._fanned_seq < target and action.conversation_id not in self._known:
                    await asyncio.sleep(0.02)
        if action.conversation_id in self._known:
            return None
        return (
            f"no conversation {action.conversation_id!r} (a conversation starts with a "
            "customer's message, or an agent's reply or assignment)"
        )

    # ------------------------------------------------------------------ webhooks

    async def _sms_webhook(self, request: Request) -> Response:
        return await self._webhook(request, "SMS")

    async def _chatapps_webhook(self, request: Request) -> Response:
        return await self._webhook(request, "ChatApps")

    async def _webhook(self, request: Request, namespace: str) -> Response:
        """8x8's webhook for ``namespace`` (the route's): 8x8's event types only, never a
        team event, whatever the body says. Counted by outcome (console/live/metrics.py)."""
        response = await self._take_webhook(request, namespace)
        if response.status_code == 200:
            self.metrics.webhooks_accepted[namespace] += 1
        else:
            reason = _REFUSALS.get(response.status_code, "invalid")
            self.metrics.webhooks_refused[namespace, reason] += 1
            if reason != "unavailable":  # an outage has its own line (relay_health.py)
                self.refusals.refused(namespace, reason)
        return response

    async def _take_webhook(self, request: Request, namespace: str) -> Response:
        supplied = header(request.scope, b"authorization")
        if not same_secret(supplied, self._webhook_secret):
            return _error(401, CODE_UNAUTHENTICATED, "Request was not authenticated properly")
        body = await read_body(request, self.max_body)
        if isinstance(body, Response):
            return body
        try:  # strict: what a strict parser would refuse is never stored or sent on
            envelope = WebhookEnvelope.from_body(orjson.loads(body), (namespace,))
        except orjson.JSONDecodeError as error:
            reason = f"the body is not valid JSON ({error})"
            return _error(400, CODE_INVALID_PARAMETER, f"Invalid webhook body: {reason}")
        except FrameError as error:
            return _error(400, CODE_INVALID_PARAMETER, f"Invalid webhook body: {error}")
        if not self._started or self._closing:
            return _error(503, CODE_INTERNAL, "The relay is not running; retry later")
        try:
            event = await self._append(envelope.namespace, envelope.event_type, envelope.payload)
        except Exception:  # said once per outage by _append
            return _error(503, CODE_INTERNAL, "The event could not be stored; retry later")
        self.accepted += 1
        return JSONResponse({"seq": event.seq})

    # ------------------------------------------------------------------ team events

    async def _team_event(self, request: Request) -> Response:
        """A console's team event (console/live/team.py): kept kinds are numbered and
        persisted like a webhook; presence is fanned out at once and never kept. The acting
        agent is the token's: a body naming another is refused (403)."""
        response = await self._take_team_event(request)
        if response.status_code != 200:
            self.metrics.team_events["refused"] += 1
        return response

    async def _take_team_event(self, request: Request) -> Response:
        who = self._identify(bearer(request.scope))
        if who is None:
            return _error(401, CODE_UNAUTHENTICATED, "Request was not authenticated properly")
        body = await read_body(request, self.max_body)
        if isinstance(body, Response):
            return body
        try:
            action = TeamAction.from_body(orjson.loads(body))
        except orjson.JSONDecodeError as error:
            return _error(400, CODE_INVALID_PARAMETER, f"Invalid team event: not JSON ({error})")
        except TeamError as error:
            return _error(400, CODE_INVALID_PARAMETER, f"Invalid team event: {error}")
        if who != ANYONE:
            if action.agent != who:
                message = f"This token acts as {who!r}, not as {action.agent!r}"
                return _error(403, CODE_FORBIDDEN, message)
            action = replace(action, agent=who)
        problem = snooze_problem(action, self._clock())
        if not self._started or self._closing:
            return _error(503, CODE_INTERNAL, "The relay is not running; retry later")
        problem = problem or await self._conversation_problem(action)
        if problem is not None:
            return _error(400, CODE_INVALID_PARAMETER, f"Invalid team event: {problem}")
        if not action.kept:
            presence = Presence(action, utc_iso(), PRESENCE_TTL[action.kind])
            self.metrics.team_events["fanned_out"] += 1
            return JSONResponse({"fannedOut": await self.publish_presence(presence)})
        try:
            event = await self._append(TEAM_NAMESPACE, action.kind, action.to_body())
        except Exception:  # said once per outage by _append
            return _error(503, CODE_INTERNAL, "The event could not be stored; retry later")
        self.metrics.team_events["stored"] += 1
        return JSONResponse({"seq": event.seq})
