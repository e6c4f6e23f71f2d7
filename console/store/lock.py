"""One console per data folder: an OS advisory lock on `history.lock`, held while open.

POSIX uses `fcntl.flock`, Windows `msvcrt.locking`. Both locks belong to the open file, so the OS
drops them when the process dies, however it dies: a lock file left behind by a crashed or killed
console never blocks the next one. The lock file itself is never deleted (deleting it would let two
processes lock two different files of the same name).
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

LOCK_NAME = "history.lock"


class LockHeld(Exception):
    """Another open file (this process or another one) holds the lock; `pid` if it could be read."""

    def __init__(self, path: Path, pid: int | None) -> None:
        super().__init__(f"{path} is locked" + (f" by process {pid}" if pid else ""))
        self.path = path
        self.pid = pid


class DirLock:
    """An exclusive, non-blocking lock on `<folder>/history.lock`; `release()` is idempotent."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self._fd: int | None = fd

    @classmethod
    def acquire(cls, folder: Path) -> DirLock:
        """Take the lock or raise `LockHeld` at once (never waits)."""
        path = folder / LOCK_NAME
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if not _try_lock(fd):
                raise LockHeld(path, _read_pid(path))
            _write_pid(fd)
        except BaseException:
            os.close(fd)
            raise
        return cls(path, fd)

    @property
    def held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        with contextlib.suppress(OSError):
            _unlock(fd)
        os.close(fd)


if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _try_lock(fd: int) -> bool:
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

    def _write_pid(fd: int) -> None:
        # The locked byte cannot be rewritten by others anyway; the pid is informative only.
        return None

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)

    def _write_pid(fd: int) -> None:
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)


def _read_pid(path: Path) -> int | None:
    """The holder's pid as written in the lock file, or None (best effort, informative only)."""
    try:
        text = path.read_text(encoding="ascii", errors="replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None
