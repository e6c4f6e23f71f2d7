"""Drafts: what the agent typed and has not sent yet, kept across a dropped session.

A reply per conversation (the Inbox's reply box), a private note per conversation (the note
dialog), the composer's fields, and where the agent was (the section, the open conversation).
The App keeps one `Drafts`, screens tell it what changed (through messages), and the store
saves `to_doc()` as the agent types (`console.store.drafts`); the next start restores
`from_doc()`. A draft sent, cleared or discarded is forgotten: an empty text is no draft.

Pure: no Textual, no I/O. Bounded: at most `MAX_DRAFTS` replies and notes (the least recently
edited go first) of at most `MAX_CHARS` characters each. Nothing holding a secret (the API key)
is ever part of the document to save.
"""

from __future__ import annotations

import dataclasses
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

MAX_DRAFTS = 200  # replies, and notes, kept (the most recently edited)
MAX_CHARS = 100_000  # per text; more than any reply or note can hold
VERSION = 1

REPLY = "reply"
NOTE = "note"
KINDS = (REPLY, NOTE)
_PLURAL = {REPLY: "replies", NOTE: "notes"}  # their keys in the saved document


@dataclass(frozen=True, slots=True)
class ComposeDraft:
    """The composer's fields, as typed (not checked: a draft may be half a number)."""

    source: str = ""  # From: a sender ID
    to: str = ""
    country: str = ""
    reference: str = ""
    text: str = ""
    encoding: str = "AUTO"

    @property
    def empty(self) -> bool:
        """Nothing the agent typed: no numbers and no text (a reference alone is generated)."""
        return not (self.source.strip() or self.to.strip() or self.text.strip())

    def as_doc(self) -> dict[str, str]:
        return dataclasses.asdict(self)

    @classmethod
    def from_doc(cls, doc: object) -> ComposeDraft | None:
        if not isinstance(doc, Mapping):
            return None
        values = {field.name: _text(doc.get(field.name)) for field in dataclasses.fields(cls)}
        if values["encoding"] not in ("AUTO", "GSM7", "UCS2"):
            values["encoding"] = "AUTO"
        draft = cls(**values)
        return None if draft.empty else draft


class Drafts:
    """The agent's unsent work. Every setter returns True when something changed."""

    def __init__(self) -> None:
        self._texts: dict[str, OrderedDict[str, str]] = {kind: OrderedDict() for kind in KINDS}
        self.compose: ComposeDraft | None = None
        self.section: str | None = None
        self.conversation: str | None = None
        self.version = 0  # moves on every change: a save of an older version is stale

    # -- reading ---------------------------------------------------------------------------

    def text(self, kind: str, conversation_id: str) -> str:
        """The reply or note typed for a conversation ("" when there is none)."""
        return self._texts[kind].get(conversation_id, "")

    def conversations(self, kind: str) -> list[str]:
        """Conversations with a draft of `kind`, most recently edited last."""
        return list(self._texts[kind])

    @property
    def empty(self) -> bool:
        return self.compose is None and not any(self._texts.values())

    def summary(self) -> str:
        """What there is, in words: "2 replies, 1 note and the composer's draft"."""
        parts = []
        for kind in KINDS:
            count = len(self._texts[kind])
            if count:
                parts.append(f"{count} {kind if count == 1 else _PLURAL[kind]}")
        if self.compose is not None:
            parts.append("the composer's draft")
        if not parts:
            return "nothing"
        return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]

    # -- changing --------------------------------------------------------------------------

    def set_text(self, kind: str, conversation_id: str, text: str) -> bool:
        """The reply or note of a conversation is now `text`; empty: forgotten (sent,
        cleared or discarded)."""
        texts = self._texts[kind]
        text = text[:MAX_CHARS]
        if not text.strip():
            if texts.pop(conversation_id, None) is None:
                return False
            return self._changed()
        if texts.get(conversation_id) == text:
            return False
        texts.pop(conversation_id, None)
        texts[conversation_id] = text
        while len(texts) > MAX_DRAFTS:
            texts.popitem(last=False)
        return self._changed()

    def set_compose(self, draft: ComposeDraft | None) -> bool:
        """The composer's fields now; None or empty: forgotten (sent or cleared)."""
        if draft is not None:
            draft = dataclasses.replace(
                draft, **{f: getattr(draft, f)[:MAX_CHARS] for f in ("to", "text")}
            )
            if draft.empty:
                draft = None
        if draft == self.compose:
            return False
        self.compose = draft
        return self._changed()

    def set_section(self, section: str | None) -> bool:
        """The section the agent is in (a mode name)."""
        if section == self.section:
            return False
        self.section = section
        return self._changed()

    def set_conversation(self, conversation_id: str | None) -> bool:
        """The conversation open in the Inbox (None: none)."""
        if conversation_id == self.conversation:
            return False
        self.conversation = conversation_id
        return self._changed()

    def _changed(self) -> bool:
        self.version += 1
        return True

    # -- saving and restoring ---------------------------------------------------------------

    def to_doc(self, secrets: Iterable[str] = ()) -> dict[str, Any]:
        """The document to save. A text holding one of `secrets` (the API key pasted into a
        reply by mistake) is left out: a secret never reaches the disk."""
        hidden = [secret for secret in secrets if secret]

        def safe(text: str) -> bool:
            return not any(secret in text for secret in hidden)

        doc: dict[str, Any] = {"version": VERSION}
        for kind in KINDS:
            doc[_PLURAL[kind]] = {
                conversation_id: text
                for conversation_id, text in self._texts[kind].items()
                if safe(text)
            }
        compose = self.compose
        if compose is not None:
            doc["compose"] = {
                name: value if safe(value) else "" for name, value in compose.as_doc().items()
            }
        if self.section:
            doc["section"] = self.section
        if self.conversation:
            doc["conversation"] = self.conversation
        return doc

    @classmethod
    def from_doc(cls, doc: object) -> Drafts:
        """Drafts from a saved document; whatever is not shaped as written is left out (the
        file is the agent's: it may have been edited)."""
        drafts = cls()
        if not isinstance(doc, Mapping):
            return drafts
        for kind in KINDS:
            saved = doc.get(_PLURAL[kind])
            if isinstance(saved, Mapping):
                for conversation_id, text in saved.items():
                    if isinstance(conversation_id, str) and isinstance(text, str):
                        drafts.set_text(kind, conversation_id, text)
        drafts.compose = ComposeDraft.from_doc(doc.get("compose"))
        section, conversation = doc.get("section"), doc.get("conversation")
        drafts.section = section if isinstance(section, str) and section else None
        drafts.conversation = (
            conversation if isinstance(conversation, str) and conversation else None
        )
        drafts.version = 0
        return drafts

    def merged_under(self, typed: Drafts) -> Drafts:
        """These (restored) drafts with what was `typed` since the start on top of them."""
        merged = Drafts.from_doc(self.to_doc())
        for kind in KINDS:
            for conversation_id, text in typed._texts[kind].items():
                merged.set_text(kind, conversation_id, text)
        if typed.compose is not None:
            merged.compose = typed.compose
        merged.version = typed.version + 1
        return merged


def _text(value: object) -> str:
    return value[:MAX_CHARS] if isinstance(value, str) else ""
