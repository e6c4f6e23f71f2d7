"""Opening the history folder: the indexes of every part, retention, and the window in memory.

Reads every index file (small: umids, call references, counts), deletes the parts retention
lets go, and loads only the window: the newest parts (`retention.window_start`), and today's
parts holding rooms. A part that
cannot be read is moved aside alone, with a notice; the rest loads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from threading import RLock

from console.store.catalog import (
    DAY,
    ConversationHint,
    PartIndex,
    PartInfo,
    PartKey,
    day_of,
    identity,
    list_folder,
    read_index,
    remove,
    write_index,
)
from console.store.errors import CorruptHistory
from console.store.parts import Part
from console.store.retention import parts_to_drop, window_start
from console.store.storage import move_aside, read_file
from console.store.umidindex import UmidIndex


@dataclass
class Opened:
    catalog: dict[PartKey, PartInfo] = field(default_factory=dict)
    parts: dict[PartKey, Part] = field(default_factory=dict)
    umid_part: UmidIndex = field(default_factory=UmidIndex)
    room_part: dict[str, PartKey] = field(default_factory=dict)
    window_start: PartKey | None = None
    notices: list[str] = field(default_factory=list)


def read_part(key: PartKey, folder: Path, lock: RLock) -> Part:
    """Raises OSError (FileNotFoundError included) or CorruptHistory."""
    return Part.from_data(key, folder, lock, read_file(folder / key.file_name))


def quarantine_part(folder: Path, key: PartKey, reason: str, now: float) -> str:
    """Move a damaged part aside (its index is derived: deleted); returns the notice."""
    moved = move_aside(folder / key.file_name, now)
    remove(folder / key.index_name)
    return (
        f"History file {key.file_name} was corrupt ({reason}); moved aside to {moved}; "
        "the rest of the history is kept."
    )


def open_folder(
    folder: Path,
    lock: RLock,
    *,
    now: float,
    max_age_days: int,
    max_records: int,
    hot_messages: int,
) -> Opened:
    """Raises OSError when the folder cannot be read; damaged parts are notices."""
    opened = Opened()
    data_keys, index_keys = list_folder(folder)
    for orphan in index_keys - data_keys:  # its part was never written, or deleted
        remove(folder / orphan.index_name)
    indexes: dict[PartKey, PartIndex] = {}
    for key in sorted(data_keys):
        source = identity(folder / key.file_name)
        try:
            index: PartIndex | None = read_index(folder / key.index_name)
        except (FileNotFoundError, CorruptHistory):
            index = None
        if index is None or index.source != source:  # not this version of the part: rebuild
            part = _read(opened, folder, lock, key, now)
            if part is None:
                continue
            index = part.index()  # the part is let go: read again below if in the window
            write_index(folder / key.index_name, index, source)
        opened.catalog[key] = PartInfo(
            key, index.messages, index.rooms, ConversationHint(index.conversations)
        )
        indexes[key] = index

    oldest_day_kept = day_of(now - max_age_days * DAY)
    for key in parts_to_drop(opened.catalog.values(), oldest_day_kept, max_records):
        remove(folder / key.file_name)
        remove(folder / key.index_name)
        del opened.catalog[key]
        indexes.pop(key, None)

    start = window_start(opened.catalog.values(), hot_messages)
    today = day_of(now)
    for key in sorted(opened.catalog):
        # The window, and today's parts holding rooms: the Rooms screen lists today's rooms
        # from the start (those parts are let go later like any part out of the window).
        in_window = start is not None and key >= start
        if in_window or (key.day >= today and opened.catalog[key].rooms):
            part = _read(opened, folder, lock, key, now)
            if part is None:
                del opened.catalog[key]
                indexes.pop(key, None)
                continue
            opened.parts[key] = part
            _check_index(opened.catalog[key], part)
    opened.window_start = start

    for key in sorted(opened.catalog):  # oldest first: a umid seen twice belongs to the newest
        part = opened.parts.get(key)
        umids = part.umids if part is not None else indexes[key].umids
        opened.umid_part.set_all(umids, key)
        if part is not None:
            references = part.index().call_references
        else:
            references = indexes[key].call_references
        opened.room_part.update(dict.fromkeys(references, key))
    return opened


def _read(opened: Opened, folder: Path, lock: RLock, key: PartKey, now: float) -> Part | None:
    try:
        return read_part(key, folder, lock)
    except CorruptHistory as error:
        opened.notices.append(quarantine_part(folder, key, str(error), now))
        return None


def _check_index(info: PartInfo, part: Part) -> None:
    """An index that does not count what its part holds is written again."""
    index = part.index()
    if (index.messages, index.rooms) != (info.messages, info.rooms):
        info.messages, info.rooms = index.messages, index.rooms
        info.conversations = ConversationHint(index.conversations)
        part.index_dirty = True
