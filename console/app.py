"""AgentConsole: the Textual app. It owns the long-lived services (the session and its API
client, later the event stream and the history); screens only compose widgets and react.

Widgets never do I/O; workers never touch widgets; messages carry results; the App owns
long-lived services and the websocket worker.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.reactive import reactive
from textual.screen import Screen
from textual.signal import Signal
from textual.worker import Worker, WorkerState

from console.config import Settings
from console.connection import ConnectionInfo
from console.live.events import GapNotice, MessageTimeline, Receipt
from console.messages import ConnectFailed, SessionStarted, StreamChanged
from console.paths import styles_path
from console.screens.feed import FeedScreen
from console.screens.home import HomeScreen
from console.screens.inbox import InboxScreen
from console.screens.rooms import RoomsScreen
from console.sections import SECTIONS
from console.session import ConnectError, Session, connect
from console.tracker import DeliveryTracker

if TYPE_CHECKING:
    from console.api.models import SmsAccepted
    from console.live.stream import EventStream, StreamState
    from console.sms import SmsAnalysis


def _compose_screen() -> Screen[None]:
    """The composer pulls in TextArea and friends: import it when first opened."""
    from console.screens.compose import ComposeScreen

    return ComposeScreen()


class AgentConsole(App[None]):
    """The console: one mode per section, a key away and in the command palette."""

    TITLE = "agent-console"
    CSS_PATH = styles_path("base.tcss")
    MODES: ClassVar = {
        "home": HomeScreen,
        "rooms": RoomsScreen,
        "inbox": InboxScreen,
        "feed": FeedScreen,
        "compose": _compose_screen,
    }
    DEFAULT_MODE = "home"
    BINDINGS: ClassVar[list[BindingType]] = [
        *(
            Binding(
                section.key,
                f"switch_mode('{section.mode}')",
                section.title,
                id=f"section.{section.mode}",
                tooltip=section.summary,
            )
            for section in SECTIONS
        ),
        Binding("ctrl+r", "reconnect", "Reconnect", id="reconnect", show=False),
    ]

    connection: reactive[ConnectionInfo] = reactive(ConnectionInfo)

    def __init__(self, settings: Settings, *, connector=connect) -> None:
        super().__init__()
        self.settings = settings
        self._connector = connector
        self.session: Session | None = None
        self.stream: EventStream | None = None
        self.deliveries = DeliveryTracker()
        self.delivery_changed: Signal[Receipt] = Signal(self, "delivery-changed")

    def on_mount(self) -> None:
        if self.settings.keymap:
            self.set_keymap(dict(self.settings.keymap))

    def on_ready(self) -> None:
        """Log in only after the first frame: the agent sees the console at once."""
        self.action_reconnect()

    async def on_unmount(self) -> None:
        if self.stream is not None:
            await self.stream.close()
        if self.session is not None:
            await self.session.close()
            self.session = None

    def action_reconnect(self) -> None:
        """(Re)start the login; the header shows progress instead of a frozen state."""
        if self.connection.state in {"connecting", "connected"} and self.session is not None:
            return
        detail = (
            "starting the embedded sandbox…"
            if self.settings.embedded_sandbox
            else f"connecting to {self.settings.mode_label}…"
        )
        self.connection = ConnectionInfo(state="connecting", detail=detail)
        self.start_session()

    @work(group="session", exclusive=True, exit_on_error=False, description="Logging in")
    async def start_session(self) -> None:
        try:
            session = await self._connector(self.settings)
        except ConnectError as error:
            self.post_message(ConnectFailed(str(error)))
            return
        self.post_message(SessionStarted(session))

    @on(SessionStarted)
    async def _session_started(self, message: SessionStarted) -> None:
        if self.session is not None:
            await self.session.close()
        self.session = message.session
        self.connection = ConnectionInfo(
            state="connected",
            target=message.session.target,
            subaccount=message.session.subaccount,
            masked_key=message.session.masked_key,
            events="connecting" if message.session.events_url else "off",
        )
        if message.session.events_url and message.session.events_token:
            self.follow_events(message.session.events_url, message.session.events_token)

    # -- live events: the App owns the one websocket -----------------------------------

    @work(group="events", exclusive=True, exit_on_error=False, description="Live events")
    async def follow_events(self, url: str, token: str) -> None:
        from console.live.stream import EventStream

        if self.stream is not None:
            await self.stream.close()
        self.stream = stream = EventStream(url, token, since=self._resume_seq())
        async for item in stream.batches():
            self.post_message(StreamChanged(item))

    def _resume_seq(self) -> int | None:
        return None

    @on(StreamChanged)
    def _stream_changed(self, message: StreamChanged) -> None:
        from console.live.stream import EventBatch, StreamState

        item = message.item
        if isinstance(item, EventBatch):
            for event in item.events:
                receipt = self.deliveries.apply_event(event)
                if receipt is not None:
                    self.delivery_changed.publish(receipt)
        elif isinstance(item, StreamState):
            self._show_stream_state(item)
        elif isinstance(item, GapNotice):
            self.notify(item.message, title="Events may be missing", severity="warning")

    def _show_stream_state(self, state: StreamState) -> None:
        if state.state == "live":
            label = "live"
        elif state.state == "reconnecting":
            label = f"reconnecting (attempt {state.attempt})"
        elif state.state == "gap":
            label = f"may be missing since {state.at[11:19]} UTC"
        else:
            label = "connecting"
        if self.connection.state == "connected":
            self.connection = dataclasses.replace(self.connection, events=label)

    def track_sent(
        self, accepted: SmsAccepted, destination: str, analysis: SmsAnalysis
    ) -> MessageTimeline:
        """Record a send; returns its timeline (a receipt may already have moved it on)."""
        self.deliveries.apply_sms_accepted(accepted)
        timeline = self.deliveries.timeline(accepted.umid)
        assert timeline is not None
        return timeline

    @on(ConnectFailed)
    def _connect_failed(self, message: ConnectFailed) -> None:
        self.connection = ConnectionInfo(state="failed", detail=message.reason)
        self.notify(message.reason, title="Not connected", severity="error", timeout=10)

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        """The one place where an unexpected worker error becomes a readable notice."""
        worker = event.worker
        if event.state is not WorkerState.ERROR:
            return
        error = worker.error
        readable = getattr(error, "readable", None) or f"{type(error).__name__}: {error}"
        self.notify(readable, title=f"{worker.description or worker.name} failed", severity="error")
        if worker.group == "session":
            self.connection = ConnectionInfo(state="failed", detail=readable)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        for section in SECTIONS:
            if self.current_mode != section.mode:
                yield SystemCommand(
                    f"Open {section.title}",
                    section.summary,
                    lambda mode=section.mode: self.switch_mode(mode),
                )
        if self.connection.state == "failed":
            yield SystemCommand("Reconnect", "Try logging in again", self.action_reconnect)
        yield from super().get_system_commands(screen)
