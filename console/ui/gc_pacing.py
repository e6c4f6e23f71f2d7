"""GcPacer: Python's cyclic garbage collector on the console's terms.

A batch of 10,000 messages leaves a few hundred thousand long-lived objects behind (receipts
with their payloads, the history's records, the feed's rows). With the collector's own
schedule, every time the survivors grow by a quarter it walks all of them: measured with
`bench/feed.py`, eleven full collections during one batch, the longest 240 ms. A full
collection of the whole heap when the agent paused (this pacer's first design) took
300–1,000 ms after a batch, and a key pressed then waited for it.

So the console runs the collector itself, and no collection walks the long-lived objects
while the agent works:

- every `young_every` seconds (0.1), the young generations: only what was allocated since
  the last tick is walked (a few ms at 2,000 receipts/s), and what survives is set aside
  at once (``gc.freeze``: no later collection walks it). After a burst (`burst` objects or
  more allocated since the last tick: a batch being recorded, a burst of receipts) the
  burst is set aside without a walk at all. 10,000: a walk of 50,000 took 100–200 ms on a
  loaded 2-core machine (bench/shift.py); what is set aside unwalked held 7 objects of
  cyclic garbage after a whole shift (``--census``), so it costs no memory;
- a walk's length follows what was allocated between two turns of the loop that the timer
  got, and nearly all of it survives (new receipts, rows, records; ``collected`` was 0 in
  most walks): a quick bench/shift.py run walked 5,000–26,000 young objects a tick, at most
  8–10 ms of the loop's CPU (20–140 ms of wall time when the 2-core machine was busy).
  Ticking every 0.05 s did not shorten them (the same walks, twice as many ticks). Note
  that ``gc.get_count()[0]`` is not the number of young objects: freeing a set-aside
  object counts it down too (it read 82 with 24,000 young objects), so the burst test
  below seldom fires while old rows are replaced;
- when the agent has not touched a key or the mouse for `idle` seconds (at most every
  `full_every` seconds), everything: what was set aside is walked again (``gc.unfreeze``),
  collected, and what lives on is set aside anew. Only cyclic garbage that outlived a tick
  waits for that moment; reference counting frees everything else at once.

No Textual: the App calls :meth:`tick` from a timer and :meth:`input_seen` on keys and
clicks.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from typing import Protocol


class Collector(Protocol):
    def collect(self, generation: int = 2) -> int: ...
    def disable(self) -> None: ...
    def enable(self) -> None: ...
    def isenabled(self) -> bool: ...
    def freeze(self) -> None: ...
    def unfreeze(self) -> None: ...
    def get_count(self) -> tuple[int, int, int]: ...


class GcPacer:
    """Young collections on a timer, full ones when the agent is idle (see the module)."""

    def __init__(
        self,
        *,
        young_every: float = 0.1,
        idle: float = 10.0,
        full_every: float = 300.0,
        burst: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
        collector: Collector = gc,  # type: ignore[assignment]
    ) -> None:
        self.young_every = young_every
        self.idle = idle
        self.full_every = full_every
        self.burst = burst
        self._clock = clock
        self._gc = collector
        self._was_enabled: bool | None = None
        self._last_full = self._last_input = clock()
        self.full_collections = 0
        self.set_aside = 0

    @property
    def running(self) -> bool:
        return self._was_enabled is not None

    def start(self) -> None:
        """Take over from the collector's own schedule (idempotent)."""
        if self._was_enabled is None:
            self._was_enabled = self._gc.isenabled()
            self._gc.disable()
            self._last_full = self._clock()

    def stop(self) -> None:
        """Give the schedule back as it was (idempotent)."""
        if self._was_enabled is not None:
            if self._was_enabled:
                self._gc.enable()
            self._was_enabled = None

    def input_seen(self) -> None:
        self._last_input = self._clock()

    def freeze_long_lived(self) -> None:
        """What is alive now lives as long as the console (e.g. the history just loaded): no
        collection walks it again."""
        self._gc.freeze()

    def collect_all(self) -> None:
        """Everything, what was set aside included; what lives on is set aside anew."""
        self._gc.unfreeze()
        self._gc.collect(2)
        self._gc.freeze()
        self._last_full = self._clock()
        self.full_collections += 1

    def tick(self) -> int | None:
        """Collect: the young generations, then set the survivors aside (returns 1), or set a
        burst aside unwalked (returns 0), or everything when the agent is idle and it is time
        (returns 2); None when not running."""
        if self._was_enabled is None:
            return None
        now = self._clock()
        if now - self._last_full >= self.full_every and now - self._last_input >= self.idle:
            self.collect_all()
            return 2
        if self._gc.get_count()[0] >= self.burst:
            self._gc.freeze()
            self.set_aside += 1
            return 0
        self._gc.collect(1)
        self._gc.freeze()
        return 1
