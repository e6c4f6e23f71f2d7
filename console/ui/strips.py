"""Textual's strips without reference cycles, so reference counting frees every drawn line.

Textual (8.2.8) caches a strip's derived strips on the strip itself; where the result is the
strip unchanged it caches the strip *in its own cache*: ``divide`` at its own length
(``[self]``: every line the compositor draws) and ``crop_extend`` over its whole length.
Each such strip is then a reference cycle with seven
caches (~1.2 KB) that only the cyclic collector frees. The console runs that collector on
its own terms (console/ui/gc_pacing.py: survivors are set aside, whole-heap collections wait
until the agent is idle), so during a shift tens of thousands of dead lines waited for an
idle moment the agent never gave: 20,000 strips made per 10,000 messages, 2,400 alive.

`install` makes those two return the strip itself without caching it: the same
result (the strip is immutable), no cycle.

The widgets keep their drawn lines in Textual's ``LRUCache`` (the feed's table, the inbox
list), whose entries are a ring of linked lists. ``LRUCache.clear`` let go of the ring whole:
a cycle holding every line it cached (up to 256, ~1.2 KB each), and the feed and the inbox
list clear theirs at every restyle, so at every section switch. `install` makes ``clear``
unlink the entries first, so reference counting frees them.

Leans on Textual's internals (pinned), checked by tests/unit/ui/test_strips.py.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from rich.style import Style
from textual.cache import LRUCache
from textual.strip import Strip

_installed = False


def install() -> None:
    """Patch :class:`Strip` once (idempotent)."""
    global _installed
    if _installed:
        return
    _installed = True
    divide = Strip.divide
    crop_extend = Strip.crop_extend

    def divide_acyclic(self: Strip, cuts: Iterable[int]) -> Sequence[Strip]:
        cuts = list(cuts)
        length = self.cell_length
        if [cut for cut in cuts if cut <= length] == [length]:
            return [self]
        return divide(self, cuts)

    def crop_extend_acyclic(self: Strip, start: int, end: int, style: Style | None) -> Strip:
        if start <= 0 and end == self.cell_length:
            return self
        return crop_extend(self, start, end, style)

    Strip.divide = divide_acyclic  # type: ignore[method-assign]
    Strip.crop_extend = crop_extend_acyclic  # type: ignore[method-assign]

    lru_clear = LRUCache.clear

    def clear_acyclic(self: LRUCache[object, object]) -> None:
        for entry in self._cache.values():  # [previous, next, key, value], linked in a ring
            entry.clear()
        lru_clear(self)

    LRUCache.clear = clear_acyclic  # type: ignore[method-assign]
