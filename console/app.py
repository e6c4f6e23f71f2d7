"""AgentConsole: the Textual app. It owns the long-lived services (the session and its API
client, the live event stream, the delivery tracker and the history); screens only compose
widgets and react.

Widgets never do I/O; workers never touch widgets; messages carry results; the App owns
long-lived services and the websocket worker.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.notifications import SeverityLevel
from textual.reactive import reactive
from textual.screen import Screen
from textual.signal import Signal
from textual.worker import Worker, WorkerState

from console.config import Settings
from console.connection import ConnectionInfo
from console.inbound import InboundMessage, parse_inbound
from console.live.events import Event, GapNotice, MessageTimeline, Receipt, receipt_from_event
from console.messages import (
    ConnectFailed,
    HistoryOpened,
    HistoryUnavailable,
    HistoryWriteFailed,
    SessionStarted,
    StreamChanged,
)
from console.paths import styles_path
from console.screens.feed import FeedScreen
from console.screens.home import HomeScreen
from console.screens.inbox import InboxScreen
from console.screens.rooms import RoomsScreen
from console.sections import SECTIONS
from console.session import ConnectError, Session, connect
from console.tracker import DeliveryTracker
from console.ui.text import clean

if TYPE_CHECKING:
    from console.api.models import SmsAccepted
    from console.live.stream import EventStream, StreamState
    from console.store import History


def _compose_screen() -> Screen[None]:
    """The composer pulls in TextArea and friends: import it when first opened."""
    from console.screens.compose import ComposeScreen

    return ComposeScreen()


GAP_LABEL_SECONDS = 60.0


def _readable_time(value: str | None) -> str | None:
    """8x8's ISO timestamp, or None when it is missing or not a time we can read."""
    if not value:
        return None
    try:
        datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return value


def _tilde(path: Path) -> str:
    """A path as the agent would type it: the home folder as ~."""
    try:
        return "~/" + str(Path(path).resolve().relative_to(Path.home().resolve()))
    except ValueError:
        return str(path)


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
        self._gap_shown_at = 0.0
        self.deliveries = DeliveryTracker()
        self.delivery_changed: Signal[Receipt] = Signal(self, "delivery-changed")
        self.inbound_received: Signal[InboundMessage] = Signal(self, "inbound-received")
        self.history_ready: Signal[History] = Signal(self, "history-ready")

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """Every toast shows its text as it is: toasts carry server and exception text, which
        must never be parsed as markup or reach the terminal as control characters."""
        super().notify(
            clean(message, newlines=True),
            title=clean(title),
            severity=severity,
            timeout=timeout,
            markup=False,
        )

    def on_mount(self) -> None:
        if self.settings.keymap:
            self.set_keymap(dict(self.settings.keymap))

    async def on_ready(self) -> None:
        """Open the history and log in only after the first frame: the console shows at once."""
        self.open_history()
        await self.action_reconnect()

    async def _tear_down(self) -> None:
        """Drop the session and its event stream (before logging in again)."""
        self.workers.cancel_group(self, "events")
        self.workers.cancel_group(self, "sandbox-watch")
        if self.stream is not None:
            stream, self.stream = self.stream, None
            await stream.close()
        if self.session is not None:
            session, self.session = self.session, None
            await session.close()

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
                on_write_error=lambda reason: self.post_message(HistoryWriteFailed(str(reason))),
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
        self.history_status = f"saved in {_tilde(message.history.data_dir)}"
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

    @on(HistoryWriteFailed)
    def _history_write_failed(self, message: HistoryWriteFailed) -> None:
        if self.history_status.startswith("not saving"):
            return
        self.history_status = f"not saving — {message.reason}"
        self.notify(
            f"The history could not be written: {message.reason}. It is kept in memory and "
            "saved again as soon as the disk allows.",
            title="History not saved",
            severity="error",
            timeout=20,
        )

    def _record_login(self, session: Session) -> None:
        if self.history is not None:
            self.history.record_login(session.subaccount, session.target, session.key_tail)

    # -- login -------------------------------------------------------------------------

    async def action_reconnect(self) -> None:
        """(Re)start the login; the header shows progress instead of a frozen state."""
        if self.connection.state == "connecting" and self.connection.detail:
            return  # a login is under way: a second one would start a second sandbox
        if self.connection.state == "connected" and self.session is not None:
            return
        await self._tear_down()
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
            events_detail="" if session.events_url else session.events_note,
            server_url=session.server_url or "",
        )
        self._record_login(session)
        self._maybe_follow_events()
        if session.sandbox is not None:
            self.watch_sandbox(session.sandbox.process)

    @work(group="sandbox-watch", exclusive=True, exit_on_error=False, description="Sandbox")
    async def watch_sandbox(self, process: asyncio.subprocess.Process) -> None:
        """The embedded sandbox should live as long as the console; say so if it dies."""
        code = await process.wait()
        self.post_message(
            ConnectFailed(f"The embedded sandbox stopped (exit code {code}). Press ctrl+r.")
        )

    @on(ConnectFailed)
    async def _connect_failed(self, message: ConnectFailed) -> None:
        await self._tear_down()
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
        """Where to resume. The embedded sandbox is a new world each run: everything from its
        start (nothing emitted before the websocket connected is lost). A relay: the saved
        resume point, or live only on a first connection."""
        if self.session is not None and self.session.sandbox is not None:
            return 0
        if self.session is None or self.history is None or not self.session.events_url:
            return None
        return self.history.resume_point(self.session.events_url) or None

    @work(group="events", exclusive=True, exit_on_error=False, description="Live events")
    async def follow_events(self, url: str, token: str, since: int | None) -> None:
        from console.live.stream import EventStream

        self.stream = stream = EventStream(url, token, since=since)
        async for item in stream.batches():
            self.post_message(StreamChanged(item))

    def _restart_events(self) -> None:
        self.stream = None
        self._maybe_follow_events()

    def action_reconnect_stream(self) -> None:
        if self.stream is not None:
            self.stream.reconnect()

    @on(StreamChanged)
    def _stream_changed(self, message: StreamChanged) -> None:
        from console.live.stream import EventBatch, StreamState

        item = message.item
        if isinstance(item, EventBatch):
            for event in item.events:
                try:
                    self._handle_event(event)
                except Exception as error:  # one bad event must never stop the console
                    self.log.error(f"event {event.seq} skipped: {type(error).__name__}: {error}")
            self._save_resume_point(item.last_seq)
            if self.connection.events.startswith("may be missing") and (
                time.monotonic() - self._gap_shown_at > GAP_LABEL_SECONDS
            ):
                self.connection = dataclasses.replace(self.connection, events="live")
        elif isinstance(item, StreamState):
            self._show_stream_state(item)
        elif isinstance(item, GapNotice):
            self.notify(item.message, title="Events may be missing", severity="warning")
            self._save_resume_point(max(item.resumes_at - 1, 0))

    def _save_resume_point(self, seq: int) -> None:
        """Per relay; never for the embedded sandbox, a new world each run."""
        session = self.session
        if self.history is None or session is None or session.sandbox is not None:
            return
        if session.events_url:
            self.history.set_resume_point(session.events_url, seq)

    def _handle_event(self, event: Event) -> None:
        receipt = receipt_from_event(event)
        if receipt is not None:
            self._apply_receipt(receipt)
            return
        inbound = parse_inbound(event)
        if inbound is not None:
            self._record_inbound(inbound, event.received_at)

    def _apply_receipt(self, receipt: Receipt) -> None:
        changed = self.deliveries.apply(receipt)
        if self.history is not None:
            timestamp = _readable_time(receipt.provider_timestamp) or receipt.received_at
            self.history.apply_receipt(
                receipt.umid,
                receipt.state,
                timestamp,
                receipt.received_at,
                detail=receipt.detail,
                error_code=receipt.error_code,
                error_message=receipt.error_message,
            )
        if changed:
            self.delivery_changed.publish(receipt)

    def _record_inbound(self, inbound: InboundMessage, received_at: str) -> None:
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
                _readable_time(inbound.timestamp) or received_at,
                conversation_id=inbound.conversation_id,
            )
        self.inbound_received.publish(inbound)

    def _show_stream_state(self, state: StreamState) -> None:
        if state.state == "gap":
            self._gap_shown_at = time.monotonic()
        if state.state == "live":
            label = "live"
        elif state.state == "reconnecting":
            label = f"reconnecting (attempt {state.attempt})"
        elif state.state == "gap":
            label = f"may be missing since {state.at[11:19]} UTC"
        else:
            label = "connecting"
        detail = (state.error or "") if state.state == "reconnecting" else ""
        if self.connection.state == "connected":
            self.connection = dataclasses.replace(
                self.connection, events=label, events_detail=detail
            )

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
        if self.connection.state == "connected" and self.connection.events == "stopped":
            yield SystemCommand(
                "Restart live events", "Start the event stream again", self._restart_events
            )
        if self.stream is not None:
            yield SystemCommand(
                "Reconnect live events",
                "Drop the event stream and resume it now, without waiting for the backoff",
                self.action_reconnect_stream,
            )
        yield from super().get_system_commands(screen)
