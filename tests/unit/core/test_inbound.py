"""Inbound customer messages from 8x8's two webhook shapes become one shape."""

from __future__ import annotations

from console.core.inbound import parse_inbound
from console.live.events import Event


def event(namespace: str, event_type: str, payload: dict[str, object]) -> Event:
    return Event(1, "2026-11-27T05:00:00.000Z", namespace, event_type, payload)


def test_inbound_sms() -> None:
    message = parse_inbound(
        event(
            "SMS",
            "inbound_message_received",
            {
                "umid": "u-1",
                "subAccountId": "sandbox",
                "timestamp": "2026-11-27T05:00:00.00Z",
                "source": "+6591234567",
                "destination": "+6580001111",
                "body": "Where is my parcel?",
                "encoding": "GSM7",
                "smsCount": 1,
            },
        )
    )
    assert message is not None
    assert (message.channel, message.peer, message.text) == (
        "sms",
        "+6591234567",
        "Where is my parcel?",
    )
    assert message.conversation_id == "sms:+6591234567"


def test_inbound_whatsapp_with_name() -> None:
    message = parse_inbound(
        event(
            "ChatApps",
            "inbound_message_received",
            {
                "umid": "u-2",
                "subAccountId": "sandbox",
                "timestamp": "2026-11-27T05:00:00.00Z",
                "user": {"msisdn": "+6598765432", "channelUserId": "6598765432", "name": "Jane"},
                "recipient": {"channel": "WhatsApp", "channelId": "wa-1"},
                "type": "Text",
                "content": {"text": "Hi!"},
            },
        )
    )
    assert message is not None
    assert (message.channel, message.peer, message.name, message.text) == (
        "whatsapp",
        "+6598765432",
        "Jane",
        "Hi!",
    )


def test_receipts_and_malformed_payloads_are_not_inbound() -> None:
    assert parse_inbound(event("SMS", "outbound_message_status_changed", {"umid": "x"})) is None
    assert parse_inbound(event("SMS", "inbound_message_received", {"body": "no umid"})) is None
    assert parse_inbound(event("ChatApps", "inbound_message_received", {"umid": "x"})) is None
