"""Where the history lives on disk, and what each part holds without reading it.

The history is a folder, `<data dir>/history/`:

- `YYYY-MM-DD.N.json`: a *part*, one TinyDB file with the messages (receipt timelines inside)
  and the rooms created on that UTC day. A day has parts 0, 1, 2… of at most `PART_LIMIT`
  messages each, so a flush rewrites a few hundred kilobytes, never a whole busy day.
- `YYYY-MM-DD.N.index.json`: the part's index: how many messages and rooms it holds, their
  umids and call references, its conversations. Small; every index is read at open, so the
  console knows where each message lives without reading the parts themselves. An index is a
  cache: written after its part (without an fsync of its own), it names the version of the
  part it describes (size, modification time); one that does not match, or cannot be read, is
  rebuilt from its part at open.
- `conversations.json` and `state.json`: small TinyDB files (the conversation index; resume
  points and logins), always in memory.

Every file is replaced atomically: written beside, fsynced, renamed over the old one, and the
folder fsynced (once for all the parts of a save, once for the rest); an index skips the fsyncs.
"""

from __future__ import annotations

import contextlib
import re
import time
from array import array
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from console.store.errors import CorruptHistory
from console.store.storage import DEFAULT_CODEC, write_bytes_atomically

FOLDER_NAME = "history"
LEGACY_NAME = "history.json"  # the single file of earlier versions
CONVERSATIONS_NAME = "conversations.json"
STATE_NAME = "state.json"
PART_LIMIT = 2_000  # messages per part
INDEX_SCHEMA = 1

DAY = 86_400.0
_FIRST_DAY = 0  # 1970-01-01
_LAST_DAY = 2_932_896  # 9999-12-31
_PART_NAME = re.compile(r"^(\d{4}-\d{2}-\d{2})\.(\d{1,6})\.json$")
_INDEX_NAME = re.compile(r"^(\d{4}-\d{2}-\d{2})\.(\d{1,6})\.index\.json$")


@dataclass(frozen=True, order=True, slots=True)
class PartKey:
    """One part: a UTC day and a number within it. Sorts oldest first."""

    day: str  # "YYYY-MM-DD"
    number: int

    @property
    def name(self) -> str:
        return f"{self.day}.{self.number}"

    @property
    def file_name(self) -> str:
        return f"{self.name}.json"

    @property
    def index_name(self) -> str:
        return f"{self.name}.index.json"


class ConversationHint:
    """Which conversations a part may hold, as 8-byte hashes of their ids in a sorted array:
    a hint for `scan` (which filters the documents it reads anyway), so a collision only costs
    reading a part for nothing. A set of the ids cost ~130 bytes a conversation (the str and
    its slot): 1.3 MB for every 10,000 messages of a shift, kept for the whole day; this costs
    8. A hash names an id for this process only (never saved)."""

    __slots__ = ("_hashes", "_new")

    def __init__(self, ids: Iterable[str] = ()) -> None:
        self._hashes = array("q", sorted({hash(id_) for id_ in ids}))
        self._new: set[int] = set()

    def __contains__(self, id_: object) -> bool:
        wanted = hash(id_)
        if wanted in self._new:
            return True
        at = bisect_left(self._hashes, wanted)
        return at < len(self._hashes) and self._hashes[at] == wanted

    def __len__(self) -> int:
        return len(self._hashes) + len(self._new)

    def add(self, id_: str) -> None:
        if id_ in self:
            return
        self._new.add(hash(id_))
        if len(self._new) >= _HINT_SEAL:
            self._hashes = array("q", sorted([*self._hashes, *self._new]))
            self._new = set()


_HINT_SEAL = 64  # hashes added one by one before they are merged into the sorted array


@dataclass(slots=True)
class PartInfo:
    """What the console knows about a part without loading it (from its index file)."""

    key: PartKey
    messages: int = 0
    rooms: int = 0
    conversations: ConversationHint = field(default_factory=ConversationHint)


_day_names: dict[int, str] = {}


def day_of(timestamp: float) -> str:
    """The UTC day a time falls on, as "YYYY-MM-DD" (clamped to years 1970–9999)."""
    number = min(max(int(timestamp // DAY), _FIRST_DAY), _LAST_DAY)
    name = _day_names.get(number)
    if name is None:
        name = time.strftime("%Y-%m-%d", time.gmtime(number * DAY))
        if len(_day_names) < 4096:
            _day_names[number] = name
    return name


def day_start(day: str) -> float:
    return datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=UTC).timestamp()


def parse_part_name(name: str) -> PartKey | None:
    found = _PART_NAME.match(name)
    return PartKey(found[1], int(found[2])) if found else None


def parse_index_name(name: str) -> PartKey | None:
    found = _INDEX_NAME.match(name)
    return PartKey(found[1], int(found[2])) if found else None


def list_folder(folder: Path) -> tuple[set[PartKey], set[PartKey]]:
    """The parts with a data file, and the parts with an index file."""
    data: set[PartKey] = set()
    indexes: set[PartKey] = set()
    for entry in folder.iterdir():
        name = entry.name
        key = parse_part_name(name)
        if key is not None:
            data.add(key)
            continue
        key = parse_index_name(name)
        if key is not None:
            indexes.add(key)
    return data, indexes


# --- index files ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PartIndex:
    """The content of an index file."""

    messages: int
    rooms: int
    umids: list[str]
    call_references: list[str]  # in the order the rooms were created
    conversations: list[str]
    source: list[int] = field(default_factory=list)  # the part file's identity

    def encode(self, source: list[int]) -> bytes:
        return DEFAULT_CODEC.dumps(
            {
                "schema": INDEX_SCHEMA,
                "source": source,
                "messages": self.messages,
                "rooms": self.rooms,
                "umids": self.umids,
                "call_references": self.call_references,
                "conversations": self.conversations,
            }
        )


def identity(path: Path) -> list[int]:
    """What tells one version of a file from another: size and modification time (kept by a
    copy or a restore that keeps times, so copied indexes stay valid). A new version of a part
    with other messages always differs in size from the last."""
    stat = path.stat()
    return [stat.st_size, stat.st_mtime_ns]


def read_index(path: Path) -> PartIndex:
    """Raises OSError, or CorruptHistory for an index that is not one."""
    raw = path.read_bytes()
    try:
        data: Any = DEFAULT_CODEC.loads(raw)
    except ValueError as error:
        raise CorruptHistory("index not valid JSON") from error
    if type(data) is not dict:
        raise CorruptHistory("index is not an object")
    get = data.get
    lists = [get("umids"), get("call_references"), get("conversations")]
    source = get("source")
    if (
        type(get("messages")) is not int
        or type(get("rooms")) is not int
        or any(type(value) is not list for value in lists)
        or not all(type(item) is str for value in lists for item in value)
        or type(source) is not list
        or not all(type(item) is int for item in source)
    ):
        raise CorruptHistory("index has the wrong shape")
    return PartIndex(data["messages"], data["rooms"], *lists, source=source)


def write_index(path: Path, index: PartIndex, source: list[int]) -> None:
    """Write an index for the part file whose identity is `source` (no fsync: a cache)."""
    write_bytes_atomically(path, index.encode(source), sync=False)


def remove(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
