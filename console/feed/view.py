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

from bisect import bisect_left, insort
from collections import Counter
from operator import attrgetter

from console.feed.query import EVERYTHING, FeedFilter
from console.feed.rows import FeedRow, FeedStore, StoreDelta
from console.live.events import TERMINAL_STATES

_key = attrgetter("key")
REBUILD_SHARE = 8  # more membership moves than len/REBUILD_SHARE in one delta: rebuild


class FeedView:
    """Rows of `store` matching `feed_filter`, kept current as the store changes."""

    def __init__(self, store: FeedStore, feed_filter: FeedFilter = EVERYTHING) -> None:
        self.store = store
        self.filter = feed_filter
        self.rows: list[FeedRow] = store.order
        self.counts: Counter[str] = store.counts
        self._members: set[str] = set()
        self._stale = False
        self.version = 0
        self.rebuilds = 0
        self.set_filter(feed_filter)
        store.subscribe(self._follow)

    def close(self) -> None:
        """Stop following the store."""
        self.store.unsubscribe(self._follow)

    # -- reading -----------------------------------------------------------------------

    def __len__(self) -> int:
        self.settle()
        return len(self.rows)

    @property
    def filtered(self) -> bool:
        return not self.filter.empty

    @property
    def final(self) -> int:
        self.settle()
        return sum(count for status, count in self.counts.items() if status in TERMINAL_STATES)

    def index_of(self, row: FeedRow) -> int | None:
        """Where `row` is in the view (binary search), or None if it is not shown."""
        self.settle()
        rows = self.rows
        index = bisect_left(rows, row.key, key=_key)
        if index < len(rows) and rows[index] is row:
            return index
        return None

    # -- changing ----------------------------------------------------------------------

    def set_filter(self, feed_filter: FeedFilter) -> None:
        self.filter = feed_filter
        if feed_filter.empty:
            self.rows = self.store.order
            self.counts = self.store.counts
            self._members = set()
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
        matches = self.filter.matches
        self.rows = [row for row in self.store.order if matches(row)]
        self._members = {row.umid for row in self.rows}
        self.counts = Counter(row.status for row in self.rows)
        self._stale = False
        self.version += 1
        self.rebuilds += 1

    def _follow(self, delta: StoreDelta) -> None:
        self.version += 1
        if self.filter.empty or self._stale:
            return
        moves = len(delta.added) + len(delta.changed)
        if delta.resorted or (moves > 64 and moves > len(self.rows) // REBUILD_SHARE):
            self._stale = True
            return
        matches, members, counts, rows = self.filter.matches, self._members, self.counts, self.rows
        for row in delta.added:
            if matches(row):
                members.add(row.umid)
                counts[row.status] += 1
                if not rows or rows[-1].key < row.key:
                    rows.append(row)
                else:
                    insort(rows, row, key=_key)
        for row, before in delta.changed:
            was = row.umid in members
            now = matches(row)
            if was:
                counts[before] -= 1
                if not counts[before]:
                    del counts[before]
            if now:
                counts[row.status] += 1
            if was and not now:
                members.discard(row.umid)
                index = bisect_left(rows, row.key, key=_key)
                if index < len(rows) and rows[index] is row:
                    del rows[index]
            elif now and not was:
                members.add(row.umid)
                insort(rows, row, key=_key)
        if delta.evicted:
            leaving = 0
            for row in delta.evicted:
                if row.umid in members:
                    members.discard(row.umid)
                    counts[row.status] -= 1
                    if not counts[row.status]:
                        del counts[row.status]
                    leaving += 1
            del rows[:leaving]
