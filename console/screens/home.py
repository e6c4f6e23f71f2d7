"""HomeScreen: the connection in detail, and what each section does."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from console.connection import ConnectionInfo
from console.paths import styles_path
from console.sections import SECTIONS
from console.ui.text import clean
from console.widgets.session_bar import SessionBar


class HomeScreen(Screen[None]):
    """Where the console opens: proof of what it is connected to."""

    CSS_PATH = styles_path("home.tcss")

    def compose(self) -> ComposeResult:
        yield SessionBar("Home")
        with VerticalScroll(id="home-body"):
            yield Static(id="connection-card")
            yield Static(self._sections_text(), id="sections-card")
        yield Footer()

    def on_mount(self) -> None:
        card = self.query_one("#connection-card", Static)
        card.border_title = "Connection"
        self.query_one("#sections-card", Static).border_title = "Sections"
        self.watch(self.app, "connection", self._show_connection, init=True)
        self.watch(self.app, "history_status", self._history_changed, init=False)

    def _history_changed(self, _status: str) -> None:
        self._show_connection(self.app.connection)  # type: ignore[attr-defined]

    def _show_connection(self, info: ConnectionInfo) -> None:
        rows = Text()
        labels = (
            ("Status", self._status(info)),
            ("Connected to", info.target or "—"),
            *((("Server", info.server_url),) if info.server_url else ()),
            ("Sub-account", info.subaccount or "—"),
            ("API key", info.masked_key or "—"),
            (
                "Live events",
                info.events + (f" — {info.events_detail}" if info.events_detail else ""),
            ),
            ("History", getattr(self.app, "history_status", "")),
        )
        for index, (label, value) in enumerate(labels):
            rows.append("\n" if index else "")
            rows.append(f"{label:<14}", style="bold")
            rows.append(clean(value))
        if info.state == "failed":
            rows.append("\n\nPress ctrl+r to try again, or ctrl+q to quit.", style="italic")
        self.query_one("#connection-card", Static).update(rows)
        card = self.query_one("#connection-card", Static)
        card.set_class(info.state == "failed", "-failed")
        card.set_class(info.state == "connected", "-connected")

    @staticmethod
    def _status(info: ConnectionInfo) -> str:
        if info.state == "connected":
            return "● connected"
        if info.state == "failed":
            return f"✗ not connected: {info.detail}"
        return f"◌ {info.detail or 'connecting…'}"

    @staticmethod
    def _sections_text() -> Table:
        table = Table.grid(padding=(0, 1))
        table.add_column(style="bold", no_wrap=True)
        table.add_column(style="bold", no_wrap=True)
        table.add_column(ratio=1)
        for section in SECTIONS[1:]:
            about = Text(section.summary)
            if section.status != "ready":
                about.append(f"\n{section.status}", style="italic")
            table.add_row(section.key.upper(), section.title, about)
        return table
