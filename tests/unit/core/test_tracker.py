"""The tracker merges the send response and the live receipts, forward only."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from console.core.tracker import Accepted, DeliveryTracker
from console.live.events import Event, Receipt, advance, rank, receipt_from_event


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


def webhook(seq: int, umid: str, state: str) -> Receipt:
    receipt = receipt_from_event(receipt_event(seq % 10, umid, state))
    assert receipt is not None
    return replace(receipt, seq=seq)


STATES = ("queued", "sent", "delivered", "undelivered", "rejected")


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 40), st.sampled_from(STATES)), max_size=200),
    st.integers(1, 30),
    st.integers(1, 30),
    st.integers(0, 10),
)
def test_the_tracker_stays_within_its_bounds_and_never_moves_a_message_back(
    seen: list[tuple[int, str]], max_messages: int, detailed: int, raw_receipts: int
) -> None:
    tracker = DeliveryTracker(max_messages, detailed=detailed, raw_receipts=raw_receipts)
    furthest: dict[str, str] = {}  # since the tracker last let go of the message
    for seq, (n, state) in enumerate(seen, 1):
        umid = f"u-{n}"
        before = tracker.state(umid)
        moved = tracker.apply(webhook(seq, umid, state))
        after = tracker.state(umid)
        assert after is not None
        if before is not None:
            assert rank(after) >= rank(before), "a message never moves back"
            assert moved == (after != before)
        furthest[umid] = advance(furthest.get(umid) if before is not None else None, state)
        assert after == furthest[umid], "where it stands: the furthest state seen"
        assert len(tracker) <= max_messages, "never more messages than the feed's rows"
        assert sum(tracker.timeline(u) is not None for u in furthest) <= min(detailed, max_messages)
        payloads = sum(
            bool(r.raw)
            for u in furthest
            if (timeline := tracker.timeline(u)) is not None
            for r in timeline.receipts
        )
        assert payloads <= raw_receipts, "payloads only for the newest receipts"


def test_an_older_message_keeps_where_it_stands_and_a_late_receipt_cannot_undo_it() -> None:
    tracker = DeliveryTracker(100, detailed=2, raw_receipts=1)
    tracker.apply(webhook(1, "old", "delivered"))
    for seq, umid in enumerate(("b", "c"), 2):
        tracker.apply(webhook(seq, umid, "sent"))
    assert tracker.timeline("old") is None and tracker.state("old") == "delivered"
    assert not tracker.apply(webhook(9, "old", "sent")), "a late 'sent' does not move it back"
    assert tracker.state("old") == "delivered" and "old" in tracker
    assert tracker.apply_accepted(Accepted("old")).state == "delivered"
    newest = tracker.timeline("c")
    older = tracker.timeline("b")
    assert newest is not None and newest.receipts[0].raw, "the newest receipt keeps its payload"
    assert older is not None and not older.receipts[0].raw, "older ones let it go"


def test_payloads_are_let_go_receipt_by_receipt_the_newest_kept() -> None:
    tracker = DeliveryTracker(100, raw_receipts=2)
    tracker.apply(webhook(1, "a", "sent"))
    tracker.apply(webhook(2, "b", "sent"))
    tracker.apply(webhook(3, "a", "delivered"))  # a's "sent" is now the third newest
    a, b = tracker.timeline("a"), tracker.timeline("b")
    assert a is not None and b is not None
    assert [bool(r.raw) for r in a.receipts] == [False, True], "a's newer receipt keeps it"
    assert b.receipts[0].raw
    assert a.current is a.receipts[1] and a.state == "delivered"
    again = webhook(3, "a", "delivered")  # the same relay event again: not kept, nor counted
    assert not tracker.apply(again)
    assert b.receipts[0].raw, "a receipt not kept takes no payload's place"
