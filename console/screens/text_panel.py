"""TextPanel: a modal that shows one text in a bordered, scrolling box — the keys (`?`), the
notifications and the team's roster. Escape (or `q`) closes it."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from console.ui.text import plain


class TextPanel(ModalScreen[None]):
    """`title` and `subtitle` are shown as text, never markup; `body` is a Rich Text or a
    Textual Content built from outside text with `plain`/`plain_text`."""

    DEFAULT_CSS = """
    TextPanel { align: center middle; }
    TextPanel > VerticalScroll {
        width: 96; max-width: 100%; height: auto; max-height: 100%;
        border: round $primary; background: $panel; padding: 0 1;
    }
    """
    BINDINGS = [
        Binding("escape,q", "dismiss", "Close", id="panel.close", tooltip="Close this panel.")
    ]
    WIDTH: int | None = None  # a narrower box than the default, in columns

    def __init__(self, title: str, body: Text | Content, subtitle: str = "Esc closes") -> None:
        super().__init__()
        self.title_text = title
        self.body = body
        self.subtitle_text = subtitle

    def compose(self) -> ComposeResult:
        with VerticalScroll() as box:
            box.border_title = plain(self.title_text)
            box.border_subtitle = plain(self.subtitle_text)
            if self.WIDTH is not None:
                box.styles.width = self.WIDTH
            yield Static(self.body, id="panel-text", markup=False)

    def on_mount(self) -> None:
        self.query_one(VerticalScroll).focus()
