"""TextInput: an Input that never takes control characters in, whatever is pasted."""

from __future__ import annotations

from typing import Any

from textual import events
from textual.widgets import Input

from console.ui.text import strip_controls

# A filter or a search: what anyone types is far shorter. 100,000 characters pasted into the
# feed's filter made each later key take 8-12 s to show (tmux, 80x24).
QUERY_MAX = 500


class TextInput(Input):
    """Pasted text arrives without control characters (an escape sequence in a field would
    reach the terminal when the field is drawn); its first line only, as Input does. A paste
    longer than the field's maximum keeps what fits and says so (Input refuses it whole,
    with only a bell)."""

    def __init__(self, *args: Any, what: str = "This field", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.what = what  # the field's name in a notice ("Country")

    def pasted(self, text: str) -> str:
        """What a paste inserts; subclasses shape it further."""
        lines = text.splitlines()
        return strip_controls(lines[0]) if lines else ""

    def _on_paste(self, event: events.Paste) -> None:
        text = self.pasted(event.text) if event.text else ""
        if text and self.max_length:
            start, end = sorted(self.selection)
            room = self.max_length - (len(self.value) - (end - start))
            if len(text) > room:
                left_out = len(text) - max(room, 0)
                text = text[: max(room, 0)]
                self.notify(
                    f"{self.what} takes at most {self.max_length} characters: the paste was "
                    f"cut ({left_out:,} left out).",
                    severity="warning",
                    timeout=4,
                )
        if text:
            selection = self.selection
            if selection.is_empty:
                self.insert_text_at_cursor(text)
            else:
                self.replace(text, *selection)
        event.stop()
        event.prevent_default()  # Input's own handler would paste the raw text again
