"""TinyDB storage that keeps one file in memory and writes it behind, in batches.

TinyDB's own `JSONStorage` reads and rewrites the whole file on every insert, and its `Table`
rebuilds the whole table dict on every write: both are O(table size) per record. Here:

- `WriteBehindStorage` holds one file's tables in memory (the history is many such files, see
  `console.store.parts`). A change only marks the changed document ids dirty; `flush()` (called
  by the History's writer thread, or directly) writes the file's whole state to a temporary
  file in the same folder, fsyncs it, `os.replace`s it over the file and fsyncs the folder. A
  process killed at any moment leaves either the old or the new file.
- Serialisation is incremental: every document's JSON is cached as bytes, so a flush encodes
  only the documents that changed since the last one and joins the cached bytes. This keeps the
  writer thread from holding the GIL for the length of one giant `json.dumps`.
- `FastTable` is a TinyDB `Table` whose writes touch only the documents they change, through a
  view that copies a document before TinyDB mutates it (copy-on-write). Stored documents are
  therefore never mutated in place, which lets the writer encode them outside the lock.
- A file that is not JSON, or not shaped like a TinyDB database, raises `CorruptHistory` at load;
  `quarantine()` moves it aside as `<name>.corrupt-<UTC timestamp>` and starts empty.

orjson is used when importable (faster load and encode); the standard library otherwise.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from tinydb.storages import Storage
from tinydb.table import Table

from console.store.errors import CorruptHistory

Doc = dict[str, Any]
RawTable = dict[str, Doc]
RawData = dict[str, RawTable]

TEMP_SUFFIX = ".tmp"
_CHUNK = 1024  # documents joined per write
_ENCODED_RUN = 256  # documents encoded between two calls of a commit's `between` (~1 ms)
_BUFFER = 1 << 20


@dataclass(frozen=True)
class Codec:
    """How documents become bytes and back; `name` is shown by the benchmark."""

    name: str
    loads: Callable[[bytes], Any]
    dumps: Callable[[Any], bytes]


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False)


def _stdlib_dumps(value: Any) -> bytes:
    return _ENCODER.encode(value).encode("utf-8")


STDLIB_CODEC = Codec("json", json.loads, _stdlib_dumps)

try:  # optional: measurably faster (see bench/history.py), never required
    import orjson
except ImportError:  # pragma: no cover - depends on the environment
    ORJSON_CODEC: Codec | None = None
else:
    ORJSON_CODEC = Codec("orjson", orjson.loads, orjson.dumps)

#: The codec new storages use. bench/history.py swaps it to compare.
DEFAULT_CODEC: Codec = ORJSON_CODEC or STDLIB_CODEC


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One file's pending write: the document order, the documents to encode afresh."""

    order: dict[str, list[str]]
    changed: dict[str, RawTable]
    dirty: dict[str, set[str]]
    full: bool


class WriteBehindStorage(Storage):
    """In-memory TinyDB storage with batched, atomic, incremental writes to one JSON file.

    Every access to the in-memory data must hold `lock` (TinyDB calls do through `FastTable`).
    """

    def __init__(self, path: Path, *, lock: threading.RLock | None = None) -> None:
        super().__init__()
        self.path = path
        self.lock = lock if lock is not None else threading.RLock()
        self.codec = DEFAULT_CODEC
        self._data: RawData = {}
        self._dirty: dict[str, set[str]] = {}
        self._all_dirty = False
        # Writer-side state, only touched while holding _flush_lock:
        self._flush_lock = threading.Lock()
        self._fragments: dict[str, dict[str, bytes]] = {}
        self._fragments_valid = False

    # --- loading ------------------------------------------------------------------------------

    def load(self) -> None:
        """Read the file into memory. A missing file is an empty history.

        Raises `CorruptHistory` for a file that is not a TinyDB-shaped JSON object, and
        `OSError` if it cannot be read at all.
        """
        try:
            data = read_file(self.path, self.codec)
        except FileNotFoundError:
            data = {}
        self.adopt(data)

    def adopt(self, data: RawData, *, dirty: bool = False) -> None:
        """Hold `data` (already read and shape-checked) as the file's content; `dirty` if the
        file does not have it yet."""
        with self.lock:
            self._data = data
            self._dirty = {}
            self._all_dirty = dirty
        with self._flush_lock:
            self._fragments = {}
            self._fragments_valid = False

    def quarantine(self, now: float) -> Path:
        """Move the current file aside as `<name>.corrupt-<UTC time>` and start empty."""
        target = move_aside(self.path, now)
        with self.lock:
            self._data = {}
            self._dirty = {}
            self._all_dirty = True  # write a fresh, valid file at the next flush
        return target

    # --- TinyDB Storage interface -------------------------------------------------------------

    def read(self) -> RawData:
        return self._data

    def write(self, data: RawData) -> None:
        """TinyDB's generic path (drop_table, truncate...): rare, so re-encode everything."""
        with self.lock:
            self._data = data
            self._all_dirty = True

    def close(self) -> None:
        return None

    # --- in-memory helpers (caller holds `lock`) ---------------------------------------------

    def table_data(self, name: str) -> RawTable:
        """The raw dict of one table, created if missing. Read it only while holding `lock`."""
        table = self._data.get(name)
        if table is None:  # its documents are marked dirty as they are added
            table = self._data[name] = {}
        return table

    def dirty_keys(self, name: str) -> set[str]:
        keys = self._dirty.get(name)
        if keys is None:
            keys = self._dirty[name] = set()
        return keys

    def replace_table(self, name: str, table: RawTable) -> None:
        """Swap a whole table (retention at open); the next flush rewrites everything."""
        self._data[name] = table
        self._all_dirty = True

    def forget_encoded(self) -> None:
        """Let go of the documents' cached encoding (a part out of the window): the next write,
        if any, encodes every document again."""
        with self._flush_lock:
            self._fragments = {}
            self._fragments_valid = False

    @property
    def dirty(self) -> bool:
        with self.lock:
            return self._all_dirty or any(self._dirty.values())

    # --- writing ------------------------------------------------------------------------------

    def flush(self) -> bool:
        """Write pending changes now (atomic replace). Returns False if there was nothing to do.

        Safe to call from any thread; flushes are serialised. On failure the changes stay
        pending and the error (OSError) propagates.
        """
        with self._flush_lock:
            with self.lock:
                snapshot = self.snapshot()
            if snapshot is None:
                return False
            self.commit(snapshot)
            return True

    def snapshot(self) -> Snapshot | None:
        """What the next write must hold, taken now; None if nothing changed. The caller holds
        `lock` (so several files can be snapshotted at one moment) and serialises commits."""
        if not self._all_dirty and not any(self._dirty.values()):
            return None
        full = self._all_dirty or not self._fragments_valid
        dirty, self._dirty, self._all_dirty = self._dirty, {}, False
        order = {name: list(table) for name, table in self._data.items()}
        if full:
            changed = {name: dict(table) for name, table in self._data.items()}
        else:
            changed = {}
            for name, keys in dirty.items():
                table = self._data.get(name, {})
                changed[name] = {key: table[key] for key in keys if key in table}
        return Snapshot(order, changed, dirty, full)

    def commit(
        self,
        snapshot: Snapshot,
        *,
        sync_folder: bool = True,
        between: Callable[[], object] | None = None,
    ) -> None:
        """Write a snapshot to the file (without the lock). On failure its changes are pending
        again and the error propagates. `sync_folder=False` leaves the fsync of the folder
        (which makes the rename durable) to the caller, who may do it once for several files.
        `between` is called between runs of documents encoded and written (the history's
        writer gives way to the UI loop there)."""
        try:
            self._write(snapshot, sync_folder, between)
        except BaseException:
            self.restore(snapshot)
            raise

    def restore(self, snapshot: Snapshot) -> None:
        """Mark a snapshot's changes pending again (it was not written); harmless twice."""
        with self.lock:
            for name, keys in snapshot.dirty.items():
                self.dirty_keys(name).update(keys)
            self._all_dirty = self._all_dirty or snapshot.full

    def _write(
        self, snapshot: Snapshot, sync_folder: bool, between: Callable[[], object] | None
    ) -> None:
        order, changed, dirty, full = (
            snapshot.order,
            snapshot.changed,
            snapshot.dirty,
            snapshot.full,
        )
        # Runs outside `lock`: documents are never mutated in place (see FastTable), so the
        # snapshot taken under the lock stays valid while other threads keep writing.
        dumps = self.codec.dumps
        fragments = {} if full else self._fragments
        self._fragments_valid = False
        for name, docs in changed.items():
            cached = fragments.setdefault(name, {})
            for number, (key, doc) in enumerate(docs.items(), 1):
                cached[key] = b'"' + key.encode() + b'":' + dumps(doc)
                if between is not None and number % _ENCODED_RUN == 0:
                    between()
            for key in dirty.get(name, ()):
                if key not in docs:
                    cached.pop(key, None)
        for name in [name for name in fragments if name not in order]:
            del fragments[name]
        self._fragments = fragments
        self._fragments_valid = True  # they match the snapshot, whether or not the write works
        with atomic_writer(self.path, sync_folder=sync_folder) as handle:
            # Many small writes rather than one joined 40 MB bytes object: a single huge join
            # holds the GIL for tens of milliseconds, which the UI thread would feel.
            handle.write(b"{")
            for index, (name, keys) in enumerate(order.items()):
                cached = fragments.setdefault(name, {})
                handle.write((b"," if index else b"") + dumps(name) + b":{")
                for start in range(0, len(keys), _CHUNK):
                    if between is not None and start:
                        between()
                    piece = b",".join([cached[key] for key in keys[start : start + _CHUNK]])
                    handle.write(b"," + piece if start else piece)
                handle.write(b"}")
            handle.write(b"}")


class _DocView(MutableMapping[int, Doc]):
    """What `FastTable` hands to TinyDB's updaters: int ids over the raw str-keyed table.

    Reading a document through it copies the document first (copy-on-write), because TinyDB's
    `update` mutates what it reads; every touched id is recorded as dirty.
    """

    __slots__ = ("_dirty", "_raw")

    def __init__(self, raw: RawTable, dirty: set[str]) -> None:
        self._raw = raw
        self._dirty = dirty

    def __getitem__(self, doc_id: int) -> Doc:
        key = str(doc_id)
        doc = dict(self._raw[key])
        self._raw[key] = doc
        self._dirty.add(key)
        return doc

    def __setitem__(self, doc_id: int, doc: Doc) -> None:
        key = str(doc_id)
        self._raw[key] = doc
        self._dirty.add(key)

    def __delitem__(self, doc_id: int) -> None:
        key = str(doc_id)
        del self._raw[key]
        self._dirty.add(key)

    def __contains__(self, doc_id: object) -> bool:
        return str(doc_id) in self._raw

    def __iter__(self) -> Iterator[int]:
        return (int(key) for key in list(self._raw))

    def __len__(self) -> int:
        return len(self._raw)


class FastTable(Table):
    """A TinyDB table whose writes cost O(documents changed), not O(table size)."""

    def insert(self, document: Mapping[str, Any]) -> int:
        """TinyDB's insert without its generic path (a plain dict gets the next free id)."""
        storage = self._storage
        if type(document) is not dict or not isinstance(storage, WriteBehindStorage):
            return super().insert(document)
        doc_id = self._get_next_id()
        key = str(doc_id)
        with storage.lock:
            raw = storage.table_data(self.name)
            if key in raw:
                raise ValueError(f"Document with ID {key} already exists")
            raw[key] = dict(document)
            storage.dirty_keys(self.name).add(key)
        self.clear_cache()
        return doc_id

    def _update_table(self, updater: Callable[[dict[int, Any]], None]) -> None:
        storage = self._storage
        if not isinstance(storage, WriteBehindStorage):  # pragma: no cover - misuse guard
            super()._update_table(updater)
            return
        with storage.lock:
            view = _DocView(storage.table_data(self.name), storage.dirty_keys(self.name))
            updater(view)  # type: ignore[arg-type]  # a MutableMapping is all updaters use
        self.clear_cache()


def read_file(path: Path, codec: Codec | None = None) -> RawData:
    """A TinyDB-shaped file's tables. Raises FileNotFoundError, OSError or `CorruptHistory`."""
    raw = path.read_bytes()
    gc_was_enabled = gc.isenabled()
    gc.disable()  # many new containers: the cyclic GC would run dozens of times
    try:
        data = (codec or DEFAULT_CODEC).loads(raw)
    except ValueError as error:  # JSONDecodeError, orjson.JSONDecodeError, UnicodeError
        reason = "empty" if not raw.strip() else f"not valid JSON ({_short(error)})"
        raise CorruptHistory(reason) from error
    finally:
        if gc_was_enabled:
            gc.enable()
    check_shape(data)
    return data


def move_aside(path: Path, now: float, label: str = "corrupt") -> Path:
    """Rename a damaged file to `<name>.corrupt-<UTC time>` (never over another one)."""
    stamp = datetime.fromtimestamp(now, UTC).strftime("%Y%m%dT%H%M%S")
    target = path.with_name(f"{path.name}.{label}-{stamp}")
    counter = 1
    while target.exists():
        counter += 1
        target = path.with_name(f"{path.name}.{label}-{stamp}-{counter}")
    os.replace(path, target)
    fsync_dir(path.parent)
    return target


def remove_temp_files(folder: Path, prefix: str = "") -> int:
    """Delete temp files left by a process killed mid-flush (only while holding the lock)."""
    removed = 0
    for candidate in folder.glob(f"{prefix}*{TEMP_SUFFIX}"):
        with contextlib.suppress(OSError):
            candidate.unlink()
            removed += 1
    return removed


def write_bytes_atomically(path: Path, content: bytes, *, sync: bool = True) -> None:
    with atomic_writer(path, sync=sync, sync_folder=sync) as handle:
        handle.write(content)


def check_shape(data: object) -> None:
    """Raise CorruptHistory unless `data` is {table: {"<int id>": {document}}}."""
    if not isinstance(data, dict):
        raise CorruptHistory(f"wrong shape (top level is {type(data).__name__}, not an object)")
    for name, table in data.items():
        if not isinstance(table, dict):
            raise CorruptHistory(f"wrong shape (table {name!r} is {type(table).__name__})")
        for key, doc in table.items():
            if type(doc) is not dict or not key.isdigit():
                raise CorruptHistory(f"wrong shape (table {name!r}, document {key!r})")


@contextlib.contextmanager
def atomic_writer(path: Path, *, sync: bool = True, sync_folder: bool = True) -> Iterator[BinaryIO]:
    """Yield a file beside `path`; on success fsync it, rename it over `path`, fsync the folder.

    On any error the temp file is removed and `path` is untouched. `sync=False` skips the
    fsync of the file (for what can be rebuilt); `sync_folder=False` leaves the folder's fsync
    to the caller.
    """
    fd, temp_name = tempfile.mkstemp(prefix=f"{path.name}.", suffix=TEMP_SUFFIX, dir=path.parent)
    try:
        with os.fdopen(fd, "wb", buffering=_BUFFER) as handle:
            yield handle
            handle.flush()
            if sync:
                os.fsync(handle.fileno())
        os.replace(temp_name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp_name)
        raise
    if sync_folder:
        fsync_dir(path.parent)


def fsync_dir(folder: Path) -> None:
    """Make a rename durable (POSIX); a no-op where folders cannot be opened (Windows)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


def _short(error: Exception, limit: int = 80) -> str:
    text = str(error)
    return text if len(text) <= limit else text[: limit - 1] + "…"
