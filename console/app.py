"""AgentConsole: the Textual app. It owns the long-lived services (the session and its API
client, the live event stream, the delivery tracker and the history); screens only compose
widgets and react.

Widgets never do I/O; workers never touch widgets; messages carry results; the App owns
long-lived services and the websocket worker.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.reactive import reactive
from textual.screen import Screen
from textual.signal import Signal
from textual.worker import Worker, WorkerState

from console.config import Settings
from console.connection import ConnectionInfo
from console.inbound import InboundMessage, parse_inbound
from console.live.events import GapNotice, MessageTimeline, Receipt, receipt_from_event
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
    from console.store import History


def _compose_screen() -> Screen[None]:
    """The composer pulls in TextArea and friends: import it when first opened."""
    from console.screens.compose import ComposeScreen

    return ComposeScreen()


@dataclass
class HistoryOpened(Message):
    """The history is open (with notices such as a corrupt file moved aside)."""

    history: History


@dataclass
class HistoryUnavailable(Message):
    """The history could not be opened; the console runs without saving."""

    reason: str


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
    history_status: reactive[str] = reactive("opening…")

    def __init__(self, settings: Settings, *, connector=connect) -> None:
        super().__init__()
        self.settings = settings
        self._connector = connector
        self.session: Session | None = None
        self.stream: EventStream | None = None
        self.history: History | None = None
        self._history_settled = False
        self.deliveries = DeliveryTracker()
        self.delivery_changed: Signal[Receipt] = Signal(self, "delivery-changed")
        self.inbound_received: Signal[InboundMessage] = Signal(self, "inbound-received")
        self.history_ready: Signal[History] = Signal(self, "history-ready")

    def on_mount(self) -> None:
        if self.settings.keymap:
            self.set_keymap(dict(self.settings.keymap))

    def on_ready(self) -> None:
        """Open the history and log in only after the first frame: the console shows at once."""
        self.open_history()
        self.action_reconnect()

    async def on_unmount(self) -> None:
        if self.stream is not None:
            await self.stream.close()
        if self.session is not None:
            await self.session.close()
            self.session = None
        if self.history is not None:
            history, self.history = self.history, None
            await asyncio.to_thread(history.close)

    # -- history -----------------------------------------------------------------------

    @work(group="history", thread=True, exit_on_error=False, description="Opening the history")
    def open_history(self) -> None:
        from console.paths import data_dir
        from console.store import History, HistoryError

        folder = self.settings.data_dir or data_dir()
        try:
            history = History.open(
                folder,
                max_age_days=self.settings.history_max_age_days,
                max_records=self.settings.history_max_records,
            )
        except HistoryError as error:  # HistoryLocked included: its message names the fix
            self.post_message(HistoryUnavailable(str(error)))
            return
        except OSError as error:
            self.post_message(HistoryUnavailable(f"History could not be opened: {error}"))
            return
        self.post_message(HistoryOpened(history))

    @on(HistoryOpened)
    def _history_opened(self, message: HistoryOpened) -> None:
        self.history = message.history
        self._history_settled = True
        self.history_status = f"saved in {message.history.data_dir}"
        for notice in message.history.notices:
            self.notify(notice, title="History", severity="warning", timeout=15)
        if self.session is not None:
            self._record_login(self.session)
        self.history_ready.publish(message.history)
        self._maybe_follow_events()

    @on(HistoryUnavailable)
    def _history_unavailable(self, message: HistoryUnavailable) -> None:
        self._history_settled = True
        self.history_status = "not saved — " + message.reason
        self.notify(
            message.reason + " This console runs without saving its history.",
            title="History not saved",
            severity="error",
            timeout=20,
        )
        self._maybe_follow_events()

    def _record_login(self, session: Session) -> None:
        if self.history is not None:
            self.history.record_login(session.subaccount, session.target, session.key_tail)

    # -- login -------------------------------------------------------------------------

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
        session = self.session = message.session
        self.connection = ConnectionInfo(
            state="connected",
            target=session.target,
            subaccount=session.subaccount,
            masked_key=session.masked_key,
            events="connecting" if session.events_url else "off",
            server_url=session.server_url or "",
        )
        self._record_login(session)
        self._maybe_follow_events()

    @on(ConnectFailed)
    def _connect_failed(self, message: ConnectFailed) -> None:
        self.connection = ConnectionInfo(state="failed", detail=message.reason)
        self.notify(message.reason, title="Not connected", severity="error", timeout=10)

    # -- live events: the App owns the one websocket -----------------------------------

    def _maybe_follow_events(self) -> None:
        """Start the stream once logged in and once the history (the resume point) is known."""
        session = self.session
        if session is None or not self._history_settled or self.stream is not None:
            return
        if session.events_url and session.events_token:
            self.follow_events(session.events_url, session.events_token, self._resume_seq())

    def _resume_seq(self) -> int | None:
        """Where to resume: the embedded sandbox is a new world each run, a relay is not."""
        if self.session is None or self.session.sandbox is not None or self.history is None:
            return None
        return self.history.last_seq or None

    @work(group="events", exclusive=True, exit_on_error=False, description="Live events")
    async def follow_events(self, url: str, token: str, since: int | None) -> None:
        from console.live.stream import EventStream

        self.stream = stream = EventStream(url, token, since=since)
        async for item in stream.batches():
            self.post_message(StreamChanged(item))

    def action_reconnect_stream(self) -> None:
        if self.stream is not None:
            self.stream.reconnect()

    @on(StreamChanged)
    def _stream_changed(self, message: StreamChanged) -> None:
        from console.live.stream import EventBatch, StreamState

        item = message.item
        if isinstance(item, EventBatch):
            for event in item.events:
                receipt = receipt_from_event(event)
                if receipt is not None:
                    self._apply_receipt(receipt)
                    continue
                inbound = parse_inbound(event)
                if inbound is not None:
                    self._record_inbound(inbound)
            session = self.session
            if self.history is not None and session is not None and session.sandbox is None:
                self.history.set_last_seq(item.last_seq)
        elif isinstance(item, StreamState):
            self._show_stream_state(item)
        elif isinstance(item, GapNotice):
            self.notify(item.message, title="Events may be missing", severity="warning")

    def _apply_receipt(self, receipt: Receipt) -> None:
        changed = self.deliveries.apply(receipt)
        if self.history is not None:
            self.history.apply_receipt(
                receipt.umid,
                receipt.state,
                receipt.provider_timestamp or receipt.received_at,
                receipt.received_at,
                detail=receipt.detail,
                error_code=receipt.error_code,
                error_message=receipt.error_message,
            )
        if changed:
            self.delivery_changed.publish(receipt)

    def _record_inbound(self, inbound: InboundMessage) -> None:
        if self.history is not None:
            self.history.upsert_conversation(
                inbound.conversation_id, inbound.channel, inbound.peer, inbound.name
            )
            self.history.record_message(
                inbound.umid,
                None,
                inbound.channel,
                "in",
                inbound.peer,
                inbound.text,
                "received",
                inbound.timestamp or "",
                conversation_id=inbound.conversation_id,
            )
        self.inbound_received.publish(inbound)

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

    # -- sends ---------------------------------------------------------------------------

    def track_sent(
        self, accepted: SmsAccepted, destination: str, text: str, batch_id: str | None = None
    ) -> MessageTimeline:
        """Record a send; returns its timeline (a receipt may already have moved it on)."""
        receipt = self.deliveries.apply_sms_accepted(accepted)
        timeline = self.deliveries.timeline(accepted.umid)
        assert timeline is not None
        if self.history is not None:
            self.history.record_message(
                accepted.umid,
                accepted.client_message_id,
                "sms",
                "out",
                destination,
                text,
                receipt.state,
                receipt.received_at,
                batch_id=batch_id,
            )
            if receipt.error_message:
                self.history.apply_receipt(
                    accepted.umid,
                    receipt.state,
                    receipt.received_at,
                    receipt.received_at,
                    error_message=receipt.error_message,
                )
        return timeline

    # -- errors and commands -------------------------------------------------------------

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
        elif worker.group == "events":
            self.stream = None
            if self.connection.state == "connected":
                self.connection = dataclasses.replace(self.connection, events="stopped")

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
        if self.stream is not None:
            yield SystemCommand(
                "Reconnect live events",
                "Drop the event stream and resume it now, without waiting for the backoff",
                self.action_reconnect_stream,
            )
        yield from super().get_system_commands(screen)
