"""The event envelope, the wire frames (console.live.events) and the webhook envelope
(console.live.envelope)."""

from __future__ import annotations

import json

import pytest

from console.live.envelope import WebhookEnvelope
from console.live.events import (
    Event,
    FrameError,
    GapNotice,
    Heartbeat,
    control_json,
    encode_message,
    parse_iso,
    utc_iso,
)
from console.live.frames import parse_message

FRAME = {
    "seq": 7,
    "receivedAt": "2024-05-01T10:00:00.123Z",
    "namespace": "SMS",
    "eventType": "outbound_message_status_changed",
    "payload": {"umid": "u-1", "status": {"state": "sent"}},
}


def test_event_round_trips_through_its_frame_and_json() -> None:
    event = Event.from_frame(FRAME)
    assert event.seq == 7
    assert event.received_at == "2024-05-01T10:00:00.123Z"
    assert event.event_type == "outbound_message_status_changed"
    assert event.to_frame() == FRAME
    assert json.loads(event.frame_json) == FRAME
    assert Event.from_json(event.frame_json) == event


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        ({"seq": "7"}, "seq"),
        ({"seq": True}, "seq"),
        ({"seq": 0}, "positive"),
        ({"receivedAt": None}, "receivedAt"),
        ({"namespace": 5}, "namespace"),
        ({"eventType": None}, "eventType"),
        ({"payload": [1, 2]}, "payload"),
    ],
)
def test_event_frame_with_a_wrong_field_is_refused_with_its_name(
    change: dict[str, object], complaint: str
) -> None:
    with pytest.raises(FrameError, match=complaint):
        Event.from_frame({**FRAME, **change})


def test_events_hash_and_compare_by_value() -> None:
    a = Event.from_frame(FRAME)
    b = Event.from_json(json.dumps(FRAME))
    assert a == b
    assert len({a, b}) == 1


def test_a_message_is_an_array_of_frames_and_a_single_frame_is_accepted() -> None:
    gap = GapNotice.describe(3, 10)
    text = encode_message(
        [control_json(gap), Event.from_frame(FRAME).frame_json, control_json(Heartbeat(7))]
    )
    frames = parse_message(text)
    assert frames == [gap, Event.from_frame(FRAME), Heartbeat(7)]
    assert parse_message(json.dumps(FRAME)) == [Event.from_frame(FRAME)]


@pytest.mark.parametrize(
    "text", ["not json", '[{"type": "bogus"}]', "[1]", '[{"seq": 1}]', '{"type":"heartbeat"}']
)
def test_garbage_messages_raise_frame_error(text: str) -> None:
    with pytest.raises(FrameError):
        parse_message(text)


def test_gap_notice_says_which_events_are_missing() -> None:
    gap = GapNotice.describe(5, 1200)
    assert gap.missing == 1194
    assert "6–1199" in gap.message
    assert "1200" in gap.message
    assert GapNotice.from_frame(gap.to_frame()) == gap
    assert GapNotice.describe(5, 7).message.startswith("Event 6 is no longer kept")


def test_gap_notice_for_a_reset_log_says_so() -> None:
    gap = GapNotice.describe(5000, 1)
    assert gap.missing == 0
    assert "restarted" in gap.message


def test_webhook_envelope_needs_namespace_event_type_and_payload_object() -> None:
    body = {"namespace": "ChatApps", "eventType": "inbound_message_received", "payload": {}}
    assert WebhookEnvelope.from_body({**body, "description": "x"}).namespace == "ChatApps"
    for broken, reason in [
        ([], "JSON object"),
        ({**body, "namespace": ""}, "namespace"),
        ({**body, "eventType": 3}, "eventType"),
        ({**body, "payload": "x"}, "payload"),
        ({"namespace": "SMS", "eventType": "x"}, "payload"),
    ]:
        with pytest.raises(FrameError, match=reason):
            WebhookEnvelope.from_body(broken)


def test_timestamps_are_iso_utc_with_milliseconds() -> None:
    assert utc_iso(0) == "1970-01-01T00:00:00.000Z"
    assert parse_iso("1970-01-01T00:00:01.500Z") == pytest.approx(1.5)
    assert parse_iso("2020-06-17T04:17:21.06Z") == parse_iso("2020-06-17T04:17:21.060+00:00")
    assert parse_iso("yesterday") is None
