"""The tracker merges the send response and the live receipts, forward only."""

from __future__ import annotations

from console.core.tracker import Accepted, DeliveryTracker
from console.live.events import Event, receipt_from_event


def receipt_event(seq: int, umid: str, state: str) -> Event:
    payload = {
        "umid": umid,
        "subAccountId": "sandbox",
        "destination": "+6591234567",
        "status": {"state": state, "timestamp": f"2026-11-27T05:00:0{seq}.00Z"},
    }
    return Event(seq, "2026-11-27T05:00:00.000Z", "SMS", "outbound_message_status_changed", payload)


def test_a_receipt_before_the_send_response_is_not_undone_by_it() -> None:
    tracker = DeliveryTracker()
    early = receipt_from_event(receipt_event(1, "u-1", "delivered"))
    assert early is not None and tracker.apply(early)
    current = tracker.apply_accepted(Accepted("u-1", "cid-1"))
    assert current.state == "delivered", "the send response returns the state it really has"
    timeline = tracker.timeline("u-1")
    assert timeline is not None
    assert timeline.state == "delivered"
    assert [(r.state, r.source) for r in timeline.receipts] == [
        ("delivered", "webhook"),
        ("queued", "api"),
    ]


def test_an_accepted_send_starts_queued_as_an_api_receipt() -> None:
    tracker = DeliveryTracker()
    current = tracker.apply_accepted(Accepted("u-1", "cid-1"), "2026-11-27T05:00:00.000Z")
    assert (current.state, current.source, current.error_message) == ("queued", "api", None)
    assert current.client_message_id == "cid-1"
    assert current.received_at == "2026-11-27T05:00:00.000Z"
    assert current.channel == "sms" and current.namespace == "SMS"


def test_a_refused_send_starts_rejected_with_its_reason() -> None:
    tracker = DeliveryTracker()
    current = tracker.apply_accepted(Accepted("u-2", refused=True, reason="Invalid destination"))
    assert (current.state, current.error_message) == ("rejected", "Invalid destination")
    later = receipt_from_event(receipt_event(2, "u-2", "sent"))
    assert later is not None and not tracker.apply(later), "rejected never moves back"


def test_the_tracker_forgets_the_oldest_beyond_its_bound() -> None:
    tracker = DeliveryTracker(max_messages=2)
    for umid in ("a", "b", "c"):
        tracker.apply_accepted(Accepted(umid))
    assert len(tracker) == 2
    assert tracker.timeline("a") is None and tracker.timeline("c") is not None
