"""NoticesScreen (the palette's "Notifications"): the recent notices, newest first — the
toasts that went by and the customers' messages the hotlist line announced."""

from __future__ import annotations

import time
from collections.abc import Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from console.core.hotlist import Notice
from console.ui.text import clean


class NoticesScreen(ModalScreen[None]):
    """Escape or `q` closes it."""

    DEFAULT_CSS = """
    NoticesScreen { align: center middle; }
    NoticesScreen > VerticalScroll {
        width: 96; max-width: 100%; height: auto; max-height: 100%;
        border: round $primary; background: $panel; padding: 0 1;
    }
    """
    BINDINGS = [
        Binding("escape,q", "dismiss", "Close", id="notices.close", tooltip="Close the notices.")
    ]

    def __init__(self, notices: Sequence[Notice]) -> None:
        super().__init__()
        self.notices = list(notices)

    def compose(self) -> ComposeResult:
        with VerticalScroll() as box:
            box.border_title = "Notifications"
            box.border_subtitle = "newest first · Esc closes"
            yield Static(self._text(), id="notices-text")

    def _text(self) -> Text:
        if not self.notices:
            return Text("Nothing yet.", style="dim")
        text = Text(end="")
        for index, notice in enumerate(self.notices):
            if index:
                text.append("\n")
            text.append(time.strftime("%H:%M:%S ", time.localtime(notice.at)), style="dim")
            if notice.title:
                text.append(f"{clean(notice.title)}: ", style="bold")
            text.append(clean(notice.text))
        return text

    def on_mount(self) -> None:
        self.query_one(VerticalScroll).focus()
