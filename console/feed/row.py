"""FeedRow: one message as the feed lists it (keyed by umid), and the words many rows share.

A row's status only moves forward: the core's delivery is taken when it ranks at least as high
as the row's (the core's tracker already chose it as the message's current receipt); a history
record only when it ranks higher. Pure: no Textual, no I/O.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, TypeVar

from console.core.model import Delivery, Outbound
from console.live.events import TERMINAL_STATES, rank

if TYPE_CHECKING:
    from console.store import Message as StoredMessage

NO_FINAL = "no final receipt"

_seqs = itertools.count(1)  # arrival order; next() is atomic, so workers may build rows too

# Words that many rows share (a state, a detail, a channel, a batch, a currency, an error):
# one string each, not one per receipt parsed (~60-70 bytes a row per field otherwise).
T = TypeVar("T")

_SHARED: dict[str, str] = {}
SHARED_MAX = 4_096
SHARED_FIELDS = frozenset({"state", "detail", "channel", "batch_id", "currency", "error_message"})


def shared(value: str | None) -> str | None:
    """The one copy of a frequent word (bounded: beyond SHARED_MAX words, the value)."""
    return None if value is None else _kept(_SHARED, value)


_PRICES: dict[float, float] = {}


def shared_price(value: float | None) -> float | None:
    """The one float object of a frequent price (most messages cost the same)."""
    return _kept(_PRICES, value) if type(value) is float else value


def _kept(table: dict[T, T], value: T) -> T:
    kept = table.get(value)
    if kept is not None:
        return kept
    if len(table) < SHARED_MAX:
        table[value] = value
    return value


def _rank(state: str, detail: str | None) -> tuple[int, str]:
    return (rank(state, detail), state)


class FeedRow:
    """One message as the feed lists it. Mutable (the store moves it forward); `version`
    changes whenever anything shown changes, so a view's line cache knows it is stale."""

    __slots__ = (
        "__weakref__",  # a row read out of a packed chunk stays itself while anyone holds it
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
        for name in FIELDS:
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


FIELDS: tuple[str, ...] = tuple(name for name in FeedRow.__slots__ if name != "__weakref__")
