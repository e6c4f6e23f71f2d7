"""The interpreter's lock on the console's terms: handed from thread to thread within 1 ms.

A key crosses three threads before the agent sees it: Textual's input thread reads it from
the terminal, the UI loop acts on it, and Textual's output thread writes the new frame. While
a batch lands, two more want the GIL most of the time: the UI loop applying receipts, and
the history's writer encoding documents. CPython lets a thread keep the GIL for up to its
switch interval (5 ms by default) while another waits, and each crossing of a key can wait
that long, more than once when the waiting thread loses the race again.

:class:`SwitchInterval` shortens the interval while the console runs, and gives the old one
back when it stops. Measured with ``bench/shift.py --quick`` on a 2-core machine, runs
alternated with the default: key → paint p99 94 and 94 ms at 5 ms; 69 and 66 at 1 ms; 64
and 65 at 0.5 ms; 74 and 61 at 2 ms. Loop lateness, memory and the time a batch's answer
takes to show did not move.

A shorter interval also shares a long stretch of the loop's work more finely with the
history's threads; those give way to the loop's long turns (console/loop_turns.py).

Pure of UI: no Textual. The App starts one on mount and stops it on unmount.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

SWITCH_EVERY = 0.001  # seconds a thread may hold the GIL while another waits for it


class SwitchInterval:
    """Sets the interpreter's switch interval while started; `stop` restores the one before."""

    def __init__(
        self,
        seconds: float = SWITCH_EVERY,
        *,
        get: Callable[[], float] = sys.getswitchinterval,
        put: Callable[[float], None] = sys.setswitchinterval,
    ) -> None:
        if seconds <= 0:
            raise ValueError("the switch interval must be positive")
        self.seconds = seconds
        self._get = get
        self._put = put
        self._before: float | None = None

    @property
    def started(self) -> bool:
        return self._before is not None

    def start(self) -> None:
        """Hand the GIL over within `seconds` from now on (idempotent)."""
        if self._before is None:
            self._before = self._get()
            self._put(self.seconds)

    def stop(self) -> None:
        """Give back the interval there was before `start` (idempotent)."""
        if self._before is not None:
            self._put(self._before)
            self._before = None
