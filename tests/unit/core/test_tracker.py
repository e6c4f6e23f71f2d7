"""The tracker merges the send response and the live receipts, forward only."""

from __future__ import annotations

from console.api.models import SmsAccepted
from console.live.events import Event, receipt_from_event
from console.tracker import DeliveryTracker


def receipt_event(seq: int, umid: str, state: str) -> Event:
    payload = {
        "umid": umid,
        "subAccountId": "sandbox",
        "destination": "+6591234567",
        "status": {"state": state, "timestamp": f"2026-11-27T05:00:0{seq}.00Z"},
    }
    return Event(seq, "2026-11-27T05:00:00.000Z", "SMS", "outbound_message_status_changed", payload)


def accepted(umid: str, code: str = "QUEUED", description: str = "queued") -> SmsAccepted:
    return SmsAccepted(umid, "cid-1", "6591234567", "GSM7", code, description)


def test_a_receipt_before_the_send_response_is_not_undone_by_it() -> None:
    tracker = DeliveryTracker()
    early = receipt_from_event(receipt_event(1, "u-1", "delivered"))
    assert early is not None and tracker.apply(early)
    tracker.apply_sms_accepted(accepted("u-1"))
    timeline = tracker.timeline("u-1")
    assert timeline is not None
    assert timeline.state == "delivered"
    assert [r.state for r in timeline.receipts] == ["delivered", "queued"]


def test_a_refused_send_starts_rejected_with_its_reason() -> None:
    tracker = DeliveryTracker()
    receipt = tracker.apply_sms_accepted(accepted("u-2", "REJECTED", "Invalid destination"))
    assert (receipt.state, receipt.error_message) == ("rejected", "Invalid destination")


def test_the_tracker_forgets_the_oldest_beyond_its_bound() -> None:
    tracker = DeliveryTracker(max_messages=2)
    for umid in ("a", "b", "c"):
        tracker.apply_sms_accepted(accepted(umid))
    assert len(tracker) == 2
    assert tracker.timeline("a") is None and tracker.timeline("c") is not None
