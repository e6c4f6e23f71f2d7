"""DestinationInput: one number, or many pasted at once (lines become commas)."""

from __future__ import annotations

from textual import events
from textual.widgets import Input


class DestinationInput(Input):
    """An Input that keeps every line of a pasted list instead of only the first."""

    def _on_paste(self, event: events.Paste) -> None:
        if event.text:
            lines = [line.strip() for line in event.text.splitlines() if line.strip()]
            joined = ", ".join(lines)
            selection = self.selection
            if selection.is_empty:
                self.insert_text_at_cursor(joined)
            else:
                self.replace(joined, *selection)
        event.stop()
