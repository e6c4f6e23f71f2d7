"""ToastGate: at most one "New message" toast every few seconds.

A toast is mounted, then removed, and each of those lays the whole screen out again (30–70 ms
of the UI loop on a 2-core machine). On a busy floor customers write several times a second:
bench/shift.py saw 139 toasts in two batches, the Feed's space key waiting behind them for
up to 3.5 s. Messages that come sooner than `every` seconds after the last toast go to the
hotlist line above the keys instead (it lists them anyway, until read), as while typing.

No Textual: the App asks :meth:`allow` before it shows a toast; the clock is injected.
"""

from __future__ import annotations

import time
from collections.abc import Callable


class ToastGate:
    """Allows a toast when `every` seconds have passed since the last one allowed."""

    def __init__(self, every: float = 3.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.every = every
        self._clock = clock
        self._last: float | None = None

    def allow(self) -> bool:
        now = self._clock()
        if self._last is not None and now - self._last < self.every:
            return False
        self._last = now
        return True
