"""AgentConsole: the Textual app. It owns the long-lived services — the session and its API
client, the live event stream, the history, the console core (`app.core`) — runs their
workers, and wires the core to Signals; screens only compose widgets and react.

Widgets never do I/O; workers never touch widgets; messages carry results; the App owns
long-lived services and the websocket worker.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, ClassVar

from textual import events, on, work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.notifications import SeverityLevel
from textual.reactive import reactive
from textual.screen import ModalScreen, Screen
from textual.signal import Signal
from textual.worker import Worker, WorkerState

from console.api.session import ConnectError, Session
from console.config import START_LOGIN, START_SANDBOX, Settings
from console.connecting import connect
from console.core.canned import DEFAULT as DEFAULT_CANNED
from console.core.canned import CannedResponses
from console.core.drafts import Drafts
from console.core.hotlist import Notices
from console.messages import (
    BalanceAsked,
    CannedFailed,
    CannedLoaded,
    ComposeDrafted,
    ConfigNotSaved,
    ConnectFailed,
    ConversationShown,
    DraftsLoaded,
    EventsMissed,
    EventsReceived,
    HistoryNoticed,
    HistoryOpened,
    HistoryUnavailable,
    HistoryWriteFailed,
    KeyringChecked,
    KeyringSaved,
    LinkOpened,
    PresenceReceived,
    SavedKeyFound,
    SessionStarted,
    StreamStateChanged,
    TeamActionFailed,
    TextDrafted,
)
from console.paths import styles_path
from console.ui.browser import Browser
from console.ui.clipboard import Clipboard, Copied
from console.ui.gc_pacing import GcPacer
from console.ui.sections import SECTIONS, Section
from console.ui.slicing import TimeSlice
from console.ui.state import (
    BalanceStatus,
    ConnectionInfo,
    EventsState,
    EventsStatus,
    HistoryState,
    HistoryStatus,
    LoginState,
)
from console.ui.text import clean
from console.ui.typeahead import TypeAhead

if TYPE_CHECKING:
    from console.api.keystore import KeyringStatus
    from console.core.login import LoginRequest
    from console.core.model import Changes
    from console.core.replying import ReplySender
    from console.core.roomservice import RoomService
    from console.core.sending import SmsSender
    from console.core.service import Clock, ConsoleCore
    from console.feed.rows import FeedStore
    from console.live.stream import EventStream
    from console.live.team import TeamAction
    from console.live.team_client import TeamPoster
    from console.store import History
    from console.store.drafts import DraftFile

Connector = Callable[[Settings], Awaitable[Session]]
APPLY_SLICE = 0.004  # seconds of live events applied before the loop is given back
log = logging.getLogger(__name__)

ROOM_WATCH_SECONDS = 5.0  # how often open rooms ask the call reports whether the guest joined
BALANCE_EVERY = 60.0  # seconds between two looks at the prepaid balance
ONLINE_EVERY = 30.0  # seconds between two "online" posts to the team (the roster)
TOAST_MIN_WIDTH = 100  # narrower, a customer's message is never a toast (the hotlist says it)
DRAFTS_SAVE_AFTER = 0.5  # what the agent types is on disk this long after, at most
SECTION_MODES = frozenset(section.mode for section in SECTIONS)


def _login_screen() -> Screen[None]:
    from console.screens.login import LoginScreen

    return LoginScreen()


class AgentConsole(App[None]):
    """The console: one mode per section, a key away and in the command palette."""

    TITLE = "agent-console"
    # Home's rules come with the App's: a screen bringing a CSS file of its own makes Textual
    # parse every stylesheet again as it opens, which the first frame would wait for.
    CSS_PATH = [styles_path("base.tcss"), styles_path("home.tcss")]
    MODES: ClassVar = {
        **{section.mode: section.make_screen for section in SECTIONS},
        "login": _login_screen,
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
        Binding(
            "ctrl+r",
            "reconnect",
            "Reconnect",
            id="reconnect",
            show=False,
            tooltip="Try logging in again after a failure.",
        ),
        Binding(
            "f9",
            "log_out",
            "Log out",
            id="logout",
            show=False,
            tooltip="Close the session, stop live events and forget the key; then log in.",
        ),
        Binding(
            "question_mark",
            "show_keys",
            "Keys",
            id="keys",
            show=False,
            tooltip="Every key of this section and those that work everywhere.",
        ),
    ]

    connection: reactive[ConnectionInfo] = reactive(ConnectionInfo)
    history_status: reactive[HistoryStatus] = reactive(HistoryStatus)
    keyring: reactive[KeyringStatus | None] = reactive(None)
    balance: reactive[BalanceStatus] = reactive(BalanceStatus)
    """The account's prepaid balance, asked every minute and after each send."""
    saved_key: reactive[tuple[str, str, str] | None] = reactive(None)
    """(sub-account, region, masked key) of a key found in the keyring (never the key)."""

    def __init__(
        self,
        settings: Settings,
        *,
        connector: Connector = connect,
        clock: Clock = time.time,
        browser: Browser | None = None,
    ) -> None:
        super().__init__()
        self.settings = settings
        self._connector = connector
        self.clock = clock
        self.session: Session | None = None
        self.stream: EventStream | None = None
        self.history: History | None = None
        self.sender: SmsSender | None = None
        self.room_service: RoomService | None = None
        self.browser = browser or Browser()
        self.replier: ReplySender | None = None
        self.team: TeamPoster | None = None  # the relay's team endpoint, when there is one
        self._team_outbox: asyncio.Queue[TeamAction] | None = None
        self.canned = DEFAULT_CANNED
        self._first_follow = False
        self._incoming: deque[EventsReceived | EventsMissed] = deque()
        self._applying = False  # the applier has been started (it then runs for good)
        self._incoming_ready = asyncio.Event()
        self._slice = TimeSlice(APPLY_SLICE)
        self._heard: list[Changes] = []
        self.canned_text: str | None = None  # the file as the agent wrote it (the editor)
        self.canned_changed: Signal[CannedResponses] = Signal(self, "canned-changed")
        self._history_settled = False
        self._history_closing: threading.Thread | None = None
        self._pending_login: LoginRequest | None = None
        self._pending_start: str | None = None
        self._saved_key_value: str | None = None
        self.core_changed: Signal[Changes] = Signal(self, "core-changed")
        self.history_ready: Signal[History] = Signal(self, "history-ready")
        self._snoozes_checked = clock()  # snoozes that ran out after this are announced
        # The history's updates leave the UI loop, in order, on one thread of their own.
        self._history_writes = ThreadPoolExecutor(1, thread_name_prefix="history-write")
        # The console core and the feed's rows are built at their first use, after the first
        # frame: their modules are most of the console's own import time (see `core`).
        self._core: ConsoleCore | None = None
        self._feed: FeedStore | None = None
        self.copier = Clipboard(super().copy_to_clipboard, secrets=self._secrets)
        # The cyclic GC runs between keystrokes, not in the middle of one (gc_pacing.py).
        self.gc_pacer = GcPacer()
        self.notices = Notices()  # the palette's "Notifications"
        self._last_input = time.monotonic()  # the roster's "idle" (sent with "online")
        self.typeahead = TypeAhead(self)  # keys of a burst land where the agent meant them
        # What the agent typed and has not sent: saved as typed, restored at the next start.
        self.drafts = Drafts()
        self.drafts_restored: Signal[Drafts] = Signal(self, "drafts-restored")
        self._draft_file: DraftFile | None = None
        self._drafts_due = False
        self._drafts_saved = 0  # the version of the drafts last handed to a save
        self._restore_section: str | None = None

    @property
    def core(self) -> ConsoleCore:
        """The console core, built at its first use: Home's first frame needs none of it, and
        importing its modules (dataclasses, tables) would hold that frame ~30 ms."""
        if self._core is None:
            from console.core.service import ConsoleCore
            from console.core.tracker import DeliveryTracker

            self._core = ConsoleCore(
                # Timelines and rows bounded together: the tracker never holds more messages
                # than the feed lists (memory flat across a shift).
                tracker=DeliveryTracker(self.settings.feed_max_rows),
                on_change=self.core_changed.publish,
                background=self._history_writes.submit,
                agent=self.settings.agent,
                clock=self.clock,
            )
        return self._core

    @property
    def core_if_built(self) -> ConsoleCore | None:
        """The core once something has needed it; None before (nothing to show from it yet).
        For what is drawn on the first frame, which must not build it."""
        return self._core

    @property
    def feed(self) -> FeedStore:
        """The delivery feed's rows, from the core's first change on: the feed shows messages
        sent and receipts heard before it was first opened (one row per message, bounded)."""
        if self._feed is None:
            from console.feed.rows import FeedStore

            self._feed = FeedStore(max_rows=self.settings.feed_max_rows, clock=self.clock)
        return self._feed

    def _feed_changes(self, changes: Changes) -> None:
        self.feed.apply(changes)

    def on_mount(self) -> None:
        # Immediate: the rows move as the core publishes, before any screen hears of it.
        self.core_changed.subscribe(self, self._feed_changes, immediate=True)
        if self.settings.keymap:
            self.set_keymap(dict(self.settings.keymap))
        self.set_interval(1.0, self._wake_snoozes)
        self.set_interval(BALANCE_EVERY, self.refresh_balance, name="balance")
        self.set_interval(ONLINE_EVERY, self._say_online, name="online")
        self.mode_change_signal.subscribe(self, self._mode_changed)
        self.gc_pacer.start()
        self.set_interval(self.gc_pacer.young_every, self.gc_pacer.tick, name="gc-pacer")

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key | events.MouseDown | events.MouseScrollUp):
            self.gc_pacer.input_seen()
            self._last_input = time.monotonic()
        if isinstance(event, events.Key | events.Paste) and not event.is_forwarded:
            # Keys that arrive together go one at a time (console/ui/typeahead.py).
            if self.typeahead.waiting(event):
                return
            await super().on_event(event)
            self.typeahead.delivered(event)
            return
        await super().on_event(event)

    async def on_ready(self) -> None:
        """Open the history and log in only after the first frame: the console shows at once.
        With no key configured it starts the embedded sandbox, unless the agent chose the
        login screen once (``start = "login"`` in config.toml)."""
        self.open_history()
        self.load_drafts()
        self.load_canned()
        if self.settings.login_first:
            self.connection = ConnectionInfo(LoginState.LOGGED_OUT)
            await self.switch_mode("login")
            return
        await self.action_reconnect()

    # -- text from outside and the clipboard --------------------------------------------

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
        must never be parsed as markup or reach the terminal as control characters. Each is
        kept for the palette's "Notifications"."""
        self.notices.add(self.clock(), clean(title), clean(message, newlines=True))
        super().notify(
            clean(message, newlines=True),
            title=clean(title),
            severity=severity,
            timeout=timeout,
            markup=False,
        )

    def _secrets(self) -> Iterable[str]:
        if self.settings.api_key:
            yield self.settings.api_key
        if self._saved_key_value:
            yield self._saved_key_value
        if self.session is not None and self.session.sandbox is not None:
            yield self.session.sandbox.api_key
            if self.session.sandbox.webhook_secret:
                yield self.session.sandbox.webhook_secret

    def copy_to_clipboard(self, text: str) -> None:
        """Every copy (ours and Textual's own, e.g. a selection) goes through the one
        clipboard: OSC 52, the local clipboard when there is one, never the API key."""
        if self.copier.copy(text) is Copied.TERMINAL:
            self._copy_locally(text)

    def copy_text(self, text: str, what: str) -> None:
        """Copy `text` and say what was copied (e.g. "the umid …")."""
        outcome = self.copier.copy(text)
        if outcome is Copied.REFUSED:
            self.notify("It holds the API key: nothing was copied.", severity="warning")
        elif outcome is Copied.TERMINAL:
            self._copy_locally(text)
            self.notify(f"Copied {what}.", title="Clipboard")

    @work(group="clipboard", thread=True, exit_on_error=False, description="Copying")
    def _copy_locally(self, text: str) -> None:
        self.copier.copy_local(text)  # pyperclip runs a helper process: never on the UI loop

    # -- quitting: the terminal back first ----------------------------------------------

    async def action_quit(self) -> None:
        """Quit without holding the agent: the history's last flush and the sandbox's exit
        run while Textual restores the terminal."""
        self._start_closing()
        self.exit()

    def _start_closing(self) -> None:
        """Stop what runs beside the UI, without waiting for any of it (idempotent)."""
        if self._history_closing is not None:
            return
        self.workers.cancel_group(self, "events")
        if self.stream is not None:
            self.stream.abort()
        if self.session is not None and self.session.sandbox is not None:
            self.session.sandbox.terminate()  # it exits on its own; nobody waits for it
        history, self.history = self.history, None
        if self._core is not None:  # never built: nothing to detach
            self._core.attach_history(None)
        writes = self._history_writes
        drafts = self._drafts_to_save(history)

        def close_history() -> None:
            if drafts is not None:
                self._write_drafts_now(*drafts)
            writes.shutdown(wait=True)  # the updates already handed over go in first
            if history is not None:
                history.close()

        self._history_closing = threading.Thread(target=close_history, name="history-close")
        self._history_closing.start()  # not a daemon: the interpreter waits for the flush

    def wait_closed(self, timeout: float | None = None) -> bool:
        """Wait for the history's final flush (after the app has exited); True when done."""
        if self._history_closing is None:
            return True
        self._history_closing.join(timeout)
        return not self._history_closing.is_alive()

    async def on_unmount(self) -> None:
        self.gc_pacer.stop()
        self._start_closing()
        session, self.session = self.session, None
        if session is not None:
            await session.close(wait=False)

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
                on_notice=lambda text: self.post_message(HistoryNoticed(text)),
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
        history = message.history
        if self._history_closing is not None:  # opened while quitting: close it again
            threading.Thread(target=history.close, name="history-close").start()
            return
        self.history = history
        self.core.attach_history(history)
        self.gc_pacer.freeze_long_lived()  # what the history loaded stays: never walked again
        self._history_settled = True
        self.history_status = HistoryStatus(HistoryState.SAVED, folder=history.data_dir)
        for notice in history.notices:
            self.notify(notice, title="History", severity="warning", timeout=15)
        self.history_ready.publish(history)
        self._maybe_follow_events()
        if self.drafts.version > self._drafts_saved:
            self._drafts_changed()  # typed before the folder was ours to write

    @on(HistoryNoticed)
    def _history_noticed(self, message: HistoryNoticed) -> None:
        self.notify(message.text, title="History", severity="warning", timeout=15)

    @on(HistoryUnavailable)
    def _history_unavailable(self, message: HistoryUnavailable) -> None:
        self._history_settled = True
        self.history_status = HistoryStatus(HistoryState.NOT_SAVED, reason=message.reason)
        self.notify(
            message.reason + " This console runs without saving its history.",
            title="History not saved",
            severity="error",
            timeout=20,
        )
        self._maybe_follow_events()

    @on(HistoryWriteFailed)
    def _history_write_failed(self, message: HistoryWriteFailed) -> None:
        if self.history_status.state is HistoryState.NOT_SAVING:
            return
        self.history_status = HistoryStatus(
            HistoryState.NOT_SAVING, folder=self.history_status.folder, reason=message.reason
        )
        self.notify(
            f"The history could not be written: {message.reason}. It is kept in memory and "
            "saved again as soon as the disk allows.",
            title="History not saved",
            severity="error",
            timeout=20,
        )

    # -- drafts: what the agent typed survives a dropped session ------------------------

    @work(group="drafts", thread=True, exit_on_error=False, description="Reading the drafts")
    def load_drafts(self) -> None:
        from console.paths import data_dir
        from console.store.drafts import DraftFile

        file = DraftFile(self.settings.data_dir or data_dir())
        try:
            doc, notice = file.load(self.clock())
        except OSError as error:
            reason = f"The drafts in {file.path} could not be read ({error.strerror or error})"
            self.post_message(DraftsLoaded(Drafts(), None, reason + "; none are saved now."))
            return
        self.post_message(DraftsLoaded(Drafts.from_doc(doc), file, notice))

    @on(DraftsLoaded)
    def _drafts_loaded(self, message: DraftsLoaded) -> None:
        restored, typed = message.drafts, self.drafts
        self._draft_file = message.file
        if message.notice:
            self.notify(message.notice, title="Drafts", severity="warning", timeout=15)
        self.drafts = restored.merged_under(typed)
        self.drafts.version = typed.version
        section = restored.section
        if section in SECTION_MODES and section != self.current_mode:
            if self.current_mode == self.DEFAULT_MODE:
                self.switch_mode(section)
            elif self.current_mode == "login":
                self._restore_section = section  # opened once logged in
        self.drafts_restored.publish(self.drafts)
        if not restored.empty:
            self.notify(
                f"Restored what was not sent: {restored.summary()}.", title="Drafts", timeout=8
            )
        if typed.version:
            self._drafts_changed()

    @on(TextDrafted)
    def _text_drafted(self, message: TextDrafted) -> None:
        if self.drafts.set_text(message.kind, message.conversation_id, message.text):
            self._drafts_changed()

    @on(ComposeDrafted)
    def _compose_drafted(self, message: ComposeDrafted) -> None:
        if self.drafts.set_compose(message.draft):
            self._drafts_changed()

    @on(ConversationShown)
    def _conversation_shown(self, message: ConversationShown) -> None:
        if self.drafts.set_conversation(message.conversation_id):
            self._drafts_changed()

    def _mode_changed(self, mode: str) -> None:
        if mode in SECTION_MODES and self.drafts.set_section(mode):
            self._restore_section = None  # the agent chose where to go
            self._drafts_changed()

    def _drafts_changed(self) -> None:
        """Save soon (debounced: one save for a burst of keys)."""
        if not self._drafts_due:
            self._drafts_due = True
            self.set_timer(DRAFTS_SAVE_AFTER, self._save_drafts, name="drafts-save")

    def _save_drafts(self) -> None:
        self._drafts_due = False
        drafts = self._drafts_to_save(self.history)
        if drafts is not None:
            self._write_drafts(*drafts)

    def _drafts_to_save(
        self, history: History | None
    ) -> tuple[DraftFile, dict[str, object], int] | None:
        """What to write, if anything: only while this console holds the data folder (its
        history is open), so a second console on the same folder never overwrites them."""
        file = self._draft_file
        version = self.drafts.version
        if file is None or history is None or version <= self._drafts_saved:
            return None
        self._drafts_saved = version
        return file, self.drafts.to_doc(self._secrets()), version

    @work(group="drafts-save", thread=True, exit_on_error=False, description="Saving drafts")
    def _write_drafts(self, file: DraftFile, doc: dict[str, object], version: int) -> None:
        self._write_drafts_now(file, doc, version)

    @staticmethod
    def _write_drafts_now(file: DraftFile, doc: dict[str, object], version: int) -> None:
        try:
            file.save(doc, version)
        except OSError:
            log.warning("the drafts could not be saved to %s", file.path, exc_info=True)

    # -- login -------------------------------------------------------------------------

    async def _tear_down(self) -> None:
        """Drop the session and its event stream (before logging in again)."""
        self.workers.cancel_group(self, "events")
        self.workers.cancel_group(self, "sandbox-watch")
        self.workers.cancel_group(self, "rooms-watch")
        self.workers.cancel_group(self, "team")
        self.sender = None
        self.room_service = None
        self.replier = None
        self._team_outbox = None
        if self.team is not None:
            team, self.team = self.team, None
            await team.aclose()
        if self.stream is not None:
            stream, self.stream = self.stream, None
            await stream.close()
        if self.session is not None:
            session, self.session = self.session, None
            await session.close()

    async def action_reconnect(self) -> None:
        """(Re)start the login; the header shows progress instead of a frozen state."""
        if self.connection.state is LoginState.CONNECTING and self.connection.detail:
            return  # a login is under way: a second one would start a second sandbox
        if self.connection.connected and self.session is not None:
            return
        if self.connection.state is LoginState.LOGGED_OUT:
            await self.switch_mode("login")  # logged out: only the agent chooses what next
            return
        await self._start_login()

    async def _start_login(self) -> None:
        await self._tear_down()
        detail = (
            "starting the embedded sandbox…"
            if self.settings.embedded_sandbox
            else f"connecting to {self.settings.mode_label}…"
        )
        self.connection = ConnectionInfo(
            LoginState.CONNECTING, detail=detail, demo=self.settings.is_sandbox
        )
        self.start_session()

    async def log_in(self, request: LoginRequest) -> None:
        """Log in with what the agent typed on the login screen (checked by 8x8 in a worker)."""
        self._pending_login = request
        self._pending_start = START_LOGIN
        self.settings = dataclasses.replace(
            self.settings,
            api_key=request.api_key,
            subaccount=request.subaccount,
            region=request.region,
        )
        await self._restart_login()

    async def use_sandbox(self) -> None:
        """ "Sandbox (demo, no account)": the embedded sandbox (or the --server's demo key)."""
        self._pending_login = None
        self._pending_start = START_SANDBOX
        self.settings = dataclasses.replace(self.settings, api_key=None)
        await self._restart_login()

    async def _restart_login(self) -> None:
        """Another login asked for by the agent: whatever was under way gives way to it."""
        self.workers.cancel_group(self, "session")
        await self._start_login()

    async def action_log_out(self) -> None:
        """Close the session, stop the event stream, forget the key; the login screen opens."""
        await self._tear_down()
        self.workers.cancel_group(self, "session")
        self.settings = dataclasses.replace(self.settings, api_key=None)
        self._pending_login = None
        self._saved_key_value = None
        self.saved_key = None
        self.core.logged_out()
        self.balance = BalanceStatus()
        self.connection = ConnectionInfo(
            LoginState.LOGGED_OUT, detail="Logged out: the session is closed, the key forgotten."
        )
        await self.switch_mode("login")

    def refresh_balance(self) -> None:
        """Ask 8x8 for the balance (every minute, after each send, at login): Home and the
        composer's guard read `app.balance`."""
        session = self.session
        if session is not None and session.account_id:
            self._ask_balance(session, session.account_id)

    @work(group="balance", exclusive=True, exit_on_error=False, description="Balance")
    async def _ask_balance(self, session: Session, account_id: str) -> None:
        try:
            found = await session.client.balance(account_id)
        except Exception as error:  # post-paid (403, code 1201), or 8x8 out of reach
            reason = getattr(error, "readable", None) or type(error).__name__
            self.post_message(BalanceAsked(session, BalanceStatus(problem=reason)))
            return
        status = BalanceStatus(found.amount, found.currency)
        self.post_message(BalanceAsked(session, status))

    @on(BalanceAsked)
    def _balance_asked(self, message: BalanceAsked) -> None:
        if message.session is self.session:  # not a logged-out session's late answer
            self.balance = message.status

    def key_source(self) -> str | None:
        """Where the key in memory came from, for the login screen's key field ("the key from
        CPAAS_API_KEY"), when a failed login may be retried with it; None when there is none."""
        if not self.settings.api_key or self._pending_login is not None:
            return None
        return "the configured key"

    @property
    def configured_key(self) -> str:
        """The key in memory that an empty key field stands for (never shown)."""
        return (self.settings.api_key if self.key_source() else None) or (
            self._saved_key_value or ""
        )

    @work(group="session", exclusive=True, exit_on_error=False, description="Logging in")
    async def start_session(self) -> None:
        try:
            session = await self._connector(self.settings)
        except ConnectError as error:
            self.post_message(ConnectFailed(str(error), error.refused, error.unreachable))
            return
        self.post_message(SessionStarted(session))

    @on(SessionStarted)
    async def _session_started(self, message: SessionStarted) -> None:
        from console.core.replying import ReplySender
        from console.core.sending import SmsSender
        from console.live.team_client import TeamPoster, team_url

        if self.session is not None:
            await self.session.close()
        session = self.session = message.session
        if self._history_closing is not None:  # logged in while quitting
            await session.close(wait=False)
            return
        from console.core.roomservice import RoomService

        self.sender = SmsSender(session.client, self.core)
        self.room_service = RoomService(session.client, self.core, agent_name=self.settings.agent)
        self.replier = ReplySender(session.client, self.sender, self.core)
        if session.events_url and session.events_token:
            self.team = TeamPoster(team_url(session.events_url), session.events_token)
            self._team_outbox = asyncio.Queue()
            self.post_team_events(self.team, self._team_outbox)
            self._say_online()
        self.core.follow(session.resume_key)
        self.core.logged_in(session.subaccount, session.target, session.key_tail)
        self.connection = ConnectionInfo(
            LoginState.CONNECTED,
            target=session.target,
            subaccount=session.subaccount,
            masked_key=session.masked_key,
            server_url=session.server_url or "",
            events=(
                EventsStatus(EventsState.CONNECTING)
                if session.events_url
                else EventsStatus(EventsState.OFF, note=session.events_note)
            ),
            demo=session.demo,
        )
        self._maybe_follow_events()
        if session.sandbox is not None:
            self.watch_sandbox(session.sandbox.process)
        self.watch_rooms()
        self.refresh_balance()
        self._after_login()

    def _after_login(self) -> None:
        """A login chosen on the login screen: remember the choice, save the key if asked,
        forget the keyring's copy in memory, and open Home."""
        request, self._pending_login = self._pending_login, None
        start, self._pending_start = self._pending_start, None
        self._saved_key_value = None
        self.saved_key = None
        if start is not None and start != self.settings.start and not self.settings.demo:
            self.settings = dataclasses.replace(self.settings, start=start)
            self.remember_start(start)
        if request is not None and request.save_key:
            self.save_key(request)
        if self.current_mode == "login":
            section, self._restore_section = self._restore_section, None
            self.switch_mode(section or "home")  # where the agent was, after a dropped session

    @work(group="sandbox-watch", exclusive=True, exit_on_error=False, description="Sandbox")
    async def watch_sandbox(self, process: asyncio.subprocess.Process) -> None:
        """The embedded sandbox should live as long as the console; say so if it dies."""
        code = await process.wait()
        self.post_message(
            ConnectFailed(f"The embedded sandbox stopped (exit code {code}). Press ctrl+r.")
        )

    @on(ConnectFailed)
    async def _connect_failed(self, message: ConnectFailed) -> None:
        if self._history_closing is not None:
            return
        await self._tear_down()
        failed = ConnectionInfo(
            LoginState.FAILED,
            detail=message.reason,
            demo=self.settings.is_sandbox,
            refused=message.refused,
            unreachable=message.unreachable,
        )
        if not self.settings.embedded_sandbox and self.current_mode != "login":
            # A key was refused, not checked, or there is none for --server: fix it there.
            await self.switch_mode("login")
        self.connection = failed
        if self.current_mode != "login":
            self.notify(message.reason, title="Not connected", severity="error", timeout=10)

    # -- the login screen's services: keyring, config, links ---------------------------

    @work(group="keyring", thread=True, exit_on_error=False, description="Keyring")
    def check_keyring(self) -> None:
        from console.api.keystore import keyring_status

        self.post_message(KeyringChecked(keyring_status()))

    @on(KeyringChecked)
    def _keyring_checked(self, message: KeyringChecked) -> None:
        self.keyring = message.status

    @work(group="keyring-find", exclusive=True, thread=True, exit_on_error=False)
    def find_saved_key(self, subaccount: str, region: str) -> None:
        """Look for a key saved for this sub-account and region (the keyring may block)."""
        from console.api.keystore import load_key

        self.post_message(SavedKeyFound(subaccount, region, load_key(subaccount, region)))

    @on(SavedKeyFound)
    def _saved_key_found(self, message: SavedKeyFound) -> None:
        from console.config import mask_key

        if message.key is None or self.connection.connected:
            self._saved_key_value = None
            self.saved_key = None
            return
        self._saved_key_value = message.key
        self.saved_key = (message.subaccount, message.region, mask_key(message.key))

    def saved_key_for(self, subaccount: str, region: str) -> str:
        """The keyring's key when it was found for exactly this sub-account and region."""
        found = self.saved_key
        if found is None or (found[0], found[1]) != (subaccount, region):
            return ""
        return self._saved_key_value or ""

    @work(group="keyring", thread=True, exit_on_error=False, description="Saving the key")
    def save_key(self, request: LoginRequest) -> None:
        from console.api.keystore import KeyStoreError, save_key

        try:
            save_key(request.subaccount, request.region, request.api_key)
        except KeyStoreError as error:
            self.post_message(KeyringSaved(str(error)))
            return
        self.post_message(KeyringSaved())

    @on(KeyringSaved)
    def _keyring_saved(self, message: KeyringSaved) -> None:
        if message.error:
            self.notify(message.error, title="Key not saved", severity="warning", timeout=20)
        else:
            self.notify("The key is saved in the OS keyring.", title="Key saved")

    @work(group="config", thread=True, exit_on_error=False, description="Saving the choice")
    def remember_start(self, start: str) -> None:
        """Write the agent's start choice to config.toml (kept: comments and other settings)."""
        from console.config import SettingsError
        from console.configfile import update_config_file
        from console.paths import config_file

        path = config_file()
        try:
            update_config_file(path, {"start": start})
        except (SettingsError, OSError) as error:
            self.post_message(ConfigNotSaved(f"The choice was not saved in {path}: {error}"))

    @on(ConfigNotSaved)
    def _config_not_saved(self, message: ConfigNotSaved) -> None:
        self.notify(message.reason, title="Settings", severity="warning", timeout=15)

    def open_link(self, url: str, what: str) -> None:
        """Open `url` in the local browser when there is one, else copy it (and say so)."""
        if self.browser.available:
            self._open_in_browser(url, what)
        else:
            self.copy_text(url, f"{what} (no local browser here)")

    @work(group="browser", thread=True, exit_on_error=False, description="Opening the browser")
    def _open_in_browser(self, url: str, what: str) -> None:
        self.post_message(LinkOpened(url, what, self.browser.open(url)))

    @on(LinkOpened)
    def _link_opened(self, message: LinkOpened) -> None:
        if message.opened:
            self.notify(f"Opened {message.what} in the browser.", title="Browser")
        else:
            self.copy_text(message.url, f"{message.what} (the browser did not open)")

    # -- rooms: the App asks the call reports about open rooms ---------------------------

    @work(group="rooms-watch", exclusive=True, exit_on_error=False, description="Rooms")
    async def watch_rooms(self) -> None:
        """While rooms wait for their guest, ask the call reports every few seconds."""
        from console.api.errors import ApiError

        while True:
            await asyncio.sleep(ROOM_WATCH_SECONDS)
            service = self.room_service
            if service is None:
                return
            try:
                await service.refresh()
            except ApiError as error:  # the next round tries again; the screen says nothing
                log.info("rooms: call reports failed: %s", error.readable)

    # -- live events: the App owns the one websocket; the core applies what it brings ---

    def _maybe_follow_events(self) -> None:
        """Start the stream once logged in and once the history (the resume point) is known."""
        session = self.session
        if session is None or not self._history_settled or self.stream is not None:
            return
        if session.events_url and session.events_token:
            # The embedded sandbox is a new world each run: everything from its start.
            since = 0 if session.sandbox is not None else self.core.resume_point()
            self._first_follow = not since
            self.follow_events(session.events_url, session.events_token, since)

    @work(group="events", exclusive=True, exit_on_error=False, description="Live events")
    async def follow_events(self, url: str, token: str, since: int | None) -> None:
        from console.live.stream import EventBatch, EventStream, StreamState
        from console.live.team import Presence

        self.stream = stream = EventStream(url, token, since=since)
        async for item in stream.batches():
            if isinstance(item, EventBatch):
                self.post_message(EventsReceived(item.events, item.replayed))
            elif isinstance(item, StreamState):
                self.post_message(StreamStateChanged(item))
            elif isinstance(item, Presence):
                self.post_message(PresenceReceived(item))
            else:
                self.post_message(EventsMissed(item))

    @on(EventsReceived)
    @on(EventsMissed)
    def _events_arrived(self, message: EventsReceived | EventsMissed) -> None:
        """Events and gaps are applied in their order, by the applier (started once)."""
        self._incoming.append(message)
        self._incoming_ready.set()
        if not self._applying:
            self._applying = True
            self._apply_incoming()

    @work(group="apply-events", description="Applying live events")
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
        room = self._slice.size()
        applied = 0
        started = time.perf_counter()
        while self._incoming and room > 0:
            head = self._incoming.popleft()
            if isinstance(head, EventsMissed):
                self.core.apply_gap(head.notice)
                self.notify(head.notice.message, title="Events may be missing", severity="warning")
                continue
            events, rest = head.events[:room], head.events[room:]
            room -= len(events)
            applied += len(events)
            changes = self.core.apply_events(events)
            self._heard.append(changes)
            if rest:
                self._incoming.appendleft(dataclasses.replace(head, events=rest))
                break
            self._events_applied(head)
        self._slice.took(applied, time.perf_counter() - started)

    def _events_applied(self, message: EventsReceived) -> None:
        """A websocket message's events are all in: say what is news, once."""
        heard, self._heard = self._heard, []
        # A first catch-up (a relay this console never followed) is the team's past, not
        # news: its customers' messages are listed, not announced.
        if not (message.replayed and self._first_follow):
            inbound = tuple(m for changes in heard for m in changes.inbound)
            team = tuple(t for changes in heard for t in changes.team)
            from console.core.model import Changes

            self._announce(Changes(inbound=inbound, team=team))
        if not message.replayed:
            self._first_follow = False
        events = self.connection.events.after_events(time.time())
        if events != self.connection.events:
            self.connection = self.connection.with_events(events)

    # -- the team inbox: actions go through the relay, which every console follows -----

    def _say_online(self) -> None:
        """Tell the team this agent is here, and how long since their last key."""
        if self.team is not None:
            idle = round(time.monotonic() - self._last_input, 1)
            from console.live.team import ONLINE, TeamAction

            self.team_act(TeamAction(ONLINE, "", self.core.inbox.me, idle=idle))

    def action_show_team(self) -> None:
        """The palette's "Team": who is online, idle for how long, in which conversation."""
        from console.screens.team_screen import TeamScreen

        inbox = self.core.inbox
        roster = inbox.roster(self.clock())
        labels = [member.label(inbox.me, self.customer_of) for member in roster]
        self.push_screen(TeamScreen(labels, relay=self.team is not None))

    def customer_of(self, conversation_id: str) -> str:
        conversation = self.core.inbox.get(conversation_id)
        return conversation.customer if conversation is not None else conversation_id

    def team_act(self, action: TeamAction) -> None:
        """Do a team action. With a relay it is posted there, and applied (here as in every
        console) when it comes back in the relay's order; without one it applies here at
        once. Presence goes only to a relay."""
        if self._team_outbox is not None:
            self._team_outbox.put_nowait(action)
        elif action.kept:
            self.core.apply_local(action)

    @work(group="team", exclusive=True, exit_on_error=False, description="Team events")
    async def post_team_events(self, poster: TeamPoster, outbox: asyncio.Queue[TeamAction]) -> None:
        """Post the agent's team actions to the relay one by one, in the order they were made."""
        from console.live.team_client import TeamPostFailed

        while True:
            action = await outbox.get()
            try:
                await poster.post(action)
            except TeamPostFailed as failure:
                if action.kept:  # presence is best effort: the next one will do
                    self.post_message(TeamActionFailed(action, failure.reason))

    @on(TeamActionFailed)
    def _team_action_failed(self, message: TeamActionFailed) -> None:
        self.notify(
            f"{message.action.kind.replace('_', ' ').capitalize()} was not saved: "
            f"{message.reason}. Try again when the relay is back.",
            title="Inbox",
            severity="error",
        )

    def _announce(self, changes: Changes) -> None:
        """A customer wrote, or a colleague gave this agent a conversation: say so, wherever
        the agent is (and ring the bell when the config asks for it)."""
        from console.core.inbox import channel_word
        from console.live.team import ASSIGNED

        inbox = self.core.inbox
        if changes.inbound:
            count = len(changes.inbound)
            first = changes.inbound[-1]
            conversation = inbox.get(first.conversation_id)
            who = conversation.customer if conversation is not None else first.peer
            if count == 1:
                line = first.text.strip().split("\n", 1)[0]
                text = f"{who} on {channel_word(first.channel)}: {line[:120]}"
            else:
                customers = len({m.conversation_id for m in changes.inbound})
                text = f"{count} new messages from {customers} customer(s)"
            if self._at_work():  # the hotlist line says it; nothing drawn over the work
                self.notices.add(self.clock(), "New message", clean(text))
            else:
                self.notify(text, title="New message", timeout=6)
            if self.settings.inbox_bell:
                self.bell()
        me = inbox.me
        for change in changes.team:
            action = change.action
            if action.kind != ASSIGNED:
                continue
            who = self.customer_of(action.conversation_id)
            if change.lost_to is not None and action.agent == me:
                self.notify(f"{change.lost_to} took {who} first.", title="Not yours",
                            severity="warning")  # fmt: skip
            elif change.lost_to is None and action.assignee == me and action.agent != me:
                self.notify(f"Assigned to you by {action.agent}: {who}.", title="Assigned to you")

    def _at_work(self) -> bool:
        """The agent is typing, in a dialog, in the inbox (whose list shows it) or on a
        narrow terminal: a customer's message goes to the hotlist line, not a toast."""
        from textual.widgets import Input, TextArea

        return (
            isinstance(self.focused, Input | TextArea)
            or isinstance(self.screen, ModalScreen)
            or self.current_mode == "inbox"
            or self.size.width < TOAST_MIN_WIDTH
        )

    def action_show_notices(self) -> None:
        """The palette's "Notifications": the recent toasts and hotlist announcements."""
        from console.screens.notices_screen import NoticesScreen

        self.push_screen(NoticesScreen(self.notices.recent()))

    def _wake_snoozes(self) -> None:
        """Once a second: a snooze of the agent's (or of nobody's) that ran out is announced
        wherever the agent is; the customer is waiting again."""
        now = self.clock()
        inbox = self.core.inbox
        woke = [
            c
            for c in inbox.wakes(self._snoozes_checked, now)
            if c.assignee is None or c.assignee == inbox.me
        ]
        self._snoozes_checked = now
        if len(woke) == 1:
            self.notify(f"{woke[0].customer} is back in the inbox.", title="Snooze over")
        elif woke:
            self.notify(
                f"{len(woke)} snoozed conversations are back in the inbox.", title="Snooze over"
            )
        if woke and self.settings.inbox_bell:
            self.bell()

    # -- canned responses: a TOML file in the config folder ----------------------------

    @work(group="canned", thread=True, exit_on_error=False, description="Canned responses")
    def load_canned(self) -> None:
        from console.core.canned import CannedError, parse
        from console.paths import canned_file

        path = canned_file()
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return  # the built-in responses stay
        except (OSError, UnicodeDecodeError) as error:
            self.post_message(CannedFailed(f"{path} could not be read: {error}"))
            return
        try:
            self.post_message(CannedLoaded(parse(text), text))
        except CannedError as error:
            self.post_message(CannedFailed(f"{path}: {error}. The built-in ones are used."))

    @work(group="canned", thread=True, exit_on_error=False, description="Saving responses")
    def save_canned(self, text: str) -> None:
        """Write the canned responses file (checked first by the editor) atomically."""
        import os
        import tempfile

        from console.core.canned import CannedError, parse
        from console.paths import canned_file

        path = canned_file()
        try:
            responses = parse(text)
        except CannedError as error:
            self.post_message(CannedFailed(f"Not saved: {error}"))
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".canned-", suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp, path)
        except OSError as error:
            self.post_message(CannedFailed(f"{path} could not be saved: {error}"))
            return
        self.post_message(CannedLoaded(responses, text, saved_to=str(path)))

    @on(CannedLoaded)
    def _canned_loaded(self, message: CannedLoaded) -> None:
        self.canned = message.responses
        self.canned_text = message.text
        self.canned_changed.publish(message.responses)
        if message.saved_to:
            self.notify(
                f"{len(message.responses.responses)} saved in {message.saved_to}.",
                title="Canned responses",
            )

    @on(CannedFailed)
    def _canned_failed(self, message: CannedFailed) -> None:
        self.notify(message.reason, title="Canned responses", severity="error", timeout=10)

    @on(PresenceReceived)
    def _presence_received(self, message: PresenceReceived) -> None:
        self.core.apply_presence(message.presence)

    @on(StreamStateChanged)
    def _stream_state_changed(self, message: StreamStateChanged) -> None:
        self.connection = self.connection.with_events(EventsStatus.from_stream(message.state))

    def _restart_events(self) -> None:
        self.stream = None
        self._maybe_follow_events()

    def action_reconnect_stream(self) -> None:
        if self.stream is not None:
            self.stream.reconnect()

    # -- errors and commands -------------------------------------------------------------

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        """The one place where an unexpected worker error becomes a readable notice."""
        from console.api.errors import ApiError

        worker = event.worker
        if event.state is not WorkerState.ERROR:
            return
        error = worker.error
        readable = (
            error.readable if isinstance(error, ApiError) else f"{type(error).__name__}: {error}"
        )
        self.notify(readable, title=f"{worker.description or worker.name} failed", severity="error")
        if worker.group == "session":
            self.connection = ConnectionInfo(LoginState.FAILED, detail=readable)
        elif worker.group == "events":
            self.stream = None
            self.connection = self.connection.with_events(EventsStatus(EventsState.STOPPED))

    async def run_section_action(self, section: Section, action: str) -> None:
        """A section's palette command: open the section, then run the action on its screen."""
        if self.current_mode != section.mode:
            await self.switch_mode(section.mode)
        await self.screen.run_action(action)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "log_out":  # F9 shows (and works) only while logged in or trying
            return self.connection.state is not LoginState.LOGGED_OUT
        return True

    def action_show_keys(self) -> None:
        """`?`: the open section's keys and the global ones, from the bindings in force."""
        from console.screens.keys_screen import KeysScreen, key_lines

        screen = self.screen
        own, everywhere = [], []
        for active in screen.active_bindings.values():
            target = everywhere if active.node is self else own
            target.append((self.get_key_display(active.binding), active.binding))
        title = next((s.title for s in SECTIONS if s.mode == self.current_mode), "Log in")
        self.push_screen(KeysScreen(title, key_lines(own), key_lines(everywhere)))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        screen_commands = getattr(screen, "palette_commands", None)
        if callable(screen_commands):  # the open section's actions ("Shield: Suspend", …)
            yield from screen_commands()
        for section in SECTIONS:
            if self.current_mode != section.mode:
                yield SystemCommand(
                    f"Open {section.title}",
                    section.summary,
                    lambda mode=section.mode: self.switch_mode(mode),
                )
            for title, help_text, action in section.commands:
                yield SystemCommand(
                    f"{section.title}: {title}",
                    help_text,
                    lambda section=section, action=action: self.run_section_action(section, action),
                )
        if self.connection.state is LoginState.LOGGED_OUT:
            if self.current_mode != "login":
                yield SystemCommand(
                    "Log in", "Log in with an API key, or use the sandbox", self.action_log_out
                )
        else:
            yield SystemCommand(
                "Log out",
                "Close the session, stop live events and forget the key (F9)",
                self.action_log_out,
            )
        yield SystemCommand(
            "Keys",
            "Every key of this section and those that work everywhere (?)",
            self.action_show_keys,
        )
        if self.connection.state is LoginState.FAILED:
            yield SystemCommand("Reconnect", "Try logging in again", self.action_reconnect)
        if self.connection.connected and self.connection.events.state is EventsState.STOPPED:
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
