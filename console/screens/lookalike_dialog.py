"""LookalikeDialog: preview what GSM-7 lookalikes change and save, before changing anything."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from console.sms import SmsAnalysis


def _visible(char: str) -> str:
    if char == "":
        return "(removed)"
    if not char.isprintable() or (char.isspace() and char != " "):
        return f"U+{ord(char):04X}"
    return repr(char)[1:-1] if char != " " else "␠"


class LookalikeDialog(ModalScreen[bool]):
    """Shows each substitution and the saving; Apply returns True, Cancel False."""

    DEFAULT_CSS = """
    LookalikeDialog { align: center middle; }
    LookalikeDialog > Vertical {
        width: 64; max-width: 95%; height: auto; max-height: 90%;
        border: thick $primary; background: $surface; padding: 1 2;
    }
    LookalikeDialog #lookalike-buttons { height: auto; align-horizontal: right; margin-top: 1; }
    LookalikeDialog Button { margin-left: 1; }
    """
    BINDINGS = [
        Binding(
            "escape",
            "dismiss(False)",
            "Cancel",
            id="lookalike.cancel",
            tooltip="Close without changing the message.",
        )
    ]

    def __init__(
        self, changes: list[tuple[str, str, int]], before: SmsAnalysis, after: SmsAnalysis
    ) -> None:
        super().__init__()
        self.changes = changes
        self.before = before
        self.after = after

    def compose(self) -> ComposeResult:
        text = Text()
        text.append("Use GSM-7 lookalikes?\n\n", style="bold")
        for original, replacement, count in self.changes[:10]:
            text.append(f"  {_visible(original):>8}  →  {_visible(replacement):<10}")
            text.append(f" ×{count}\n")
        if len(self.changes) > 10:
            text.append(f"  … and {len(self.changes) - 10} more\n")
        text.append("\n")
        text.append(f"  before  {self.before.summary}\n")
        text.append(f"  after   {self.after.summary}\n", style="bold")
        saved = self.before.segments - self.after.segments
        if saved > 0:
            text.append(f"\n  Saves {saved} segment{'s' if saved != 1 else ''} per recipient.\n")
        with Vertical():
            yield Static(text)
            with Horizontal(id="lookalike-buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Apply", id="apply", variant="primary")

    def on_mount(self) -> None:
        # Enter presses the focused button: Apply, unless the agent moves to Cancel.
        self.query_one("#apply", Button).focus()

    @on(Button.Pressed, "#apply")
    def _apply(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.dismiss(False)
