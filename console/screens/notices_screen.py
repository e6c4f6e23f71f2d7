"""NoticesScreen (the palette's "Notifications"): the recent notices, newest first — the
toasts that went by and the customers' messages the hotlist line announced."""

from __future__ import annotations

import time
from collections.abc import Sequence

from rich.text import Text

from console.core.hotlist import Notice
from console.screens.text_panel import TextPanel
from console.ui.text import clean


class NoticesScreen(TextPanel):
    """Escape or `q` closes it."""

    def __init__(self, notices: Sequence[Notice]) -> None:
        self.notices = list(notices)
        super().__init__("Notifications", self._text(), "newest first · Esc closes")

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
