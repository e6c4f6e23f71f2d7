"""AgentConsole: the Textual app. It owns the long-lived services — the session and its API
client, the live event stream, the history, the console core (`app.core`) — and wires them:
the controllers in console/controllers/ run their workers and hold their state, the App
routes Textual messages to them, and screens only compose widgets and react.

Widgets never do I/O; workers never touch widgets; messages carry results; the App owns
long-lived services and the websocket worker.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, ClassVar

from textual import events, on
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.notifications import Notify, SeverityLevel
from textual.reactive import reactive
from textual.screen import Screen
from textual.signal import Signal
from textual.worker import Worker, WorkerState

from console import messages as m
from console.allocator import Allocator, Trimmer
from console.config import Settings
from console.controllers import core_parts
from console.controllers.announcer import Announcer
from console.controllers.balance import BALANCE_EVERY, BalanceWatch
from console.controllers.canned import CannedStore
from console.controllers.drafts import DraftKeeper
from console.controllers.history import HistoryKeeper
from console.controllers.links import Links
from console.controllers.live import LiveEvents
from console.controllers.palette import console_commands, show_keys, worker_failed
from console.controllers.session import SessionFlow
from console.controllers.team import ONLINE_EVERY, TeamWiring
from console.core.drafts import Drafts
from console.interpreter import SwitchInterval
from console.paths import styles_path
from console.ui.browser import Browser
from console.ui.clipboard import Clipboard
from console.ui.gc_pacing import GcPacer
from console.ui.sections import SECTIONS, Section
from console.ui.state import BalanceStatus, ConnectionInfo, HistoryStatus, LoginState
from console.ui.strips import install as acyclic_strips
from console.ui.stylesheet import ReusingStylesheet
from console.ui.text import clean
from console.ui.typeahead import TypeAhead

if TYPE_CHECKING:
    from console.api.keystore import KeyringStatus
    from console.api.session import Session
    from console.core.model import Changes
    from console.core.replying import ReplySender
    from console.core.roomservice import RoomService
    from console.core.sending import SmsSender
    from console.core.service import Clock, ConsoleCore
    from console.feed.rows import FeedStore
    from console.live.stream import EventStream
    from console.live.team import TeamAction
    from console.store import History

Connector = Callable[[Settings], Awaitable["Session"]]


async def connect(settings: Settings) -> Session:
    """The console's login (console/connecting.py), imported with the first login: the API
    layer's modules are not needed for the first frame."""
    from console.connecting import connect as log_in

    return await log_in(settings)


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
        # CSS already parsed is not parsed again while the theme stays (console/ui/stylesheet.py)
        self.stylesheet = ReusingStylesheet(variables=self.get_css_variables())
        acyclic_strips()  # every drawn line freed when dropped (console/ui/strips.py)
        self.settings = settings
        self.connector = connector
        self.clock = clock
        # The session's services, set up by the session flow at login, dropped at log-out.
        self.session: Session | None = None
        self.stream: EventStream | None = None
        self.history: History | None = None
        self.sender: SmsSender | None = None
        self.room_service: RoomService | None = None
        self.replier: ReplySender | None = None
        self.browser = browser or Browser()
        self.core_changed: Signal[Changes] = Signal(self, "core-changed")
        self.history_ready: Signal[History] = Signal(self, "history-ready")
        self.session_flow = SessionFlow(self)
        self.history_keeper = HistoryKeeper(self)
        self.drafts_keeper = DraftKeeper(self)
        self.live = LiveEvents(self)
        self.team_wiring = TeamWiring(self)
        self.announcer = Announcer(self)
        self.canned_store = CannedStore(self)
        self.balance_watch = BalanceWatch(self)
        self.links = Links(self)
        self.notices = self.announcer.notices  # the palette's "Notifications"
        # The console core and the feed's rows: built at their first use, after the first frame.
        self._core: ConsoleCore | None = None
        self._feed: FeedStore | None = None
        self.copier = Clipboard(super().copy_to_clipboard, secrets=self.session_flow.secrets)
        # The cyclic GC runs between keystrokes, not in the middle of one (gc_pacing.py).
        self.gc_pacer = GcPacer()
        # Freed memory goes back to the system all day (allocator.py): tuned before our threads.
        self.allocator = Allocator.of_this_process()
        self.allocator.tune()
        self.trimmer = Trimmer(self.allocator.release)
        # A key's three threads (input, UI loop, output) get the GIL within 1 ms (interpreter.py).
        self.switching = SwitchInterval()
        self.typeahead = TypeAhead(self)  # keys of a burst land where the agent meant them
        # What the agent typed and has not sent: saved as typed, restored at the next start.
        self.drafts = Drafts()
        self.drafts_restored: Signal[Drafts] = Signal(self, "drafts-restored")

    @property
    def core(self) -> ConsoleCore:
        """The console core, built at its first use, after the first frame (core_parts.py)."""
        if self._core is None:
            self._core = core_parts.build_core(self)
        return self._core

    @property
    def core_if_built(self) -> ConsoleCore | None:
        """The core if built already: what the first frame draws must not build it."""
        return self._core

    @property
    def feed(self) -> FeedStore:
        """The delivery feed's rows (one per message, bounded), built at their first use."""
        if self._feed is None:
            self._feed = core_parts.build_feed(self)
        return self._feed

    def _feed_changes(self, changes: Changes) -> None:
        self.feed.apply(changes)

    def on_mount(self) -> None:
        # Immediate: the rows move as the core publishes, before any screen hears of it.
        self.core_changed.subscribe(self, self._feed_changes, immediate=True)
        if self.settings.keymap:
            self.set_keymap(dict(self.settings.keymap))
        self.set_interval(1.0, self.announcer.wake_snoozes)
        self.set_interval(BALANCE_EVERY, self.balance_watch.refresh, name="balance")
        self.set_interval(ONLINE_EVERY, self.team_wiring.say_online, name="online")
        self.mode_change_signal.subscribe(self, self.drafts_keeper.mode_changed)
        # Immediate: "New message" toasts go before the section's resume shows the toasts it
        # finds (else the inbox mounted them, then removed them: 40-80 ms at each F3).
        self.mode_change_signal.subscribe(self, self.announcer.mode_changed, immediate=True)
        self.gc_pacer.start()
        self.switching.start()
        self.set_interval(self.gc_pacer.young_every, self.gc_pacer.tick, name="gc-pacer")
        if self.allocator.available:
            self.trimmer.start()

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key | events.MouseDown | events.MouseScrollUp):
            self.gc_pacer.input_seen()
            self.team_wiring.last_input = time.monotonic()
        # Keys that arrive together go one at a time (console/ui/typeahead.py).
        await self.typeahead.dispatch(event, super().on_event)

    async def on_ready(self) -> None:
        """Open the history and log in only after the first frame: the console shows at once.
        With no key configured it starts the embedded sandbox, unless the agent chose the
        login screen once (``start = "login"`` in config.toml)."""
        self.history_keeper.open()
        self.drafts_keeper.load()
        self.canned_store.load()
        if self.settings.login_first:
            self.connection = ConnectionInfo(LoginState.LOGGED_OUT)
            await self.switch_mode("login")
            return
        await self.action_reconnect()

    # -- what screens ask of the App -------------------------------------------------------

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

    def _on_notify(self, event: Notify) -> None:
        if not self.announcer.still_wanted(event.notification):
            event.prevent_default()  # Textual's handler (next) does not show it

    def copy_to_clipboard(self, text: str) -> None:
        """Every copy (ours and Textual's own, e.g. a selection) goes through the one
        clipboard: OSC 52, the local clipboard when there is one, never the API key."""
        self.links.copy_quietly(text)

    def copy_text(self, text: str, what: str) -> None:
        """Copy `text` and say what was copied (e.g. "the umid …")."""
        self.links.copy(text, what)

    def open_link(self, url: str, what: str) -> None:
        """Open `url` in the local browser when there is one, else copy it (and say so)."""
        self.links.open(url, what)

    def team_act(self, action: TeamAction) -> None:
        """Do a team action (through the relay when there is one; see TeamWiring.act)."""
        self.team_wiring.act(action)

    def customer_of(self, conversation_id: str) -> str:
        return self.team_wiring.customer_of(conversation_id)

    # -- quitting: the terminal back first ------------------------------------------------

    async def action_quit(self) -> None:
        """Quit without holding the agent: the history's last flush and the sandbox's exit
        run while Textual restores the terminal."""
        self.history_keeper.start_closing()
        self.exit()

    def wait_closed(self, timeout: float | None = None) -> bool:
        """Wait for the history's final flush (after the app has exited); True when done."""
        return self.history_keeper.wait_closed(timeout)

    async def on_unmount(self) -> None:
        self.gc_pacer.stop()
        self.switching.stop()
        self.trimmer.stop()
        self.history_keeper.start_closing()
        session, self.session = self.session, None
        if session is not None:
            await session.close(wait=False)

    # -- messages, routed to the controller that handles them -----------------------------

    @on(m.SessionStarted)
    async def _session_started(self, message: m.SessionStarted) -> None:
        await self.session_flow.started(message)

    @on(m.ConnectFailed)
    async def _connect_failed(self, message: m.ConnectFailed) -> None:
        await self.session_flow.failed(message)

    @on(m.SavedKeyFound)
    def _saved_key_found(self, message: m.SavedKeyFound) -> None:
        self.session_flow.saved_key_found(message)

    @on(m.KeyringChecked)
    def _keyring_checked(self, message: m.KeyringChecked) -> None:
        self.keyring = message.status

    @on(m.KeyringSaved)
    def _keyring_saved(self, message: m.KeyringSaved) -> None:
        self.session_flow.key_saved(message)

    @on(m.ConfigNotSaved)
    def _config_not_saved(self, message: m.ConfigNotSaved) -> None:
        self.notify(message.reason, title="Settings", severity="warning", timeout=15)

    @on(m.BalanceAsked)
    def _balance_asked(self, message: m.BalanceAsked) -> None:
        self.balance_watch.answered(message)

    @on(m.HistoryOpened)
    def _history_opened(self, message: m.HistoryOpened) -> None:
        self.history_keeper.opened(message.history, message.feed_window)

    @on(m.HistoryNoticed)
    def _history_noticed(self, message: m.HistoryNoticed) -> None:
        self.history_keeper.noticed(message.text)

    @on(m.HistoryUnavailable)
    def _history_unavailable(self, message: m.HistoryUnavailable) -> None:
        self.history_keeper.unavailable(message.reason)

    @on(m.HistoryWriteFailed)
    def _history_write_failed(self, message: m.HistoryWriteFailed) -> None:
        self.history_keeper.write_failed(message.reason)

    @on(m.DraftsLoaded)
    def _drafts_loaded(self, message: m.DraftsLoaded) -> None:
        self.drafts_keeper.loaded(message)

    @on(m.TextDrafted)
    @on(m.ComposeDrafted)
    @on(m.ConversationShown)
    def _drafted(self, message: m.TextDrafted | m.ComposeDrafted | m.ConversationShown) -> None:
        self.drafts_keeper.drafted(message)

    @on(m.EventsReceived)
    @on(m.EventsMissed)
    def _events_arrived(self, message: m.EventsReceived | m.EventsMissed) -> None:
        self.live.arrived(message)

    @on(m.StreamStateChanged)
    def _stream_state_changed(self, message: m.StreamStateChanged) -> None:
        self.live.state_changed(message)

    @on(m.PresenceReceived)
    def _presence_received(self, message: m.PresenceReceived) -> None:
        self.core.apply_presence(message.presence)

    @on(m.TeamActionFailed)
    def _team_action_failed(self, message: m.TeamActionFailed) -> None:
        self.team_wiring.failed(message)

    @on(m.CannedLoaded)
    def _canned_loaded(self, message: m.CannedLoaded) -> None:
        self.canned_store.loaded(message)

    @on(m.CannedFailed)
    def _canned_failed(self, message: m.CannedFailed) -> None:
        self.canned_store.failed(message)

    @on(m.LinkOpened)
    def _link_opened(self, message: m.LinkOpened) -> None:
        self.links.opened(message)

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR:
            worker_failed(self, event.worker)

    # -- actions and commands ---------------------------------------------------------------

    async def action_reconnect(self) -> None:
        await self.session_flow.reconnect()

    async def action_log_out(self) -> None:
        await self.session_flow.log_out()

    def action_show_keys(self) -> None:
        show_keys(self)

    def action_show_team(self) -> None:
        self.team_wiring.show_roster()

    def action_show_notices(self) -> None:
        self.announcer.show_recent()

    async def run_section_action(self, section: Section, action: str) -> None:
        """A section's palette command: open the section, then run the action on its screen."""
        if self.current_mode != section.mode:
            await self.switch_mode(section.mode)
        await self.screen.run_action(action)

    def watch_connection(self, before: ConnectionInfo, after: ConnectionInfo) -> None:
        if before.state is not after.state and self.screen_stack:  # F9 follows the state
            self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "log_out":  # F9 shows (and works) only while logged in or trying,
            # and not on the login screen (a refused key: the agent types another there)
            return self.connection.state is not LoginState.LOGGED_OUT and (
                self.current_mode != "login"
            )
        return True

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from console_commands(self, screen)
        yield from super().get_system_commands(screen)
