"""DeliveryTracker: the status of every message this console sent or heard of, merged from
the send response and the live receipts (forward only). Pure: no I/O, no Textual, no API.

The API layer's answers are converted at the edge (`console.core.sending`) into
:class:`Accepted`, the tracker's own input type.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from console.live.events import MessageTimeline, Receipt, utc_iso


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


class DeliveryTracker:
    """Timelines by umid, bounded (oldest forgotten first). Receipts for messages this
    console did not send are tracked too: a receipt may arrive before the send returns."""

    def __init__(self, max_messages: int = 50_000) -> None:
        self.max_messages = max_messages
        self._timelines: OrderedDict[str, MessageTimeline] = OrderedDict()

    def __len__(self) -> int:
        return len(self._timelines)

    def timeline(self, umid: str) -> MessageTimeline | None:
        return self._timelines.get(umid)

    def _timeline_for(self, umid: str) -> MessageTimeline:
        timeline = self._timelines.get(umid)
        if timeline is None:
            timeline = self._timelines[umid] = MessageTimeline(umid)
            while len(self._timelines) > self.max_messages:
                self._timelines.popitem(last=False)
        return timeline

    def apply(self, receipt: Receipt) -> bool:
        """Apply one receipt; True when the message's state moved."""
        return self._timeline_for(receipt.umid).apply(receipt)

    def apply_accepted(self, accepted: Accepted, received_at: str | None = None) -> Receipt:
        """The send response's status is the first receipt of a message; returns the
        message's current receipt (a live receipt may already have moved it further)."""
        timeline = self._timeline_for(accepted.umid)
        timeline.apply(accepted.receipt(received_at))
        assert timeline.current is not None
        return timeline.current
