"""NoteDialog: the inbox's private-note dialog, whose text is a draft kept as the agent types
(restored after a dropped session, the next time the note is opened on that conversation).
Saving or cancelling it forgets the draft."""

from __future__ import annotations

from typing import Any

from textual import on
from textual.widgets import TextArea

from console.core.drafts import NOTE
from console.messages import TextDrafted
from console.screens.ask_dialog import AskDialog


class NoteDialog(AskDialog):
    """An AskDialog (multiline) that tells the App what is typed, as a note draft."""

    def __init__(self, conversation_id: str, title: str, **options: Any) -> None:
        super().__init__(title, multiline=True, **options)
        self.conversation_id = conversation_id

    @on(TextArea.Changed, "#answer")
    def _note_typed(self, event: TextArea.Changed) -> None:
        self.post_message(TextDrafted(NOTE, self.conversation_id, event.text_area.text))

    def dismiss(self, result: str | None = None) -> Any:
        """Saved or cancelled: either way, no draft is left."""
        self.post_message(TextDrafted(NOTE, self.conversation_id, ""))
        return super().dismiss(result)
