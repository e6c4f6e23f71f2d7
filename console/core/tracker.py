"""DeliveryTracker: the status of every message this console sent or heard of, merged from
the send response and the live receipts (forward only). Pure: no I/O, no Textual, no API.

The API layer's answers are converted at the edge (`console.core.sending`) into
:class:`Accepted`, the tracker's own input type.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from dataclasses import dataclass, replace
from functools import lru_cache

from console.core.standing import Standing
from console.live.events import MessageTimeline, Receipt, rank, utc_iso


@dataclass(frozen=True, slots=True)
class Accepted:
    """What the API answered for one message: taken (queued) or refused, with its reason."""

    umid: str
    client_message_id: str | None = None
    refused: bool = False
    reason: str | None = None  # why it was refused (8x8's status description)
    channel: str = "sms"

    def receipt(self, received_at: str | None = None) -> Receipt:
        """The send response as the first receipt of the message (source "api")."""
        return Receipt(
            umid=self.umid,
            state="rejected" if self.refused else "queued",
            namespace="SMS" if self.channel == "sms" else "ChatApps",
            received_at=received_at or utc_iso(),
            error_message=self.reason if self.refused else None,
            channel=self.channel,
            client_message_id=self.client_message_id,
            source="api",
        )


MAX_MESSAGES = 100_000  # the feed's rows by default ([feed] max_rows): the App passes its own
DETAILED = 10_000  # messages with every receipt kept: a whole batch (8x8 takes 10,000 at once)
RAW_RECEIPTS = 2_000  # receipts that keep their webhook payload; older ones: read the history


@lru_cache(maxsize=256)
def _position(state: str, detail: str | None) -> tuple[int, str]:
    """Where a state stands in the forward-only order (shared: one tuple per state)."""
    return (rank(state, detail), state)


class DeliveryTracker:
    """Where each message stands, by umid, for the newest `max_messages` (oldest forgotten
    first; the App bounds it with the feed's rows). Receipts for messages this console did not
    send are tracked too: a receipt may arrive before the send returns.

    Memory stays flat over a shift (issue 21): only the newest `detailed` messages keep their
    timeline (every receipt), and only the newest `raw_receipts` receipts keep 8x8's payload
    (a timeline on an older one reads its payloads back from the history). An older message
    keeps only where it stands; a receipt that moves it forward starts its timeline afresh."""

    def __init__(
        self,
        max_messages: int = MAX_MESSAGES,
        *,
        detailed: int = DETAILED,
        raw_receipts: int = RAW_RECEIPTS,
    ) -> None:
        if max_messages < 1 or detailed < 1 or raw_receipts < 0:
            raise ValueError("the tracker's bounds must be positive")
        self.max_messages = max_messages
        self.detailed = min(detailed, max_messages)
        self.raw_receipts = raw_receipts
        self._timelines: OrderedDict[str, MessageTimeline] = OrderedDict()
        # Older messages: where each stands, oldest first, ~10 bytes each (a dict and a queue
        # of umids cost ~50 bytes a message, for up to the feed's 100,000 rows).
        self._older: Standing[tuple[int, str]] = Standing(max_messages - self.detailed)
        self._with_raw: deque[Receipt] = deque()  # the kept receipts holding their payload

    def __len__(self) -> int:
        """Messages tracked (with a timeline or only where they stand)."""
        return len(self._timelines) + len(self._older)

    def __contains__(self, umid: object) -> bool:
        return umid in self._timelines or umid in self._older

    def timeline(self, umid: str) -> MessageTimeline | None:
        """Every receipt of a recent message; None for one not tracked or an older one."""
        return self._timelines.get(umid)

    def state(self, umid: str) -> str | None:
        """Where a tracked message stands (None: not tracked)."""
        timeline = self._timelines.get(umid)
        if timeline is not None:
            return timeline.state
        position = self._older.get(umid)
        return None if position is None else position[1]

    def apply(self, receipt: Receipt) -> bool:
        """Apply one receipt; True when the message's state moved."""
        timeline = self._timelines.get(receipt.umid)
        if timeline is None:
            position = self._older.get(receipt.umid)
            if position is not None and _position(receipt.state, receipt.detail) <= position:
                return False  # an older message's late receipt that does not move it
            timeline = self._start(receipt.umid, older=position is not None)
        kept = len(timeline.receipts)
        moved = timeline.apply(receipt)
        if receipt.raw and len(timeline.receipts) > kept:
            self._kept_raw(receipt)
        return moved

    def apply_accepted(self, accepted: Accepted, received_at: str | None = None) -> Receipt:
        """The send response's status is the first receipt of a message; returns the
        message's current receipt (a live receipt may already have moved it further)."""
        receipt = accepted.receipt(received_at)
        timeline = self._timelines.get(accepted.umid)
        if timeline is None:
            position = self._older.get(accepted.umid)
            if position is not None and _position(receipt.state, receipt.detail) <= position:
                return replace(receipt, state=position[1], error_message=None)
            timeline = self._start(accepted.umid, older=position is not None)
        timeline.apply(receipt)
        assert timeline.current is not None
        return timeline.current

    def _start(self, umid: str, *, older: bool) -> MessageTimeline:
        """A new timeline, newest (`older`: the message stood among the older ones); the
        oldest timelines beyond `detailed` keep only where they stand, and the oldest messages
        beyond `max_messages` are forgotten. A message is never both: one with a timeline is
        set among the older ones without looking for it there (a send looked once, not three
        times, through every sealed chunk: 15 -> 25 µs a send by the fourth batch)."""
        if older:
            self._older.pop(umid)
        timeline = self._timelines[umid] = MessageTimeline(umid)
        while len(self._timelines) > self.detailed:
            old_umid, old = self._timelines.popitem(last=False)
            current = old.current
            if current is not None:
                self._older.set(old_umid, _position(current.state, current.detail), new=True)
        return timeline

    def _kept_raw(self, receipt: Receipt) -> None:
        """Payloads beyond the newest `raw_receipts` receipts kept are let go (each receipt's
        own: a message's newer receipts keep theirs)."""
        with_raw = self._with_raw
        with_raw.append(receipt)
        while len(with_raw) > self.raw_receipts:
            oldest = with_raw.popleft()
            timeline = self._timelines.get(oldest.umid)
            if timeline is not None:
                timeline.drop_raw_of(oldest)
