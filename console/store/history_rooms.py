"""The history's rooms and logins: part of `History` (console/store/history.py), kept in
the day parts (rooms, journalled when durable) and the state file (logins, never the key)."""

from __future__ import annotations

from typing import Any

from console.store import records
from console.store.catalog import day_of
from console.store.history_base import HistoryBase
from console.store.journal import room_entry
from console.store.ondemand import first
from console.store.parts import Part
from console.store.partset import merged
from console.store.records import Doc, Login, Room
from console.store.validate import (
    LOGINS,
    ROOMS,
    Timestamp,
    rounded,
    to_key_tail,
    to_text,
    to_ts,
)

ROOM_FIELDS = frozenset(
    {
        "guest_link",
        "phone_number",
        "expires_at",
        "guest_joined",
        "guest_joined_at",
        "agent_joined_at",
        "invite_umid",
        "invite_status",
        "status",
    }
)
ROOM_TIMES = frozenset({"expires_at", "guest_joined_at", "agent_joined_at"})


class RoomsAndLogins(HistoryBase):
    """The rooms and logins of `History`."""

    def record_login(self, subaccount: str, mode_label: str, key_tail: str | None) -> Login:
        """Remember a successful login. `key_tail` is at most the key's last 6 characters.

        A longer value raises ValueError, so a full API key can never reach the disk. Logging in
        again with the same sub-account, mode and key tail refreshes that entry (and its count)
        instead of adding a duplicate.
        """
        tail = to_key_tail(key_tail)
        subaccount = to_text(subaccount, "subaccount")
        mode_label = to_text(mode_label, "mode_label")
        now = rounded(self._clock())
        with self._lock:
            self._check_open()
            return records.login(self._state.record_login(subaccount, mode_label, tail, now))

    def recent_logins(self, limit: int = 10) -> list[Login]:
        """Distinct logins, most recently used first."""
        with self._lock:
            return [records.login(doc) for doc in self._state.newest(LOGINS, "at", limit)]

    def record_room(
        self,
        call_reference: str,
        guest_link: str,
        phone_number: str | None,
        created_at: Timestamp,
        expires_at: Timestamp,
        *,
        durable: bool = False,
    ) -> Room:
        """Remember a video room; a reused call reference adds a new room (the newest wins).

        `durable`: also journal it, and return once that is on disk (an fsync: call it from a
        worker thread), so the console may say the room exists."""
        doc: Doc = {
            "call_reference": to_text(call_reference, "call_reference"),
            "guest_link": to_text(guest_link, "guest_link"),
            "created_at": to_ts(created_at, "created_at"),
            "expires_at": to_ts(expires_at, "expires_at"),
        }
        if phone_number:
            doc["phone_number"] = to_text(phone_number, "phone_number")
        with self._lock:
            self._check_open()
            key = self._parts.part_for_new(day_of(doc["created_at"]), ROOMS)
            self._parts.room_part[doc["call_reference"]] = key
            self._parts.route(key, lambda part: part.insert_room(doc))
        if durable:
            entry = room_entry(
                doc["call_reference"],
                doc["guest_link"],
                doc.get("phone_number"),
                doc["created_at"],
                doc["expires_at"],
            )
            self._append(entry)
        return records.room(doc)

    def rooms(self, limit: int = 50) -> list[Room]:
        """Rooms, newest first (by creation time), from the parts in memory (the window, and
        today's parts holding rooms when the history was opened)."""
        with self._lock:
            loaded = [part for _, part in sorted(self._parts.loaded.items(), reverse=True)]
            newest = merged(loaded, ROOMS, lambda part: part.room_order)
            return [records.room(doc) for doc in first(newest, limit)]

    def update_room(self, call_reference: str, **changes: Any) -> Room | None:
        """Change fields of the newest room with this reference; None if there is none in
        memory (a room in a part on disk is changed in the background).

        Fields: guest_link, phone_number, expires_at, guest_joined, guest_joined_at,
        agent_joined_at, invite_umid (the SMS invite's umid), invite_status (its state), status.
        `guest_joined=True` without `guest_joined_at` stamps the current time.
        """
        unknown = set(changes) - ROOM_FIELDS
        if unknown:
            raise ValueError(
                f"update_room cannot change {', '.join(sorted(unknown))}; "
                f"fields are {', '.join(sorted(ROOM_FIELDS))}."
            )
        fields: Doc = {}
        for name, value in changes.items():
            if name in ROOM_TIMES:
                fields[name] = None if value is None else to_ts(value, name)
            elif name == "guest_joined":
                fields[name] = bool(value)
            else:
                fields[name] = None if value is None else to_text(value, name)
        if fields.get("guest_joined") and "guest_joined_at" not in fields:
            fields["guest_joined_at"] = rounded(self._clock())
        if fields.get("expires_at", 0.0) is None:
            raise ValueError("expires_at cannot be None")
        with self._lock:
            self._check_open()
            key = self._parts.known(self._parts.room_part.get(call_reference))
            if key is None:
                return None

            def change(part: Part) -> Room | None:
                doc_id = part.update_room(call_reference, fields)
                return None if doc_id is None else records.room(part.room_doc(doc_id))

            return self._parts.route(key, change)

    def _room_known(self, call_reference: str, created_at: float) -> bool:
        key = self._parts.known(self._parts.room_part.get(call_reference))
        if key is None:
            return False
        part = self._parts.loaded.get(key)
        doc_id = None if part is None else part.room_ids.get(call_reference)
        if part is None or doc_id is None:
            return part is None  # in a part on disk: an older day, saved long ago
        return bool(part.room_doc(doc_id)["created_at"] >= rounded(created_at))
