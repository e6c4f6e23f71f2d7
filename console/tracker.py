"""DeliveryTracker: the status of every message this console sent, merged from the send
response and the live receipts (forward only). Pure: no I/O, no Textual."""

from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING

from console.live.events import MessageTimeline, Receipt, utc_iso

if TYPE_CHECKING:
    from console.api.models import SmsAccepted


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

    def apply_sms_accepted(self, accepted: SmsAccepted) -> Receipt:
        """The send response's status is the first receipt of a message."""
        rejected = accepted.status_code.upper() == "REJECTED"
        receipt = Receipt(
            umid=accepted.umid,
            state="rejected" if rejected else "queued",
            namespace="SMS",
            received_at=utc_iso(),
            error_message=accepted.status_description if rejected else None,
            channel="sms",
            client_message_id=accepted.client_message_id,
            source="api",
        )
        self.apply(receipt)
        return receipt
