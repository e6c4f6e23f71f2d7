"""DestinationInput: one number, or many pasted at once (lines become commas)."""

from __future__ import annotations

from console.ui.text import strip_controls
from console.widgets.text_input import TextInput


class DestinationInput(TextInput):
    """A TextInput that keeps every line of a pasted list instead of only the first."""

    def pasted(self, text: str) -> str:
        lines = (strip_controls(line).strip() for line in text.splitlines())
        return ", ".join(line for line in lines if line)
