"""ConfirmSendDialog: money is about to leave. The recipients, parts, cost and balance, and
Cancel focused, so an Enter pressed out of habit sends nothing."""

from __future__ import annotations

from collections.abc import Sequence

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from console.ui.text import plain


class ConfirmSendDialog(ModalScreen[bool]):
    """Send returns True; Cancel, Escape (and Enter, on the focused Cancel) return False."""

    DEFAULT_CSS = """
    ConfirmSendDialog { align: center middle; }
    ConfirmSendDialog > Vertical {
        width: 68; max-width: 95%; height: auto; max-height: 90%;
        border: thick $warning; background: $surface; padding: 0 2;
    }
    ConfirmSendDialog #confirm-lines { margin: 1 0 0 0; }
    ConfirmSendDialog #confirm-buttons { height: auto; align-horizontal: right; margin: 1 0; }
    ConfirmSendDialog Button { margin-left: 1; }
    """
    BINDINGS = [
        Binding("escape", "dismiss(False)", "Cancel", id="confirm.cancel", tooltip="Send nothing.")
    ]

    def __init__(self, title: str, lines: Sequence[str], *, send_label: str = "Send") -> None:
        super().__init__()
        self.title_text = title
        self.lines = tuple(lines)
        self.send_label = send_label

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = plain(self.title_text)
            yield Static(plain("\n".join(self.lines), newlines=True), id="confirm-lines")
            with Horizontal(id="confirm-buttons"):
                yield Button("Cancel", id="cancel", variant="primary")
                yield Button(plain(self.send_label), id="send", variant="warning")

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()

    @on(Button.Pressed, "#send")
    def _send(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.dismiss(False)
