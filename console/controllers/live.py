"""Live events: the App owns the one websocket to the relay; this controller follows it and
has the core apply what it brings, in slices of a few milliseconds so a burst never holds the
agent's keys; then the announcer says what is news."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections import deque
from typing import TYPE_CHECKING

from console.messages import EventsMissed, EventsReceived, PresenceReceived, StreamStateChanged
from console.ui.slicing import TimeSlice
from console.ui.state import EventsStatus

if TYPE_CHECKING:
    from console.app import AgentConsole
    from console.core.model import Changes

APPLY_SLICE = 0.004  # seconds of live events applied before the loop is given back


class LiveEvents:
    def __init__(self, app: AgentConsole) -> None:
        self.app = app
        self._first_follow = False
        self._incoming: deque[EventsReceived | EventsMissed] = deque()
        self._applying = False  # the applier has been started (it then runs for good)
        self._incoming_ready = asyncio.Event()
        self._slice = TimeSlice(APPLY_SLICE)
        self._heard: list[Changes] = []

    @property
    def pending(self) -> int:
        """How many websocket messages wait to be applied."""
        return len(self._incoming)

    def maybe_follow(self) -> None:
        """Start the stream once logged in and once the history (the resume point) is known."""
        app = self.app
        session = app.session
        if session is None or not app.history_keeper.settled or app.stream is not None:
            return
        if session.events_url and session.events_token:
            # The embedded sandbox is a new world each run: everything from its start.
            since = 0 if session.sandbox is not None else app.core.resume_point()
            self._first_follow = not since
            self.follow(session.events_url, session.events_token, since)

    def follow(self, url: str, token: str, since: int | None) -> None:
        self.app.run_worker(
            self._follow(url, token, since),
            group="events",
            exclusive=True,
            exit_on_error=False,
            description="Live events",
        )

    async def _follow(self, url: str, token: str, since: int | None) -> None:
        from console.live.stream import EventBatch, EventStream, StreamState
        from console.live.team import Presence

        app = self.app
        app.stream = stream = EventStream(url, token, since=since)
        async for item in stream.batches():
            if isinstance(item, EventBatch):
                app.post_message(EventsReceived(item.events, item.replayed))
            elif isinstance(item, StreamState):
                app.post_message(StreamStateChanged(item))
            elif isinstance(item, Presence):
                app.post_message(PresenceReceived(item))
            else:
                app.post_message(EventsMissed(item))

    def restart(self) -> None:
        self.app.stream = None
        self.maybe_follow()

    def reconnect(self) -> None:
        if self.app.stream is not None:
            self.app.stream.reconnect()

    def state_changed(self, message: StreamStateChanged) -> None:
        app = self.app
        app.connection = app.connection.with_events(EventsStatus.from_stream(message.state))

    def arrived(self, message: EventsReceived | EventsMissed) -> None:
        """Events and gaps are applied in their order, by the applier (started once)."""
        self._incoming.append(message)
        self._incoming_ready.set()
        if not self._applying:
            self._applying = True
            self.app.run_worker(
                self._apply_incoming(), group="apply-events", description="Applying live events"
            )

    async def _apply_incoming(self) -> None:
        """Apply what arrives in slices of a few milliseconds (TimeSlice: sized by time, not
        by a count), giving the loop back between slices: a burst of 2,000 receipts a second
        never holds the agent's keys, repaints or timers for longer than a slice."""
        while True:
            await self._incoming_ready.wait()
            self._incoming_ready.clear()
            while self._incoming:
                self._apply_slice()
                await asyncio.sleep(0)  # whatever is ready (a key, a repaint) runs now

    def _apply_slice(self) -> None:
        core = self.app.core
        room = self._slice.size()
        applied = 0
        started = time.perf_counter()
        while self._incoming and room > 0:
            head = self._incoming.popleft()
            if isinstance(head, EventsMissed):
                core.apply_gap(head.notice)
                self.app.notify(
                    head.notice.message, title="Events may be missing", severity="warning"
                )
                continue
            events, rest = head.events[:room], head.events[room:]
            room -= len(events)
            applied += len(events)
            changes = core.apply_events(events)
            self._heard.append(changes)
            if rest:
                self._incoming.appendleft(dataclasses.replace(head, events=rest))
                break
            self._events_applied(head)
        self._slice.took(applied, time.perf_counter() - started)

    def _events_applied(self, message: EventsReceived) -> None:
        """A websocket message's events are all in: say what is news, once."""
        app = self.app
        heard, self._heard = self._heard, []
        # A first catch-up (a relay this console never followed) is the team's past, not
        # news: its customers' messages are listed, not announced.
        if not (message.replayed and self._first_follow):
            inbound = tuple(m for changes in heard for m in changes.inbound)
            team = tuple(t for changes in heard for t in changes.team)
            from console.core.model import Changes

            app.announcer.announce(Changes(inbound=inbound, team=team))
        if not message.replayed:
            self._first_follow = False
        events = app.connection.events.after_events(time.time())
        if events != app.connection.events:
            app.connection = app.connection.with_events(events)
