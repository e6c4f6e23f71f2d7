"""FeedView: the rows of a store that one filter lets through, oldest first, with counters.

It follows its store through :class:`~console.feed.rows.StoreDelta`\\ s: a new row that
matches is appended (or inserted by time), a row whose status change takes it in or out of
the filter is inserted or removed by binary search, evicted rows leave from the front. A
delta that touches more rows than is worth doing one by one (or rows added out of time
order) marks the view for a rebuild, which :meth:`settle` does (the screen calls it before
drawing, at most a few dozen times a second). With no filter the view *is* the store's
order and counters: nothing to maintain.

Pure: no Textual.
"""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Sequence

from console.feed.query import EVERYTHING, FeedFilter
from console.feed.rows import FeedRow, FeedStore, StoreDelta
from console.feed.sequences import Picked
from console.live.events import TERMINAL_STATES

REBUILD_SHARE = 8  # more membership moves than len/REBUILD_SHARE in one delta: rebuild


class FeedView:
    """Rows of `store` matching `feed_filter`, kept current as the store changes."""

    def __init__(self, store: FeedStore, feed_filter: FeedFilter = EVERYTHING) -> None:
        self.store = store
        self.filter = feed_filter
        self._rows: Sequence[FeedRow] = store.order
        self.counts: Counter[str] = store.counts
        self._picked: Picked | None = None
        self._stale = False
        self.version = 0
        self.rebuilds = 0
        self.set_filter(feed_filter)
        store.subscribe(self._follow)

    def close(self) -> None:
        """Stop following the store."""
        self.store.unsubscribe(self._follow)

    # -- reading -----------------------------------------------------------------------

    @property
    def rows(self) -> Sequence[FeedRow]:
        """The rows shown, oldest first (settled first: a filtered view holds keys, and a key
        the store let go since reads as no row)."""
        self.settle()
        return self._rows

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def filtered(self) -> bool:
        return not self.filter.empty

    @property
    def final(self) -> int:
        self.settle()
        return sum(count for status, count in self.counts.items() if status in TERMINAL_STATES)

    def keys(self) -> tuple[array[float], array[int]]:
        """The keys of the rows shown now, as two new arrays (see `FeedStore.keys`): what an
        export reads out later, a slice at a time, with `FeedStore.copy_by_key`."""
        self.settle()
        if self._picked is None:
            return self.store.keys()
        return self._picked.ats[:], self._picked.seqs[:]

    def index_of(self, row: FeedRow) -> int | None:
        """Where `row` is in the view, or None if it is not shown."""
        self.settle()
        if self._picked is None:
            return self.store.index_of(row)
        index = self._picked.find(row.key)
        if index is None or self._picked[index] is not row:
            return None
        return index

    # -- changing ----------------------------------------------------------------------

    def set_filter(self, feed_filter: FeedFilter) -> None:
        self.filter = feed_filter
        if feed_filter.empty:
            self._rows = self.store.order
            self.counts = self.store.counts
            self._picked = None
            self._stale = False
            self.version += 1
        else:
            self._rebuild()

    def settle(self) -> bool:
        """Rebuild if a delta asked for it; True when it did."""
        if not self._stale:
            return False
        self._rebuild()
        return True

    def _rebuild(self) -> None:
        """The store's rows judged afresh (packed ones packed: no FeedRow each)."""
        ats, seqs, self.counts = self.store.select(self.filter)
        self._rows = self._picked = Picked(self.store, ats, seqs)
        self._stale = False
        self.version += 1
        self.rebuilds += 1

    def _follow(self, delta: StoreDelta) -> None:
        self.version += 1
        picked = self._picked
        if picked is None or self._stale:
            return
        moves = len(delta.added) + len(delta.changed)
        if delta.resorted or (moves > 64 and moves > len(picked) // REBUILD_SHARE):
            self._stale = True
            return
        matches, counts = self.filter.matches, self.counts
        for row in delta.added:
            if matches(row):
                counts[row.status] += 1
                picked.insert(row.key)
        for row, before in delta.changed:
            index = picked.find(row.key)
            now = matches(row)
            if index is not None:
                counts[before] -= 1
                if not counts[before]:
                    del counts[before]
            if now:
                counts[row.status] += 1
            if index is not None and not now:
                picked.remove_at(index)
            elif now and index is None:
                picked.insert(row.key)
        if delta.evicted and len(picked):
            leaving = 0
            for key, status in delta.evicted.pairs():
                if leaving < len(picked) and picked.key(leaving) == key:
                    counts[status] -= 1
                    if not counts[status]:
                        del counts[status]
                    leaving += 1
            picked.drop_first(leaving)
