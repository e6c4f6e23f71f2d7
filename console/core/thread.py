"""One conversation's thread as the inbox shows it: the customer's messages, the replies with
their delivery state (moved forward by live receipts), and the team's private notes, in time
order. Pure: it is filled from the history (read in a worker) and from the core's Changes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal

from console.core.model import Changes, Delivery
from console.live.events import parse_iso, rank

if TYPE_CHECKING:
    from console.core.inbox import Note
    from console.store import Message

Kind = Literal["in", "out", "note"]
MAX_ENTRIES = 500  # the newest kept; older ones stay in the history


@dataclass(frozen=True, slots=True)
class Entry:
    """A line of the thread: a message in or out, or a private note."""

    key: str  # the umid, or "note:<n>"
    kind: Kind
    text: str
    at: float
    agent: str | None = None  # who replied or wrote the note, when known
    delivery: Delivery | None = None  # replies: where the message stands


def _ahead(new: Delivery, old: Delivery | None) -> bool:
    """Statuses only move forward (console/live/events.py)."""
    if old is None:
        return True
    return (rank(new.state, new.detail), new.state) >= (rank(old.state, old.detail), old.state)


class Thread:
    """The entries of one conversation, keyed (a message seen twice is one entry)."""

    def __init__(self, conversation_id: str) -> None:
        self.conversation_id = conversation_id
        self._entries: dict[str, Entry] = {}
        self._order: list[Entry] | None = []

    def __len__(self) -> int:
        return len(self._entries)

    def entries(self) -> list[Entry]:
        """Oldest first; the newest MAX_ENTRIES."""
        if self._order is None:
            ordered = sorted(self._entries.values(), key=lambda e: (e.at, e.kind == "note", e.key))
            self._order = ordered[-MAX_ENTRIES:]
        return self._order

    def _put(self, entry: Entry) -> bool:
        known = self._entries.get(entry.key)
        if known is not None:
            merged = replace(
                known,
                agent=known.agent or entry.agent,
                delivery=(
                    entry.delivery
                    if entry.delivery is not None and _ahead(entry.delivery, known.delivery)
                    else known.delivery
                ),
            )
            if merged == known:
                return False
            entry = merged
        self._entries[entry.key] = entry
        self._order = None
        return True

    def add_stored(self, messages: Iterable[Message]) -> None:
        """Messages read from the history (their umids make a second sight one entry)."""
        for message in messages:
            key = message.umid or message.client_message_id or f"at:{message.created_at}"
            if message.direction == "in":
                self._put(Entry(key, "in", message.text, message.created_at))
            else:
                delivery = Delivery.from_stored(message) if message.umid else None
                self._put(Entry(key, "out", message.text, message.created_at, None, delivery))

    def set_notes(self, notes: Iterable[Note]) -> bool:
        """The conversation's notes (the inbox holds them all); True when any is new."""
        changed = False
        for index, note in enumerate(notes):
            key = f"note:{note.seq if note.seq is not None else f'local{index}'}"
            changed |= self._put(Entry(key, "note", note.text, note.at, note.agent))
        return changed

    def apply(
        self, changes: Changes, now: float, deliveries_of: Mapping[str, Delivery] | None = None
    ) -> bool:
        """What the core just published that belongs here (`now` dates a customer's message
        without a readable time); True when the thread changed."""
        changed = False
        for message in changes.inbound:
            if message.conversation_id == self.conversation_id:
                at = parse_iso(message.timestamp or "") or now
                changed |= self._put(Entry(message.umid, "in", message.text, at))
        for sent in changes.sent:
            if sent.conversation_id == self.conversation_id:
                changed |= self._put(
                    Entry(sent.umid, "out", sent.text, sent.sent_at, None, sent.delivery)
                )
        for team in changes.team:
            action = team.action
            if action.conversation_id != self.conversation_id:
                continue
            if action.kind == "replied" and action.umid:
                delivery = (deliveries_of or {}).get(action.umid)
                changed |= self._put(
                    Entry(action.umid, "out", action.text or "", team.at, action.agent, delivery)
                )
        for umid, delivery in changes.deliveries.items():
            known = self._entries.get(umid)
            if known is not None and known.kind == "out":
                changed |= self._put(replace(known, delivery=delivery))
        return changed
