"""TimeSlice: how much work fits in a few milliseconds, learnt from how long it took.

Work on the UI loop (applying a burst of live events, showing a batch answer) is done in
slices that each hold the loop for about `budget` seconds, the loop given back between them
so keys, repaints and timers run. A slice is sized by time, not by a fixed count: 250
receipts may take 5 ms on an idle laptop and 60 ms on a loaded jump host. The size follows
the measured cost per item (an exponential moving average), between 1 and `most` items.

No Textual: the App asks :meth:`size` before a slice and tells :meth:`took` after it;
:func:`in_slices` does both around a function of a slice, awaiting between slices.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


class TimeSlice:
    """The number of items that fit in `budget` seconds, from what items cost so far."""

    def __init__(
        self,
        budget: float = 0.004,
        *,
        first: int = 25,
        most: int = 1_000,
        smoothing: float = 0.3,
    ) -> None:
        if budget <= 0 or first < 1 or most < first or not 0 < smoothing <= 1:
            raise ValueError("a time slice needs budget > 0 and 1 <= first <= most")
        self.budget = budget
        self.most = most
        self.smoothing = smoothing
        self._per_item = budget / first

    @property
    def per_item(self) -> float:
        """Seconds one item costs, as measured lately."""
        return self._per_item

    def size(self) -> int:
        """How many items the next slice takes (at least one: work always moves on)."""
        return max(1, min(self.most, int(self.budget / self._per_item + 1e-9)))

    def took(self, items: int, seconds: float) -> None:
        """`items` were done in `seconds`: the estimate moves toward that cost."""
        if items <= 0 or seconds < 0:
            return
        measured = max(seconds / items, 1e-7)
        self._per_item += self.smoothing * (measured - self._per_item)


async def in_slices(
    items: Sequence[T], slicer: TimeSlice, do: Callable[[Sequence[T]], R]
) -> list[R]:
    """`do` each slice of `items` in order (sized by `slicer`, so each holds the loop for
    about its budget), the loop given back between slices; what each returned."""
    done: list[R] = []
    start = 0
    while start < len(items):
        if start:
            await asyncio.sleep(0)  # whatever is ready (a key, a repaint) runs now
        chunk = items[start : start + slicer.size()]
        began = time.perf_counter()
        done.append(do(chunk))
        slicer.took(len(chunk), time.perf_counter() - began)
        start += len(chunk)
    return done
