"""TeamScreen (the palette's "Team"): the roster — who is online, idle for how long, which
conversation they have open — from the presence every console posts to the relay."""

from __future__ import annotations

from collections.abc import Sequence

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from console.ui.text import plain


class TeamScreen(ModalScreen[None]):
    """Escape or `q` closes it."""

    DEFAULT_CSS = """
    TeamScreen { align: center middle; }
    TeamScreen > VerticalScroll {
        width: 72; max-width: 100%; height: auto; max-height: 100%;
        border: round $primary; background: $panel; padding: 0 1;
    }
    """
    BINDINGS = [
        Binding("escape,q", "dismiss", "Close", id="team.close", tooltip="Close the roster.")
    ]

    def __init__(self, lines: Sequence[str], *, relay: bool) -> None:
        super().__init__()
        self.lines = list(lines)
        self.relay = relay

    def compose(self) -> ComposeResult:
        with VerticalScroll() as box:
            box.border_title = "Team"
            box.border_subtitle = "Esc closes"
            text = "\n".join(self.lines)
            if not self.relay:
                text += "\n\nNo relay: the team is not shared (see --relay)."
            yield Static(plain(text, newlines=True), id="team-text")

    def on_mount(self) -> None:
        self.query_one(VerticalScroll).focus()
