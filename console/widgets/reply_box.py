"""ReplyBox: the inbox's reply editor. ``/shortcode`` then Tab puts a canned response in its
place, its ``{{variables}}`` filled from the conversation. The screen gives it the responses
and the variables; the box reads no file."""

from __future__ import annotations

from dataclasses import dataclass, field

from textual import events
from textual.message import Message

from console.core.canned import DEFAULT, CannedResponses, expand, shortcode_before
from console.widgets.message_editor import MessageEditor


class ReplyBox(MessageEditor):
    """A MessageEditor that expands canned responses."""

    # Its key handler takes Tab only; printable keys go on to TextArea's unchanged, so the
    # type-ahead may type a run of them in at once (console/ui/typeahead.py).
    TYPES_AS_ITS_BASE = True

    @dataclass
    class CannedUsed(Message):
        """A canned response went in; `unknown` names variables it could not fill."""

        box: ReplyBox
        shortcode: str
        unknown: list[str] = field(default_factory=list)

        @property
        def control(self) -> ReplyBox:
            return self.box

    @dataclass
    class CannedNotFound(Message):
        """Tab after a shortcode that names no response (or several): what might fit."""

        box: ReplyBox
        typed: str
        candidates: list[str]

        @property
        def control(self) -> ReplyBox:
            return self.box

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.responses: CannedResponses = DEFAULT
        self.values: dict[str, str] = {}

    def shortcode(self) -> tuple[int, str] | None:
        """The /shortcode being typed at the cursor: (where its / is, what follows)."""
        row, column = self.cursor_location
        return shortcode_before(self.document.get_line(row), column)

    async def _on_key(self, event: events.Key) -> None:
        if event.key == "tab" and self.selection.is_empty:
            typed = self.shortcode()
            if typed is not None:
                event.prevent_default()
                event.stop()
                self._expand(*typed)
                return
        await super()._on_key(event)

    def _expand(self, start: int, typed: str) -> None:
        matches = self.responses.matching(typed)
        chosen = self.responses.get(typed) or (matches[0] if len(matches) == 1 else None)
        if chosen is None:
            self.post_message(self.CannedNotFound(self, typed, [m.shortcode for m in matches]))
            return
        text, unknown = expand(chosen.text, self.values)
        row, column = self.cursor_location
        self.replace(text, (row, start), (row, column))
        self.post_message(self.CannedUsed(self, chosen.shortcode, unknown))
