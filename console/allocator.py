"""The C allocator on a long-running console's terms: memory freed goes back to the system.

Python keeps objects over 512 bytes (dict and list tables, big strings, arrays, the history's
encoded documents) in the C library's heaps. A shift frees as much of those as it allocates,
but glibc keeps what was freed (measured with ``BENCH_MALLOC``: after 12 batches, 28 MB of its
70 MB were free chunks, none given back), and on a machine with threads it spreads them over
several heaps (one more for each thread that allocates while another does), so the resident
memory grows for hours with the live memory flat. Two remedies, for glibc only (elsewhere
nothing is done, and nothing is needed to run):

- :meth:`Allocator.tune`, once at start-up, before the console's threads start: at most two
  heaps, and a fixed threshold from which an allocation is its own mapping (128 KiB, glibc's
  default, which it otherwise raises to 32 MiB as big blocks are freed: those blocks then
  stay in the heaps as holes) and from which the top of a heap is returned;
- :meth:`Allocator.release` (``malloc_trim``): the whole free pages inside every heap go back
  to the system. :class:`Trimmer` calls it every few seconds from its own thread; ctypes lets
  go of the GIL for the call, so the UI loop runs meanwhile (it waits only when it allocates
  from a heap being trimmed: a few milliseconds, measured as ``trims`` in ``BENCH_SLOW``).

Pure of UI: no Textual. The App builds one Allocator and one Trimmer.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

# mallopt parameters (glibc's malloc.h)
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
M_ARENA_MAX = -8

HEAPS = 2  # one for the UI loop, one shared by the threads (history, relay, trimming)
OWN_MAPPING_FROM = 128 * 1024  # bytes: an allocation this big is mapped (and unmapped) alone
TRIM_EVERY = 5.0  # seconds between two returns of free pages


class CLibrary(Protocol):
    """What is used of the C library (a test passes its own)."""

    def mallopt(self, parameter: int, value: int) -> int: ...
    def malloc_trim(self, pad: int) -> int: ...


def glibc() -> CLibrary | None:
    """The process's C library when it is glibc (Linux), else None (musl, macOS, Windows)."""
    try:
        version = os.confstr("CS_GNU_LIBC_VERSION")
    except (AttributeError, ValueError, OSError):
        return None
    if not version or not version.startswith("glibc"):
        return None
    import ctypes  # here: ~4 ms of import that a console on another C library never pays

    try:
        library: Any = ctypes.CDLL(None)
        library.mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
        library.malloc_trim.argtypes = (ctypes.c_size_t,)
    except (OSError, AttributeError):
        return None
    return library  # type: ignore[no-any-return]


class Allocator:
    """The C library's allocator, tuned and trimmed when it is glibc; otherwise a no-op."""

    def __init__(self, library: CLibrary | None) -> None:
        self._library = library
        self.tuned = False

    @classmethod
    def of_this_process(cls) -> Allocator:
        return cls(glibc())

    @property
    def available(self) -> bool:
        return self._library is not None

    def tune(self) -> bool:
        """At most HEAPS heaps, fixed mapping and trim thresholds (see the module). Call it
        early, before the console's threads: glibc fixes its heaps' limit for good once it has
        made more heaps than it tests for (8 on 64-bit). True when every setting was taken."""
        library = self._library
        if library is None:
            return False
        taken = [
            library.mallopt(M_ARENA_MAX, HEAPS),
            library.mallopt(M_MMAP_THRESHOLD, OWN_MAPPING_FROM),
            library.mallopt(M_TRIM_THRESHOLD, OWN_MAPPING_FROM),
        ]
        self.tuned = all(result == 1 for result in taken)  # mallopt: 1 on success
        return self.tuned

    def release(self) -> bool:
        """Give the heaps' whole free pages back to the system; True when some were."""
        library = self._library
        return library is not None and library.malloc_trim(0) == 1


class Trimmer:
    """Calls ``release`` every `every` seconds on its own daemon thread, until stopped.
    ``trims`` keeps how long each call took (seconds), the newest 1,000."""

    def __init__(
        self,
        release: Callable[[], object],
        every: float = TRIM_EVERY,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self._release = release
        self.every = every
        self._clock = clock
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.trims: list[float] = []

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="memory-trim", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        thread, self._thread = self._thread, None
        self._stop.set()
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=1.0)

    def trim_now(self) -> None:
        began = self._clock()
        self._release()
        trims = self.trims
        trims.append(self._clock() - began)
        if len(trims) > 1_000:
            del trims[:500]

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self.trim_now()
