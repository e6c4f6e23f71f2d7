"""KeysScreen (`?`): every key of the open section and every key that works everywhere,
made from the bindings themselves, so a `[keymap]` remap in config.toml shows here too."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rich.text import Text
from textual.binding import Binding

from console.screens.text_panel import TextPanel
from console.ui.text import clean


@dataclass(frozen=True, slots=True)
class KeyLine:
    shown: str  # the key as the agent presses it ("^j", "f9", "?")
    description: str
    help: str


def key_lines(bindings: Iterable[tuple[str, Binding]]) -> list[KeyLine]:
    """One line per action (its first key), in the bindings' order: the console's own keys
    (each has an id) and quitting, not the scrolling and focus keys every Textual widget has."""
    lines: list[KeyLine] = []
    seen: set[str] = set()
    for shown, binding in bindings:
        ours = binding.id is not None or binding.action == "quit"
        if binding.action in seen or binding.system or not ours:
            continue
        seen.add(binding.action)
        lines.append(KeyLine(shown, binding.description or binding.action, binding.tooltip or ""))
    return lines


class KeysScreen(TextPanel):
    """The keys, in two groups; Escape, `?` or `q` closes it."""

    BINDINGS = [
        Binding(
            "escape,question_mark,q", "dismiss", "Close", id="keys.close", tooltip="Close the keys."
        ),
    ]

    def __init__(self, section: str, own: Sequence[KeyLine], everywhere: Sequence[KeyLine]) -> None:
        self.section = section
        self.own = list(own)
        self.everywhere = list(everywhere)
        subtitle = "Esc closes · every action is in the palette too (ctrl+p)"
        super().__init__(f"Keys · {section}", self._text(), subtitle)

    def _text(self) -> Text:
        text = Text(end="")
        for title, lines in ((self.section, self.own), ("Everywhere", self.everywhere)):
            if not lines:
                continue
            if text:
                text.append("\n\n")
            text.append(clean(title), style="bold underline")
            width = max(len(line.shown) for line in lines) + 2
            for line in lines:
                text.append("\n")
                text.append(f"{clean(line.shown):<{width}}", style="bold")
                text.append(clean(line.description))
                if line.help:
                    text.append(f" — {clean(line.help)}", style="dim")
        return text
