"""FeedStore: the delivery feed's rows, one per message (keyed by umid), never one per receipt.

Rows come from the console core's ``Changes`` (messages sent, deliveries that moved) and from
the history (messages of earlier runs). A row's status only moves forward (console/feed/row.py).

- Order: oldest first by the time the message was sent (first seen, for a message another
  console sent), ties in arrival order; what the feed lists top to bottom (``order``).
- Bound: the newest `max_rows` rows are kept; older ones are let go and counted, so the feed
  says "showing the newest N of M". A late receipt for a message let go is not shown again.
- Memory: the newest `hot_rows` (and up to `seal_rows` more) are FeedRow objects; older ones
  are packed, `seal_rows` to a chunk (console/feed/packed.py: ~100 bytes a row instead of
  ~450). A packed row is read out as a FeedRow when asked for (drawn, opened, moved by a late
  receipt); while anyone holds that object, the store hands out the same one.
- Counters: messages per status among the rows kept; receipts per second (``rate``).
- "No final receipt": a message still queued or sent `stale_after` seconds (48 h) after it was
  sent shows as such (:meth:`expire`, with the injected clock), until a final receipt comes.
- Listeners get a :class:`StoreDelta` per change (views update incrementally from it).

Pure: no Textual, no I/O; the clock is injected.
"""

from __future__ import annotations

import sys
import time
from array import array
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from operator import attrgetter
from typing import TYPE_CHECKING
from weakref import WeakValueDictionary

from console.core.model import Changes
from console.feed.forgotten import Forgotten
from console.feed.packed import STALE, STATE, Chunk, chunk_of
from console.feed.query import FeedFilter
from console.feed.rate import ReceiptRate
from console.feed.row import (
    FIELDS,
    NO_FINAL,
    SHARED_FIELDS,
    SHARED_MAX,
    FeedRow,
    shared,
    shared_price,
)
from console.feed.sequences import LetGo, RowOrder, RowsByUmid
from console.live.events import TERMINAL_STATES

if TYPE_CHECKING:
    from console.store import Message as StoredMessage

__all__ = [
    "DEFAULT_MAX_ROWS",
    "FIELDS",
    "NO_FINAL",
    "SHARED_FIELDS",
    "SHARED_MAX",
    "STALE_AFTER",
    "FeedRow",
    "FeedStore",
    "StoreDelta",
    "shared",
    "shared_price",
]

Clock = Callable[[], float]

STALE_AFTER = 48 * 3600.0
DEFAULT_MAX_ROWS = 100_000
HOT_ROWS = 4_096  # the newest rows, kept as objects (receipts move them; the table draws them)
SEAL_ROWS = 4_096  # rows packed together once that many are older than the newest HOT_ROWS
SEALS_PER_CHANGE = 2  # chunks packed after one change (~8 ms each), unless far behind

_at = attrgetter("at")
_created_at = attrgetter("created_at")


def _held_baseline() -> int:
    """References to a row that only a list being packed and its loop hold (see _seal)."""
    for row in [FeedRow("probe", 0.0, "queued")]:
        return sys.getrefcount(row)
    return 0  # pragma: no cover


_HELD = _held_baseline()


@dataclass
class StoreDelta:
    """What one change to the store did, for views to follow.

    - ``added``: new rows (in the order they were added);
    - ``changed``: (row, the status it showed before) for rows that changed;
    - ``evicted``: rows let go, oldest first (they were the oldest kept), read out when asked
      for (``evicted.pairs()``: each one's place and status, without a FeedRow);
    - ``resorted``: rows were added out of time order (a view should rebuild).
    """

    added: list[FeedRow] = field(default_factory=list)
    changed: list[tuple[FeedRow, str]] = field(default_factory=list)
    evicted: LetGo = field(default_factory=LetGo)
    resorted: bool = False

    def __bool__(self) -> bool:
        return bool(self.added or self.changed or self.evicted or self.resorted)


Listener = Callable[[StoreDelta], object]
Found = tuple[FeedRow, Chunk | None, int]


class FeedStore:
    """The rows of the feed (see the module docstring). Not thread-safe: one thread (the UI's)
    applies changes; workers build rows (:meth:`FeedRow.from_stored`) and hand them over."""

    def __init__(
        self,
        *,
        max_rows: int = DEFAULT_MAX_ROWS,
        clock: Clock = time.time,
        stale_after: float = STALE_AFTER,
        rate: ReceiptRate | None = None,
        hot_rows: int = HOT_ROWS,
        seal_rows: int = SEAL_ROWS,
    ) -> None:
        if max_rows < 1:
            raise ValueError("max_rows must be at least 1")
        self.max_rows = max_rows
        self.clock = clock
        self.stale_after = stale_after
        self.rate = rate or ReceiptRate()
        self.hot_rows = max(hot_rows, 0)
        self.seal_rows = max(seal_rows, 1)
        self._hot: list[FeedRow] = []  # the newest rows, in order
        self._hot_index: dict[str, FeedRow] = {}
        self._chunks: list[Chunk] = []  # older rows packed, in order (all before _hot)
        self._cold = 0  # rows kept in chunks
        self._thawed: WeakValueDictionary[int, FeedRow] = WeakValueDictionary()  # by seq
        self.rows = RowsByUmid(self)  # umid → row (a Mapping; rows read out when asked)
        self.order = RowOrder(self)  # the rows in order (a Sequence, read out when asked)
        self.counts: Counter[str] = Counter()
        self.dropped = 0  # rows let go (beyond max_rows)
        self.version = 0
        # Rows let go, so a late receipt does not bring one back: their umids' hashes (8 bytes
        # each, not the umid: the row's memory goes with it), the newest max_rows of them.
        self._forgotten = Forgotten(max_rows)
        # "No final receipt": rows sent up to _expired_to were judged; rows added since behind
        # it (the clock went back), still pending, are judged at the next expire.
        self._expired_to = float("-inf")
        self._behind: dict[str, None] = {}
        self._listeners: list[Listener] = []
        self.history_loaded = False  # the history's window is merged in (the feed screen does it)

    # -- reading -----------------------------------------------------------------------

    def __len__(self) -> int:
        return self._cold + len(self._hot)

    def get(self, umid: str) -> FeedRow | None:
        found = self._find(umid)
        return None if found is None else found[0]

    @property
    def seen(self) -> int:
        """Messages seen: those kept and those let go (the M of "the newest N of M")."""
        return len(self) + self.dropped

    @property
    def final(self) -> int:
        """Rows whose status is final (delivered, undelivered, rejected, failed, read)."""
        return sum(count for status, count in self.counts.items() if status in TERMINAL_STATES)

    @property
    def packed(self) -> int:
        """Rows kept packed (the rest are objects)."""
        return self._cold

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def unsubscribe(self, listener: Listener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def row_at(self, index: int) -> FeedRow:
        """The row at `index` in the order (0 ≤ index < len)."""
        if index >= self._cold:
            return self._hot[index - self._cold]
        for chunk in self._chunks:
            if index < len(chunk):
                return self._thaw(chunk, chunk.start + index)
            index -= len(chunk)
        raise IndexError(index)

    def row_by_key(self, key: tuple[float, int]) -> FeedRow | None:
        """The row whose place in the order is `key` (sent time, arrival), or None."""
        found = self._at_key(key)
        if found is None:
            return None
        row, chunk, place = found
        return row if chunk is None else self._thaw(chunk, place)

    def copy_by_key(self, key: tuple[float, int]) -> FeedRow | None:
        """A copy of the row at `key`, or None: for a reader on another thread (an export).
        A packed row is read out afresh, without becoming the object the store hands out."""
        found = self._at_key(key)
        if found is None:
            return None
        row, chunk, place = found
        if chunk is not None:
            return chunk.row(place)  # every change to a packed row is written to its chunk
        return None if row is None else row.copy()

    def _at_key(self, key: tuple[float, int]) -> tuple[FeedRow | None, Chunk | None, int] | None:
        """Where the row at `key` is: (the row, None, 0) among the objects, (None, its chunk,
        its place) among the packed ones."""
        hot = self._hot
        if hot and key >= hot[0].key:
            index = bisect_left(hot, key, key=_row_key)
            return (hot[index], None, 0) if index < len(hot) and hot[index].key == key else None
        if not self._chunks:
            return None
        chunk = self._chunks[chunk_of(self._chunks, key)]
        place = chunk.locate(key)
        return None if place is None else (None, chunk, place)

    def index_of(self, row: FeedRow) -> int | None:
        """Where `row` is in the order, or None if it is not kept."""
        key, hot = row.key, self._hot
        if hot and key >= hot[0].key:
            index = bisect_left(hot, key, key=_row_key)
            return self._cold + index if index < len(hot) and hot[index] is row else None
        before = 0
        for chunk in self._chunks:
            if key <= chunk.last_key:
                place = chunk.locate(key)
                if place is None or self._thaw(chunk, place) is not row:
                    return None
                return before + place - chunk.start
            before += len(chunk)
        return None

    def __iter__(self) -> Iterator[FeedRow]:
        for chunk in list(self._chunks):
            for place in range(chunk.start, len(chunk.ats)):
                yield self._thaw(chunk, place)
        yield from list(self._hot)

    def keys(self) -> tuple[array[float], array[int]]:
        """Every kept row's key (sent time, arrival), in order, as two new arrays: a snapshot
        that costs 16 bytes a row and array copies (no row is read out)."""
        ats, seqs = array("d"), array("q")
        for chunk in self._chunks:
            ats.extend(chunk.ats[chunk.start :])
            seqs.extend(chunk.seqs[chunk.start :])
        ats.extend([row.at for row in self._hot])
        seqs.extend([row.seq for row in self._hot])
        return ats, seqs

    def select(self, feed_filter: FeedFilter) -> tuple[array[float], array[int], Counter[str]]:
        """The keys (sent times, arrivals) of the rows `feed_filter` lets through, in order,
        and their statuses counted: packed rows are judged packed (no FeedRow each)."""
        ats, seqs, counts = array("d"), array("q"), Counter[str]()
        for chunk in self._chunks:
            places = chunk.select(feed_filter)
            ats.extend([chunk.ats[place] for place in places])
            seqs.extend([chunk.seqs[place] for place in places])
            counts.update(map(chunk.status, places))
        matches = feed_filter.matches
        for row in self._hot:
            if matches(row):
                ats.append(row.at)
                seqs.append(row.seq)
                counts[row.status] += 1
        return ats, seqs, counts

    # -- changes -----------------------------------------------------------------------

    def apply(self, changes: Changes) -> StoreDelta:
        """Apply one change set from the core: new rows for messages sent (or first heard of
        by a receipt), rows moved forward for deliveries, receipts counted per second."""
        now = self.clock()
        if changes.receipts:
            self.rate.add(changes.receipts, now)
        delta = StoreDelta()
        for sent in changes.sent:
            found = self._find(sent.umid)
            if found is None:
                if hash(sent.umid) not in self._forgotten:
                    self._add(FeedRow.from_outbound(sent), delta)
                continue
            row, chunk, place = found
            before = row.status
            filled = row._fill(sent)
            moved = row.take(sent.delivery, now, ties=False)
            if filled and not moved:
                row.version += 1
            if filled or moved:
                self._changed(row, before, delta, chunk, place)
        for umid, delivery in changes.deliveries.items():
            found = self._find(umid)
            if found is None:
                if hash(umid) not in self._forgotten:
                    self._add(FeedRow.from_delivery(delivery, now), delta)
                continue
            row, chunk, place = found
            before = row.status
            if row.take(delivery, now):
                self._changed(row, before, delta, chunk, place)
        return self._finish(delta)

    @classmethod
    def from_history(
        cls,
        messages: Sequence[StoredMessage],
        *,
        max_rows: int,
        clock: Clock,
        hot_rows: int = HOT_ROWS,
        seal_rows: int = SEAL_ROWS,
    ) -> FeedStore:
        """A store of the history's messages (any order: ``History.todays_messages`` gives
        them newest first), packed and judged for "no final receipt": built off the UI loop,
        then handed to the feed with :meth:`take_over`. Added oldest first (messages sent at
        the same time in the order they were recorded, as the live rows are), the rows need
        no re-sort, and no seal is left for the loop's next changes."""
        oldest_first = sorted(messages, key=_created_at)
        store = cls(max_rows=max_rows, clock=clock, hot_rows=hot_rows, seal_rows=seal_rows)
        store.merge(row for row in map(FeedRow.from_stored, oldest_first) if row is not None)
        store.pack()
        store.expire()
        store.history_loaded = True
        return store

    def pack(self) -> None:
        """Pack every row older than the newest `hot_rows` now (rather than a few chunks at
        each of the next changes, as after a big merge)."""
        due = self.hot_rows + self.seal_rows
        while len(self._hot) >= due:
            self._seal()

    def take_over(self, other: FeedStore) -> bool:
        """Take `other`'s rows, whole, if this store has seen none yet: the history's window,
        built and packed in the thread that opened the history, becomes the feed's without
        a merge on the UI loop (100,000 rows merged there held it ~450 ms). Views following
        this store rebuild. False, and nothing done, when this store has rows already (they
        are merged as before) or keeps another number of rows. `other` is not to be used again:
        its rows are this store's now."""
        if other is self or self.seen or other.max_rows != self.max_rows:
            return False
        self._hot, self._hot_index = other._hot, other._hot_index
        self._chunks, self._cold, self._thawed = other._chunks, other._cold, other._thawed
        self._forgotten, self.dropped = other._forgotten, other.dropped
        self._expired_to, self._behind = other._expired_to, other._behind
        self.counts.clear()  # the same Counter: an unfiltered view reads it
        self.counts.update(other.counts)
        self.history_loaded = self.history_loaded or other.history_loaded
        self.version += 1
        delta = StoreDelta(resorted=True)
        for listener in list(self._listeners):
            listener(delta)
        return True

    def merge(self, rows: Iterable[FeedRow]) -> StoreDelta:
        """Merge rows built elsewhere (the history, in a worker): a message already listed
        moves forward only; one let go stays gone; the rest are added in time order."""
        delta = StoreDelta()
        for row in rows:
            found = self._find(row.umid)
            if found is not None:
                known, chunk, place = found
                before = known.status
                if known.merge_older(row):
                    self._changed(known, before, delta, chunk, place)
            elif hash(row.umid) not in self._forgotten:
                self._add(row, delta)
        return self._finish(delta)

    def expire(self) -> StoreDelta:
        """Show messages with no final receipt `stale_after` seconds after they were sent as
        "no final receipt" (call it now and then; the clock decides)."""
        cutoff = self.clock() - self.stale_after
        delta = StoreDelta()
        due: list[Found] = []
        if cutoff > self._expired_to:
            due += self._pending_between(self._expired_to, cutoff)
            self._expired_to = cutoff
        for umid in list(self._behind):
            found = self._find(umid)
            if found is not None and found[0].at <= cutoff:
                due.append(found)
        for row, chunk, place in due:
            before = row.status
            row.stale = True
            row.version += 1
            self._changed(row, before, delta, chunk, place)
        return self._finish(delta)

    # -- internals ---------------------------------------------------------------------

    def _find(self, umid: str) -> Found | None:
        row = self._hot_index.get(umid)
        if row is not None:
            return row, None, 0
        for chunk in reversed(self._chunks):
            place = chunk.find(umid)
            if place is not None:
                return self._thaw(chunk, place), chunk, place
        return None

    def _thaw(self, chunk: Chunk, place: int) -> FeedRow:
        """The packed row at `place` as a FeedRow: the one already out, if anyone holds it."""
        seq = chunk.seqs[place]
        row = self._thawed.get(seq)
        if row is None:
            row = self._thawed[seq] = chunk.row(place)
        return row

    def _pending_between(self, low: float, high: float) -> list[Found]:
        """Rows sent after `low`, up to `high`, neither final nor stale."""
        found: list[Found] = []
        for chunk in self._chunks:
            ats = chunk.ats
            first = bisect_right(ats, low, chunk.start)
            last = bisect_right(ats, high, first)
            states, codes, flags = chunk.values[STATE], chunk.codes[STATE], chunk.flags
            for place in range(first, last):
                if not flags[place] & STALE and states[codes[place]] not in TERMINAL_STATES:
                    found.append((self._thaw(chunk, place), chunk, place))
        hot = self._hot
        first = bisect_right(hot, low, key=_at)
        last = bisect_right(hot, high, first, key=_at)
        found += [(row, None, 0) for row in hot[first:last] if not row.final and not row.stale]
        return found

    def _add(self, row: FeedRow, delta: StoreDelta) -> None:
        hot = self._hot
        last = hot[-1] if hot else None
        if last is not None:
            delta.resorted |= row.key < last.key
        elif self._chunks:
            delta.resorted |= row.key < self._chunks[-1].last_key
        hot.append(row)
        self._hot_index[row.umid] = row
        if not row.final:
            if row.at <= self.clock() - self.stale_after:
                row.stale = True
            elif row.at <= self._expired_to:
                self._behind[row.umid] = None
        self.counts[row.status] += 1
        delta.added.append(row)

    def _changed(
        self, row: FeedRow, before: str, delta: StoreDelta, chunk: Chunk | None, place: int
    ) -> None:
        after = row.status
        if after != before:
            self.counts[before] -= 1
            if not self.counts[before]:
                del self.counts[before]
            self.counts[after] += 1
        if self._behind and (row.final or row.stale):
            self._behind.pop(row.umid, None)
        if chunk is not None:
            chunk.write(place, row)
        delta.changed.append((row, before))

    def _finish(self, delta: StoreDelta) -> StoreDelta:
        if delta.resorted:
            self._resort()
        overflow = len(self) - self.max_rows
        if overflow > 0:
            self._evict(overflow, delta)
        due = self.hot_rows + self.seal_rows
        budget = SEALS_PER_CHANGE
        while len(self._hot) >= due and (budget > 0 or len(self._hot) >= 4 * due):
            self._seal()
            budget -= 1
        if delta:
            self.version += 1
            for listener in list(self._listeners):
                listener(delta)
        return delta

    def _resort(self) -> None:
        """Rows came out of time order: the objects sorted, and those older than the newest
        packed row packed into the chunks they belong to."""
        hot = self._hot
        hot.sort(key=_row_key)
        if not self._chunks or not hot or hot[0].key > self._chunks[-1].last_key:
            return
        boundary = self._chunks[-1].last_key
        cut = bisect_left(hot, boundary, key=_row_key)
        older = hot[:cut]
        del hot[:cut]
        for row in older:
            del self._hot_index[row.umid]
        groups: dict[int, list[FeedRow]] = {}
        for row in older:
            groups.setdefault(chunk_of(self._chunks, row.key), []).append(row)
        for number in sorted(groups, reverse=True):
            chunk = self._chunks[number]
            rows = [self._thaw(chunk, place) for place in range(chunk.start, len(chunk.ats))]
            rows += groups[number]
            rows.sort(key=_row_key)
            self._cold += len(groups[number])
            self._chunks[number] = Chunk(rows)
            self._keep_held(rows)

    def _seal(self) -> None:
        """Pack the oldest `seal_rows` objects into a chunk."""
        hot = self._hot
        rows = hot[: self.seal_rows]
        del hot[: self.seal_rows]
        index = self._hot_index
        for row in rows:
            del index[row.umid]
        self._chunks.append(Chunk(rows))
        self._cold += len(rows)
        self._keep_held(rows)

    def _keep_held(self, rows: list[FeedRow]) -> None:
        """Rows just packed that someone still holds (a view, the table's cursor, a delta)
        stay the objects handed out."""
        thawed = self._thawed
        for row in rows:
            if sys.getrefcount(row) > _HELD:
                thawed[row.seq] = row

    def _evict(self, count: int, delta: StoreDelta) -> None:
        gone = delta.evicted = LetGo(self._thawed)
        forgotten, counts, behind = self._forgotten, self.counts, self._behind
        tally: Counter[str] = Counter()
        chunks = self._chunks
        while count and chunks:
            chunk = chunks[0]
            places = chunk.let_go(min(count, len(chunk)))
            tally.update(map(chunk.status, places))
            for place in places:
                umid = chunk.umid(place)
                forgotten.add(hash(umid))
                if behind:
                    behind.pop(umid, None)
            gone.add_places(chunk, places)
            self._cold -= len(places)
            count -= len(places)
            if not len(chunk):
                del chunks[0]
        if count:
            rows = self._hot[:count]
            del self._hot[:count]
            for row in rows:
                del self._hot_index[row.umid]
                tally[row.status] += 1
                forgotten.add(hash(row.umid))
                if behind:
                    behind.pop(row.umid, None)
            gone.add_rows(rows)
        for status, number in tally.items():
            counts[status] -= number
            if not counts[status]:
                del counts[status]
        self.dropped += len(gone)


def _row_key(row: FeedRow) -> tuple[float, int]:
    return row.key
