"""MessageEditor: the SMS text area, with the characters that cost the encoding marked."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from rich.style import Style
from textual import events
from textual.binding import BindingsMap
from textual.widgets import TextArea
from textual.widgets.text_area import TextAreaTheme

from console.ui.text import strip_controls

CULPRIT = "sms.culprit"


def _sms_theme() -> TextAreaTheme:
    base = TextAreaTheme.get_builtin_theme("css")
    assert base is not None
    styles = dict(base.syntax_styles)
    # Reverse + underline: visible without relying on colour (256-colour terminals, themes).
    styles[CULPRIT] = Style(reverse=True, bold=True, underline=True)
    return dataclasses.replace(base, name="sms", syntax_styles=styles)


# TextArea selects the line with F6 and everything with F7; in the console the function keys
# open sections (F7 is Shield), so they pass through a text being written; selecting stays on
# shift with the arrows, home and end, and on the mouse.
SECTION_KEYS = frozenset({"f6", "f7"})


class MessageEditor(TextArea):
    """A TextArea that highlights given character positions (str indexes into the text)."""

    @classmethod
    def _merge_bindings(cls) -> BindingsMap:
        merged = super()._merge_bindings()
        for key in SECTION_KEYS:
            merged.key_to_bindings.pop(key, None)
        return merged

    def __init__(self, text: str = "", *, id: str | None = None) -> None:
        super().__init__(text, id=id, soft_wrap=True, tab_behavior="focus", compact=False)
        self.register_theme(_sms_theme())
        self.theme = "sms"
        self._culprit_indexes: tuple[int, ...] = ()

    async def _on_paste(self, event: events.Paste) -> None:
        """Pasted text arrives without control characters (they would reach the terminal)."""
        event.text = strip_controls(event.text, lines=True)
        await super()._on_paste(event)
        event.prevent_default()  # TextArea's handler has run (above) with the clean text

    def mark(self, indexes: Iterable[int]) -> None:
        """Highlight these character positions (replacing any earlier marks)."""
        marked = tuple(sorted(set(indexes)))
        if marked == self._culprit_indexes:
            return
        self._culprit_indexes = marked
        self._build_highlight_map()
        self.refresh()

    def _build_highlight_map(self) -> None:
        super()._build_highlight_map()
        indexes = getattr(self, "_culprit_indexes", ())
        if not indexes:
            return
        # Map str indexes to (row, byte column): TextArea highlights are UTF-8 byte ranges.
        text = self.text
        lines = text.split("\n")
        starts: list[int] = []
        offset = 0
        for line in lines:
            starts.append(offset)
            offset += len(line) + 1
        row = 0
        for index in indexes:
            if index >= len(text):
                break
            while row + 1 < len(starts) and starts[row + 1] <= index:
                row += 1
            column = index - starts[row]
            line = lines[row]
            start = len(line[:column].encode("utf-8"))
            end = start + len(line[column : column + 1].encode("utf-8"))
            self._highlights[row].append((start, end, CULPRIT))
