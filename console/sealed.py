"""Sealed chunks: umids kept as 8-byte hashes in sorted arrays, each with a 2-byte code, for
the per-message indexes that must stay small over a whole shift (the tracker's standings,
``console.core.standing``; the history's umid → part index, ``console.store.umidindex``).

A chunk is two arrays sorted by hash: the hashes (``q``) and the codes (``H``), searched by
bisection. A code of `GONE` marks an entry taken out. A hash names a umid for this process
only (never saved). Pure: no I/O.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Iterable, Sequence

GONE = 0xFFFF  # an entry taken out; also one more than the largest code
Chunk = tuple["array[int]", "array[int]"]


def seal(entries: Iterable[tuple[str, int]]) -> Chunk:
    """A chunk of (umid, code) entries."""
    items = sorted((hash(umid), code) for umid, code in entries)
    return array("q", (h for h, _ in items)), array("H", (c for _, c in items))


def find(chunks: Sequence[Chunk], umid: str) -> tuple[int, int] | None:
    """(chunk, position) of `umid` in the newest chunk that holds it (its code may be
    `GONE`: taken out since); None when no chunk does."""
    wanted = hash(umid)
    for number in range(len(chunks) - 1, -1, -1):
        hashes = chunks[number][0]
        at = bisect_left(hashes, wanted)
        if at < len(hashes) and hashes[at] == wanted:
            return number, at
    return None
