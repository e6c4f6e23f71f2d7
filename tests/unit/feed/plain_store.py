"""The feed's store and view as they were before rows were packed: every row an object in a
dict and a list, a filtered view a list of rows. The packed FeedStore must answer exactly as
this one does (test_feed_packed.py)."""

from __future__ import annotations

import time
from bisect import bisect_left, insort
from collections import Counter
from collections.abc import Callable, Iterable
from operator import attrgetter

from console.core.model import Changes
from console.feed.forgotten import Forgotten
from console.feed.query import EVERYTHING, FeedFilter
from console.feed.rate import ReceiptRate
from console.feed.row import FeedRow
from console.feed.rows import STALE_AFTER, StoreDelta
from console.live.events import TERMINAL_STATES

REBUILD_SHARE = 8

Clock = Callable[[], float]
Listener = Callable[[StoreDelta], object]


class PlainStore:
    """The rows of the feed (see the module docstring). Not thread-safe: one thread (the UI's)
    applies changes; workers build rows (:meth:`FeedRow.from_stored`) and hand them over."""

    def __init__(
        self,
        *,
        max_rows: int = 100_000,
        clock: Clock = time.time,
        stale_after: float = STALE_AFTER,
        rate: ReceiptRate | None = None,
    ) -> None:
        if max_rows < 1:
            raise ValueError("max_rows must be at least 1")
        self.max_rows = max_rows
        self.clock = clock
        self.stale_after = stale_after
        self.rate = rate or ReceiptRate()
        self.rows: dict[str, FeedRow] = {}
        self.order: list[FeedRow] = []
        self.counts: Counter[str] = Counter()
        self.dropped = 0  # rows let go (beyond max_rows)
        self.version = 0
        # Rows let go, so a late receipt does not bring one back: their umids' hashes (8 bytes
        # each, not the umid: the row's memory goes with it), the newest max_rows of them.
        self._forgotten = Forgotten(max_rows)
        self._pending: dict[str, FeedRow] = {}  # not final, not stale yet
        self._listeners: list[Listener] = []
        self.history_loaded = False  # the history's window is merged in (the feed screen does it)

    # -- reading -----------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.order)

    def get(self, umid: str) -> FeedRow | None:
        return self.rows.get(umid)

    @property
    def seen(self) -> int:
        """Messages seen: those kept and those let go (the M of "the newest N of M")."""
        return len(self.order) + self.dropped

    @property
    def final(self) -> int:
        """Rows whose status is final (delivered, undelivered, rejected, failed, read)."""
        return sum(count for status, count in self.counts.items() if status in TERMINAL_STATES)

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def unsubscribe(self, listener: Listener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    # -- changes -----------------------------------------------------------------------

    def apply(self, changes: Changes) -> StoreDelta:
        """Apply one change set from the core: new rows for messages sent (or first heard of
        by a receipt), rows moved forward for deliveries, receipts counted per second."""
        now = self.clock()
        if changes.receipts:
            self.rate.add(changes.receipts, now)
        delta = StoreDelta()
        rows = self.rows
        for sent in changes.sent:
            row = rows.get(sent.umid)
            if row is None:
                if hash(sent.umid) not in self._forgotten:
                    self._add(FeedRow.from_outbound(sent), delta)
                continue
            before = row.status
            filled = row._fill(sent)
            moved = row.take(sent.delivery, now, ties=False)
            if filled and not moved:
                row.version += 1
            if filled or moved:
                self._changed(row, before, delta)
        for umid, delivery in changes.deliveries.items():
            row = rows.get(umid)
            if row is None:
                if hash(umid) not in self._forgotten:
                    self._add(FeedRow.from_delivery(delivery, now), delta)
                continue
            before = row.status
            if row.take(delivery, now):
                self._changed(row, before, delta)
        return self._finish(delta)

    def merge(self, rows: Iterable[FeedRow]) -> StoreDelta:
        """Merge rows built elsewhere (the history, in a worker): a message already listed
        moves forward only; one let go stays gone; the rest are added in time order."""
        delta = StoreDelta()
        for row in rows:
            known = self.rows.get(row.umid)
            if known is not None:
                before = known.status
                if known.merge_older(row):
                    self._changed(known, before, delta)
            elif hash(row.umid) not in self._forgotten:
                self._add(row, delta)
        return self._finish(delta)

    def expire(self) -> StoreDelta:
        """Show messages with no final receipt `stale_after` seconds after they were sent as
        "no final receipt" (call it now and then; the clock decides)."""
        cutoff = self.clock() - self.stale_after
        delta = StoreDelta()
        for umid, row in list(self._pending.items()):
            if row.at <= cutoff:
                before = row.status
                row.stale = True
                row.version += 1
                del self._pending[umid]
                self._changed(row, before, delta)
        return self._finish(delta)

    # -- internals ---------------------------------------------------------------------

    def _add(self, row: FeedRow, delta: StoreDelta) -> None:
        order = self.order
        if order and row.key < order[-1].key:
            delta.resorted = True
        order.append(row)
        self.rows[row.umid] = row
        if not row.final:
            if row.at <= self.clock() - self.stale_after:
                row.stale = True
            else:
                self._pending[row.umid] = row
        self.counts[row.status] += 1
        delta.added.append(row)

    def _changed(self, row: FeedRow, before: str, delta: StoreDelta) -> None:
        after = row.status
        if after != before:
            self.counts[before] -= 1
            if not self.counts[before]:
                del self.counts[before]
            self.counts[after] += 1
        if row.final or row.stale:
            self._pending.pop(row.umid, None)
        delta.changed.append((row, before))

    def _finish(self, delta: StoreDelta) -> StoreDelta:
        if delta.resorted:
            self.order.sort(key=_row_key)
        overflow = len(self.order) - self.max_rows
        if overflow > 0:
            self._evict(overflow, delta)
        if delta:
            self.version += 1
            for listener in list(self._listeners):
                listener(delta)
        return delta

    def _evict(self, count: int, delta: StoreDelta) -> None:
        gone = self.order[:count]
        del self.order[:count]
        delta.evicted = []  # type: ignore[assignment]
        forgotten = self._forgotten
        for row in gone:
            del self.rows[row.umid]
            self._pending.pop(row.umid, None)
            status = row.status
            self.counts[status] -= 1
            if not self.counts[status]:
                del self.counts[status]
            forgotten.add(hash(row.umid))
        self.dropped += count
        delta.evicted.extend(gone)  # type: ignore[attr-defined]


def _row_key(row: FeedRow) -> tuple[float, int]:
    return row.key


_key = attrgetter("key")
REBUILD_SHARE = 8  # more membership moves than len/REBUILD_SHARE in one delta: rebuild


class PlainView:
    """Rows of `store` matching `feed_filter`, kept current as the store changes."""

    def __init__(self, store: PlainStore, feed_filter: FeedFilter = EVERYTHING) -> None:
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
