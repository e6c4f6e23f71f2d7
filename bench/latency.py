"""Latency instruments the benches share: they cannot hide a stall (STYLE.md pitfall 18).

Pilot presses a key only when the app is idle, so a benchmark that times Pilot's keys never
sees the loop busy: a 450 ms stall read as a 25 ms worst key. These instruments measure what
an agent at the keys would feel:

- :class:`LoopTicker` runs inside the app's event loop: it sleeps `interval` (5 ms) again and
  again and records how late it wakes. Any stretch that holds the loop (parsing, applying,
  repainting, a collection) shows up as lateness, whatever caused it.
- :class:`GcWatch` times every garbage collection with ``gc.callbacks`` (the generation, the
  pause, when it started).
- :class:`PtyTerminal` runs a program in a pseudo-terminal from ANOTHER process, reads its
  screen with pyte, and times each key from the moment its bytes are written until the screen
  shows its effect (key → paint), so the key waits for whatever the loop is doing, as the
  agent's key would.

Every time here is ``time.monotonic()`` (CLOCK_MONOTONIC: the same clock in every process on
Linux), so a parent can compare its key times with a child's stream start and end.

A bench imports it from ``bench/`` (``sys.path`` holds ``bench/``)::

    from latency import GcWatch, LoopTicker, PtyTerminal, summary

    ticker = LoopTicker(); ticker.start()           # inside the app's loop (the child)
    gc_watch = GcWatch(); gc_watch.install()
    ...
    summary(ticker.lateness_ms(since, until))       # {"p50": …, "p99": …, "max": …, "n": …}

    with PtyTerminal([sys.executable, "child.py"], columns=120, rows=36) as term:  # parent
        term.wait_for(lambda screen: "Feed" in screen_text(screen), timeout=30)
        seconds = term.press("space", lambda screen: "Resume" in last_line(screen))
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import gc
import math
import os
import re
import signal
import struct
import subprocess
import termios
import threading
import time
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import pyte

Clock = Callable[[], float]


# --- figures --------------------------------------------------------------------------------


def percentile(ranked: Sequence[float], fraction: float) -> float:
    """Nearest rank: a value that was measured (`ranked` sorted, not empty)."""
    return ranked[max(math.ceil(fraction * len(ranked)) - 1, 0)]


def summary(values: Iterable[float]) -> dict[str, float | int | None]:
    """p50, p99, max and the count of `values` (None for each figure when there are none)."""
    ranked = sorted(values)
    if not ranked:
        return {"p50": None, "p99": None, "max": None, "n": 0}
    return {
        "p50": percentile(ranked, 0.50),
        "p99": percentile(ranked, 0.99),
        "max": ranked[-1],
        "n": len(ranked),
    }


def describe(figures: dict[str, Any], unit: str = " ms") -> str:
    """`summary()` in one line: "p50 1.2 ms, p99 8.0 ms, max 31.5 ms (n 2,012)"."""
    if not figures.get("n"):
        return "—"
    return (
        f"p50 {figures['p50']:.1f}{unit}, p99 {figures['p99']:.1f}{unit}, "
        f"max {figures['max']:.1f}{unit} (n {figures['n']:,})"
    )


# --- inside the app: loop lateness and collections ------------------------------------------


class LoopTicker:
    """How late the event loop wakes a task that sleeps `interval` seconds, again and again.

    Start it from inside the loop being measured (an App's ``on_mount``, or any coroutine the
    app's loop runs). ``woke`` and ``late`` hold each wake-up's time on `clock` and how late
    it was (seconds), in arrays of doubles: 16 bytes a sample in the process the bench
    measures (a list of tuples cost ~120: 5 MB of a shift's RSS growth was the ticker's).
    """

    def __init__(self, interval: float = 0.005, clock: Clock = time.monotonic) -> None:
        self.interval = interval
        self._clock = clock
        self.woke: array[float] = array("d")
        self.late: array[float] = array("d")
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="loop-ticker")

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None

    async def _run(self) -> None:
        clock, interval, woken, lateness = self._clock, self.interval, self.woke, self.late
        while True:
            due = clock() + interval
            await asyncio.sleep(interval)
            woke = clock()
            woken.append(woke)
            lateness.append(max(woke - due, 0.0))

    def lateness_ms(self, since: float = -math.inf, until: float = math.inf) -> list[float]:
        """Each wake-up's lateness in ms, for wake-ups between `since` and `until`."""
        return [
            late * 1000
            for woke, late in zip(self.woke, self.late, strict=True)
            if since <= woke <= until
        ]

    def clear(self) -> None:
        del self.woke[:], self.late[:]


@dataclass(frozen=True, slots=True)
class Collection:
    started: float  # on the watch's clock
    generation: int
    pause_s: float
    collected: int


@dataclass
class GcWatch:
    """Every garbage collection of this interpreter, timed with ``gc.callbacks``."""

    clock: Clock = time.monotonic
    collections: list[Collection] = field(default_factory=list)
    _started: float = 0.0

    def install(self) -> None:
        if self._callback not in gc.callbacks:
            gc.callbacks.append(self._callback)

    def remove(self) -> None:
        with contextlib.suppress(ValueError):
            gc.callbacks.remove(self._callback)

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = self.clock()
        else:
            now = self.clock()
            self.collections.append(
                Collection(
                    self._started, info["generation"], now - self._started, info["collected"]
                )
            )

    def pauses_ms(self, since: float = -math.inf, until: float = math.inf) -> list[float]:
        return [c.pause_s * 1000 for c in self.collections if since <= c.started <= until]

    def figures(self, since: float = -math.inf, until: float = math.inf) -> dict[str, Any]:
        """The longest pause (ms), and how many collections of each generation."""
        chosen = [c for c in self.collections if since <= c.started <= until]
        return {
            "max_ms": max((c.pause_s for c in chosen), default=0.0) * 1000,
            "count": [sum(1 for c in chosen if c.generation == g) for g in range(3)],
        }


# --- outside the app: key → paint through a pseudo-terminal ---------------------------------

KEYS: dict[str, bytes] = {
    "space": b" ",
    "enter": b"\r",
    "tab": b"\t",
    "escape": b"\x1b",
    "backspace": b"\x7f",
    "up": b"\x1b[A",
    "down": b"\x1b[B",
    "right": b"\x1b[C",
    "left": b"\x1b[D",
    "home": b"\x1b[H",
    "end": b"\x1b[F",
    "pageup": b"\x1b[5~",
    "pagedown": b"\x1b[6~",
    "f1": b"\x1bOP",
    "f2": b"\x1bOQ",
    "f3": b"\x1bOR",
    "f4": b"\x1bOS",
    "f5": b"\x1b[15~",
    "ctrl+q": b"\x11",
    "ctrl+c": b"\x03",
}


def key_bytes(key: str) -> bytes:
    """What a terminal sends for `key` (a name in KEYS, or literal text)."""
    return KEYS.get(key, key.encode())


def screen_text(screen: pyte.Screen) -> str:
    return "\n".join(screen.display)


ScreenTest = Callable[[pyte.Screen], bool]


@dataclass(frozen=True)
class Painted:
    """A test on the bytes the program writes, for timing: `text` written on `row` (1-based,
    as the terminal numbers them; negative counts from the bottom, -1 the last row; 0 any).

    A terminal shows what it is sent as soon as it parses it, and a real one parses far
    faster than pyte (about 1 MB/s: a full-colour repaint of 120×36 costs it ~150 ms), so
    timing a key with pyte would time pyte. Textual sends every changed span of a line as
    a cursor move (CSI row;col H) followed by its text and styles, so "the text was written
    on that row" is a regular expression over the bytes: the cursor moved to the row, then
    the text, with only style sequences and other text (no other move) between.
    """

    row: int
    text: str
    others: tuple[str, ...] = ()  # or any of these (which one was seen: ``press_seen``)

    def pattern(self, rows: int) -> re.Pattern[bytes]:
        if self.row == 0:  # any row
            start = rb"\x1b\[\d+;\d+H"
        else:
            row = self.row if self.row > 0 else rows + 1 + self.row
            start = rb"\x1b\[" + str(row).encode() + rb";\d+H"
        texts = b"|".join(re.escape(text.encode()) for text in (self.text, *self.others))
        return re.compile(start + rb"(?:[^\x1b]|\x1b\[[0-9;:]*m)*?(" + texts + rb")")


Shows = ScreenTest | Painted
TAIL = 4096  # bytes of the previous read kept, so a match split across reads is found


@dataclass
class _Waiter:
    test: Shows
    pattern: re.Pattern[bytes] | None = None
    done: threading.Event = field(default_factory=threading.Event)
    seen_at: float | None = None
    seen: str | None = None  # a Painted test: which of its texts was written


def _controlling_terminal() -> None:
    """In the child, before exec: the pty becomes its controlling terminal, so the program
    gets SIGHUP when this process closes the pty (or dies), as with a closed terminal window."""
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


class PtyTerminal:
    """A program running in a pseudo-terminal of `columns`×`rows`, read by this process.

    A reader thread reads everything the program writes as fast as it comes (so the program
    never waits on a full terminal) and, after each read, checks the tests of those waiting:
    a test that passes is stamped with the time of the read that made it pass. A
    :class:`Painted` test looks at the bytes; a screen test (a callable given a pyte
    screen) makes the reader emulate the screen while it waits. Between screen tests the
    bytes are kept unparsed (the newest `keep` bytes) and parsed when the screen is next
    needed: after more than `keep` unread bytes, the screen is rebuilt from the newest
    `keep` (Textual repaints what changes, so it is the screen as it is but possibly for a
    region that did not change since).
    """

    def __init__(
        self,
        argv: Sequence[str],
        *,
        columns: int = 120,
        rows: int = 36,
        env: dict[str, str] | None = None,
        cwd: str | None = None,
        keep: int = 8 << 20,
    ) -> None:
        self.argv = list(argv)
        self.columns, self.rows = columns, rows
        self.env = {
            **(env if env is not None else os.environ),
            "TERM": "xterm-256color",
            "COLUMNS": str(columns),
            "LINES": str(rows),
        }
        self.cwd = cwd
        self.keep = keep
        self.screen = pyte.Screen(columns, rows)
        self._stream = pyte.ByteStream(self.screen)
        self._unparsed: list[bytes] = []
        self._unparsed_size = 0
        self._tail = b""
        self._reset_due = False
        self._lock = threading.Lock()  # the reader's: never held while pyte parses a backlog
        self._screen_lock = threading.Lock()  # the pyte screen's
        self._waiters: list[_Waiter] = []
        self.process: subprocess.Popen[bytes] | None = None
        self._fd = -1
        self._reader: threading.Thread | None = None
        self.bytes_read = 0
        self.closed = threading.Event()
        # A diagnostic: BENCH_PTYLOG names a file that gets every read and every write,
        # stamped (see _log), to replay what the terminal was sent around a slow key.
        log = os.environ.get("BENCH_PTYLOG")
        self._log = open(log, "wb") if log else None  # noqa: SIM115
        self._log_lock = threading.Lock()

    def __enter__(self) -> PtyTerminal:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def start(self) -> None:
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", self.rows, self.columns, 0, 0))
        self.process = subprocess.Popen(
            self.argv,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=self.env,
            cwd=self.cwd,
            start_new_session=True,
            close_fds=True,
            preexec_fn=_controlling_terminal,
        )
        os.close(slave)
        self._fd = master
        self._reader = threading.Thread(target=self._read, name="pty-reader", daemon=True)
        self._reader.start()

    def _take_unparsed(self) -> tuple[bytes, bool]:
        """The bytes not parsed yet, and whether the screen is to be reset first (`_lock`
        held)."""
        data = b"".join(self._unparsed)
        self._unparsed.clear()
        self._unparsed_size = 0
        reset, self._reset_due = self._reset_due, False
        return data, reset

    def _feed(self, data: bytes, reset: bool) -> None:
        """Parse `data` into the pyte screen (`_screen_lock` held)."""
        if reset:
            self.screen.reset()
        if data:
            self._stream.feed(data)

    def _parse(self) -> None:
        """Bring the pyte screen up to date now (`_lock` held: the reader's screen tests)."""
        data, reset = self._take_unparsed()
        with self._screen_lock:
            self._feed(data, reset)

    @contextlib.contextmanager
    def _parsed(self) -> Iterator[pyte.Screen]:
        """The screen brought up to date, from any thread but the reader's, WITHOUT the
        reader's lock held while pyte parses (about 1 MB/s: seconds for a backlog of
        megabytes). Holding it there stopped the reader, the pty filled, and the program
        blocked writing to its terminal: bench/shift.py's "stall" of 6–16 s was this parent
        parsing 8 MB after a key it had not seen, not the console. The locks are taken in
        the same order everywhere (`_lock`, then `_screen_lock`), so parses keep the bytes'
        order."""
        with self._lock:
            data, reset = self._take_unparsed()
            self._screen_lock.acquire()
        try:
            self._feed(data, reset)
            yield self.screen
        finally:
            self._screen_lock.release()

    def _read(self) -> None:
        while True:
            try:
                chunk = os.read(self._fd, 1 << 16)
            except OSError:  # EIO: the program closed the terminal
                chunk = b""
            now = time.monotonic()
            if not chunk:
                self.closed.set()
                with self._lock:
                    for waiter in self._waiters:
                        waiter.done.set()
                return
            if self._log is not None:
                self._record(b"R", now, chunk)
            with self._lock:
                self.bytes_read += len(chunk)
                self._unparsed.append(chunk)
                self._unparsed_size += len(chunk)
                while self._unparsed_size > self.keep and len(self._unparsed) > 1:
                    self._unparsed_size -= len(self._unparsed.pop(0))
                    self._reset_due = True
                seen = self._tail + chunk
                self._tail = seen[-TAIL:]
                for waiter in self._waiters:
                    if waiter.done.is_set():
                        continue
                    try:
                        if waiter.pattern is not None:
                            found = waiter.pattern.search(seen)
                            passed = found is not None
                            if found is not None:
                                waiter.seen = found.group(1).decode()
                        else:
                            self._parse()
                            passed = waiter.test(self.screen)  # type: ignore[operator]
                    except Exception:  # never stop reading: the program would block
                        passed = False
                    if passed:
                        waiter.seen_at = now
                        waiter.done.set()

    def write(self, data: bytes) -> float:
        """Write `data` as typed; returns when it was written (monotonic)."""
        at = time.monotonic()
        os.write(self._fd, data)
        if self._log is not None:
            self._record(b"W", at, data)
        return at

    def _record(self, kind: bytes, at: float, data: bytes) -> None:
        assert self._log is not None
        with self._log_lock:  # the reader thread and the writer's
            self._log.write(kind + struct.pack("<dI", at, len(data)) + data)
            self._log.flush()

    def _waiter(self, test: Shows) -> _Waiter:
        if isinstance(test, Painted):
            return _Waiter(test, test.pattern(self.rows))
        return _Waiter(test)

    def wait_for(self, test: ScreenTest, timeout: float) -> float | None:
        """When the screen passes `test` (monotonic; at once if it does already), or None
        after `timeout` seconds."""
        waiter = self._waiter(test)
        with self._lock:
            data, reset = self._take_unparsed()
            self._screen_lock.acquire()
            self._waiters.append(waiter)  # what comes after `data` is the reader's to test
        try:
            self._feed(data, reset)
            passed = test(self.screen)
        finally:
            self._screen_lock.release()
        if not passed:
            waiter.done.wait(timeout)
        with self._lock:
            self._waiters.remove(waiter)
        return time.monotonic() if passed else waiter.seen_at

    def press(self, key: str, shows: Shows, timeout: float = 10.0) -> float | None:
        """Type `key`; seconds until the terminal shows its effect (`shows`), None if never.
        The test is registered before the key is written, so no paint can be missed; a
        :class:`Painted` test looks only at what is written after the key."""
        return self.press_seen(key, shows, timeout)[0]

    def press_seen(
        self, key: str, shows: Shows, timeout: float = 10.0
    ) -> tuple[float | None, str | None]:
        """`press`, and which of a Painted test's texts was written (None for a screen test,
        or when none was)."""
        waiter = self._waiter(shows)
        with self._lock:
            self._tail = b""
            self._waiters.append(waiter)
        try:
            pressed = self.write(key_bytes(key))
            waiter.done.wait(timeout)
        finally:
            with self._lock:
                self._waiters.remove(waiter)
        return (None if waiter.seen_at is None else waiter.seen_at - pressed), waiter.seen

    def text(self) -> str:
        with self._parsed() as screen:
            return screen_text(screen)

    def line(self, index: int) -> str:
        with self._parsed() as screen:
            return screen.display[index]

    def close(self, timeout: float = 10.0) -> int | None:
        """End the program (SIGTERM to its session, then SIGKILL); its exit code."""
        process = self.process
        if process is None:
            return None
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        if self._reader is not None:
            self._reader.join(2.0)
        with contextlib.suppress(OSError):
            os.close(self._fd)
        return process.returncode


class KeyTimer:
    """Keys pressed one after another into a :class:`PtyTerminal`, each timed to its paint.

    ``press_until(done)`` presses the keys of `plan` in turn (each a key and the test that
    shows its effect), waiting `every` seconds between keys, until `done()`; ``records``
    holds ``(pressed_at, seconds or None)``.
    """

    def __init__(
        self,
        terminal: PtyTerminal,
        plan: Sequence[tuple[str, Shows]],
        *,
        every: float = 0.1,
        timeout: float = 10.0,
    ) -> None:
        self.terminal = terminal
        self.plan = list(plan)
        self.every = every
        self.timeout = timeout
        self.records: list[tuple[float, float | None]] = []
        self._next = 0

    def press_one(self) -> float | None:
        key, shows = self.plan[self._next % len(self.plan)]
        self._next += 1
        pressed = time.monotonic()
        seconds = self.terminal.press(key, shows, self.timeout)
        self.records.append((pressed, seconds))
        return seconds

    def press_until(self, done: Callable[[], bool]) -> None:
        while not done() and not self.terminal.closed.is_set():
            self.press_one()
            time.sleep(self.every)

    def latencies_ms(self, since: float = -math.inf, until: float = math.inf) -> list[float]:
        """Keys pressed between `since` and `until` (a key never shown counts as its timeout)."""
        return [
            (self.timeout if seconds is None else seconds) * 1000
            for pressed, seconds in self.records
            if since <= pressed <= until
        ]

    def unseen(self) -> int:
        return sum(1 for _, seconds in self.records if seconds is None)


# --- a child in a pty tells its parent where it is -------------------------------------------


class Beacon:
    """The child's side: JSON lines appended to a file the parent reads (the child's stdout
    and stderr are the terminal, so they cannot carry figures)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)

    def say(self, what: str, **figures: Any) -> None:
        import json

        line = json.dumps({"what": what, "at": time.monotonic(), **figures})
        with open(self.path, "a", encoding="utf-8") as handle:
            handle.write(line + "\n")


class BeaconReader:
    """The parent's side of a :class:`Beacon`."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        self.heard: dict[str, dict[str, Any]] = {}
        self._offset = 0

    def poll(self) -> dict[str, dict[str, Any]]:
        import json

        try:
            with open(self.path, encoding="utf-8") as handle:
                handle.seek(self._offset)
                text = handle.read()
        except FileNotFoundError:
            return self.heard
        complete = text[: text.rfind("\n") + 1]
        self._offset += len(complete.encode())
        for line in complete.splitlines():
            item = json.loads(line)
            self.heard[item["what"]] = item
        return self.heard

    def has(self, what: str) -> bool:
        return what in self.poll()

    def wait(
        self, what: str, timeout: float, alive: Callable[[], bool] = lambda: True
    ) -> dict[str, Any]:
        """The beacon `what` once it is heard; TimeoutError after `timeout` seconds, when
        `alive()` turns false, or when the child says "failed" (its error in the message)."""
        deadline = time.monotonic() + timeout
        while what not in self.poll():
            if "failed" in self.heard:
                raise TimeoutError(f"the child failed:\n{self.heard['failed'].get('error')}")
            if time.monotonic() > deadline or not alive():
                raise TimeoutError(f"no {what!r} from the child (heard: {sorted(self.heard)})")
            time.sleep(0.02)
        return self.heard[what]
