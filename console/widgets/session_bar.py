"""SessionBar: the top line of every screen — which section, connected to what, as whom."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from console.ui.state import ConnectionInfo, EventsState, LoginState
from console.ui.text import clean


def describe(info: ConnectionInfo) -> str:
    """One line, never relying on colour alone."""
    if info.state is LoginState.FAILED:
        return f"✗ not connected · {info.detail}"
    if info.state is LoginState.LOGGED_OUT:
        return "○ logged out"
    if info.state is not LoginState.CONNECTED:
        return f"◌ {info.detail or 'connecting…'}"
    parts = [
        f"● connected to {info.target}",
        f"sub-account {info.subaccount}",
        f"key {info.masked_key}",
    ]
    if info.events.state is not EventsState.OFF:
        parts.append(f"events {info.events.label}")
    return " · ".join(parts)


def compact(info: ConnectionInfo) -> str:
    """The same facts in fewer words, for narrow terminals."""
    if info.state is not LoginState.CONNECTED:
        return describe(info)
    parts = [f"● {info.target}", info.subaccount, info.masked_key]
    if info.events.state is not EventsState.OFF:
        parts.append(f"events {info.events.label}")
    return " · ".join(parts)


class SessionBar(Widget):
    """Shows the section title and the connection; follows the App's `connection`."""

    DEFAULT_CSS = """
    SessionBar {
        dock: top;
        height: 1;
        background: $panel;
        color: $foreground;
    }
    SessionBar.-connected .session-bar--state { color: $success; }
    """
    COMPONENT_CLASSES = {"session-bar--title", "session-bar--state", "session-bar--sandbox"}
    SANDBOX = " SANDBOX "

    connection: reactive[ConnectionInfo] = reactive(ConnectionInfo, layout=False)

    def __init__(self, title: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.section_title = title

    def on_mount(self) -> None:
        # The App's `connection` reactive (AgentConsole); the bar only reads it.
        self.watch(self.app, "connection", self._connection_changed, init=True)

    def _connection_changed(self, info: ConnectionInfo) -> None:
        self.connection = info
        self.set_class(info.state is LoginState.CONNECTED, "-connected")
        self.set_class(info.state is LoginState.FAILED, "-failed")

    def render(self) -> Text:
        info = self.connection
        title_style = self.get_component_rich_style("session-bar--title")
        width = self.size.width
        badge = self.SANDBOX if info.demo else ""
        # The longest that fits: the app's name goes first, then the words of the detail.
        for title, detail in (
            (f" agent-console › {self.section_title} ", describe(info)),
            (f" {self.section_title} ", describe(info)),
            (f" {self.section_title} ", compact(info)),
        ):
            if len(title) + len(badge) + 1 + len(detail) <= width:
                break
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(title, style=title_style)
        if badge:  # a demo is never mistaken for production: the word, not only a colour
            text.append(badge, style=self.get_component_rich_style("session-bar--sandbox"))
        text.append(" ")
        text.append(clean(detail))
        return text
