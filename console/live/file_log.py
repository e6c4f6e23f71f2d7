"""The file log: :class:`FileEventLog`, an fsynced, append-only JSON-lines file that survives
restarts (group commit, crash recovery, compaction, private files, one process per file).
Behaviour: :mod:`console.live.log`.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import json
import logging
import os
import shutil
import time
from array import array
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from console.live.events import Event, FrameError, parse_iso, utc_iso
from console.live.log_base import (
    DEFAULT_MAX_AGE,
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_EVENTS,
    LINE_OVERHEAD,
    LOG_FORMAT,
    LOG_VERSION,
    PRIVATE_DIR,
    PRIVATE_FILE,
    REPLAY_BYTES,
    GroupCommit,
    LogError,
    PendingAppend,
    fail_pending,
)
from console.live.memory_log import RetainedEvents

logger = logging.getLogger(__name__)


@dataclass
class _Loaded:
    """What ``_load`` found on disk."""

    base_seq: int
    events: list[tuple[int, float, str, int]]  # seq, time, line, offset in the file
    size: int
    needs_rewrite: bool


class FileEventLog(RetainedEvents):
    """An EventLog in an fsynced, append-only JSON-lines file that survives restarts."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        max_events: int = DEFAULT_MAX_EVENTS,
        max_age_seconds: float = DEFAULT_MAX_AGE,
        max_bytes: int = DEFAULT_MAX_BYTES,
        fsync: bool = True,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(
            max_events=max_events, max_age_seconds=max_age_seconds, max_bytes=max_bytes, clock=clock
        )
        self.path = Path(path)
        self._offsets = array("q")  # where each indexed event's line starts in the file
        self._fsync = fsync
        self._fd: int | None = None
        self._lock_file: IO[bytes] | None = None
        self._size = 0
        self._dead_lines = 0
        self._queue = GroupCommit(
            self._commit_locked, name="event-log-flush", after=self._compact_if_due
        )
        self._write_lock = asyncio.Lock()
        self._closed = True

    # -- lifecycle

    async def open(self) -> None:
        """Load the file (creating it if needed), recover from a crash, apply the bounds."""
        if not self._closed:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR)
        self._lock_file = _acquire_lock(self.path.with_name(self.path.name + ".lock"))
        try:
            loaded = await asyncio.to_thread(self._load)
        except BaseException:
            _release_lock(self._lock_file)
            self._lock_file = None
            raise
        self._last_seq = loaded.base_seq
        for seq, moment, line, offset in loaded.events:
            self._seqs.append(seq)
            self._times.append(moment)
            self._lines.append(line)
            self._offsets.append(offset)
            self._cached_bytes += len(line) + LINE_OVERHEAD
            self._last_seq = max(self._last_seq, seq)
        self._size = loaded.size
        self._dead_lines = 0
        self._fd = _open_private(self.path, os.O_WRONLY | os.O_APPEND)
        self._closed = False
        self._ended.clear()
        dropped = self._drop_expired()
        if loaded.needs_rewrite or dropped:  # every kept line is still in memory here
            async with self._write_lock:
                await self._rewrite_from_memory()
        self._evict()

    async def _rewrite_from_memory(self) -> None:
        base_seq = self.oldest_seq - 1
        lines = [line for line in self._lines[self._head :] if line is not None]
        assert len(lines) == len(self), "a line left memory before the rewrite"
        header = _meta_line(base_seq) + "\n"
        size = await asyncio.to_thread(self._replace_with_lines, header, lines)
        offset = len(header.encode("utf-8"))
        offsets = array("q", [0] * self._head)
        for line in lines:
            offsets.append(offset)
            offset += len(line.encode("utf-8")) + 1
        self._offsets = offsets
        self._size = size
        self._dead_lines = 0

    async def close(self) -> None:
        """Finish pending appends, then close the file and release the lock."""
        if self._closed:
            return
        self._closed = True  # refuse new appends; the pending ones are still written
        await self._queue.drain()
        async with self._write_lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None
        if self._lock_file is not None:
            _release_lock(self._lock_file)
            self._lock_file = None
        self._end_subscriptions()

    # -- EventLog

    async def read_since(self, seq: int, limit: int = 1000) -> list[Event]:
        """Kept events after ``seq``: from memory, or from the file for older ones (then
        at most the events up to the first one in memory; the caller asks again)."""
        if limit <= 0 or self._index_after(seq) >= self._cached:
            return self._read_memory(seq, limit)
        async with self._write_lock:  # no compaction moves the lines while we read them
            start = self._index_after(seq)
            end = min(start + limit, self._cached)
            if start >= end or self._closed:
                return self._read_memory(seq, limit)
            first = self._offsets[start]
            last = self._offsets[end] if end < len(self._offsets) else self._size
            data = await asyncio.to_thread(self._read_range, first, last)
        return [Event.from_json(line) for line in data.split(b"\n") if line.strip()]

    async def read_frames_since(
        self, seq: int, limit: int = 1000, max_bytes: int = REPLAY_BYTES
    ) -> list[tuple[int, str]]:
        if limit <= 0 or self._index_after(seq) >= self._cached:
            return self._frames_in_memory(seq, limit, max_bytes)
        async with self._write_lock:
            start = self._index_after(seq)
            end = min(start + limit, self._cached)
            if start >= end or self._closed:
                return self._frames_in_memory(seq, limit, max_bytes)
            first = self._offsets[start]
            # the lines that end within max_bytes (at least one): [start, k) ends at offsets[k]
            fits = bisect.bisect_right(self._offsets, first + max_bytes, start, end) - 1
            end = max(start + 1, fits)
            last = self._offsets[end] if end < len(self._offsets) else self._size
            seqs = self._seqs[start:end].tolist()
            data = await asyncio.to_thread(self._read_range, first, last)
        lines = [line.decode("utf-8") for line in data.split(b"\n") if line.strip()]
        if len(lines) != len(seqs):  # not one line per indexed event: read them properly
            return [(event.seq, event.frame_json) for event in map(Event.from_json, lines)]
        return list(zip(seqs, lines, strict=True))

    def _forget_prefix(self, count: int) -> None:
        super()._forget_prefix(count)
        del self._offsets[:count]

    def _evicted(self) -> None:
        return None  # the file keeps them: read back by read_since

    async def append(self, namespace: str, event_type: str, payload: dict[str, Any]) -> Event:
        if self._closed:
            raise LogError("the event log is not open")
        return await self._queue.append(namespace, event_type, payload, self._clock())

    async def trim(self) -> int:
        """Apply the bounds now; compact the file once enough dropped lines accumulated."""
        if self._closed:
            return 0
        dropped = self._drop_expired()
        self._dead_lines += dropped
        if self._dead_lines > self._compact_threshold:
            await self.compact()
        return dropped

    async def compact(self) -> None:
        """Rewrite the file with only the kept events (temp file, fsync, atomic replace)."""
        if self._closed:
            return
        async with self._write_lock:
            await self._rewrite()

    @property
    def _compact_threshold(self) -> int:
        return max(1, self.max_events // 4)

    @property
    def file_size(self) -> int:
        return self._size

    # -- group commit

    async def _commit_locked(self, batch: list[PendingAppend]) -> None:
        async with self._write_lock:
            await self._commit(batch)

    async def _compact_if_due(self) -> None:
        if self._dead_lines > self._compact_threshold:
            try:
                await self.compact()
            except Exception:  # the old file is intact; try again later
                logger.exception("event log compaction failed")

    async def _commit(self, batch: list[PendingAppend]) -> None:
        events: list[Event] = []
        times: list[float] = []
        waiting: list[PendingAppend] = []
        seq = self._last_seq
        for item in batch:
            candidate = Event(
                seq + 1, utc_iso(item.moment), item.namespace, item.event_type, item.payload
            )
            try:
                _ = candidate.frame_json
            except (TypeError, ValueError) as error:
                fail_pending(item.future, LogError(f"event cannot be encoded as JSON: {error}"))
                continue
            seq += 1
            events.append(candidate)
            times.append(item.moment)
            waiting.append(item)
        if not events:
            return
        encoded = [event.frame_json.encode("utf-8") for event in events]
        data = b"\n".join(encoded) + b"\n"
        try:
            await asyncio.to_thread(self._write, data)
        except Exception as error:
            logger.exception("event log write failed")
            with contextlib.suppress(Exception):
                await asyncio.to_thread(self._truncate, self._size)
            for item in waiting:
                fail_pending(item.future, LogError(f"could not store the event: {error}"))
            return
        offset = self._size
        for line in encoded:
            self._offsets.append(offset)
            offset += len(line) + 1
        self._size += len(data)
        self._retain(events, times)
        for item, event in zip(waiting, events, strict=True):
            if not item.future.done():
                item.future.set_result(event)
        self._dead_lines += self._drop_expired()

    # -- file work (runs in a worker thread)

    def _write(self, data: bytes) -> None:
        if self._fd is None:
            raise LogError("the event log is closed")
        view = memoryview(data)
        while view:
            written = os.write(self._fd, view)
            view = view[written:]
        if self._fsync:
            os.fsync(self._fd)

    def _truncate(self, size: int) -> None:
        if self._fd is not None:
            os.ftruncate(self._fd, size)

    async def _rewrite(self) -> None:
        """Compact: copy the kept events' lines (one stretch at the end of the file) after a
        new header to a temp file, fsync, and replace the log. Runs under the write lock."""
        base_seq = self.oldest_seq - 1
        head = self._head
        start = self._offsets[head] if head < len(self._offsets) else self._size
        header = (_meta_line(base_seq) + "\n").encode("utf-8")
        size = await asyncio.to_thread(self._replace_with_tail, header, start)
        shift = len(header) - start
        self._offsets = array("q", [offset + shift for offset in self._offsets])
        self._size = size
        self._dead_lines = 0

    def _read_range(self, first: int, last: int) -> bytes:
        with open(self.path, "rb") as handle:
            handle.seek(first)
            return handle.read(last - first)

    def _replace_with_tail(self, header: bytes, start: int) -> int:
        temp = self.path.with_name(self.path.name + ".tmp")
        fd = _open_private(temp, os.O_WRONLY | os.O_TRUNC)
        with os.fdopen(fd, "wb") as out, open(self.path, "rb") as source:
            out.write(header)
            source.seek(start)
            shutil.copyfileobj(source, out, 1 << 20)
            out.flush()
            os.fsync(out.fileno())
            size = out.tell()
        self._swap_in(temp)
        return size

    def _replace_with_lines(self, header: str, lines: list[str]) -> int:
        temp = self.path.with_name(self.path.name + ".tmp")
        data = (header + "".join(line + "\n" for line in lines)).encode("utf-8")
        _write_private(temp, data)
        self._swap_in(temp)
        return len(data)

    def _swap_in(self, temp: Path) -> None:
        os.replace(temp, self.path)
        _fsync_dir(self.path.parent)
        if self._fd is not None:
            os.close(self._fd)
        self._fd = _open_private(self.path, os.O_WRONLY | os.O_APPEND)

    def _load(self) -> _Loaded:
        if not self.path.exists():
            data = (_meta_line(0) + "\n").encode("utf-8")
            _write_private(self.path, data)
            _fsync_dir(self.path.parent)
            return _Loaded(base_seq=0, events=[], size=len(data), needs_rewrite=False)

        raw = self.path.read_bytes()
        base_seq = 0
        events: list[tuple[int, float, str, int]] = []
        good_end = 0  # byte offset just after the last line that parsed
        bad_before_good = False
        bad_since_good = 0
        last_seq = 0
        position = 0
        for chunk in raw.split(b"\n"):
            begin = position
            end = position + len(chunk) + 1
            complete = end <= len(raw)  # the final chunk has no newline: torn
            position = end
            if not chunk.strip():
                if complete:
                    good_end = end if bad_since_good == 0 else good_end
                continue
            parsed = _parse_line(chunk) if complete else None
            if parsed is None:
                bad_since_good += 1
                continue
            if isinstance(parsed, int):  # a meta line
                base_seq = max(base_seq, parsed)
                last_seq = max(last_seq, parsed)
            else:
                seq = parsed[0]
                if seq <= last_seq:
                    bad_since_good += 1
                    continue
                events.append((*parsed, begin))
                last_seq = seq
            if bad_since_good:
                bad_before_good = True
                bad_since_good = 0
            good_end = end

        needs_rewrite = False
        if bad_before_good:
            aside = self.path.with_name(f"{self.path.name}.corrupt-{int(time.time())}")
            _write_private(aside, raw)
            logger.warning(
                "%s: corrupt lines dropped; the original file was copied to %s", self.path, aside
            )
            needs_rewrite = True
        if good_end < len(raw):
            logger.warning(
                "%s: cut %d bytes of an unfinished write (crash?)", self.path, len(raw) - good_end
            )
            with open(self.path, "r+b") as handle:
                handle.truncate(good_end)
                handle.flush()
                os.fsync(handle.fileno())
        return _Loaded(base_seq=base_seq, events=events, size=good_end, needs_rewrite=needs_rewrite)


# ----------------------------------------------------------------------------- helpers


def _parse_line(chunk: bytes) -> int | tuple[int, float, str] | None:
    """A meta line's base seq, an event line's (seq, time, text), or None when invalid."""
    try:
        decoded = json.loads(chunk)
    except (ValueError, RecursionError):
        return None
    if isinstance(decoded, dict) and "meta" in decoded:
        meta = decoded["meta"]
        if isinstance(meta, dict) and isinstance(meta.get("baseSeq"), int):
            return int(meta["baseSeq"])
        return None
    try:
        event = Event.from_frame(decoded)
    except FrameError:
        return None
    moment = parse_iso(event.received_at)
    if moment is None:
        return None
    return event.seq, moment, chunk.decode("utf-8").strip()


def _meta_line(base_seq: int) -> str:
    meta = {"format": LOG_FORMAT, "version": LOG_VERSION, "baseSeq": base_seq}
    return json.dumps({"meta": meta}, separators=(",", ":"))


def _fsync_dir(directory: Path) -> None:
    """Make a rename or a new file durable (POSIX); a no-op where directories can't be opened."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _open_private(path: Path, flags: int) -> int:
    """``os.open`` for a file only its owner may read: created 0600, an older one tightened."""
    fd = os.open(path, flags | os.O_CREAT | getattr(os, "O_BINARY", 0), PRIVATE_FILE)
    if hasattr(os, "fchmod"):
        with contextlib.suppress(OSError):  # not ours to change: leave it as it is
            os.fchmod(fd, PRIVATE_FILE)
    return fd


def _write_private(path: Path, data: bytes) -> None:
    """Write a whole private file (replacing its content) and fsync it."""
    fd = _open_private(path, os.O_WRONLY | os.O_TRUNC)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _acquire_lock(path: Path) -> IO[bytes]:
    handle = os.fdopen(_open_private(path, os.O_RDWR), "r+b")  # held for the log's lifetime
    try:
        import fcntl
    except ImportError:  # Windows: no advisory lock
        return handle
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as error:
        handle.close()
        raise LogError(
            f"{path.with_suffix('')} is already used by another relay process ({error})"
        ) from error
    return handle


def _release_lock(handle: IO[bytes]) -> None:
    try:
        import fcntl

        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    except (ImportError, OSError):
        pass
    handle.close()
