"""The console's sections: one Textual mode each, a key away, in the command palette and on
the home screen. A section is listed here once it works; adding one is one line.

A section's actions are palette commands too, named "<Section>: <action>": `commands` lists
(action title, help, action name on the section's screen); the App opens the section first.
"""

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
    commands: tuple[tuple[str, str, str], ...] = ()  # (title, help, screen action)

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
        "rooms",
        "Rooms",
        "f2",
        "Open a video room for the customer on the phone: guest link, SMS invite, call logs.",
        "console.screens.rooms:RoomsScreen",
        (
            ("create room", "Create a video room from the form", "create"),
            ("copy guest link", "Copy the current room's guest link", "copy_guest_link"),
            ("open agent link", "Open the current room as the agent", "open_agent_link"),
            ("suggest a call reference", "Fill in a generated call reference", "suggest"),
            ("call logs", "Show the call logs of the selected room", "call_logs"),
        ),
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
