"""The UI loop's turns, seen from the console's other threads: background work gives way to
a long one.

The history's threads (its updates, its writer) share the GIL with the UI loop. CPython
hands the GIL between threads that want it every switch interval (1 ms here:
interpreter.py), so while both want it each gets about half: a section switch's first full
paint, 21 ms of the loop's CPU, took 50 ms of wall time while a batch's receipts were being
written (bench/shift.py's ``BENCH_SLOW``), and a key pressed then waited for all of it.

:class:`TurnLoop` is asyncio's selector event loop with a selector that notes when each turn
of the loop begins (the selector's ``select`` returns: callbacks are about to run) and ends
(the loop waits in ``select`` again). Another thread calls :meth:`LoopTurns.give_way` between
two runs of its work: when the loop's current turn has run longer than `busy_after`, the
thread waits for that turn to end (at most `longest`), so the long turn finishes at the speed
of its own CPU. Short turns (most keys, a few receipts) are not waited for, and no wait is
long: the work behind must keep up with the stream (the history waits 5 ms at most while its
updates pile up: controllers/history.py).

Pure of UI: no Textual. The console's command line runs the App on a :class:`TurnLoop`
(``asyncio.Runner(loop_factory=console_loop)``); the App hands its turns to the history.
Elsewhere (tests, Windows, where asyncio's default loop is not a selector loop) there are no
turns, and :func:`running_turns` gives None: the threads then never wait.
"""

from __future__ import annotations

import asyncio
import selectors
import sys
import threading
import time
from collections.abc import Callable

BUSY_AFTER = 0.002  # a turn longer than this is waited for (a slice of receipts: up to 4 ms)
LONGEST = 0.05  # the most one give_way waits: a loop busy for long still lets work through


class LoopTurns:
    """When the loop's current turn began (None while it waits for events), and a way for
    other threads to wait for a long turn to end."""

    def __init__(
        self,
        *,
        busy_after: float = BUSY_AFTER,
        longest: float = LONGEST,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.busy_after = busy_after
        self.longest = longest
        self._clock = clock
        self.began: float | None = None
        self.loop_thread: int | None = None  # the loop's own thread never waits for itself
        self._waiters = 0
        self._ended = threading.Condition(threading.Lock())

    # --- the loop's side (its selector) -------------------------------------------------------

    def turn_began(self) -> None:
        self.began = self._clock()

    def turn_ended(self) -> None:
        self.began = None
        if self._waiters:  # read without the lock: a waiter counts itself before it looks
            with self._ended:
                self._ended.notify_all()

    # --- other threads' side ------------------------------------------------------------------

    def busy(self) -> bool:
        """The loop is in a turn that has run longer than `busy_after`."""
        began = self.began
        return began is not None and self._clock() - began >= self.busy_after

    def give_way(self, longest: float | None = None) -> bool:
        """Wait while the loop is in a long turn, for it to end (at most `longest`, by
        default the turns' own); True if this waited. Call it between runs of work, holding
        no lock the loop takes."""
        began = self.began
        if began is None or self._clock() - began < self.busy_after:
            return False
        if threading.get_ident() == self.loop_thread:  # history work done on the loop itself
            return False
        with self._ended:
            self._waiters += 1
            try:
                if self.began is began:  # still that turn (it may have ended meanwhile)
                    self._ended.wait(self.longest if longest is None else longest)
            finally:
                self._waiters -= 1
        return True


class _TurnSelector(selectors.DefaultSelector):  # type: ignore[misc,valid-type]
    """The platform's default selector, telling `turns` when the loop waits and wakes."""

    def __init__(self, turns: LoopTurns) -> None:
        super().__init__()
        self._turns = turns

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        self._turns.turn_ended()
        try:
            return super().select(timeout)
        finally:
            self._turns.turn_began()


class TurnLoop(asyncio.SelectorEventLoop):
    """asyncio's selector event loop, its turns told to :attr:`turns`."""

    def __init__(self, turns: LoopTurns | None = None) -> None:
        self.turns = turns or LoopTurns()
        super().__init__(_TurnSelector(self.turns))

    def run_forever(self) -> None:
        self.turns.loop_thread = threading.get_ident()
        try:
            super().run_forever()
        finally:  # stopped after a turn, not in select: nobody may wait for it now
            self.turns.turn_ended()


def console_loop() -> asyncio.AbstractEventLoop:
    """The event loop the console runs on: a :class:`TurnLoop` where asyncio's default loop is
    a selector loop (not on Windows, whose default loop runs subprocesses and a selector loop
    does not)."""
    if sys.platform == "win32":  # pragma: no cover - the console is tested on POSIX
        return asyncio.new_event_loop()
    return TurnLoop()


def running_turns() -> LoopTurns | None:
    """The running loop's turns, if it is a :class:`TurnLoop` (call it on the loop)."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return None
    return loop.turns if isinstance(loop, TurnLoop) else None
