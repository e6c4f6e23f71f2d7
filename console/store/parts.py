"""One part of the history in memory: a TinyDB file of messages and rooms, with its indexes.

A `Part` knows nothing of the other parts, the conversations or the threads around it: every
method expects the caller to hold the history's lock. Writes go through TinyDB tables whose
storage (`WriteBehindStorage`) only marks what changed; the history's writer saves it.
"""

from __future__ import annotations

import bisect
import time
from collections.abc import Iterator
from pathlib import Path
from threading import RLock

from tinydb import TinyDB

from console.live.events import rank
from console.store.catalog import PartIndex, PartKey
from console.store.errors import CorruptHistory
from console.store.records import Doc, setting
from console.store.storage import FastTable, RawData, RawTable, WriteBehindStorage
from console.store.validate import MESSAGES, ROOMS, valid_message, valid_room

MAX_TIMELINE = 100  # receipts kept per message (the newest); real messages get a handful

Entry = tuple[float, int]  # (created_at, doc id): the order of messages and rooms
_STATUS_FIELDS = (  # a receipt's field -> the message's, set by the receipt that moves it
    ("detail", "status_detail"),
    ("error_code", "error_code"),
    ("error_message", "error_message"),
)


class _Database(TinyDB):
    table_class = FastTable


class Part:
    """One part file, loaded. Create with `Part.empty` or `Part.from_data`."""

    def __init__(self, key: PartKey, folder: Path, lock: RLock) -> None:
        self.key = key
        self.storage = WriteBehindStorage(folder / key.file_name, lock=lock)
        self.index_path = folder / key.index_name
        db = _Database(storage=lambda: self.storage)
        self._messages = db.table(MESSAGES)
        self._rooms = db.table(ROOMS)
        self.umids: dict[str, int] = {}
        self.cids: dict[str, int] = {}
        self.order: list[Entry] = []
        self.by_conversation: dict[str, list[Entry]] = {}
        self.room_ids: dict[str, int] = {}
        self.room_order: list[Entry] = []
        self.index_dirty = False  # its index file must be written (before the part itself)
        self.pins = 0  # holds that keep it in memory
        self.used_at = time.monotonic()

    @classmethod
    def empty(cls, key: PartKey, folder: Path, lock: RLock) -> Part:
        part = cls(key, folder, lock)
        part.index_dirty = True
        return part

    @classmethod
    def from_data(cls, key: PartKey, folder: Path, lock: RLock, data: RawData) -> Part:
        """A part from its file's content (already shape-checked); raises CorruptHistory."""
        part = cls(key, folder, lock)
        part.storage.adopt(data)
        part._index_all()
        return part

    # --- reading (caller holds the lock) --------------------------------------------------

    def raw(self, table: str) -> RawTable:
        return self.storage.read().get(table) or {}

    def message_doc(self, doc_id: int) -> Doc:
        return self.raw(MESSAGES)[str(doc_id)]

    def room_doc(self, doc_id: int) -> Doc:
        return self.raw(ROOMS)[str(doc_id)]

    @property
    def message_count(self) -> int:
        return len(self.order)

    @property
    def dirty(self) -> bool:
        return self.index_dirty or self.storage.dirty

    def newest_messages(self) -> Iterator[Doc]:
        raw = self.raw(MESSAGES)
        for _, doc_id in reversed(self.order):
            yield raw[str(doc_id)]

    def index(self) -> PartIndex:
        """What its index file says (caller holds the lock)."""
        rooms = self.raw(ROOMS)
        return PartIndex(
            messages=len(self.order),
            rooms=len(rooms),
            umids=list(self.umids),
            call_references=[rooms[str(i)]["call_reference"] for _, i in self.room_order],
            conversations=list(self.by_conversation),
        )

    # --- messages ---------------------------------------------------------------------------

    def find(self, umid: str | None, client_message_id: str | None) -> int | None:
        doc_id = self.umids.get(umid) if umid else None
        if doc_id is None and client_message_id:
            doc_id = self.cids.get(client_message_id)
        return doc_id

    def record_message(self, doc: Doc) -> tuple[int, bool]:
        """Insert `doc`, or merge it into the same message already here (same umid or
        client_message_id). Returns its id and whether it just joined a conversation."""
        existing = self.find(doc.get("umid"), doc.get("client_message_id"))
        if existing is not None:
            return existing, self._merge(existing, doc)
        doc_id = self._messages.insert(doc)
        self._index_message(doc_id, doc)
        self.index_dirty = True
        return doc_id, bool(doc.get("conversation_id"))

    def apply_receipt(self, doc_id: int, entry: Doc) -> None:
        """Add a receipt to the timeline; the status only moves forward.

        Straight into the storage's table, not through TinyDB's `update` (a receipt's cost is
        the UI loop's too: the threads share the GIL): the document is copied, never changed
        in place (see `FastTable`), and marked dirty."""
        key = str(doc_id)
        storage = self.storage
        table = storage.table_data(MESSAGES)
        doc = dict(table[key])
        timeline = doc.get("timeline") or []
        doc["timeline"] = [*timeline[len(timeline) - MAX_TIMELINE + 1 :], entry]
        if rank(entry["state"], entry.get("detail")) > rank(
            doc["status"], doc.get("status_detail")
        ):
            doc["status"] = entry["state"]
            doc["status_at"] = entry["timestamp"]
            for field, target in _STATUS_FIELDS:
                if field in entry:
                    doc[target] = entry[field]
                else:
                    doc.pop(target, None)
        table[key] = doc
        storage.dirty_keys(MESSAGES).add(key)
        self._messages.clear_cache()

    def _merge(self, doc_id: int, new: Doc) -> bool:
        current = self.message_doc(doc_id)
        fields: Doc = {}
        for key in ("umid", "client_message_id", "batch_id", "conversation_id"):
            if new.get(key) and not current.get(key):
                fields[key] = new[key]
        if rank(new["status"], new.get("status_detail")) > rank(
            current["status"], current.get("status_detail")
        ):
            fields["status"] = new["status"]
        completes = current.get("origin") == "receipt" and "origin" not in new
        if completes:  # a row made from a receipt, now recorded as sent: what it lacked
            fields.update({key: new[key] for key in ("channel", "direction", "text")})
            if new["peer"]:
                fields["peer"] = new["peer"]
        if not fields:
            return False
        if completes:

            def complete(doc: Doc) -> None:
                doc.update(fields)
                doc.pop("origin", None)

            self._messages.update(complete, doc_ids=[doc_id])
        else:
            self._messages.update(fields, doc_ids=[doc_id])
        merged = self.message_doc(doc_id)
        if "umid" in fields:
            self.umids[fields["umid"]] = doc_id
            self.index_dirty = True
        if "client_message_id" in fields:
            self.cids[fields["client_message_id"]] = doc_id
        if "conversation_id" in fields:
            entries = self.by_conversation.setdefault(fields["conversation_id"], [])
            insort(entries, (merged["created_at"], doc_id))
            self.index_dirty = True
            return True
        return False

    def _index_message(self, doc_id: int, doc: Doc) -> None:
        created = doc["created_at"]
        umid = doc.get("umid")
        if umid:
            self.umids[umid] = doc_id
        cid = doc.get("client_message_id")
        if cid:
            self.cids[cid] = doc_id
        insort(self.order, (created, doc_id))
        conversation_id = doc.get("conversation_id")
        if conversation_id:
            insort(self.by_conversation.setdefault(conversation_id, []), (created, doc_id))

    # --- rooms ------------------------------------------------------------------------------

    def insert_room(self, doc: Doc) -> int:
        doc_id = self._rooms.insert(doc)
        self.room_ids[doc["call_reference"]] = doc_id
        insort(self.room_order, (doc["created_at"], doc_id))
        self.index_dirty = True
        return doc_id

    def update_room(self, call_reference: str, fields: Doc) -> int | None:
        doc_id = self.room_ids.get(call_reference)
        if doc_id is not None:
            self._rooms.update(setting(fields), doc_ids=[doc_id])
        return doc_id

    # --- loading ----------------------------------------------------------------------------

    def _index_all(self) -> None:
        """Check every document and index it, in one pass over the big table."""
        umids = self.umids
        cids = self.cids
        order = self.order
        by_conversation = self.by_conversation
        valid = valid_message
        for key, doc in self.raw(MESSAGES).items():
            if not valid(doc):
                raise CorruptHistory(f"wrong shape ({MESSAGES} record {key} is incomplete)")
            doc_id = int(key)
            entry = (doc["created_at"], doc_id)
            order.append(entry)
            umid = doc.get("umid")
            if umid:
                umids[umid] = doc_id
            cid = doc.get("client_message_id")
            if cid:
                cids[cid] = doc_id
            conversation_id = doc.get("conversation_id")
            if conversation_id:
                entries = by_conversation.get(conversation_id)
                if entries is None:
                    by_conversation[conversation_id] = [entry]
                else:
                    entries.append(entry)
        order.sort()
        for entries in by_conversation.values():
            entries.sort()
        for key, doc in self.raw(ROOMS).items():
            if not valid_room(doc):
                raise CorruptHistory(f"wrong shape ({ROOMS} record {key} is incomplete)")
            self.room_order.append((doc["created_at"], int(key)))
        self.room_order.sort()
        rooms = self.raw(ROOMS)
        self.room_ids = {rooms[str(i)]["call_reference"]: i for _, i in self.room_order}


def insort(entries: list[Entry], entry: Entry) -> None:
    if not entries or entry >= entries[-1]:
        entries.append(entry)
    else:
        bisect.insort(entries, entry)
