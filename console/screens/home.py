"""HomeScreen: the connection in detail, and what each section does."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual import getters
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from console.paths import styles_path
from console.screens.resume import SectionScreen
from console.ui.app_access import console_app
from console.ui.sections import SECTIONS
from console.ui.state import BalanceStatus, ConnectionInfo, HistoryStatus, LoginState
from console.ui.text import clean
from console.widgets.key_bar import KeyBar
from console.widgets.session_bar import SessionBar


class HomeScreen(SectionScreen):
    """Where the console opens: proof of what it is connected to."""

    CSS_PATH = styles_path("home.tcss")

    app = console_app()
    balance = ""  # the account's balance, once 8x8 said it
    connection_card = getters.query_one("#connection-card", Static)

    def compose(self) -> ComposeResult:
        yield SessionBar("Home")
        with VerticalScroll(id="home-body"):
            yield Static(id="connection-card")
            yield Static(self._sections_text(), id="sections-card")
        yield KeyBar()

    def on_mount(self) -> None:
        self.connection_card.border_title = "Connection"
        self.query_one("#sections-card", Static).border_title = "Sections"
        self.watch(self.app, "connection", self._connection_changed, init=True)
        self.watch(self.app, "history_status", self._history_changed, init=False)
        self.watch(self.app, "balance", self._balance_changed, init=True)

    def _connection_changed(self, info: ConnectionInfo) -> None:
        self._show_connection(info)

    def _balance_changed(self, status: BalanceStatus) -> None:
        self.balance = status.label
        self._show_connection(self.app.connection)

    def _history_changed(self, _status: HistoryStatus) -> None:
        self._show_connection(self.app.connection)

    def _show_connection(self, info: ConnectionInfo) -> None:
        events = info.events.label
        if info.events.detail:
            events += f" — {info.events.detail}"
        labels = (
            ("Status", self._status(info)),
            ("Connected to", info.target or "—"),
            *((("Server", info.server_url),) if info.server_url else ()),
            ("Sub-account", info.subaccount or "—"),
            ("API key", info.masked_key or "—"),
            *((("Balance", self.balance),) if self.balance else ()),
            ("Live events", events),
            ("History", self.app.history_status.label),
        )
        rows = Text()
        for index, (label, value) in enumerate(labels):
            rows.append("\n" if index else "")
            rows.append(f"{label:<14}", style="bold")
            rows.append(clean(value))
        if info.state is LoginState.FAILED:
            rows.append("\n\nPress ctrl+r to try again, or ctrl+q to quit.", style="italic")
        card = self.connection_card
        card.update(rows)
        card.set_class(info.state is LoginState.FAILED, "-failed")
        card.set_class(info.state is LoginState.CONNECTED, "-connected")

    @staticmethod
    def _status(info: ConnectionInfo) -> str:
        if info.state is LoginState.CONNECTED:
            return "● connected"
        if info.state is LoginState.FAILED:
            return f"✗ not connected: {info.detail}"
        return f"◌ {info.detail or 'connecting…'}"

    @staticmethod
    def _sections_text() -> Table:
        table = Table.grid(padding=(0, 1))
        table.add_column(style="bold", no_wrap=True)
        table.add_column(style="bold", no_wrap=True)
        table.add_column(ratio=1)
        for section in SECTIONS:
            if section.mode != "home":
                table.add_row(section.key.upper(), section.title, Text(section.summary))
        return table
