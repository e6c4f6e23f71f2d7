"""Forgotten: the umids a store let go, as 8-byte hashes, the newest `limit` of them.

A set of hash ints costs ~70 bytes per umid (the int and its slot): 7 MB for a feed's
100,000 rows let go, grown late in a shift. Here the newest hashes are a small set; older
ones are sealed in sorted arrays (8 bytes each), searched by bisection, and whole arrays
are let go, oldest first, once more than `limit` are kept.

Pure: no Textual, no I/O.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections import deque

SEAL = 8_192  # hashes kept in the set before they are sealed into an array


class Forgotten:
    """Membership of hashes, oldest forgotten first beyond `limit` (give or take a chunk)."""

    def __init__(self, limit: int, seal: int = SEAL) -> None:
        self.limit = max(limit, 1)
        self._seal = max(min(seal, self.limit), 1)
        self._newest: set[int] = set()
        self._sealed: deque[array[int]] = deque()
        self._sealed_count = 0

    def __len__(self) -> int:
        """Hashes held (one added again while sealed counts twice until its array goes)."""
        return len(self._newest) + self._sealed_count

    def __contains__(self, key: object) -> bool:
        if key in self._newest:
            return True
        if not isinstance(key, int):
            return False
        for hashes in self._sealed:
            at = bisect_left(hashes, key)
            if at < len(hashes) and hashes[at] == key:
                return True
        return False

    def add(self, key: int) -> None:
        """Remember `key` as the newest (one still sealed in an older array is added anew:
        it then outlives that array)."""
        self._newest.add(key)
        if len(self._newest) >= self._seal:
            chunk = array("q", sorted(self._newest))
            self._newest = set()
            self._sealed.append(chunk)
            self._sealed_count += len(chunk)
        while self._sealed and len(self) - len(self._sealed[0]) >= self.limit:
            self._sealed_count -= len(self._sealed.popleft())
