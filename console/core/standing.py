"""Standing: where each older message stands, by umid, in a few bytes each (the tracker's
messages beyond its detailed timelines: up to the feed's 100,000 rows).

A dict of umid → position and a queue of umids cost ~50 bytes a message, and pymalloc
blocks that fragment the heap. Here the newest `seal` umids stay in a dict (insertion
ordered: oldest first); older ones are sealed in chunks: their hashes sorted (8 bytes) and a
value's number (2 bytes), searched by bisection. Beyond `limit`, the oldest chunk is let go
whole, so never more than `limit` and at least `limit - seal` of the newest are kept.

A hash names a umid for this process only; two umids sharing a 64-bit hash is as good as
impossible (one would then read the other's standing). Pure: no I/O.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable
from typing import Generic, TypeVar

from console.sealed import GONE, Chunk, find, seal

V = TypeVar("V", bound=Hashable)

SEAL = 8_192


class Standing(Generic[V]):
    """A bounded mapping umid → a value from a small set (get, set, pop, len, in)."""

    def __init__(self, limit: int, seal: int = SEAL) -> None:
        self.limit = max(limit, 0)
        self._seal = max(min(seal, self.limit // 8 or 1), 1)
        self._recent: dict[str, int] = {}
        self._values: list[V] = []
        self._codes: dict[V, int] = {}
        self._chunks: deque[Chunk] = deque()  # oldest first
        self._live: deque[int] = deque()  # entries still standing in each chunk
        self._sealed = 0

    def __len__(self) -> int:
        return len(self._recent) + self._sealed

    def __contains__(self, umid: object) -> bool:
        return isinstance(umid, str) and self._find(umid) is not None

    def get(self, umid: str) -> V | None:
        code = self._recent.get(umid)
        if code is None:
            found = self._find_sealed(umid)
            if found is None:
                return None
            chunk, at = found
            code = self._chunks[chunk][1][at]
        return self._values[code]

    def set(self, umid: str, value: V, *, new: bool = False) -> None:
        """`umid` stands at `value`, as the newest (the oldest let go beyond `limit`). `new`:
        the caller knows it is not held (no need to look for it in every sealed chunk)."""
        if not new:
            self.pop(umid)
        code = self._codes.get(value)
        if code is None:
            code = self._codes[value] = len(self._values)
            if code >= GONE:
                raise OverflowError("too many distinct values")
            self._values.append(value)
        self._recent[umid] = code
        if len(self._recent) >= self._seal:
            self._seal_recent()
        while self._chunks and len(self) > self.limit:
            self._chunks.popleft()
            self._sealed -= self._live.popleft()
        while len(self) > self.limit and self._recent:  # a limit smaller than a chunk
            del self._recent[next(iter(self._recent))]

    def pop(self, umid: str) -> V | None:
        code = self._recent.pop(umid, None)
        if code is not None:
            return self._values[code]
        found = self._find_sealed(umid)
        if found is None:
            return None
        chunk, at = found
        codes = self._chunks[chunk][1]
        value = self._values[codes[at]]
        codes[at] = GONE
        self._live[chunk] -= 1
        self._sealed -= 1
        return value

    def _find(self, umid: str) -> object | None:
        return umid if umid in self._recent else self._find_sealed(umid)

    def _find_sealed(self, umid: str) -> tuple[int, int] | None:
        found = find(self._chunks, umid)
        if found is None or self._chunks[found[0]][1][found[1]] == GONE:
            return None
        return found

    def _seal_recent(self) -> None:
        chunk = seal(self._recent.items())
        self._recent = {}
        self._chunks.append(chunk)
        self._live.append(len(chunk[0]))
        self._sealed += len(chunk[0])
