"""The clipboard and the browser: copy what the agent asks for (never the API key) and say
so; open a link in the local browser when there is one, else copy it. Both run off the UI
loop (pyperclip and the browser start helper processes)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from console.messages import LinkOpened
from console.ui.clipboard import Copied

if TYPE_CHECKING:
    from console.app import AgentConsole


class Links:
    def __init__(self, app: AgentConsole) -> None:
        self.app = app

    def copy_quietly(self, text: str) -> None:
        """A copy that says nothing (Textual's own, e.g. a selection)."""
        if self.app.copier.copy(text) is Copied.TERMINAL:
            self._copy_locally(text)

    def copy(self, text: str, what: str) -> None:
        """Copy `text` and say what was copied (e.g. "the umid …")."""
        outcome = self.app.copier.copy(text)
        if outcome is Copied.REFUSED:
            self.app.notify("It holds the API key: nothing was copied.", severity="warning")
        elif outcome is Copied.TERMINAL:
            self._copy_locally(text)
            self.app.notify(f"Copied {what}.", title="Clipboard")

    def _copy_locally(self, text: str) -> None:
        self.app.run_worker(
            lambda: self.app.copier.copy_local(text),
            group="clipboard",
            thread=True,
            exit_on_error=False,
            description="Copying",
        )

    def open(self, url: str, what: str) -> None:
        """Open `url` in the local browser when there is one, else copy it (and say so)."""
        browser = self.app.browser
        if not browser.available:
            self.copy(url, f"{what} (no local browser here)")
            return
        self.app.run_worker(
            lambda: self.app.post_message(LinkOpened(url, what, browser.open(url))),
            group="browser",
            thread=True,
            exit_on_error=False,
            description="Opening the browser",
        )

    def opened(self, message: LinkOpened) -> None:
        if message.opened:
            self.app.notify(f"Opened {message.what} in the browser.", title="Browser")
        else:
            self.copy(message.url, f"{message.what} (the browser did not open)")
