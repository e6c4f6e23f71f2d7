"""Splitting the single `history.json` of earlier versions into the history folder.

The split is written into `history.migrating/`, every file fsynced, then that folder is renamed
to `history/` (one atomic step) and only then is `history.json` deleted. A console killed at
any moment leaves either `history.json` whole (the split starts over at the next open) or the
split folder whole (then `history.json` is deleted). `state.json` remembers the size and time
of the file it was split from, so a `history.json` that appears later (written by an older
console) is never taken for the one already split: it is moved aside, untouched, with a notice.
"""

from __future__ import annotations

import os
import shutil
from collections import defaultdict
from pathlib import Path
from threading import RLock

from console.store.catalog import (
    CONVERSATIONS_NAME,
    FOLDER_NAME,
    LEGACY_NAME,
    PART_LIMIT,
    STATE_NAME,
    PartKey,
    day_of,
    identity,
)
from console.store.conversations import valid_conversation
from console.store.errors import CorruptHistory
from console.store.parts import Part
from console.store.records import Doc
from console.store.small import SCHEMA
from console.store.storage import DEFAULT_CODEC, RawData, fsync_dir, move_aside, read_file
from console.store.validate import (
    CONVERSATIONS,
    LOGINS,
    MESSAGES,
    META,
    ROOMS,
    Validator,
    valid_login,
    valid_message,
    valid_meta,
    valid_room,
)

STAGING_NAME = f"{FOLDER_NAME}.migrating"
MARKER = "split_from"

_VALIDATORS: dict[str, Validator] = {
    LOGINS: valid_login,
    ROOMS: valid_room,
    MESSAGES: valid_message,
    CONVERSATIONS: valid_conversation,
    META: valid_meta,
}


def migrate(data_dir: Path, now: float) -> list[str]:
    """Split `history.json` if there is one; returns notices for the user."""
    legacy = data_dir / LEGACY_NAME
    folder = data_dir / FOLDER_NAME
    staging = data_dir / STAGING_NAME
    if not legacy.exists():
        if staging.exists():
            shutil.rmtree(staging)
        return []
    if folder.exists():
        if _split_from(folder) == identity(legacy):
            _remove(legacy)  # the split is durable; the process stopped before this step
            return []
        moved = move_aside(legacy, now, "not-split")
        return [
            f"An older history file was found beside the history folder and left as it was, "
            f"in {moved}."
        ]
    if staging.exists():
        shutil.rmtree(staging)  # a split that did not finish: start over
    try:
        data = read_file(legacy)
        _check(data)
    except CorruptHistory as error:
        moved = move_aside(legacy, now)
        return [f"History file was corrupt ({error}); moved aside to {moved}; starting fresh."]
    staging.mkdir(mode=0o700)
    _write_split(staging, data, identity(legacy))
    del data
    fsync_dir(staging)
    os.replace(staging, folder)
    fsync_dir(data_dir)
    _remove(legacy)
    return []


def _check(data: RawData) -> None:
    for table, valid in _VALIDATORS.items():
        for key, doc in data.get(table, {}).items():
            if not valid(doc):
                raise CorruptHistory(f"wrong shape ({table} record {key} is incomplete)")


def _write_split(staging: Path, data: RawData, split_from: list[int]) -> None:
    dumps = DEFAULT_CODEC.dumps
    by_day: dict[str, list[tuple[float, int, Doc]]] = defaultdict(list)
    for key, doc in data.get(MESSAGES, {}).items():
        by_day[day_of(doc["created_at"])].append((doc["created_at"], int(key), doc))
    rooms_by_day: dict[str, list[tuple[float, int, Doc]]] = defaultdict(list)
    for key, doc in data.get(ROOMS, {}).items():
        rooms_by_day[day_of(doc["created_at"])].append((doc["created_at"], int(key), doc))
    lock = RLock()
    for day in sorted(set(by_day) | set(rooms_by_day)):
        messages = sorted(by_day.get(day, ()), key=lambda item: item[:2])
        chunks = [messages[i : i + PART_LIMIT] for i in range(0, len(messages), PART_LIMIT)]
        rooms = sorted(rooms_by_day.get(day, ()), key=lambda item: item[:2])
        for number, chunk in enumerate(chunks or [[]]):
            day_rooms = rooms if number == 0 else []
            content: RawData = {
                MESSAGES: {str(i): doc for i, (_, _, doc) in enumerate(chunk, 1)},
                ROOMS: {str(i): doc for i, (_, _, doc) in enumerate(day_rooms, 1)},
            }
            key = PartKey(day, number)
            part = Part.from_data(key, staging, lock, content)
            _write(staging / key.file_name, dumps(content))
            index = part.index().encode(identity(staging / key.file_name))
            _write(staging / key.index_name, index)
    _write(staging / CONVERSATIONS_NAME, dumps({CONVERSATIONS: data.get(CONVERSATIONS, {})}))
    meta: Doc = {"schema": SCHEMA, MARKER: split_from}
    for doc in data.get(META, {}).values():
        if doc.get("resume"):
            meta["resume"] = doc["resume"]
    state = {META: {"1": meta}, LOGINS: data.get(LOGINS, {})}
    _write(staging / STATE_NAME, dumps(state))


def _write(path: Path, content: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        view = memoryview(content)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)


def _split_from(folder: Path) -> list[int] | None:
    try:
        state = read_file(folder / STATE_NAME)
    except (OSError, CorruptHistory):
        return None
    for doc in state.get(META, {}).values():
        identity = doc.get(MARKER)
        if isinstance(identity, list):
            return identity
    return None


def _remove(path: Path) -> None:
    path.unlink()
    fsync_dir(path.parent)
