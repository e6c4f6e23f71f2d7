"""Every part of the history: which exist (from their indexes), which are in memory, where each
message and room lives, and the changes waiting for a part on disk.

The *window* is in memory for the whole session: the newest parts (`retention.window_start`);
it only moves forward. Other parts come into memory when a worker holds them, or when the
writer thread loads one to apply a change (a late receipt, an old message replayed), and leave
once nobody has used them for `release_after` seconds, or sooner when more than `spare_parts`
of them are in memory (the least recently used first). So memory holds the current parts and a
few more, however long the day: a shift of 200,000 messages does not keep them all.

Unless a method says otherwise, the caller holds `lock`. Methods that read the disk never hold
it while they read.
"""

from __future__ import annotations

import contextlib
import heapq
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path
from threading import RLock
from typing import TypeVar

from console.store.catalog import (
    PART_LIMIT,
    ConversationHint,
    PartIndex,
    PartInfo,
    PartKey,
    identity,
    write_index,
)
from console.store.errors import CorruptHistory
from console.store.loading import Opened, quarantine_part, read_part
from console.store.parts import Entry, Part
from console.store.records import Doc
from console.store.retention import window_start
from console.store.storage import Snapshot, WriteBehindStorage, fsync_dir
from console.store.umidindex import UmidIndex
from console.store.validate import MESSAGES

T = TypeVar("T")
Change = Callable[[Part], object]

SPARE_PARTS = 4  # parts out of the window kept in memory while used (late receipts land there)
FORGET_ENCODED_AFTER = 5.0  # seconds unused before a part out of the window drops its encoding


@dataclass(frozen=True, slots=True)
class Step:
    """One file write of a flush, and how to mark it pending again if it does not happen."""

    run: Callable[[], None]
    undo: Callable[[], None]


def storage_step(
    storage: WriteBehindStorage, snapshot: Snapshot, between: Callable[[], object] | None = None
) -> Step:
    """Write a file; the caller fsyncs the folder (see `run_in_order`). `between`: as for
    `WriteBehindStorage.commit`."""
    return Step(
        lambda: storage.commit(snapshot, sync_folder=False, between=between),
        lambda: storage.restore(snapshot),
    )


def run_in_order(
    groups: list[list[Step]], folder: Path, between: Callable[[], object] | None = None
) -> bool:
    """Run each group's steps in order, and fsync the folder after each group that ran, so no
    rename of a later group is durable before those of an earlier one. If a step fails, it and
    every later step are pending again, and the error propagates. `between` is called before
    each step (the history's `_give_way`)."""
    steps = [step for group in groups for step in group]
    done = 0
    try:
        for group in groups:
            for step in group:
                if between is not None:
                    between()
                step.run()
                done += 1
            if group:
                fsync_dir(folder)
    except BaseException:
        for later in steps[done:]:
            later.undo()
        raise
    return bool(steps)


class PartSet:
    def __init__(
        self,
        folder: Path,
        lock: RLock,
        *,
        clock: Callable[[], float],
        notice: Callable[[str], None],
        release_after: float,
        hot_messages: int,
        spare_parts: int = SPARE_PARTS,
    ) -> None:
        self.folder = folder
        self._spare_parts = spare_parts
        self.lock = lock
        self._clock = clock
        self._notice = notice
        self._release_after = release_after
        self._hot_messages = hot_messages
        self.catalog: dict[PartKey, PartInfo] = {}
        self.loaded: dict[PartKey, Part] = {}
        self.umid_part = UmidIndex()  # compact: a whole day's shift of umids
        self.room_part: dict[str, PartKey] = {}
        self._last_part: dict[str, PartKey] = {}  # per day
        self._window_start: PartKey | None = None
        self._deferred: dict[PartKey, list[Change]] = {}

    def adopt(self, opened: Opened) -> None:
        self.catalog = opened.catalog
        self.loaded = opened.parts
        self.umid_part = opened.umid_part
        self.room_part = opened.room_part
        self._window_start = opened.window_start
        for key in sorted(self.catalog):
            self._last_part[key.day] = key

    # --- where things are -------------------------------------------------------------------

    def known(self, key: PartKey | None) -> PartKey | None:
        """`key` if that part still exists (a damaged one may have been moved aside)."""
        return key if key is not None and key in self.catalog else None

    def locate(self, umid: str | None, client_message_id: str | None) -> PartKey | None:
        """The part already holding this message, as far as memory and the indexes know."""
        if umid:
            key = self.known(self.umid_part.get(umid))
            if key is not None:
                return key
        if client_message_id:
            for key, part in self.loaded.items():
                if client_message_id in part.cids:
                    return key
        return None

    def part_for_new(self, day: str, kind: str) -> PartKey:
        """The part a new record of `day` goes to (counted in its info): the day's last part,
        or a new one once that holds PART_LIMIT messages. A new part starts empty in memory."""
        key = self._last_part.get(day)
        info = None if key is None else self.catalog.get(key)
        if info is None or (kind == MESSAGES and info.messages >= PART_LIMIT):
            if key is None:
                key = PartKey(day, 0)
            elif info is not None:
                key = PartKey(day, key.number + 1)
            # else: the day's last part was moved aside; start it afresh under its name
            info = self.catalog[key] = PartInfo(key)
            self.loaded[key] = Part.empty(key, self.folder, self.lock)
            self._last_part[day] = key
        assert key is not None
        if kind == MESSAGES:
            info.messages += 1
        else:
            info.rooms += 1
        return key

    def route(self, key: PartKey, change: Callable[[Part], T]) -> T | None:
        """Apply `change` to a part now if it is in memory; otherwise the writer thread loads
        the part and applies it (in order), and this returns None."""
        part = self.loaded.get(key)
        if part is None:
            self._deferred.setdefault(key, []).append(change)
            return None
        part.used_at = time.monotonic()
        return change(part)

    # --- reading ------------------------------------------------------------------------------

    def in_window(self, key: PartKey) -> bool:
        return self._window_start is None or key >= self._window_start

    def window(self) -> list[Part]:
        """The window's parts, newest first."""
        return [
            part for key, part in sorted(self.loaded.items(), reverse=True) if self.in_window(key)
        ]

    def keys_between(self, first_day: str | None, last_day: str | None) -> list[PartKey]:
        return sorted(
            key
            for key in self.catalog
            if (first_day is None or key.day >= first_day)
            and (last_day is None or key.day <= last_day)
        )

    def documents(self, key: PartKey) -> list[Doc]:
        """A part's messages: from memory if there, else read from disk and not kept.
        Takes the lock itself; call it without."""
        with self.lock:
            part = self.loaded.get(key)
            if part is not None:
                part.used_at = time.monotonic()
                # Documents are never changed in place (copy-on-write), so the list stays a
                # consistent snapshot while others keep writing.
                return list(part.raw(MESSAGES).values())
        part = self._read(key)
        return [] if part is None else list(part.raw(MESSAGES).values())

    def pin(self, key: PartKey) -> Part | None:
        """The part in memory (read from disk if it was not), kept there until `unpin`.
        None if it no longer exists. Call it without the lock."""
        with self.lock:
            part = self.loaded.get(key)
            if part is not None:
                part.pins += 1
                return part
        part = self._read(key)
        with self.lock:
            if key not in self.catalog:
                return None
            part = self.loaded.setdefault(key, part or Part.empty(key, self.folder, self.lock))
            for change in self._deferred.pop(key, ()):  # they came first: apply them first
                change(part)
            info = self.catalog[key]
            if (info.messages, info.rooms) != (part.message_count, len(part.room_order)):
                info.messages, info.rooms = part.message_count, len(part.room_order)
                part.index_dirty = True  # its index does not count what it holds: write it again
            part.pins += 1
            part.used_at = time.monotonic()
            return part

    def unpin(self, parts: Iterable[Part]) -> None:
        for part in parts:
            part.pins = max(part.pins - 1, 0)
            part.used_at = time.monotonic()

    def _read(self, key: PartKey) -> Part | None:
        """Read a part from disk (without the lock); a damaged one is moved aside: None."""
        try:
            return read_part(key, self.folder, self.lock)
        except FileNotFoundError:
            return None
        except CorruptHistory as error:
            with self.lock:
                if key in self.loaded or key not in self.catalog:
                    return None  # loaded meanwhile, or already moved aside
                del self.catalog[key]
                with contextlib.suppress(FileNotFoundError):
                    self._notice(quarantine_part(self.folder, key, str(error), self._clock()))
            return None

    @property
    def has_deferred(self) -> bool:
        """Changes wait for parts not in memory (caller holds the lock)."""
        return bool(self._deferred)

    # --- the writer thread (call these without the lock) ---------------------------------------

    def apply_deferred(self) -> None:
        """Load each part with changes waiting for it, and apply them."""
        while True:
            with self.lock:
                if not self._deferred:
                    return
                key = next(iter(self._deferred))
                self.catalog.setdefault(key, PartInfo(key))  # moved aside: start it afresh
            part = self.pin(key)
            with self.lock:
                if part is None:
                    part = self.loaded[key] = Part.empty(key, self.folder, self.lock)
                    self.catalog.setdefault(key, PartInfo(key))
                else:
                    self.unpin([part])
                for change in self._deferred.pop(key, ()):
                    change(part)

    def plan_writes(
        self, between: Callable[[], object] | None = None
    ) -> tuple[list[Step], list[Step]]:
        """The writes of every changed part (oldest first), then of their indexes. Snapshots
        are taken now, under the lock the caller holds; the steps run without it. An index is
        written after its part, naming the part file it describes."""
        parts: list[Step] = []
        indexes: list[Step] = []
        for _, part in sorted(self.loaded.items()):
            snapshot = part.storage.snapshot()
            if snapshot is not None:
                parts.append(storage_step(part.storage, snapshot, between))
            if part.index_dirty:
                index = part.index()
                part.index_dirty = False
                info = self.catalog.get(part.key)
                if info is not None:
                    info.messages, info.rooms = index.messages, index.rooms
                    info.conversations = ConversationHint(index.conversations)
                indexes.append(self._index_step(part, index))
        return parts, indexes

    def _index_step(self, part: Part, index: PartIndex) -> Step:
        def write() -> None:
            try:
                source = identity(part.storage.path)
            except FileNotFoundError:  # the part is not on disk yet: nothing to describe
                return
            write_index(part.index_path, index, source)

        def again() -> None:
            with self.lock:
                part.index_dirty = True

        return Step(write, again)

    def release_idle(self) -> None:
        """Move the window forward, and let go of parts out of it that nobody needs (the
        writer thread, after a flush: call it without the lock)."""
        now = time.monotonic()
        forget: list[Part] = []
        with self.lock:
            start = window_start(self.catalog.values(), self._hot_messages)
            if start is not None and (self._window_start is None or start > self._window_start):
                self._window_start = start
            spare: list[Part] = []  # out of the window, in memory only while useful
            for key, part in list(self.loaded.items()):
                if self.in_window(key) or part.pins or part.dirty or key in self._deferred:
                    continue
                if now - part.used_at >= self._release_after:
                    del self.loaded[key]
                    continue
                spare.append(part)
                if now - part.used_at >= FORGET_ENCODED_AFTER:
                    forget.append(part)
            spare.sort(key=lambda part: part.used_at)  # the least recently used go first
            for part in spare[: max(len(spare) - self._spare_parts, 0)]:
                del self.loaded[part.key]
        for part in forget:  # its own lock, never inside the history's (a flush takes both)
            part.storage.forget_encoded()


def merged(
    parts: Iterable[Part], table: str, entries: Callable[[Part], list[Entry]]
) -> Iterator[Doc]:
    """Documents of several parts, newest first by creation time (caller holds the lock)."""

    def stream(part: Part) -> Iterator[tuple[float, Doc]]:
        raw = part.raw(table)
        for created, doc_id in reversed(entries(part)):
            yield created, raw[str(doc_id)]

    newest = heapq.merge(*[stream(part) for part in parts], key=itemgetter(0), reverse=True)
    return (doc for _, doc in newest)
