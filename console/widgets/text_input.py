"""TextInput: an Input that never takes control characters in, whatever is pasted."""

from __future__ import annotations

from textual import events
from textual.widgets import Input

from console.ui.text import strip_controls


class TextInput(Input):
    """Pasted text arrives without control characters (an escape sequence in a field would
    reach the terminal when the field is drawn); its first line only, as Input does."""

    def pasted(self, text: str) -> str:
        """What a paste inserts; subclasses shape it further."""
        lines = text.splitlines()
        return strip_controls(lines[0]) if lines else ""

    def _on_paste(self, event: events.Paste) -> None:
        text = self.pasted(event.text) if event.text else ""
        if text:
            selection = self.selection
            if selection.is_empty:
                self.insert_text_at_cursor(text)
            else:
                self.replace(text, *selection)
        event.stop()
        event.prevent_default()  # Input's own handler would paste the raw text again
