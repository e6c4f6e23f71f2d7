"""SectionScreen: a section whose issue has not landed yet says so plainly."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Center, Middle
from textual.screen import Screen
from textual.widgets import Footer, Static

from console.paths import styles_path
from console.sections import SECTION_BY_MODE
from console.widgets.session_bar import SessionBar


class SectionScreen(Screen[None]):
    """A section not built yet: its purpose and what is coming; nothing pretends to work."""

    CSS_PATH = styles_path("section.tcss")
    MODE = "home"

    def compose(self) -> ComposeResult:
        section = SECTION_BY_MODE[self.MODE]
        yield SessionBar(section.title)
        with Middle(), Center():
            yield Static(
                f"[b]{section.title}[/b]\n\n{section.summary}\n\n"
                f"[i]Not built yet — {section.status}.[/i]",
                classes="coming-soon",
            )
        yield Footer()
