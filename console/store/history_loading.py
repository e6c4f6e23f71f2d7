"""Opening the history: migrate, prune, load the window and the small files, replay the
send journal, rebuild conversations a kill left unsaved. Part of `History`
(console/store/history.py)."""

from __future__ import annotations

import gc
from collections.abc import Sequence

from console.store.catalog import DAY, LEGACY_NAME
from console.store.errors import CorruptHistory, HistoryError
from console.store.history_base import HistoryBase
from console.store.history_receipts import RUN
from console.store.journal import ROOM, SENT, Entry, SentRow, sent_rows
from console.store.loading import open_folder
from console.store.migrate import migrate
from console.store.small import SmallFile
from console.store.storage import remove_temp_files
from console.store.validate import CONVERSATIONS, LOGINS


class Loading(HistoryBase):
    """How `History` loads its folder and replays its journal."""

    def _load(self, max_age_days: int, max_records: int) -> None:
        # Loading creates many long-lived containers. With the cyclic GC on, it would walk all
        # of them during the load, and again at the first full collection afterwards (a
        # visible pause in the UI). So: GC off while loading, then freeze what is loaded into
        # the permanent generation (reference counting still frees it normally).
        gc_was_enabled = gc.isenabled()
        gc.disable()
        try:
            self._load_unguarded(max_age_days, max_records)
        finally:
            if gc_was_enabled:
                gc.freeze()
                gc.enable()

    def _load_unguarded(self, max_age_days: int, max_records: int) -> None:
        now = self._clock()
        try:
            remove_temp_files(self.data_dir, f"{LEGACY_NAME}.")
            self.notices.extend(migrate(self.data_dir, now))
            self.folder.mkdir(mode=0o700, exist_ok=True)
            remove_temp_files(self.folder)
            opened = open_folder(
                self.folder,
                self._lock,
                now=now,
                max_age_days=max_age_days,
                max_records=max_records,
                hot_messages=self._hot_messages,
            )
        except OSError as error:
            raise HistoryError(
                f"Cannot open the history in {self.folder} ({error.strerror or error}). "
                "Fix its permissions or free some space, or choose another folder with "
                "--data-dir."
            ) from error
        self.notices.extend(opened.notices)
        with self._lock:
            self._parts.adopt(opened)
        cutoff = now - max_age_days * DAY
        self._load_small(self._conversations, CONVERSATIONS, "last_activity", cutoff, max_records)
        self._load_small(self._state, LOGINS, "at", cutoff, max_records)
        try:
            self._replay_journal()
        except OSError as error:
            raise HistoryError(
                f"Cannot read the send journal in {self.folder} ({error.strerror or error}). "
                "Fix its permissions, or choose another folder with --data-dir."
            ) from error
        self._restore_conversations()

    def _load_small(
        self, file: SmallFile, table: str, field: str, cutoff: float, max_records: int
    ) -> None:
        with self._lock:
            try:
                file.load()
            except CorruptHistory as error:
                try:
                    moved = file.quarantine(self._clock())
                except OSError as move_error:
                    raise HistoryError(
                        f"The history file {file.path} is damaged ({error}) and could not be "
                        f"moved aside ({move_error.strerror or move_error}). Move it away "
                        "yourself, or choose another folder with --data-dir."
                    ) from move_error
                self.notices.append(
                    f"History file {file.path.name} was corrupt ({error}); moved aside to "
                    f"{moved}; the rest of the history is kept."
                )
            except OSError as error:
                raise HistoryError(
                    f"Cannot read the history file {file.path} ({error.strerror or error}). "
                    "Fix its permissions, or choose another folder with --data-dir."
                ) from error
            file.prune(table, field, cutoff, max_records)

    def _restore_conversations(self) -> None:
        """A conversation whose messages were saved but not itself (a kill between the two
        writes, or its file moved aside) is rebuilt from the messages in memory."""
        with self._lock:
            for part in reversed(self._parts.window()):
                for conversation_id, entries in part.by_conversation.items():
                    if self._conversations.get(conversation_id) is None:
                        for _, doc_id in entries:
                            self._conversations.touch(part.message_doc(doc_id))

    def _replay_journal(self) -> None:
        """Sends journalled but maybe not saved in their parts (a console killed): kept now;
        the first flush saves them and drops the journal."""
        entries, damaged = self._journal.load()
        for entry in entries:
            try:
                self._fold(entry, replay=True)
            except (KeyError, TypeError, ValueError):
                damaged += 1
        if damaged:
            self.notices.append(
                f"{damaged} line(s) of the send journal in {self.folder} could not be read "
                "(cut short by a crash before they were confirmed); the rest was kept."
            )

    def _fold(self, entry: Entry, *, replay: bool, rows: Sequence[SentRow] | None = None) -> None:
        """Apply one journal entry to memory. On replay, a message or a room the parts already
        hold is skipped, so replaying twice changes nothing. `rows`: a sent entry's rows as
        they were given to it (not read back from it: a batch's 10,000 again, unbroken)."""
        kind = entry.get("k")
        if kind == SENT:
            at = entry["at"]
            text = entry["text"]
            for number, row in enumerate(sent_rows(entry) if rows is None else rows, 1):
                if number % RUN == 0:
                    self._breathe()
                with self._lock:
                    # Recording again merges (idempotent); the refusal is a receipt, kept once.
                    known = replay and self._parts.locate(row.umid, row.client_message_id)
                    self._record(  # the record_message of each, without its record
                        row.umid,
                        row.client_message_id,
                        row.channel,
                        "out",
                        row.peer,
                        text,
                        "queued",  # a refusal follows as a receipt, which keeps its reason
                        at,
                        batch_id=entry.get("batch"),
                        conversation_id=entry.get("conv"),
                    )
                    if row.refused and not known:
                        self.apply_receipt(row.umid, "rejected", at, at, error_message=row.reason)
        elif kind == ROOM:
            with self._lock:
                if replay and self._room_known(entry["ref"], entry["at"]):
                    return
                self.record_room(
                    entry["ref"], entry["link"], entry.get("phone"), entry["at"], entry["exp"]
                )
        else:
            raise ValueError(f"unknown journal entry {kind!r}")
