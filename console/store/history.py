"""The console's history: logins, rooms, messages with their receipt timelines, conversations.

`History` is a facade over TinyDB tables kept in memory by `WriteBehindStorage`: every
`record_*` call updates memory and marks the change dirty (microseconds, never touches the disk);
one background writer thread flushes the batch to `history.json` every `flush_interval` seconds
(a temp file, fsync, atomic rename). `close()` — or, as a safety net, interpreter exit — flushes
what is left. Screens get typed, frozen dataclasses and never see TinyDB.

Timestamps are stored and returned as floats: seconds since the Unix epoch, UTC, rounded to the
millisecond. Inputs may also be `datetime`s (naive ones are taken as UTC) or ISO-8601 strings
such as 8x8's `"2026-11-27T05:01:02.123Z"`.

Two consoles, one data folder (README text)
-------------------------------------------
The history is locked while a console runs (an OS lock on `history.lock` in the data folder, so
it is released automatically even if that console crashes or is killed). A second console
started on the same data folder does not share or overwrite the first one's history: it stops at
once with a message naming the folder, for example::

    Another agent-console (process 4242) is already using the history in
    /home/ana/.local/share/agent-console. Close that console first, or start this one with
    --data-dir pointing to another folder (that console then keeps its own history there).

So: to run two consoles side by side, give the second one its own folder, e.g.
`agent-console --data-dir ~/agent-console-2`.

Damaged history file (README text)
----------------------------------
If `history.json` is not readable as a history (for instance a disk filled up while another tool
edited it), it is moved aside as `history.json.corrupt-<UTC date and time>` and the console
starts a fresh history and says so; nothing is deleted. The file is always replaced atomically,
so a crash or a power cut leaves the previous or the new version, never half of one.

Retention: records older than `max_age_days` (default 90) are dropped when the console starts,
and each kind of record (logins, rooms, messages, conversations) keeps at most `max_records`
(default 100,000), the newest ones. The API key is never stored; a login keeps only its last six
characters, as the 8x8 portal shows them.
"""

from __future__ import annotations

import atexit
import bisect
import contextlib
import gc
import heapq
import math
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from tinydb import TinyDB

from console.live.events import rank
from console.store.lock import DirLock, LockHeld
from console.store.storage import (
    HISTORY_NAME,
    CorruptHistory,
    Doc,
    FastTable,
    RawTable,
    WriteBehindStorage,
)

Timestamp = float | int | str | datetime
Clock = Callable[[], float]

KEY_TAIL_LENGTH = 6
MAX_TIMELINE = 100  # receipts kept per message (the newest); real messages get a handful
MAX_PENDING_RECEIPTS = 5_000  # receipts for umids not recorded yet (they can beat the send reply)
SCHEMA = 1
_DAY = 86_400.0

LOGINS = "logins"
ROOMS = "rooms"
MESSAGES = "messages"
CONVERSATIONS = "conversations"
META = "meta"

ROOM_FIELDS = frozenset(
    {"guest_link", "phone_number", "expires_at", "guest_joined", "guest_joined_at", "status"}
)


class HistoryError(Exception):
    """The history cannot be used; the message is meant for the user as it is."""


class HistoryLocked(HistoryError):
    """Another live console (this process or another one) already has this data folder open."""

    def __init__(self, data_dir: Path, pid: int | None = None) -> None:
        holder = f"agent-console (process {pid})" if pid else "agent-console"
        super().__init__(
            f"Another {holder} is already using the history in {data_dir}. "
            "Close that console first, or start this one with --data-dir pointing to another "
            "folder (that console then keeps its own history there)."
        )
        self.data_dir = data_dir
        self.pid = pid


class HistoryClosed(HistoryError):
    """A write was attempted after `close()`."""


# --- what screens get back -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Login:
    subaccount: str
    mode_label: str
    key_tail: str  # at most the key's last 6 characters; "" when there was no key (sandbox)
    at: float  # last time this sub-account/mode/key was used
    count: int  # how many times


@dataclass(frozen=True, slots=True)
class Room:
    call_reference: str
    guest_link: str
    phone_number: str | None
    created_at: float
    expires_at: float
    guest_joined: bool = False
    guest_joined_at: float | None = None
    status: str | None = None


@dataclass(frozen=True, slots=True)
class Receipt:
    """One delivery receipt exactly as it arrived (duplicates and late ones included)."""

    state: str
    timestamp: float  # the status time 8x8 reported
    received_at: float  # when the console received it
    detail: str | None = None
    error_code: int | str | None = None
    error_message: str | None = None


@dataclass(frozen=True, slots=True)
class Message:
    umid: str | None
    client_message_id: str | None
    channel: str
    direction: str  # "out" or "in"
    peer: str  # destination for "out", sender for "in"
    text: str
    status: str  # only ever moves forward, see _rank
    created_at: float
    status_at: float | None = None
    status_detail: str | None = None
    error_code: int | str | None = None
    error_message: str | None = None
    batch_id: str | None = None
    conversation_id: str | None = None
    timeline: tuple[Receipt, ...] = ()  # in arrival order


@dataclass(frozen=True, slots=True)
class Conversation:
    conversation_id: str
    channel: str
    peer: str
    name: str | None
    last_activity: float
    unread: int
    last_text: str | None = None
    last_direction: str | None = None


# --- the status order: the one state machine, console/live/events.py ----------------------


def _rank(state: str, detail: str | None = None) -> int:
    """Forward order of delivery states; unknown states rank lowest and never overwrite."""
    return rank(state, detail)


# --- the facade ------------------------------------------------------------------------------


class _Database(TinyDB):
    table_class = FastTable


class History:
    """Persistent, thread-safe history. Create with `History.open(data_dir)`; close when done.

    Every public method may be called from any thread while the writer thread runs. Writes cost
    an in-memory update; the disk is touched only by the writer thread and by `flush()`/`close()`.
    """

    def __init__(
        self,
        data_dir: Path,
        dir_lock: DirLock,
        *,
        flush_interval: float,
        clock: Clock,
        on_write_error: Callable[[str], None] | None,
    ) -> None:
        """Private: use `History.open`."""
        self.data_dir = data_dir
        self.path = data_dir / HISTORY_NAME
        self.notices: list[str] = []
        self.write_error: str | None = None
        self._dir_lock = dir_lock
        self._flush_interval = flush_interval
        self._clock = clock
        self._on_write_error = on_write_error
        self._lock = threading.RLock()
        self._storage = WriteBehindStorage(self.path, lock=self._lock)
        self._db = _Database(storage=lambda: self._storage)
        self._logins = self._db.table(LOGINS)
        self._rooms = self._db.table(ROOMS)
        self._messages = self._db.table(MESSAGES)
        self._conversations = self._db.table(CONVERSATIONS)
        self._meta = self._db.table(META)
        self._closed = False
        self._stop = threading.Event()
        self._writer: threading.Thread | None = None
        self._atexit: Callable[[], None] | None = None
        self._pending: OrderedDict[str, list[Doc]] = OrderedDict()
        self._reset_indexes()

    def _reset_indexes(self) -> None:
        """Empty indexes; rebuilt at open and kept up to date by every write afterwards."""
        self._login_ids: dict[tuple[str, str, str], int] = {}
        self._room_ids: dict[str, int] = {}
        self._room_order: list[tuple[float, int]] = []
        self._umid_ids: dict[str, int] = {}
        self._cid_ids: dict[str, int] = {}
        self._message_order: list[tuple[float, int]] = []
        self._conversation_ids: dict[str, int] = {}
        self._conversation_messages: dict[str, list[tuple[float, int]]] = {}
        self._meta_id: int | None = None

    # --- lifecycle ----------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        data_dir: Path,
        *,
        flush_interval: float = 0.25,
        max_age_days: int = 90,
        max_records: int = 100_000,
        clock: Clock = time.time,
        on_write_error: Callable[[str], None] | None = None,
    ) -> History:
        """Lock `data_dir`, load `history.json` (or start one), apply retention, start the writer.

        Raises `HistoryLocked` if another live console holds the folder, `HistoryError` if the
        folder or file cannot be used. A corrupt file is not an error: it is moved aside and a
        notice is added to `history.notices`. `on_write_error` is called from the writer thread
        with a user-facing sentence when a background save fails (it retries on its own).
        """
        if flush_interval <= 0:
            raise ValueError("flush_interval must be positive")
        if max_age_days <= 0 or max_records <= 0:
            raise ValueError("max_age_days and max_records must be positive")
        data_dir = Path(data_dir)
        try:
            data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
            dir_lock = DirLock.acquire(data_dir)
        except LockHeld as held:
            raise HistoryLocked(data_dir, held.pid) from None
        except OSError as error:
            raise HistoryError(
                f"Cannot use {data_dir} for the history ({error.strerror or error}). "
                "Choose another folder with --data-dir."
            ) from error
        history = cls(
            data_dir,
            dir_lock,
            flush_interval=flush_interval,
            clock=clock,
            on_write_error=on_write_error,
        )
        try:
            history._load(max_age_days, max_records)
            history._start_writer()
        except BaseException:
            dir_lock.release()
            raise
        return history

    def flush(self) -> bool:
        """Write pending changes to disk now, in this thread. False if there was nothing to do."""
        try:
            return self._storage.flush()
        except OSError as error:
            raise HistoryError(self._save_failed(error)) from error

    def close(self) -> None:
        """Stop the writer, flush what is left and release the folder lock. Idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self._stop.set()
        if self._writer is not None and self._writer is not threading.current_thread():
            self._writer.join()
        if self._atexit is not None:
            atexit.unregister(self._atexit)
            self._atexit = None
        try:
            self.flush()
        finally:
            self._dir_lock.release()

    @property
    def closed(self) -> bool:
        return self._closed

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # --- logins -------------------------------------------------------------------------------

    def record_login(self, subaccount: str, mode_label: str, key_tail: str | None) -> Login:
        """Remember a successful login. `key_tail` is at most the key's last 6 characters.

        A longer value raises ValueError, so a full API key can never reach the file. Logging in
        again with the same sub-account, mode and key tail refreshes that entry (and its count)
        instead of adding a duplicate.
        """
        tail = key_tail or ""
        if not isinstance(tail, str) or len(tail) > KEY_TAIL_LENGTH:
            raise ValueError(
                f"key_tail takes at most the last {KEY_TAIL_LENGTH} characters of the API key, "
                "never the key itself."
            )
        subaccount = _text(subaccount, "subaccount")
        mode_label = _text(mode_label, "mode_label")
        tail = _text(tail, "key_tail")
        now = _round(self._clock())
        with self._lock:
            self._check_open()
            key = (subaccount, mode_label, tail)
            doc_id = self._login_ids.get(key)
            if doc_id is None:
                doc = {
                    "subaccount": subaccount,
                    "mode_label": mode_label,
                    "key_tail": tail,
                    "at": now,
                    "count": 1,
                }
                doc_id = self._logins.insert(doc)
                self._login_ids[key] = doc_id
            else:

                def again(doc: Doc) -> None:
                    doc["at"] = max(now, doc["at"])
                    doc["count"] = doc.get("count", 1) + 1

                self._logins.update(again, doc_ids=[doc_id])
            return _login(self._raw(LOGINS)[str(doc_id)])

    def recent_logins(self, limit: int = 10) -> list[Login]:
        """Distinct logins, most recently used first."""
        with self._lock:
            raw = self._raw(LOGINS)
            newest = heapq.nlargest(max(limit, 0), raw.items(), key=_by_field_then_id("at"))
            return [_login(doc) for _, doc in newest]

    # --- rooms --------------------------------------------------------------------------------

    def record_room(
        self,
        call_reference: str,
        guest_link: str,
        phone_number: str | None,
        created_at: Timestamp,
        expires_at: Timestamp,
    ) -> Room:
        """Remember a video room; a reused call reference adds a new room (the newest wins)."""
        doc: Doc = {
            "call_reference": _text(call_reference, "call_reference"),
            "guest_link": _text(guest_link, "guest_link"),
            "created_at": _ts(created_at, "created_at"),
            "expires_at": _ts(expires_at, "expires_at"),
        }
        if phone_number:
            doc["phone_number"] = _text(phone_number, "phone_number")
        with self._lock:
            self._check_open()
            doc_id = self._rooms.insert(doc)
            self._room_ids[doc["call_reference"]] = doc_id
            _insort(self._room_order, (doc["created_at"], doc_id))
            return _room(self._raw(ROOMS)[str(doc_id)])

    def rooms(self, limit: int = 50) -> list[Room]:
        """Rooms, newest first (by creation time)."""
        with self._lock:
            raw = self._raw(ROOMS)
            return [_room(raw[str(doc_id)]) for _, doc_id in _newest(self._room_order, limit)]

    def update_room(self, call_reference: str, **changes: Any) -> Room | None:
        """Change fields of the newest room with this reference; None if there is none.

        Fields: guest_link, phone_number, expires_at, guest_joined, guest_joined_at, status.
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
            if name in ("expires_at", "guest_joined_at"):
                fields[name] = None if value is None else _ts(value, name)
            elif name == "guest_joined":
                fields[name] = bool(value)
            else:
                fields[name] = None if value is None else _text(value, name)
        if fields.get("guest_joined") and "guest_joined_at" not in fields:
            fields["guest_joined_at"] = _round(self._clock())
        if fields.get("expires_at", 0.0) is None:
            raise ValueError("expires_at cannot be None")
        with self._lock:
            self._check_open()
            doc_id = self._room_ids.get(call_reference)
            if doc_id is None:
                return None

            def change(doc: Doc) -> None:
                for name, value in fields.items():
                    if value is None:
                        doc.pop(name, None)
                    else:
                        doc[name] = value

            self._rooms.update(change, doc_ids=[doc_id])
            return _room(self._raw(ROOMS)[str(doc_id)])

    # --- messages -----------------------------------------------------------------------------

    def record_message(
        self,
        umid: str | None,
        client_message_id: str | None,
        channel: str,
        direction: str,
        peer: str,
        text: str,
        status: str,
        created_at: Timestamp,
        batch_id: str | None = None,
        conversation_id: str | None = None,
    ) -> Message:
        """Remember a message sent ("out") or received ("in").

        Recording the same message again (same umid, or same client_message_id) merges into the
        first record instead of duplicating it: a missing umid is filled in, the status only
        moves forward, an inbound message is counted unread once. So it is fine to record a
        message before the send call returns (umid None) and again with the reply's umid, and
        fine to see an inbound message twice after a stream replay. Receipts that arrived
        before the message was recorded are applied now.
        """
        if direction not in ("out", "in"):
            raise ValueError(f'direction must be "out" or "in", not {direction!r}')
        if not umid and not client_message_id:
            raise ValueError("a message needs a umid or a client_message_id")
        doc: Doc = {
            "channel": _text(channel, "channel"),
            "direction": direction,
            "peer": _text(peer, "peer"),
            "text": _text(text, "text"),
            "status": _state(status),
            "created_at": _ts(created_at, "created_at"),
        }
        if umid:
            doc["umid"] = _text(umid, "umid")
        if client_message_id:
            doc["client_message_id"] = _text(client_message_id, "client_message_id")
        if batch_id:
            doc["batch_id"] = _text(batch_id, "batch_id")
        if conversation_id:
            doc["conversation_id"] = _text(conversation_id, "conversation_id")
        with self._lock:
            self._check_open()
            existing = None
            if umid:
                existing = self._umid_ids.get(umid)
            if existing is None and client_message_id:
                existing = self._cid_ids.get(client_message_id)
            if existing is not None:
                doc_id = self._merge_message(existing, doc)
            else:
                doc_id = self._messages.insert(doc)
                self._index_message(doc_id, doc)
                if conversation_id:
                    self._touch_conversation(doc)
            umid_now = self._raw(MESSAGES)[str(doc_id)].get("umid")
            if umid_now and umid_now in self._pending:
                for entry in self._pending.pop(umid_now):
                    self._apply(doc_id, entry)
            return _message(self._raw(MESSAGES)[str(doc_id)])

    def apply_receipt(
        self,
        umid: str,
        state: str,
        timestamp: Timestamp,
        received_at: Timestamp,
        detail: str | None = None,
        error_code: int | str | None = None,
        error_message: str | None = None,
    ) -> Message | None:
        """Add a delivery receipt to a message's timeline; the status only moves forward.

        Every receipt is kept in the timeline, duplicates and late ones included. A receipt for
        a umid not recorded yet is held (in memory) and applied when `record_message` sees that
        umid; the call then returns None.
        """
        entry: Doc = {
            "state": _state(state),
            "timestamp": _ts(timestamp, "timestamp"),
            "received_at": _ts(received_at, "received_at"),
        }
        if detail:
            entry["detail"] = _text(detail, "detail")
        if error_code is not None:
            if not isinstance(error_code, int | str) or isinstance(error_code, bool):
                raise TypeError("error_code must be an int or a str")
            entry["error_code"] = error_code
        if error_message:
            entry["error_message"] = _text(error_message, "error_message")
        with self._lock:
            self._check_open()
            doc_id = self._umid_ids.get(umid)
            if doc_id is None:
                held = self._pending.get(umid)
                if held is None:
                    held = self._pending[umid] = []
                    while len(self._pending) > MAX_PENDING_RECEIPTS:
                        self._pending.popitem(last=False)
                if len(held) < MAX_TIMELINE:
                    held.append(entry)
                return None
            self._apply(doc_id, entry)
            return _message(self._raw(MESSAGES)[str(doc_id)])

    def message_by_umid(self, umid: str) -> Message | None:
        with self._lock:
            doc_id = self._umid_ids.get(umid)
            return None if doc_id is None else _message(self._raw(MESSAGES)[str(doc_id)])

    def message_by_client_id(self, client_message_id: str) -> Message | None:
        with self._lock:
            doc_id = self._cid_ids.get(client_message_id)
            return None if doc_id is None else _message(self._raw(MESSAGES)[str(doc_id)])

    def recent_messages(self, limit: int = 100, channel: str | None = None) -> list[Message]:
        """Messages newest first (by creation time), optionally of one channel (any case)."""
        wanted = channel.casefold() if channel else None
        with self._lock:
            raw = self._raw(MESSAGES)
            found: list[Message] = []
            if limit <= 0:
                return found
            for _, doc_id in reversed(self._message_order):
                doc = raw[str(doc_id)]
                if wanted is None or doc["channel"].casefold() == wanted:
                    found.append(_message(doc))
                    if len(found) >= limit:
                        break
            return found

    def search_messages(self, text: str, limit: int = 100) -> list[Message]:
        """Messages whose text contains `text`, ignoring case; newest first."""
        needle = text.casefold()
        with self._lock:
            raw = self._raw(MESSAGES)
            found: list[Message] = []
            if limit <= 0:
                return found
            for _, doc_id in reversed(self._message_order):
                doc = raw[str(doc_id)]
                if needle in doc["text"].casefold():
                    found.append(_message(doc))
                    if len(found) >= limit:
                        break
            return found

    # --- conversations ------------------------------------------------------------------------

    def upsert_conversation(
        self, conversation_id: str, channel: str, peer: str, name: str | None = None
    ) -> Conversation:
        """Create a conversation or update its channel, peer and name (None keeps the name)."""
        fields: Doc = {"channel": _text(channel, "channel"), "peer": _text(peer, "peer")}
        if name is not None:
            fields["name"] = _text(name, "name")
        with self._lock:
            self._check_open()
            doc_id = self._conversation_ids.get(conversation_id)
            if doc_id is None:
                doc = {
                    "conversation_id": _text(conversation_id, "conversation_id"),
                    **fields,
                    "last_activity": _round(self._clock()),
                    "unread": 0,
                }
                doc_id = self._conversations.insert(doc)
                self._conversation_ids[conversation_id] = doc_id
            else:
                current = self._raw(CONVERSATIONS)[str(doc_id)]
                if any(current.get(key) != value for key, value in fields.items()):
                    self._conversations.update(fields, doc_ids=[doc_id])
            return _conversation(self._raw(CONVERSATIONS)[str(doc_id)])

    def conversations(self, limit: int = 50) -> list[Conversation]:
        """Conversations, most recent activity first, each with its unread count."""
        with self._lock:
            raw = self._raw(CONVERSATIONS)
            newest = heapq.nlargest(
                max(limit, 0), raw.items(), key=_by_field_then_id("last_activity")
            )
            return [_conversation(doc) for _, doc in newest]

    def conversation(self, conversation_id: str) -> Conversation | None:
        with self._lock:
            doc_id = self._conversation_ids.get(conversation_id)
            if doc_id is None:
                return None
            return _conversation(self._raw(CONVERSATIONS)[str(doc_id)])

    def conversation_messages(self, conversation_id: str, limit: int = 100) -> list[Message]:
        """The conversation's newest `limit` messages, in chronological order (oldest first)."""
        with self._lock:
            if limit <= 0:
                return []
            raw = self._raw(MESSAGES)
            entries = self._conversation_messages.get(conversation_id, [])[-limit:]
            return [_message(raw[str(doc_id)]) for _, doc_id in entries]

    def mark_conversation_read(self, conversation_id: str) -> None:
        """Set the conversation's unread count to zero (unknown ids are ignored)."""
        with self._lock:
            self._check_open()
            doc_id = self._conversation_ids.get(conversation_id)
            if doc_id is not None and self._raw(CONVERSATIONS)[str(doc_id)].get("unread"):
                self._conversations.update({"unread": 0}, doc_ids=[doc_id])

    # --- live stream resume point -------------------------------------------------------------

    @property
    def last_seq(self) -> int:
        """The last event sequence number handled (0 if none)."""
        with self._lock:
            if self._meta_id is None:
                return 0
            return int(self._raw(META)[str(self._meta_id)].get("last_seq", 0))

    def set_last_seq(self, seq: int) -> None:
        """Remember the resume point; set as given (a relay that restarted may number anew)."""
        if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
            raise ValueError("seq must be a non-negative int")
        with self._lock:
            self._check_open()
            if self._meta_id is None:
                self._meta_id = self._meta.insert({"schema": SCHEMA, "last_seq": seq})
            elif self.last_seq != seq:
                self._meta.update({"last_seq": seq}, doc_ids=[self._meta_id])

    def resume_point(self, stream: str) -> int:
        """The last event handled from one relay (keyed by its events URL); 0 if none.

        A console may talk to several relays over time (sandboxes, a team relay); each
        numbers its events on its own, so each keeps its own resume point."""
        with self._lock:
            if self._meta_id is None:
                return 0
            points = self._raw(META)[str(self._meta_id)].get("resume") or {}
            return int(points.get(stream, 0))

    def set_resume_point(self, stream: str, seq: int) -> None:
        """Remember where to resume `stream` (set as given: a reset relay numbers anew)."""
        if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
            raise ValueError("seq must be a non-negative int")
        if not isinstance(stream, str) or not stream:
            raise ValueError("stream must be a non-empty str")
        with self._lock:
            self._check_open()
            if self._meta_id is None:
                self._meta_id = self._meta.insert(
                    {"schema": SCHEMA, "last_seq": 0, "resume": {stream: seq}}
                )
                return
            points = dict(self._raw(META)[str(self._meta_id)].get("resume") or {})
            if points.get(stream) != seq:
                points[stream] = seq
                if len(points) > 50:  # a handful of relays in practice; never unbounded
                    for old in list(points)[: len(points) - 50]:
                        del points[old]
                self._meta.update({"resume": points}, doc_ids=[self._meta_id])

    # --- internals ----------------------------------------------------------------------------

    def _raw(self, table: str) -> RawTable:
        """The raw documents of a table (read-only!). Caller holds self._lock."""
        return self._storage.read().get(table) or {}

    def _check_open(self) -> None:
        if self._closed:
            raise HistoryClosed("The history is closed; nothing more can be recorded.")

    def _merge_message(self, doc_id: int, new: Doc) -> int:
        current = self._raw(MESSAGES)[str(doc_id)]
        fields: Doc = {}
        for key in ("umid", "client_message_id", "batch_id", "conversation_id"):
            if new.get(key) and not current.get(key):
                fields[key] = new[key]
        if _rank(new["status"], new.get("status_detail")) > _rank(
            current["status"], current.get("status_detail")
        ):
            fields["status"] = new["status"]
        if not fields:
            return doc_id
        self._messages.update(fields, doc_ids=[doc_id])
        merged = self._raw(MESSAGES)[str(doc_id)]
        if "umid" in fields:
            self._umid_ids[fields["umid"]] = doc_id
        if "client_message_id" in fields:
            self._cid_ids[fields["client_message_id"]] = doc_id
        if "conversation_id" in fields:
            entries = self._conversation_messages.setdefault(fields["conversation_id"], [])
            _insort(entries, (merged["created_at"], doc_id))
            self._touch_conversation(merged)
        return doc_id

    def _index_message(self, doc_id: int, doc: Doc) -> None:
        created = doc["created_at"]
        umid = doc.get("umid")
        if umid:
            self._umid_ids[umid] = doc_id
        cid = doc.get("client_message_id")
        if cid:
            self._cid_ids[cid] = doc_id
        _insort(self._message_order, (created, doc_id))
        conversation_id = doc.get("conversation_id")
        if conversation_id:
            entries = self._conversation_messages.setdefault(conversation_id, [])
            _insort(entries, (created, doc_id))

    def _touch_conversation(self, message: Doc) -> None:
        """A message joined a conversation: bump its activity, and its unread count if inbound."""
        conversation_id = message["conversation_id"]
        at = message["created_at"]
        inbound = message["direction"] == "in"
        doc_id = self._conversation_ids.get(conversation_id)
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
            self._conversation_ids[conversation_id] = self._conversations.insert(doc)
            return

        def bump(doc: Doc) -> None:
            if at >= doc["last_activity"]:
                doc["last_activity"] = at
                doc["last_text"] = message["text"]
                doc["last_direction"] = message["direction"]
            if inbound:
                doc["unread"] = doc.get("unread", 0) + 1

        self._conversations.update(bump, doc_ids=[doc_id])

    def _apply(self, doc_id: int, entry: Doc) -> None:
        def change(doc: Doc) -> None:
            timeline = doc.get("timeline") or []
            doc["timeline"] = [*timeline[len(timeline) - MAX_TIMELINE + 1 :], entry]
            if _rank(entry["state"], entry.get("detail")) > _rank(
                doc["status"], doc.get("status_detail")
            ):
                doc["status"] = entry["state"]
                doc["status_at"] = entry["timestamp"]
                for key, target in (
                    ("detail", "status_detail"),
                    ("error_code", "error_code"),
                    ("error_message", "error_message"),
                ):
                    if key in entry:
                        doc[target] = entry[key]
                    else:
                        doc.pop(target, None)

        self._messages.update(change, doc_ids=[doc_id])

    def _load(self, max_age_days: int, max_records: int) -> None:
        # Loading creates millions of long-lived containers. With the cyclic GC on, it would
        # walk all of them several times during the load, and again at the first full collection
        # afterwards (a visible pause in the UI). So: GC off while loading, then freeze what is
        # loaded into the permanent generation (reference counting still frees it normally).
        gc_was_enabled = gc.isenabled()
        gc.disable()
        try:
            self._load_unguarded(max_age_days, max_records)
        finally:
            if gc_was_enabled:
                gc.freeze()
                gc.enable()

    def _load_unguarded(self, max_age_days: int, max_records: int) -> None:
        storage = self._storage
        cutoff = self._clock() - max_age_days * _DAY
        with self._lock:
            storage.remove_stale_temp_files()
            try:
                storage.load()
                self._check_documents()
                for table, field in _TIME_FIELDS.items():
                    if table != MESSAGES:
                        self._retain(table, field, cutoff, max_records)
                self._index_messages(cutoff, max_records)
                self._build_indexes()
            except CorruptHistory as error:
                self._quarantine(str(error))
                self._reset_indexes()
            except OSError as error:
                raise HistoryError(
                    f"Cannot read the history file {self.path} ({error.strerror or error}). "
                    "Fix its permissions, or choose another folder with --data-dir."
                ) from error

    def _quarantine(self, reason: str) -> None:
        try:
            moved = self._storage.quarantine(self._clock())
        except OSError as error:
            raise HistoryError(
                f"The history file {self.path} is damaged ({reason}) and could not be moved "
                f"aside ({error.strerror or error}). Move it away yourself, or choose another "
                "folder with --data-dir."
            ) from error
        self.notices.append(
            f"History file was corrupt ({reason}); moved aside to {moved}; starting fresh."
        )

    def _check_documents(self) -> None:
        """Raise CorruptHistory if a known table holds a record we could not read back."""
        for table, valid in _VALIDATORS.items():
            if table == MESSAGES:
                continue  # checked by _index_messages in the same pass as its indexes
            for key, doc in self._raw(table).items():
                if not valid(doc):
                    raise CorruptHistory(f"wrong shape ({table} record {key} is incomplete)")

    def _retain(self, table: str, field: str, cutoff: float, max_records: int) -> None:
        raw = self._raw(table)
        if not raw:
            return
        drop = {key for key, doc in raw.items() if doc[field] < cutoff}
        remaining = len(raw) - len(drop)
        if remaining > max_records:
            ranked = sorted((doc[field], int(key)) for key, doc in raw.items() if key not in drop)
            drop.update(str(doc_id) for _, doc_id in ranked[: remaining - max_records])
        if drop:
            kept = {key: doc for key, doc in raw.items() if key not in drop}
            self._storage.replace_table(table, kept)

    def _index_messages(self, cutoff: float, max_records: int) -> None:
        """Check, apply retention to and index the messages in one pass: the big table."""
        raw = self._raw(MESSAGES)
        valid = _valid_message
        umids = self._umid_ids
        cids = self._cid_ids
        order = self._message_order
        by_conversation = self._conversation_messages
        expired: set[str] = set()
        for key, doc in raw.items():
            if not valid(doc):
                raise CorruptHistory(f"wrong shape ({MESSAGES} record {key} is incomplete)")
            created = doc["created_at"]
            if created < cutoff:
                expired.add(key)
                continue
            doc_id = int(key)
            entry = (created, doc_id)
            order.append(entry)
            umid = doc.get("umid")
            if umid:
                umids[umid] = doc_id
            cid = doc.get("client_message_id")
            if cid:
                cids[cid] = doc_id
            conversation_id = doc.get("conversation_id")
            if conversation_id:
                by_conversation.setdefault(conversation_id, []).append(entry)
        order.sort()
        for entries in by_conversation.values():
            entries.sort()
        excess = len(order) - max_records
        if excess > 0:
            expired.update(str(doc_id) for _, doc_id in order[:excess])
        if expired:
            kept = {key: doc for key, doc in raw.items() if key not in expired}
            self._storage.replace_table(MESSAGES, kept)
            if excess > 0:  # rare: rebuild the indexes from what is kept
                umids.clear()
                cids.clear()
                order.clear()
                by_conversation.clear()
                self._index_messages(cutoff, max_records)

    def _build_indexes(self) -> None:
        """Indexes of the small tables (messages are indexed by _index_messages)."""
        for key, doc in self._raw(LOGINS).items():
            self._login_ids[(doc["subaccount"], doc["mode_label"], doc["key_tail"])] = int(key)
        rooms = self._raw(ROOMS)
        self._room_order = sorted((doc["created_at"], int(key)) for key, doc in rooms.items())
        self._room_ids = {rooms[str(i)]["call_reference"]: i for _, i in self._room_order}
        for key, doc in self._raw(CONVERSATIONS).items():
            self._conversation_ids[doc["conversation_id"]] = int(key)
        for key in self._raw(META):
            self._meta_id = int(key)

    def _start_writer(self) -> None:
        self._writer = threading.Thread(
            target=self._write_behind, name="history-writer", daemon=True
        )
        self._writer.start()
        ref = weakref.ref(self)

        def close_at_exit() -> None:
            history = ref()
            if history is not None:
                with contextlib.suppress(Exception):
                    history.close()

        self._atexit = close_at_exit
        atexit.register(close_at_exit)

    def _write_behind(self) -> None:
        """The writer thread: flush every interval; back off when flushes are slow or fail."""
        delay = self._flush_interval
        while not self._stop.wait(delay):
            started = time.monotonic()
            try:
                wrote = self._storage.flush()
            except Exception as error:  # keep the thread alive; say so once; retry
                message = self._save_failed(error)
                if message != self.write_error:
                    self.write_error = message
                    if self._on_write_error is not None:
                        with contextlib.suppress(Exception):
                            self._on_write_error(message)
                delay = min(max(delay * 2, 1.0), 30.0)
                continue
            self.write_error = None
            # A flush rewrites the whole file: keep the writer busy at most ~1/4 of the time.
            took = time.monotonic() - started
            delay = max(self._flush_interval, 3 * took) if wrote else self._flush_interval

    def _save_failed(self, error: BaseException) -> str:
        reason = getattr(error, "strerror", None) or str(error) or type(error).__name__
        return f"Could not save the history to {self.path} ({reason}); will retry."


# --- helpers ---------------------------------------------------------------------------------

_TIME_FIELDS = {
    LOGINS: "at",
    ROOMS: "created_at",
    MESSAGES: "created_at",
    CONVERSATIONS: "last_activity",
}
_NUMBER = frozenset({int, float})
_OPTIONAL_STR = frozenset({str, type(None)})
_SEQUENCE = frozenset({list, tuple})


def _valid_login(doc: Doc) -> bool:
    get = doc.get
    return (
        type(get("at")) in _NUMBER
        and type(get("subaccount")) is str
        and type(get("mode_label")) is str
        and type(get("key_tail")) is str
    )


def _valid_room(doc: Doc) -> bool:
    get = doc.get
    return (
        type(get("created_at")) in _NUMBER
        and type(get("expires_at")) in _NUMBER
        and type(get("call_reference")) is str
        and type(get("guest_link")) is str
    )


def _valid_message(doc: Doc) -> bool:
    get = doc.get
    return (
        type(get("created_at")) in _NUMBER
        and type(get("status")) is str
        and type(get("direction")) is str
        and type(get("channel")) is str
        and type(get("peer")) is str
        and type(get("text")) is str
        and type(get("umid")) in _OPTIONAL_STR
        and type(get("client_message_id")) in _OPTIONAL_STR
        and type(get("conversation_id")) in _OPTIONAL_STR
        and type(get("timeline", ())) in _SEQUENCE
    )


def _valid_conversation(doc: Doc) -> bool:
    get = doc.get
    return (
        type(get("last_activity")) in _NUMBER
        and type(get("conversation_id")) is str
        and type(get("channel")) is str
        and type(get("peer")) is str
        and type(get("unread", 0)) is int
    )


def _valid_meta(doc: Doc) -> bool:
    resume = doc.get("resume", {})
    return (
        type(doc.get("last_seq", 0)) is int
        and type(resume) is dict
        and all(type(k) is str and type(v) is int for k, v in resume.items())
    )


_VALIDATORS: dict[str, Callable[[Doc], bool]] = {
    LOGINS: _valid_login,
    ROOMS: _valid_room,
    MESSAGES: _valid_message,
    CONVERSATIONS: _valid_conversation,
    META: _valid_meta,
}


def _round(value: float) -> float:
    return round(value, 3)


def _ts(value: Timestamp, name: str) -> float:
    """A timestamp as UTC epoch seconds (float, ms precision)."""
    if isinstance(value, bool):
        raise TypeError(f"{name} must be a time, not a bool")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        seconds = moment.timestamp()
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"{name} is not an ISO-8601 time: {value!r}") from None
        seconds = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()
    else:
        raise TypeError(f"{name} must be a float, datetime or ISO-8601 string")
    if not math.isfinite(seconds):
        raise ValueError(f"{name} must be finite")
    return round(seconds, 3)


def _text(value: object, name: str) -> str:
    """A str that UTF-8 can encode (lone surrogates are replaced, so a save can never fail)."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, not {type(value).__name__}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return value.encode("utf-8", "replace").decode("utf-8")
    return value


def _state(value: object) -> str:
    return _text(value, "state").strip().lower()


def _insort(entries: list[tuple[float, int]], entry: tuple[float, int]) -> None:
    if not entries or entry >= entries[-1]:
        entries.append(entry)
    else:
        bisect.insort(entries, entry)


def _newest(entries: list[tuple[float, int]], limit: int) -> Iterable[tuple[float, int]]:
    if limit <= 0:
        return []
    return reversed(entries[-limit:])


def _by_field_then_id(field: str) -> Callable[[tuple[str, Doc]], tuple[float, int]]:
    def key(item: tuple[str, Doc]) -> tuple[float, int]:
        return (item[1][field], int(item[0]))

    return key


def _login(doc: Doc) -> Login:
    return Login(
        doc["subaccount"], doc["mode_label"], doc["key_tail"], doc["at"], doc.get("count", 1)
    )


def _room(doc: Doc) -> Room:
    return Room(
        call_reference=doc["call_reference"],
        guest_link=doc["guest_link"],
        phone_number=doc.get("phone_number"),
        created_at=doc["created_at"],
        expires_at=doc["expires_at"],
        guest_joined=bool(doc.get("guest_joined", False)),
        guest_joined_at=doc.get("guest_joined_at"),
        status=doc.get("status"),
    )


def _receipt(entry: Doc) -> Receipt:
    return Receipt(
        state=str(entry.get("state", "")),
        timestamp=entry.get("timestamp", 0.0),
        received_at=entry.get("received_at", 0.0),
        detail=entry.get("detail"),
        error_code=entry.get("error_code"),
        error_message=entry.get("error_message"),
    )


def _message(doc: Doc) -> Message:
    return Message(
        umid=doc.get("umid"),
        client_message_id=doc.get("client_message_id"),
        channel=doc["channel"],
        direction=doc["direction"],
        peer=doc["peer"],
        text=doc["text"],
        status=doc["status"],
        created_at=doc["created_at"],
        status_at=doc.get("status_at"),
        status_detail=doc.get("status_detail"),
        error_code=doc.get("error_code"),
        error_message=doc.get("error_message"),
        batch_id=doc.get("batch_id"),
        conversation_id=doc.get("conversation_id"),
        timeline=tuple(_receipt(e) for e in doc.get("timeline", ()) if type(e) is dict),
    )


def _conversation(doc: Doc) -> Conversation:
    return Conversation(
        conversation_id=doc["conversation_id"],
        channel=doc["channel"],
        peer=doc["peer"],
        name=doc.get("name"),
        last_activity=doc["last_activity"],
        unread=int(doc.get("unread", 0)),
        last_text=doc.get("last_text"),
        last_direction=doc.get("last_direction"),
    )
