"""UmidIndex: which part holds each message (by umid), compact enough for a whole day's shift.

A dict of umid → part costs ~140 bytes a message (its entry, and the umid string it keeps
alive once the feed and the tracker have let go of it): 28 MB for a shift of 200,000
messages, for good. Here the newest `recent` umids stay in a dict; older ones are sealed in
chunks of two arrays sorted by the umid's hash (8 bytes) with the part's number in the
index's own table of parts (2 bytes): ~10 bytes a message, searched by bisection, newest
chunk first (a umid seen twice belongs to the newest part).

A hash names a umid for this process only (never saved); two umids sharing a 64-bit hash is
as good as impossible, and would only route a receipt to a part that does not hold it (the
history then holds that receipt, as for a umid it does not know).
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable

from console.sealed import GONE, Chunk, find, seal
from console.store.catalog import PartKey

RECENT = 10_000  # umids kept one by one (the newest 5,000 to 10,000); older ones are sealed
MERGED_MAX = 40_000  # entries in a chunk made by merging (beyond: chunks stay apart)


class UmidIndex:
    """A mapping umid → PartKey (get, set, pop, update, len, in)."""

    def __init__(self, recent: int = RECENT) -> None:
        if recent < 1:
            raise ValueError("recent must be at least 1")
        self._recent_max = recent
        self._recent: dict[str, PartKey] = {}
        self._parts: list[PartKey] = []  # a sealed entry's part, by number
        self._numbers: dict[PartKey, int] = {}
        self._chunks: list[Chunk] = []  # (hashes, parts), oldest first
        self._sealed = 0

    def __len__(self) -> int:
        """Entries held (a sealed umid set again counts twice until its chunk is merged)."""
        return len(self._recent) + self._sealed

    def __contains__(self, umid: object) -> bool:
        return isinstance(umid, str) and self.get(umid) is not None

    def get(self, umid: str, default: PartKey | None = None) -> PartKey | None:
        key = self._recent.get(umid)
        if key is not None:
            return key
        found = find(self._chunks, umid)
        if found is None:
            return default
        number = self._chunks[found[0]][1][found[1]]
        return default if number == GONE else self._parts[number]

    def __getitem__(self, umid: str) -> PartKey:
        key = self.get(umid)
        if key is None:
            raise KeyError(umid)
        return key

    def __setitem__(self, umid: str, key: PartKey) -> None:
        recent = self._recent
        recent.pop(umid, None)  # newest last
        recent[umid] = key
        if len(recent) > self._recent_max:
            self._seal()

    def update(self, items: dict[str, PartKey]) -> None:
        for umid, key in items.items():
            self[umid] = key

    def pop(self, umid: str, default: PartKey | None = None) -> PartKey | None:
        key = self._recent.pop(umid, None)
        found = find(self._chunks, umid)  # set again since it was sealed: that entry goes too
        number = GONE
        if found is not None:
            parts = self._chunks[found[0]][1]
            number, parts[found[1]] = parts[found[1]], GONE
        if key is not None:
            return key
        return default if number == GONE else self._parts[number]

    def set_all(self, umids: Iterable[str], key: PartKey) -> None:
        for umid in umids:
            self[umid] = key

    def _number(self, key: PartKey) -> int:
        number = self._numbers.get(key)
        if number is None:
            number = self._numbers[key] = len(self._parts)
            if number >= GONE:
                raise OverflowError("more parts than the umid index can name")
            self._parts.append(key)
        return number

    def _seal(self) -> None:
        """The older half of the recent umids into a new chunk (sorted by hash)."""
        recent = self._recent
        count = len(recent) // 2
        taken = [(umid, self._number(recent.pop(umid))) for umid in list(recent)[:count]]
        self._chunks.append(seal(taken))
        self._sealed += len(taken)
        self._merge_newest()

    def _merge_newest(self) -> None:
        """Merge the newest chunks while of like size (runs of doubling size, so a lookup
        bisects a few chunks), up to MERGED_MAX entries (a merge stays a few milliseconds)."""
        chunks = self._chunks
        while (
            len(chunks) > 1
            and len(chunks[-1][0]) * 2 >= len(chunks[-2][0])
            and len(chunks[-1][0]) + len(chunks[-2][0]) <= MERGED_MAX
        ):
            newer_h, newer_p = chunks.pop()
            older_h, older_p = chunks.pop()
            merged: dict[int, int] = dict(zip(older_h, older_p, strict=True))
            merged.update(zip(newer_h, newer_p, strict=True))  # the newer part wins
            items = sorted(merged.items())
            self._sealed -= len(older_h) + len(newer_h) - len(items)
            chunks.append((array("q", (h for h, _ in items)), array("H", (p for _, p in items))))
