"""FeedStore: the delivery feed's rows, one per message (keyed by umid), never one per receipt.

Rows come from the console core's ``Changes`` (messages sent, deliveries that moved) and from
the history (messages of earlier runs). A row's status only moves forward: the core's
delivery is taken when it ranks at least as high as the row's (the core's tracker already
chose it as the message's current receipt); a history record only when it ranks higher.

- Order: oldest first by the time the message was sent (first seen, for a message another
  console sent), ties in arrival order; what the feed lists top to bottom.
- Bound: the newest `max_rows` rows are kept; older ones are let go and counted, so the feed
  says "showing the newest N of M". A late receipt for a message let go is not shown again.
- Counters: messages per status among the rows kept; receipts per second (``rate``).
- "No final receipt": a message still queued or sent `stale_after` seconds (48 h) after it was
  sent shows as such (:meth:`expire`, with the injected clock), until a final receipt comes.
- Listeners get a :class:`StoreDelta` per change (views update incrementally from it).

Pure: no Textual, no I/O; the clock is injected.
"""

from __future__ import annotations

import itertools
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from console.core.model import Changes, Delivery, Outbound
from console.feed.forgotten import Forgotten
from console.feed.rate import ReceiptRate
from console.live.events import TERMINAL_STATES, rank

if TYPE_CHECKING:
    from console.store import Message as StoredMessage

Clock = Callable[[], float]

NO_FINAL = "no final receipt"
STALE_AFTER = 48 * 3600.0
DEFAULT_MAX_ROWS = 100_000

_seqs = itertools.count(1)  # arrival order; next() is atomic, so workers may build rows too

# Words that many rows share (a state, a detail, a channel, a batch, a currency, an error):
# one string each, not one per receipt parsed (~60-70 bytes a row per field otherwise).
_SHARED: dict[str, str] = {}
SHARED_MAX = 4_096
SHARED_FIELDS = frozenset({"state", "detail", "channel", "batch_id", "currency", "error_message"})


def shared(value: str | None) -> str | None:
    """The one copy of a frequent word (bounded: beyond SHARED_MAX words, the value)."""
    if value is None:
        return None
    kept = _SHARED.get(value)
    if kept is not None:
        return kept
    if len(_SHARED) < SHARED_MAX:
        _SHARED[value] = value
    return value


_PRICES: dict[float, float] = {}


def shared_price(value: float | None) -> float | None:
    """The one float object of a frequent price (most messages cost the same)."""
    if type(value) is not float:
        return value
    kept = _PRICES.get(value)
    if kept is not None:
        return kept
    if len(_PRICES) < SHARED_MAX:
        _PRICES[value] = value
    return value


def _rank(state: str, detail: str | None) -> tuple[int, str]:
    return (rank(state, detail), state)


class FeedRow:
    """One message as the feed lists it. Mutable (the store moves it forward); `version`
    changes whenever anything shown changes, so a view's line cache knows it is stale."""

    __slots__ = (
        "at",
        "batch_id",
        "channel",
        "client_message_id",
        "currency",
        "destination",
        "detail",
        "error_code",
        "error_message",
        "price",
        "seq",
        "sms_count",
        "stale",
        "state",
        "umid",
        "updated_at",
        "version",
    )

    def __init__(
        self,
        umid: str,
        at: float,
        state: str,
        *,
        destination: str | None = None,
        channel: str | None = None,
        client_message_id: str | None = None,
        batch_id: str | None = None,
        detail: str | None = None,
        error_code: int | None = None,
        error_message: str | None = None,
        sms_count: int | None = None,
        price: float | None = None,
        currency: str | None = None,
        updated_at: float | None = None,
    ) -> None:
        self.umid = umid
        self.at = at
        self.seq = next(_seqs)
        self.state = shared(state)  # type: ignore[assignment]
        self.destination = destination
        self.channel = shared(channel)
        self.client_message_id = client_message_id
        self.batch_id = shared(batch_id)
        self.detail = shared(detail)
        self.error_code = error_code
        self.error_message = shared(error_message)
        self.sms_count = sms_count
        self.price = price
        self.currency = shared(currency)
        self.updated_at = at if updated_at is None else updated_at
        self.stale = False
        self.version = 0

    def __repr__(self) -> str:
        return f"FeedRow({self.umid!r}, {self.status!r})"

    @property
    def key(self) -> tuple[float, int]:
        """Its place in the feed: sent time, then arrival (made when asked: a row kept for
        each of 100,000 messages holds no tuple of its own)."""
        return (self.at, self.seq)

    def copy(self) -> FeedRow:
        """The same message as a new row (for another store: a row belongs to one store)."""
        twin = FeedRow.__new__(FeedRow)
        for name in FeedRow.__slots__:
            setattr(twin, name, getattr(self, name))
        twin.seq = next(_seqs)
        twin.version = 0
        return twin

    @property
    def status(self) -> str:
        """The status the feed shows and counts: the state, or "no final receipt"."""
        return NO_FINAL if self.stale else self.state

    @property
    def final(self) -> bool:
        return self.state in TERMINAL_STATES

    # -- building ----------------------------------------------------------------------

    @classmethod
    def from_outbound(cls, sent: Outbound) -> FeedRow:
        row = cls(
            sent.umid,
            sent.sent_at,
            sent.delivery.state,
            destination=sent.destination,
            channel=sent.channel,
            client_message_id=sent.client_message_id,
            batch_id=sent.batch_id,
        )
        row._take_status(sent.delivery)
        row._fill(sent.delivery)
        return row

    @classmethod
    def from_delivery(cls, delivery: Delivery, now: float) -> FeedRow:
        """A message first heard of by its receipt (sent by another console, or a receipt
        that beat the send's answer): listed at the time it was first seen."""
        row = cls(delivery.umid, now, delivery.state)
        row._take_status(delivery)
        row._fill(delivery)
        return row

    @classmethod
    def from_stored(cls, message: StoredMessage) -> FeedRow | None:
        """A message sent in an earlier run, from the history (None if it is not one)."""
        if message.direction != "out" or not message.umid:
            return None
        code = message.error_code
        if isinstance(code, str) and code.strip().isdigit():
            code = int(code)
        return cls(
            message.umid,
            message.created_at,
            message.status,
            destination=message.peer,
            channel=message.channel,
            client_message_id=message.client_message_id,
            batch_id=message.batch_id,
            detail=message.status_detail,
            error_code=code if isinstance(code, int) else None,
            error_message=message.error_message,
            updated_at=message.status_at,
        )

    # -- moving forward ------------------------------------------------------------------

    def _take_status(self, delivery: Delivery) -> None:
        self.state = shared(delivery.state)  # type: ignore[assignment]
        self.detail = shared(delivery.detail)
        self.error_code = delivery.error_code
        self.error_message = shared(delivery.error_message)

    def _fill(self, delivery: Delivery | Outbound) -> bool:
        """Fill in what the row does not know yet; True when something was added."""
        changed = False
        if isinstance(delivery, Outbound):
            pairs = (
                ("destination", delivery.destination),
                ("channel", delivery.channel),
                ("client_message_id", delivery.client_message_id),
                ("batch_id", delivery.batch_id),
            )
        else:
            price = delivery.price
            pairs = (
                ("destination", delivery.destination),
                ("channel", delivery.channel),
                ("client_message_id", delivery.client_message_id),
                ("batch_id", delivery.batch_id),
                ("sms_count", delivery.sms_count),
                ("price", None if price is None else price.total),
                ("currency", None if price is None else price.currency),
            )
        for name, value in pairs:
            if value is not None and getattr(self, name) is None:
                if name in SHARED_FIELDS:
                    value = shared(value)  # type: ignore[arg-type]
                elif name == "price":
                    value = shared_price(value)  # type: ignore[arg-type]
                setattr(self, name, value)
                changed = True
        if (
            not isinstance(delivery, Outbound)
            and delivery.sms_count is not None
            and delivery.sms_count != self.sms_count  # the latest receipt's count is 8x8's word
        ):
            self.sms_count = delivery.sms_count
            changed = True
        return changed

    def take(self, delivery: Delivery, now: float, *, ties: bool = True) -> bool:
        """Apply a delivery: its status when it ranks higher (or equal, with `ties`: the core
        chose it as the current receipt), and what it adds. True when the row changed."""
        changed = self._fill(delivery)
        new, old = _rank(delivery.state, delivery.detail), _rank(self.state, self.detail)
        if new > old or (ties and new == old and self._differs(delivery)):
            self._take_status(delivery)
            self.updated_at = now
            if self.final:
                self.stale = False
            changed = True
        if changed:
            self.version += 1
        return changed

    def _differs(self, delivery: Delivery) -> bool:
        return (delivery.detail, delivery.error_code, delivery.error_message) != (
            self.detail,
            self.error_code,
            self.error_message,
        )

    def merge_older(self, other: FeedRow) -> bool:
        """Merge what the history knows of this message (forward only, gaps filled)."""
        changed = False
        for name in ("destination", "channel", "client_message_id", "batch_id"):
            if getattr(self, name) is None and getattr(other, name) is not None:
                setattr(self, name, getattr(other, name))
                changed = True
        if _rank(other.state, other.detail) > _rank(self.state, self.detail):
            self.state, self.detail = other.state, other.detail
            self.error_code, self.error_message = other.error_code, other.error_message
            self.updated_at = other.updated_at
            if self.final:
                self.stale = False
            changed = True
        if changed:
            self.version += 1
        return changed


@dataclass
class StoreDelta:
    """What one change to the store did, for views to follow.

    - ``added``: new rows (in the order they were added);
    - ``changed``: (row, the status it showed before) for rows that changed;
    - ``evicted``: rows let go, oldest first (they were the oldest kept);
    - ``resorted``: rows were added out of time order (a view should rebuild).
    """

    added: list[FeedRow] = field(default_factory=list)
    changed: list[tuple[FeedRow, str]] = field(default_factory=list)
    evicted: list[FeedRow] = field(default_factory=list)
    resorted: bool = False

    def __bool__(self) -> bool:
        return bool(self.added or self.changed or self.evicted or self.resorted)


Listener = Callable[[StoreDelta], object]


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
            self.order.sort(key=_key)
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
        delta.evicted.extend(gone)


def _key(row: FeedRow) -> tuple[float, int]:
    return row.key
