"""SessionBar: the top line of every screen — which section, connected to what, as whom."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from console.connection import ConnectionInfo
from console.ui.text import clean


class SessionBar(Widget):
    """Shows the section title and the connection; reads the App's `connection` reactive."""

    DEFAULT_CSS = """
    SessionBar {
        dock: top;
        height: 1;
        background: $panel;
        color: $foreground;
    }
    SessionBar.-connected .session-bar--state { color: $success; }
    """
    COMPONENT_CLASSES = {"session-bar--title", "session-bar--state"}

    connection: reactive[ConnectionInfo] = reactive(ConnectionInfo, layout=False)

    def __init__(self, title: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.section_title = title

    def on_mount(self) -> None:
        self.watch(self.app, "connection", self._connection_changed, init=True)

    def _connection_changed(self, info: ConnectionInfo) -> None:
        self.connection = info
        self.set_class(info.state == "connected", "-connected")
        self.set_class(info.state == "failed", "-failed")

    def render(self) -> Text:
        info = self.connection
        title_style = self.get_component_rich_style("session-bar--title")
        width = self.size.width
        title = f" agent-console › {self.section_title} "
        detail = info.describe()
        if len(title) + 1 + len(detail) > width:
            title = f" {self.section_title} "
            detail = info.compact()
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(title, style=title_style)
        text.append(" ")
        text.append(clean(detail))
        return text
