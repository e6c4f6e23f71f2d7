"""The send journal: what the console is about to show as sent, on disk first.

The history's parts are written by a background writer every quarter second, so a console killed
right after "✓ Sent 2,000" would lose what that flush had not saved yet. Every accepted send
(one SMS, a batch answer, an inbox reply, a room) is therefore appended here as one line and
fsynced — one write and one fsync per send or batch answer, not per message — before the console
says it was sent. The history records the same send in memory first; its writer folds it into
the day parts and, once those are durable, drops the journal segments they cover. Opening the
history replays what is left (a console that was killed), and the replay is idempotent: a
message or a room the parts already hold is skipped.

Layout: ``sends-<n>.journal`` files in the history folder, one JSON document a line (compact:
a batch is one line holding its text once). A flush *seals* the segment being appended to, so
the next send opens the next one; after the flush the sealed segments are deleted. A line cut
short by a kill was never reported as sent (its fsync had not returned): it is skipped.

The journal knows nothing of the history: it stores and returns entries (`Entry`, plain dicts);
`console.store.history` decides what they mean.
"""

from __future__ import annotations

import contextlib
import os
import re
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from console.store.storage import DEFAULT_CODEC, fsync_dir

Entry = dict[str, Any]

SENT = "sent"
ROOM = "room"
_NAME = re.compile(r"^sends-(\d{1,12})\.journal$")


class SentRow(NamedTuple):
    """One message of an accepted send, as the journal and the history keep it."""

    umid: str
    client_message_id: str | None
    channel: str
    peer: str
    refused: bool = False
    reason: str | None = None  # why 8x8 refused it


class ReceiptRow(NamedTuple):
    """What a receipt tells of its message, enough for a row when the history does not know
    it (the text is not in a receipt)."""

    channel: str
    peer: str | None = None
    client_message_id: str | None = None
    batch_id: str | None = None


def sent_entry(
    rows: Sequence[SentRow],
    text: str,
    created_at: float,
    batch_id: str | None = None,
    conversation_id: str | None = None,
) -> Entry:
    """One journal line for one accepted send or batch answer: the text once, a row a message."""
    entry: Entry = {"k": SENT, "at": created_at, "text": text, "m": [list(row) for row in rows]}
    if batch_id:
        entry["batch"] = batch_id
    if conversation_id:
        entry["conv"] = conversation_id
    return entry


def sent_rows(entry: Entry) -> list[SentRow]:
    """The rows of a `sent` entry; ValueError when one is not shaped as written."""
    rows = []
    for row in entry["m"]:
        umid, cid, channel, peer, refused, reason = row
        if not (isinstance(umid, str) and isinstance(channel, str) and isinstance(peer, str)):
            raise ValueError("a sent row needs a umid, a channel and a peer")
        rows.append(SentRow(umid, cid, channel, peer, bool(refused), reason))
    return rows


def room_entry(
    call_reference: str,
    guest_link: str,
    phone_number: str | None,
    created_at: float,
    expires_at: float,
) -> Entry:
    """One journal line for a room created (its SMS invite is 8x8's to send)."""
    return {
        "k": ROOM,
        "ref": call_reference,
        "link": guest_link,
        "phone": phone_number,
        "at": created_at,
        "exp": expires_at,
    }


class Journal:
    """Append-only segments in `folder`. `append` may run in any thread (one at a time is
    serialised); `seal` and `drop_through` belong to the history's flush."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._io = threading.Lock()  # one append at a time (its write and fsync)
        self._state = threading.Lock()  # the segment numbers; never held during I/O
        self._segment = 1  # appends go to this segment
        self._used = False  # something was (or is being) appended to it
        self._fd: int | None = None
        self._fd_segment = 0
        self._files: set[int] = set()  # segments on disk

    def path(self, segment: int) -> Path:
        return self.folder / f"sends-{segment:06d}.journal"

    def load(self) -> tuple[list[Entry], int]:
        """Read every segment left on disk, oldest first: the entries, and how many lines were
        not readable (a line cut short by a kill). Appends then go to a new segment."""
        found = sorted(
            int(match.group(1))
            for name in os.listdir(self.folder)
            if (match := _NAME.match(name)) is not None
        )
        entries: list[Entry] = []
        damaged = 0
        for segment in found:
            with open(self.path(segment), "rb") as handle:
                content = handle.read()
            for line in content.split(b"\n"):
                if not line:
                    continue
                try:
                    entry = DEFAULT_CODEC.loads(line)
                except ValueError:
                    damaged += 1
                    continue
                if isinstance(entry, dict):
                    entries.append(entry)
                else:
                    damaged += 1
        with self._state:
            self._files = set(found)
            self._segment = (found[-1] + 1) if found else 1
            self._used = False
        return entries, damaged

    def append(self, entries: Iterable[Entry]) -> None:
        """Write the entries (one line each) and fsync them: when this returns they survive a
        kill or a power cut. Raises OSError (then nothing is promised)."""
        data = b"".join(DEFAULT_CODEC.dumps(entry) + b"\n" for entry in entries)
        if not data:
            return
        with self._io:
            with self._state:
                segment = self._segment
                self._used = True
                self._files.add(segment)
            if self._fd is None or self._fd_segment != segment:
                self._close_fd()
                self._fd = os.open(
                    self.path(segment), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600
                )
                self._fd_segment = segment
                fsync_dir(self.folder)  # the new file's name is durable too
            view = memoryview(data)
            while view:
                written = os.write(self._fd, view)
                view = view[written:]
            os.fsync(self._fd)

    def seal(self) -> int:
        """Called while the history takes what a flush will write: the segments up to the
        number returned hold only entries already in memory, so once the flush is durable they
        may be dropped. The next append starts a new segment."""
        with self._state:
            if self._used:
                self._segment += 1
                self._used = False
            return self._segment - 1

    def drop_through(self, segment: int) -> None:
        """Delete the segments up to `segment` (their entries are in durable parts). A file
        that stays (an error) is replayed at the next open, harmlessly."""
        with self._state:
            gone = sorted(n for n in self._files if n <= segment)
            self._files.difference_update(gone)
        for number in gone:
            with contextlib.suppress(FileNotFoundError):
                self.path(number).unlink()

    @property
    def pending(self) -> int:
        """Segments on disk (tests and the benchmark look)."""
        with self._state:
            return len(self._files)

    def close(self) -> None:
        with self._io:
            self._close_fd()

    def _close_fd(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = None
