"""The console's history: logins, rooms, messages with their receipt timelines, conversations.

`History` is the facade the App and the screens use; they get typed, frozen records
(`console.store.records`) and never see TinyDB. The history is a folder of TinyDB files
(`console.store.catalog` describes them): one *part* per UTC day and up to 2,000 messages
(messages with their receipts, rooms), plus small files for the conversation index and for
state (resume points, logins).

Writing: every `record_*`/`apply_receipt` call updates memory and marks the change dirty
(microseconds, never touches the disk); one background writer thread flushes every
`flush_interval` seconds. A flush takes what every file must hold at one moment, then writes
only the files that changed, each atomically (temp file, fsync, rename): the parts first, an
fsync of the folder, then their indexes, the conversations and the state, and the folder again;
so a resume point is never saved before what it covers. `close()` — or, as a safety
net, interpreter exit — flushes what is left.

Sends are the exception, because the console shows them as done: `record_sent` (and
`record_room(durable=True)`) also appends the send to the journal (`console.store.journal`,
one fsync) before returning, in the caller's thread; the flush drops the journal once the parts
holding it are durable, and opening the history replays what a killed console left there.

Memory: opening reads every part's small index (where each umid lives) and loads only the
*window*: the newest parts, just enough to hold `hot_messages` messages (and today's parts
holding rooms); the rest of today is on demand like older days, so a long shift's history is
not held whole. Parts out of the window stay only while used, `spare_parts` at most. The
quick queries (`recent_messages`, `search_messages`, `conversation_messages`, `rooms`, and
the lookups) answer from memory, from that window; call them from any thread. Older parts are
read on demand by `scan_messages`, `find_messages`, `find_message` and `hold` — disk work, for
workers — and let go when no longer needed. A receipt or an update for a message in a part not
in memory is kept and applied by the writer thread, which loads that part, saves it, and lets
it go once idle for `release_after` seconds.

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

Damaged files (README text)
---------------------------
A history file that is not readable as one (for instance a disk filled up while another tool
edited it) is moved aside alone, as `<file>.corrupt-<UTC date and time>`, and the console says
so; the rest of the history loads, and nothing is deleted. Every file is replaced atomically,
so a crash or a power cut leaves the previous or the new version of each, never half of one.

Retention: whole days older than `max_age_days` (default 90) are deleted when the console
starts, and so are the oldest parts beyond `max_records` (default 100,000) messages or rooms;
conversations and logins follow the same limits. The API key is never stored; a login keeps
only its last six characters, as the 8x8 portal shows them.
"""

from __future__ import annotations

import contextlib
import copy
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from console.store import records
from console.store.catalog import (
    CONVERSATIONS_NAME,
    FOLDER_NAME,
    STATE_NAME,
    PartKey,
    day_of,
)
from console.store.conversations import ConversationIndex, settable_fields
from console.store.errors import HistoryClosed, HistoryError, HistoryLocked
from console.store.history_loading import Loading
from console.store.history_ondemand import OnDemandReads
from console.store.history_receipts import Receipts
from console.store.history_rooms import RoomsAndLogins
from console.store.journal import (
    Entry,
    Journal,
    SentRow,
    sent_entry,
)
from console.store.lock import DirLock, LockHeld
from console.store.ondemand import first
from console.store.parts import Part
from console.store.partset import SPARE_PARTS, PartSet, merged, run_in_order, storage_step
from console.store.records import Conversation, Doc, Message
from console.store.small import StateFile
from console.store.validate import (
    MESSAGES,
    Timestamp,
    rounded,
    to_seq,
    to_state,
    to_text,
    to_ts,
)
from console.store.writer import Writer

Clock = Callable[[], float]

HOT_MESSAGES = 1_000  # the window holds at least this many of the newest messages
ROWS_RUN = 512  # a send's rows taken between two breaths (~1 ms; recording one costs more)


class History(Receipts, RoomsAndLogins, OnDemandReads, Loading):
    """Persistent, thread-safe history. Create with `History.open(data_dir)`; close when done.

    Every public method may be called from any thread while the writer thread runs. The quick
    ones cost an in-memory update or lookup; those documented as on demand read the disk and
    belong in a worker.
    """

    def __init__(
        self,
        data_dir: Path,
        dir_lock: DirLock,
        *,
        flush_interval: float,
        clock: Clock,
        on_write_error: Callable[[str], None] | None,
        on_notice: Callable[[str], None] | None,
        release_after: float,
        hot_messages: int,
        spare_parts: int = SPARE_PARTS,
        pause: float = 0.0,
        give_way: Callable[[], object] | None = None,
    ) -> None:
        """Private: use `History.open`."""
        self.data_dir = data_dir
        self.folder = data_dir / FOLDER_NAME
        self.notices: list[str] = []
        self._dir_lock = dir_lock
        self._clock = clock
        self._on_notice = on_notice
        self._on_write_error = on_write_error
        self._lock = threading.RLock()
        self._flush_lock = threading.Lock()
        self._conversations = ConversationIndex(self.folder / CONVERSATIONS_NAME, self._lock)
        self._state = StateFile(self.folder / STATE_NAME, self._lock)
        self._parts = PartSet(
            self.folder,
            self._lock,
            clock=clock,
            notice=self._notice,
            release_after=release_after,
            hot_messages=hot_messages,
            spare_parts=spare_parts,
        )
        self._hot_messages = hot_messages
        self.pause = pause  # may change while it runs (the App's: 0 while updates pile up)
        self.give_way = give_way
        self._pending: OrderedDict[str, list[Doc]] = OrderedDict()
        self._journal = Journal(self.folder)
        self._closed = False
        self._writer = Writer(self, flush_interval, self._save_failed, on_write_error)

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
        on_notice: Callable[[str], None] | None = None,
        release_after: float = 300.0,
        hot_messages: int = HOT_MESSAGES,
        spare_parts: int = SPARE_PARTS,
        pause: float = 0.0,
        give_way: Callable[[], object] | None = None,
    ) -> History:
        """Lock `data_dir`, open its history (splitting an older `history.json` once), apply
        retention, load the window, start the writer.

        Raises `HistoryLocked` if another live console holds the folder, `HistoryError` if the
        folder cannot be used. A damaged file is not an error: it is moved aside and a notice is
        added to `history.notices` (and passed to `on_notice`, also for files found damaged
        later, when read on demand). `on_write_error` is called from the writer thread with a
        user-facing sentence when a background save fails (it retries on its own).

        `pause`: seconds that long work done in the caller's thread (a run of receipts, a
        batch's sends) sleeps between runs of a few dozen, without the lock: a thread sharing
        the GIL with it (the UI loop) gets the GIL back within a run, not after the
        interpreter's switch interval (5 ms) each time. `give_way`, called before each of
        those pauses and between the writer's files, may wait: the console's waits while its
        UI loop is in a long turn (loop_turns.py; not long while updates pile up).
        """
        if flush_interval <= 0:
            raise ValueError("flush_interval must be positive")
        if max_age_days <= 0 or max_records <= 0 or hot_messages <= 0:
            raise ValueError("max_age_days, max_records and hot_messages must be positive")
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
            on_notice=on_notice,
            release_after=release_after,
            hot_messages=hot_messages,
            spare_parts=spare_parts,
            pause=pause,
            give_way=give_way,
        )
        try:
            history._load(max_age_days, max_records)
            history._writer.start()
        except BaseException:
            dir_lock.release()
            raise
        return history

    def flush(self) -> bool:
        """Write pending changes to disk now, in this thread. False if there was nothing to do."""
        try:
            return self.flush_in_background()
        except OSError as error:
            raise HistoryError(self._save_failed(error)) from error

    def flush_in_background(self) -> bool:
        """The writer thread's flush: apply what waits for parts on disk, write what changed,
        let go of idle parts. Raises OSError; changes that could not be written stay pending."""
        with self._flush_lock:
            self._parts.apply_deferred()
            with self._lock:  # one moment for every file: a resume point never runs ahead
                parts, after = self._parts.plan_writes(between=self._give_way)
                # The journal's sealed segments hold only sends now in `parts` (or on disk):
                # dropped once these writes are durable (unless some wait for a part on disk).
                sealed = None if self._parts.has_deferred else self._journal.seal()
                for file in (self._conversations, self._state):
                    snapshot = file.storage.snapshot()
                    if snapshot is not None:
                        after.append(storage_step(file.storage, snapshot, self._give_way))
            # The parts are durable before their indexes, the conversations and the state.
            wrote = run_in_order([parts, after], self.folder, between=self._give_way)
            if sealed is not None:
                self._journal.drop_through(sealed)
            self._parts.release_idle()
            return wrote

    def close(self) -> None:
        """Stop the writer, flush what is left and release the folder lock. Idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self._writer.stop()
        try:
            self.flush()
        finally:
            self._journal.close()
            self._dir_lock.release()

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def write_error(self) -> str | None:
        """Why the last background save failed, until one works again."""
        return self._writer.error

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

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
        before the message was recorded are applied now. A message that belongs in a part on
        disk (an old one replayed) is saved there in the background; the record returned is
        then the one given.
        """
        return records.message(
            self._record(
                umid,
                client_message_id,
                channel,
                direction,
                peer,
                text,
                status,
                created_at,
                batch_id,
                conversation_id,
            )
        )

    def _record(
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
    ) -> Doc:
        """`record_message` without the record made of it (the journal's sends): the document
        as recorded (or as given, for a part on disk)."""
        if direction not in ("out", "in"):
            raise ValueError(f'direction must be "out" or "in", not {direction!r}')
        if not umid and not client_message_id:
            raise ValueError("a message needs a umid or a client_message_id")
        doc: Doc = {
            "channel": to_text(channel, "channel"),
            "direction": direction,
            "peer": to_text(peer, "peer"),
            "text": to_text(text, "text"),
            "status": to_state(status),
            "created_at": to_ts(created_at, "created_at"),
        }
        if umid:
            doc["umid"] = to_text(umid, "umid")
        if client_message_id:
            doc["client_message_id"] = to_text(client_message_id, "client_message_id")
        if batch_id:
            doc["batch_id"] = to_text(batch_id, "batch_id")
        if conversation_id:
            doc["conversation_id"] = to_text(conversation_id, "conversation_id")
        with self._lock:
            self._check_open()
            known = self._parts.locate(umid, client_message_id)
            key = known or self._new_message_part(doc)
            recorded = self._parts.route(key, lambda part: self._record_in(part, doc, not known))
            return doc if recorded is None else recorded

    def record_sent(
        self,
        rows: Iterable[SentRow],
        text: str,
        created_at: Timestamp,
        *,
        batch_id: str | None = None,
        conversation_id: str | None = None,
    ) -> None:
        """Remember the messages of one accepted send (one SMS, a batch answer, a reply) and
        return once they are on disk: kept in memory like `record_message` (a refused one
        with its refusal as a receipt), then journalled with one fsync for the whole send. It
        waits for the disk: call it from a worker thread. Raises OSError when the journal
        cannot be written (the messages stay in memory and are saved by the next flush).
        `rows` may be made as they are taken (a batch answer's 10,000): the history gives way
        between runs of them, as it does while it records them."""
        text, created_at = to_text(text, "text"), to_ts(created_at, "created_at")
        taken: list[SentRow] = []
        for number, row in enumerate(rows, 1):
            taken.append(row)
            if number % ROWS_RUN == 0:
                self._breathe()
        entry = sent_entry(
            taken, text, created_at, batch_id=batch_id, conversation_id=conversation_id
        )
        self._fold(entry, replay=False, rows=taken)
        self._append(entry)

    def message_by_umid(self, umid: str) -> Message | None:
        """The message, if its part is in memory (`find_message` reads the disk too)."""
        with self._lock:
            key = self._parts.umid_part.get(umid)
            part = None if key is None else self._parts.loaded.get(key)
            doc_id = None if part is None else part.umids.get(umid)
            if part is None or doc_id is None:
                return None
            return records.message(part.message_doc(doc_id))

    def message_by_client_id(self, client_message_id: str) -> Message | None:
        """The message, if its part is in memory."""
        with self._lock:
            for part in self._parts.loaded.values():
                doc_id = part.cids.get(client_message_id)
                if doc_id is not None:
                    return records.message(part.message_doc(doc_id))
            return None

    def recent_messages(
        self, limit: int = 100, channel: str | None = None, *, timelines: bool = True
    ) -> list[Message]:
        """The window's messages newest first (by creation time), optionally of one channel;
        without their receipts unless `timelines`."""
        wanted = channel.casefold() if channel else None
        with self._lock:
            docs = self._newest_docs()
            if wanted is not None:
                docs = (doc for doc in docs if doc["channel"].casefold() == wanted)
            return [records.message(doc, timeline=timelines) for doc in first(docs, limit)]

    def search_messages(self, text: str, limit: int = 100) -> list[Message]:
        """The window's messages whose text contains `text`, ignoring case; newest first.
        `find_messages` searches the whole history."""
        needle = text.casefold()
        with self._lock:
            found = (doc for doc in self._newest_docs() if needle in doc["text"].casefold())
            return [records.message(doc) for doc in first(found, limit)]

    # --- conversations ------------------------------------------------------------------------

    def upsert_conversation(
        self, conversation_id: str, channel: str, peer: str, name: str | None = None
    ) -> Conversation:
        """Create a conversation or update its channel, peer and name (None keeps the name)."""
        fields: Doc = {"channel": to_text(channel, "channel"), "peer": to_text(peer, "peer")}
        if name is not None:
            fields["name"] = to_text(name, "name")
        conversation_id = to_text(conversation_id, "conversation_id")
        now = rounded(self._clock())
        with self._lock:
            self._check_open()
            doc = self._conversations.upsert(conversation_id, fields, now)
            return records.conversation(doc)

    def update_conversation(self, conversation_id: str, **changes: object) -> Conversation | None:
        """Change fields of a conversation (see `conversations.FIELDS`; None removes an optional
        one); None if there is no such conversation."""
        fields = settable_fields(changes)
        with self._lock:
            self._check_open()
            doc = self._conversations.update(conversation_id, fields)
            return None if doc is None else records.conversation(doc)

    def conversations(self, limit: int = 50) -> list[Conversation]:
        """Conversations, most recent activity first, each with its unread count."""
        with self._lock:
            return [records.conversation(doc) for doc in self._conversations.recent(limit)]

    def conversation(self, conversation_id: str) -> Conversation | None:
        with self._lock:
            doc = self._conversations.get(conversation_id)
            return None if doc is None else records.conversation(doc)

    def conversation_messages(self, conversation_id: str, limit: int = 100) -> list[Message]:
        """The conversation's newest `limit` messages in the window, oldest first
        (`find_messages(conversation_id=…)` reaches further back)."""
        with self._lock:
            newest = merged(
                self._parts.window(),
                MESSAGES,
                lambda part: part.by_conversation.get(conversation_id, []),
            )
            found = [records.message(doc) for doc in first(newest, limit)]
        found.reverse()
        return found

    def mark_conversation_read(self, conversation_id: str) -> None:
        """Set the conversation's unread count to zero (unknown ids are ignored)."""
        with self._lock:
            self._check_open()
            self._conversations.mark_read(conversation_id)

    # --- live stream resume points -------------------------------------------------------------

    def resume_point(self, stream: str) -> int:
        """The last event handled from one relay (keyed by its events URL); 0 if none.

        A console may talk to several relays over time (sandboxes, a team relay); each
        numbers its events on its own, so each keeps its own resume point."""
        with self._lock:
            return self._state.resume_point(stream)

    def set_resume_point(self, stream: str, seq: int) -> None:
        """Remember where to resume `stream` (set as given: a reset relay numbers anew)."""
        seq = to_seq(seq)
        if not isinstance(stream, str) or not stream:
            raise ValueError("stream must be a non-empty str")
        with self._lock:
            self._check_open()
            self._state.set_resume_point(stream, seq)

    # --- small values kept across runs (the Shield's suspensions and feedback) ----------------

    def kept(self, name: str) -> Any:
        """A small JSON value kept under `name` in state.json, or None. Readers check its
        shape: the file is the user's and may have been edited."""
        _check_kept_name(name)
        with self._lock:
            return copy.deepcopy(self._state.meta().get(name))

    def keep(self, name: str, value: Any) -> None:
        """Keep a small JSON value (lists, dicts, strings, numbers) under `name`."""
        _check_kept_name(name)
        with self._lock:
            self._check_open()
            self._state.set_meta(**{name: copy.deepcopy(value)})

    # --- internals ------------------------------------------------------------------------------

    def _breathe(self) -> None:
        """Between runs of work (never holding the lock): let the other threads run."""
        self._give_way()
        if self.pause:
            time.sleep(self.pause)

    def _give_way(self) -> None:
        """Between runs of work (never holding the lock): wait if `give_way` says to."""
        give_way = self.give_way
        if give_way is not None:
            give_way()

    def _check_open(self) -> None:
        if self._closed:
            raise HistoryClosed("The history is closed; nothing more can be recorded.")

    def _new_message_part(self, doc: Doc) -> PartKey:
        key = self._parts.part_for_new(day_of(doc["created_at"]), MESSAGES)
        umid = doc.get("umid")
        if umid:
            self._parts.umid_part[umid] = key
        return key

    def _record_in(self, part: Part, doc: Doc, new: bool) -> Doc | None:
        if (
            not new
            and part.find(doc.get("umid"), doc.get("client_message_id")) is None
            and part.key.day != day_of(doc["created_at"])
        ):  # an index said this part held it, but the part was not saved after all
            key = self._new_message_part(doc)
            return self._parts.route(key, lambda other: self._record_in(other, doc, True))
        doc_id, joined = part.record_message(doc)
        recorded = part.message_doc(doc_id)
        umid = recorded.get("umid")
        if umid:
            self._parts.umid_part[umid] = part.key
            held = self._pending.pop(umid, None)
            for entry in held or ():
                part.apply_receipt(doc_id, entry)
            if held:
                recorded = part.message_doc(doc_id)
        if joined:
            self._conversations.touch(recorded)
            info = self._parts.catalog.get(part.key)
            if info is not None:
                info.conversations.add(recorded["conversation_id"])
        return recorded

    def _append(self, entry: Entry) -> None:
        try:
            self._journal.append([entry])
        except OSError as error:
            if self._on_write_error is not None:
                with contextlib.suppress(Exception):
                    self._on_write_error(self._save_failed(error))
            raise

    def _newest_docs(self) -> Iterator[Doc]:
        """The window's messages, newest first (caller holds the lock while iterating)."""
        return merged(self._parts.window(), MESSAGES, lambda part: part.order)

    def _notice(self, text: str) -> None:
        self.notices.append(text)
        if self._on_notice is not None:
            with contextlib.suppress(Exception):
                self._on_notice(text)

    def _save_failed(self, error: BaseException) -> str:
        reason = getattr(error, "strerror", None) or str(error) or type(error).__name__
        where = getattr(error, "filename", None) or self.folder
        return f"Could not save the history to {where} ({reason}); will retry."


KEPT_NAMES = frozenset({"suspensions", "feedback"})


def _check_kept_name(name: str) -> None:
    if name not in KEPT_NAMES:
        raise ValueError(f"{name!r} is not kept: {', '.join(sorted(KEPT_NAMES))}")
