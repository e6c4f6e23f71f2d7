"""The console's sections: one Textual mode each, a key away, in the command palette and on
the home screen. A section is listed here once it works; adding one is one line."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from textual.screen import Screen


@dataclass(frozen=True, slots=True)
class Section:
    mode: str
    title: str
    key: str
    summary: str
    screen: str  # "module:Class", imported when the section is first opened

    def make_screen(self) -> Screen[None]:
        """A new screen for this section (its module is imported on first use)."""
        module, _, name = self.screen.partition(":")
        screen: Screen[None] = getattr(importlib.import_module(module), name)()
        return screen


SECTIONS: tuple[Section, ...] = (
    Section(
        "home",
        "Home",
        "f1",
        "What you are connected to, as whom, and what each section does.",
        "console.screens.home:HomeScreen",
    ),
    Section(
        "compose",
        "Compose",
        "f5",
        "Write an SMS and see its encoding (GSM-7 or UCS-2) and segment count as you type.",
        "console.screens.compose:ComposeScreen",
    ),
)
SECTION_BY_MODE = {section.mode: section for section in SECTIONS}
