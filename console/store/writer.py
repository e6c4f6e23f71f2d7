"""The history's writer thread: flushes every interval, backs off when flushes fail or are slow.

It also closes the history at interpreter exit (a safety net for a console that did not), so
what was recorded last is saved even then.
"""

from __future__ import annotations

import atexit
import contextlib
import threading
import time
import weakref
from collections.abc import Callable
from typing import Protocol


class Flushable(Protocol):
    def flush_in_background(self) -> bool: ...
    def close(self) -> None: ...


class Writer:
    """Calls `target.flush_in_background()` every `interval` seconds until stopped."""

    def __init__(
        self,
        target: Flushable,
        interval: float,
        describe_error: Callable[[BaseException], str],
        on_error: Callable[[str], None] | None,
    ) -> None:
        self._target = target
        self._interval = interval
        self._describe = describe_error
        self._on_error = on_error
        self._stop = threading.Event()
        self.error: str | None = None  # the last failure, until a flush works again
        self._thread = threading.Thread(target=self._run, name="history-writer", daemon=True)

        ref = weakref.ref(target)

        def close_at_exit() -> None:
            history = ref()
            if history is not None:
                with contextlib.suppress(Exception):
                    history.close()

        self._atexit: Callable[[], None] | None = close_at_exit

    def start(self) -> None:
        self._thread.start()
        assert self._atexit is not None
        atexit.register(self._atexit)

    def stop(self) -> None:
        """Stop the thread (wait for a flush under way). Idempotent; callable from any thread."""
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join()
        if self._atexit is not None:
            atexit.unregister(self._atexit)
            self._atexit = None

    def _run(self) -> None:
        delay = self._interval
        while not self._stop.wait(delay):
            started = time.monotonic()
            try:
                wrote = self._target.flush_in_background()
            except Exception as error:  # keep the thread alive; say so once; retry
                message = self._describe(error)
                if message != self.error:
                    self.error = message
                    if self._on_error is not None:
                        with contextlib.suppress(Exception):
                            self._on_error(message)
                delay = min(max(delay * 2, 1.0), 30.0)
                continue
            self.error = None
            # Keep the writer busy at most ~1/4 of the time, however big a flush gets.
            took = time.monotonic() - started
            delay = max(self._interval, 3 * took) if wrote else self._interval
