"""`conversations.json`: the conversation index, always whole in memory.

One document per conversation: who (channel, peer, name), its last activity and message, and
its unread count. The fields are described once, in `FIELDS`: what the file must hold, the
types it may hold, and which fields callers may change through `History.update_conversation`.
To keep more per conversation, add a line there and a field with a default to
`records.Conversation`; files written before simply lack it, and fields this version does not
know are kept as they are. The inbox keeps its shared state here (assignee, status, snooze,
labels, notes, and the seq of the last relay event applied), written with one
`update_conversation` per change.

Every method expects the caller to hold the history's lock.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from threading import RLock

from console.store.records import Doc, setting
from console.store.small import SmallFile
from console.store.validate import (
    CONVERSATIONS,
    NUMBER,
    OPTIONAL_STR,
    STR,
    to_seq,
    to_text,
    to_ts,
)

_INT = frozenset({int})
_LIST = frozenset({list})
OPTIONAL_NUMBER = frozenset({int, float, type(None)})


def _optional_text(name: str) -> Callable[[object], object]:
    def normalise(value: object) -> object:
        return None if value is None else to_text(value, name)

    return normalise


def _required_text(name: str) -> Callable[[object], object]:
    def normalise(value: object) -> object:
        return to_text(value, name)

    return normalise


@dataclass(frozen=True, slots=True)
class Field:
    types: frozenset[type]
    required: bool = False
    #: Normalises a value given to `History.update_conversation`; None: not settable there.
    settable: Callable[[object], object] | None = None


def _optional_number(name: str) -> Callable[[object], object]:
    def normalise(value: object) -> object:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise TypeError(f"{name} must be a number")
        return to_ts(value, name)

    return normalise


def _seq(value: object) -> object:
    return to_seq(value)


def _labels(value: object) -> object:
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise TypeError("labels must be a list of str")
    return [to_text(label, "label") for label in value]


def _notes(value: object) -> object:
    if not isinstance(value, list | tuple):
        raise TypeError("notes must be a list")
    notes: list[Doc] = []
    for note in value:
        if not isinstance(note, dict) or not isinstance(note.get("text"), str):
            raise TypeError("a note must be a dict with its text")
        seq = note.get("seq")
        notes.append(
            {
                "agent": to_text(note.get("agent", ""), "agent"),
                "text": to_text(note["text"], "text"),
                "at": to_ts(note.get("at", 0.0), "at"),
                "seq": None if seq is None else to_seq(seq),
            }
        )
    return notes


FIELDS: dict[str, Field] = {
    "conversation_id": Field(STR, required=True),
    "channel": Field(STR, required=True, settable=_required_text("channel")),
    "peer": Field(STR, required=True, settable=_required_text("peer")),
    "name": Field(OPTIONAL_STR, settable=_optional_text("name")),
    "last_activity": Field(NUMBER, required=True),
    "unread": Field(_INT),
    "last_text": Field(OPTIONAL_STR),
    "last_direction": Field(OPTIONAL_STR),
    # The inbox's shared state (console.core.inbox): set as one, by update_conversation.
    "assignee": Field(OPTIONAL_STR, settable=_optional_text("assignee")),
    "status": Field(OPTIONAL_STR, settable=_optional_text("status")),
    "snoozed_until": Field(OPTIONAL_NUMBER, settable=_optional_number("snoozed_until")),
    "labels": Field(_LIST, settable=_labels),
    "notes": Field(_LIST, settable=_notes),
    "team_seq": Field(_INT, settable=_seq),
}


def valid_conversation(doc: Doc) -> bool:
    for name, spec in FIELDS.items():
        if name in doc:
            if type(doc[name]) not in spec.types:
                return False
        elif spec.required:
            return False
    return True


def settable_fields(changes: dict[str, object]) -> Doc:
    """The changes normalised; ValueError naming any field callers may not set."""
    refused = sorted(name for name in changes if FIELDS.get(name, Field(STR)).settable is None)
    if refused:
        allowed = sorted(name for name, spec in FIELDS.items() if spec.settable is not None)
        raise ValueError(
            f"update_conversation cannot change {', '.join(refused)}; "
            f"fields are {', '.join(allowed)}."
        )
    fields: Doc = {}
    for name, value in changes.items():
        normalise = FIELDS[name].settable
        assert normalise is not None
        fields[name] = normalise(value)
    return fields


class ConversationIndex(SmallFile):
    def __init__(self, path: Path, lock: RLock) -> None:
        super().__init__(path, lock, {CONVERSATIONS: valid_conversation})
        self._table = self._db.table(CONVERSATIONS)
        self.build_indexes()

    def build_indexes(self) -> None:
        self._ids = {doc["conversation_id"]: int(k) for k, doc in self.raw(CONVERSATIONS).items()}

    def get(self, conversation_id: str) -> Doc | None:
        doc_id = self._ids.get(conversation_id)
        return None if doc_id is None else self.raw(CONVERSATIONS)[str(doc_id)]

    def recent(self, limit: int) -> list[Doc]:
        return self.newest(CONVERSATIONS, "last_activity", limit)

    def upsert(self, conversation_id: str, fields: Doc, now: float) -> Doc:
        """Create a conversation, or change its channel, peer or name."""
        doc_id = self._ids.get(conversation_id)
        if doc_id is None:
            doc = {"conversation_id": conversation_id, **fields, "last_activity": now}
            self._ids[conversation_id] = self._table.insert(doc | {"unread": 0})
        else:
            self.update(conversation_id, fields)
        doc = self.get(conversation_id)
        assert doc is not None
        return doc

    def update(self, conversation_id: str, fields: Doc) -> Doc | None:
        """Set fields (None removes one); None if there is no such conversation."""
        doc_id = self._ids.get(conversation_id)
        if doc_id is None:
            return None
        current = self.raw(CONVERSATIONS)[str(doc_id)]
        if any(current.get(name) != value for name, value in fields.items()):
            self._table.update(setting(fields), doc_ids=[doc_id])
        return self.raw(CONVERSATIONS)[str(doc_id)]

    def touch(self, message: Doc) -> None:
        """A message joined a conversation: its activity, and its unread count if inbound."""
        conversation_id = message["conversation_id"]
        at = message["created_at"]
        inbound = message["direction"] == "in"
        doc_id = self._ids.get(conversation_id)
        if doc_id is None:
            doc = {
                "conversation_id": conversation_id,
                "channel": message["channel"],
                "peer": message["peer"],
                "last_activity": at,
                "unread": 1 if inbound else 0,
                "last_text": message["text"],
                "last_direction": message["direction"],
            }
            self._ids[conversation_id] = self._table.insert(doc)
            return

        def bump(doc: Doc) -> None:
            if at >= doc["last_activity"]:
                doc["last_activity"] = at
                doc["last_text"] = message["text"]
                doc["last_direction"] = message["direction"]
            if inbound:
                doc["unread"] = doc.get("unread", 0) + 1

        self._table.update(bump, doc_ids=[doc_id])

    def mark_read(self, conversation_id: str) -> None:
        doc = self.get(conversation_id)
        if doc is not None and doc.get("unread"):
            self._table.update({"unread": 0}, doc_ids=[self._ids[conversation_id]])
