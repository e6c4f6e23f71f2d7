"""Receipts from 8x8 webhooks and send responses, and the forward-only status of a message."""

from __future__ import annotations

import pytest

from console.live.events import (
    STATES,
    Event,
    FrameError,
    MessageTimeline,
    Price,
    Receipt,
    advance,
    rank,
    receipt_from_event,
)

SMS_RECEIPT = {
    "umid": "0f9e6c1a-1111-2222-3333-444455556666",
    "batchId": "b-1",
    "clientMessageId": "order-42",
    "subAccountId": "acme_hq",
    "source": "ACME",
    "destination": "+6591234567",
    "status": {
        "state": "undelivered",
        "detail": "undelivered_to_recipient",
        "timestamp": "2024-05-01T10:00:03.21Z",
        "errorCode": 46,
        "errorMessage": "Subscriber not reachable",
    },
    "price": {"total": 0.05, "perSms": 0.05, "currency": "EUR"},
    "smsCount": 1,
}

CHAT_RECEIPT = {
    "umid": "7a1b2c3d-aaaa-bbbb-cccc-ddddeeeeffff",
    "clientMessageId": "chat-7",
    "subAccountId": "acme_chat",
    "channel": "WhatsApp",
    "user": {"msisdn": "+6591234567"},
    "status": {"state": "read", "timestamp": "2024-05-01T10:01:00.00Z"},
}

AT = "2024-05-01T10:00:04.000Z"


def receipt(state: str, *, detail: str | None = None, ts: str = "t1", seq: int | None = None):
    return Receipt(
        umid="u", state=state, namespace="SMS", received_at=AT, provider_timestamp=ts,
        detail=detail, seq=seq,
    )  # fmt: skip


def test_sms_receipt_webhook_is_parsed_with_the_provider_time_and_error() -> None:
    parsed = Receipt.from_webhook("SMS", SMS_RECEIPT, AT, seq=12)
    assert parsed.umid == SMS_RECEIPT["umid"]
    assert parsed.state == "undelivered"
    assert parsed.detail == "undelivered_to_recipient"
    assert parsed.provider_timestamp == "2024-05-01T10:00:03.21Z"
    assert parsed.received_at == AT
    assert (parsed.error_code, parsed.error_message) == (46, "Subscriber not reachable")
    assert parsed.channel == "sms"
    assert parsed.client_message_id == "order-42"
    assert parsed.seq == 12
    assert parsed.raw == SMS_RECEIPT


def test_chat_apps_receipt_webhook_has_a_lower_case_channel() -> None:
    parsed = Receipt.from_webhook("ChatApps", CHAT_RECEIPT, AT)
    assert (parsed.state, parsed.channel) == ("read", "whatsapp")
    assert parsed.error_code is None


@pytest.mark.parametrize(
    "payload",
    [{}, {"umid": "u"}, {"umid": "u", "status": {}}, {"status": {"state": "sent"}}, []],
)
def test_a_receipt_without_umid_or_state_is_refused(payload: object) -> None:
    with pytest.raises(FrameError):
        Receipt.from_webhook("SMS", payload, AT)  # type: ignore[arg-type]


def test_receipt_from_event_only_reads_status_changes() -> None:
    frame = {
        "seq": 3,
        "receivedAt": AT,
        "namespace": "SMS",
        "eventType": "outbound_message_status_changed",
        "payload": SMS_RECEIPT,
    }
    parsed = receipt_from_event(Event.from_frame(frame))
    assert parsed is not None and parsed.seq == 3
    inbound = {**frame, "eventType": "inbound_message_received"}
    assert receipt_from_event(Event.from_frame(inbound)) is None
    broken = {**frame, "payload": {"umid": "x"}}
    assert receipt_from_event(Event.from_frame(broken)) is None


def test_states_only_move_forward() -> None:
    assert advance(None, "QUEUED") == "queued"
    assert advance("queued", "sent") == "sent"
    assert advance("sent", "queued") == "sent"
    assert advance("delivered", "sent") == "delivered"
    assert advance("delivered", "read") == "read"
    assert advance("read", "delivered") == "read"
    assert advance("undelivered", "delivered") == "delivered"  # channel fallback delivered it
    assert advance("delivered", "undelivered") == "delivered"
    assert advance("rejected", "undelivered") == "rejected"
    assert advance("sent", "something-new") == "sent"
    assert list(STATES) == sorted(STATES, key=rank)


def test_an_operator_ack_is_overtaken_by_a_later_failure() -> None:
    assert rank("delivered", "delivered_to_operator") < rank("undelivered")
    timeline = MessageTimeline("u")
    timeline.apply(receipt("undelivered", detail="undelivered_to_recipient", ts="t3"))
    timeline.apply(receipt("delivered", detail="delivered_to_operator", ts="t2"))
    assert timeline.state == "undelivered"


def test_a_receipt_before_the_send_response_is_not_undone_by_it() -> None:
    timeline = MessageTimeline("u")
    assert timeline.apply(receipt("delivered", seq=1)) is True
    api = Receipt("u", "queued", "SMS", AT, source="api")
    assert timeline.apply(api) is False
    assert timeline.state == "delivered"
    assert [r.source for r in timeline.receipts] == ["webhook", "api"]


def test_duplicates_are_kept_and_flagged_and_the_same_relay_event_counts_once() -> None:
    timeline = MessageTimeline("u")
    first = receipt("sent", seq=1)
    resent = receipt("sent", seq=2)  # 8x8 sent the same receipt again: new relay seq
    assert timeline.apply(first) is True
    assert timeline.is_duplicate(resent)
    assert timeline.apply(resent) is False
    assert timeline.apply(first) is False  # the same relay event, replayed
    assert len(timeline.receipts) == 2
    assert timeline.duplicate_count == 1
    assert timeline.distinct_receipts() == [first]


def test_a_receipt_for_another_message_is_refused() -> None:
    with pytest.raises(ValueError):
        MessageTimeline("other").apply(receipt("sent"))


def test_chronological_order_uses_the_provider_time() -> None:
    timeline = MessageTimeline("u")
    late = receipt("delivered", ts="2024-05-01T10:00:03Z")
    early = receipt("sent", ts="2024-05-01T10:00:00.5Z")
    timeline.apply(late)
    timeline.apply(early)
    assert timeline.chronological() == [early, late]
    assert timeline.terminal


def test_an_sms_receipt_also_tells_its_number_batch_segments_and_price() -> None:
    parsed = Receipt.from_webhook("SMS", SMS_RECEIPT, AT)
    assert parsed.destination == "+6591234567"
    assert parsed.batch_id == "b-1"
    assert parsed.sms_count == 1
    assert parsed.price == Price(0.05, "EUR", 0.05)


def test_a_chat_receipt_has_its_users_number_and_no_price() -> None:
    parsed = Receipt.from_webhook("ChatApps", CHAT_RECEIPT, AT)
    assert parsed.destination == "+6591234567"
    assert parsed.price is None and parsed.sms_count is None and parsed.batch_id is None


@pytest.mark.parametrize(
    "price",
    [
        None,
        "0.05",
        {"total": "lots", "currency": "EUR"},
        {"total": 0.05},
        {"total": 0.05, "currency": "  "},
        {"total": float("nan"), "currency": "EUR"},
        {"total": True, "currency": "EUR"},
    ],
)
def test_a_price_that_cannot_be_read_is_no_price(price: object) -> None:
    parsed = Receipt.from_webhook("SMS", {**SMS_RECEIPT, "price": price}, AT)
    assert parsed.price is None
    assert parsed.state == "undelivered", "the rest of the receipt still counts"


def test_a_price_given_as_text_is_read() -> None:
    price = {"total": "0.0450", "perSms": "0.0225", "currency": "EUR"}
    assert Price.from_payload(price) == Price(0.045, "EUR", 0.0225)
