"""Request bodies match 8x8's OpenAPI schemas; results read 8x8's documented answers."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from oas_files import load_spec
from openapi_core import Config, OpenAPI
from openapi_core.testing import MockRequest

from console.api.models import (
    AgentToken,
    ChatAccepted,
    ChatChannel,
    ChatMessage,
    Room,
    SmsAccepted,
    SmsBatchResult,
    SmsDetails,
    SmsMessage,
    SmsTemplate,
    format_timestamp,
    parse_timestamp,
)


def spec(name: str) -> dict:
    return load_spec(name)


def validate(name: str, host: str, path: str, body: dict) -> None:
    openapi = OpenAPI.from_dict(spec(name), config=Config(spec_validator_cls=None))
    openapi.validate_request(
        MockRequest(
            host,
            "post",
            path,
            headers={"Authorization": "Bearer k", "Content-Type": "application/json"},
            data=json.dumps(body),
            content_type="application/json",
        )
    )


# ---------------------------------------------------------------------------- SMS


def test_minimal_sms_body():
    assert SmsMessage("+6591234567", "Hello").to_json() == {
        "destination": "+6591234567",
        "text": "Hello",
        "encoding": "AUTO",
    }


def test_full_sms_body_is_valid_for_8x8s_schema():
    message = SmsMessage(
        destination="91234567",
        text="Your appointment is at 10:00",
        source="Clinic",
        client_message_id="appt-17",
        encoding="GSM7",
        country="SG",
        scheduled=datetime(2026, 8, 1, 9, 30, tzinfo=timezone(timedelta(hours=8))),
        expiry="2026-08-01T03:00:00Z",
        dlr_callback_url="https://example.org/dlr",
    )
    body = message.to_json()
    assert body == {
        "destination": "91234567",
        "text": "Your appointment is at 10:00",
        "source": "Clinic",
        "clientMessageId": "appt-17",
        "encoding": "GSM7",
        "country": "SG",
        "scheduled": "2026-08-01T01:30:00Z",
        "expiry": "2026-08-01T03:00:00Z",
        "dlrCallbackUrl": "https://example.org/dlr",
    }
    validate("sms_api.json", "https://sms.8x8.com", "/api/v1/subaccounts/acme/messages", body)


def test_batch_template_body():
    template = SmsTemplate(text="Outage resolved", source="Support", encoding="AUTO")
    assert template.to_json() == {
        "text": "Outage resolved",
        "source": "Support",
        "encoding": "AUTO",
    }
    assert SmsTemplate().to_json() == {}


def test_sms_accepted_reads_8x8s_example():
    example = spec("sms_api.json")["components"]["schemas"]["SmsResponse"]["example"]
    accepted = SmsAccepted.from_json(example)
    assert accepted == SmsAccepted(
        umid="bda3d56d-1424-e711-813c-06ed3428fe67",
        client_message_id="1234",
        destination="6500000000",
        encoding="GSM7",
        status_code="QUEUED",
        status_description="SMS is accepted and queued for processing",
    )
    assert accepted.accepted
    rejected = SmsAccepted.from_json({**example, "status": {"code": "REJECTED", "description": ""}})
    assert not rejected.accepted


def test_sms_accepted_without_umid_is_unreadable():
    with pytest.raises(KeyError):
        SmsAccepted.from_json({"status": {"code": "QUEUED"}})


def test_batch_result_reads_8x8s_example():
    example = spec("sms_api.json")["components"]["schemas"]["BatchSmsResponse"]["example"]
    result = SmsBatchResult.from_json(example)
    assert result.batch_id == "f1ea5276-a824-e711-8146-022a22cc1c71"
    assert result.client_batch_id == "SmsApi-Demo1"
    assert (result.accepted_count, result.rejected_count) == (3, 1)
    assert result.messages is not None and len(result.messages) == 3
    assert result.messages[0].client_message_id == "SmsApi-Demo1/6500000001"
    without = {k: v for k, v in example.items() if k != "messages"}
    assert SmsBatchResult.from_json(without).messages is None
    assert SmsBatchResult.from_json({**without, "messages": None}).messages is None


def test_sms_details_reads_8x8s_example():
    get = spec("sms_api.json")["paths"]["/api/v1/subaccounts/{subAccountId}/messages/{umid}"]
    example = get["get"]["responses"]["200"]["content"]["application/json"]["example"]
    details = SmsDetails.from_json(example)
    assert details.umid == "dec02e44-c76f-4a0a-b69f-6ac2a4386eb9"
    assert details.status.state == "delivered"
    assert details.status.detail == "delivered_to_recipient"
    assert details.status.timestamp == datetime(2020, 6, 17, 4, 17, 21, 60000, tzinfo=UTC)
    assert details.sms_count == 2
    assert details.price is not None
    assert (details.price.total, details.price.per_sms, details.price.currency) == (
        0.0024,
        0.0012,
        "EUR",
    )
    assert details.client_message_id == "some-client-identifier"
    assert details.batch_id is None


# ---------------------------------------------------------------------------- Chat Apps


def test_chat_body_is_valid_for_8x8s_schema():
    message = ChatMessage(
        msisdn="+6591234567",
        text="Hi Jane",
        client_message_id="c-1",
        channels=[
            ChatChannel("WhatsApp", fallback_after=60, success_status="Read"),
            ChatChannel("SMS"),
        ],
        sms_source="Support",
        sms_encoding="AUTO",
    )
    body = message.to_json()
    assert body == {
        "user": {"msisdn": "+6591234567"},
        "type": "text",
        "content": {"text": "Hi Jane", "sms": {"encoding": "AUTO", "source": "Support"}},
        "clientMessageId": "c-1",
        "channels": [
            {"channel": "WhatsApp", "fallbackAfter": 60, "successStatus": "Read"},
            {"channel": "SMS"},
        ],
    }
    validate(
        "business_messaging_api.json",
        "https://chatapps.8x8.com",
        "/api/v1/subaccounts/acme/messages",
        body,
    )


def test_chat_to_a_channel_user_with_an_image():
    body = ChatMessage(
        channel_user_id="US.1349", type="image", url="https://example.org/a.png"
    ).to_json()
    assert body == {
        "user": {"channelUserId": "US.1349"},
        "type": "image",
        "content": {"url": "https://example.org/a.png"},
    }


def test_chat_message_is_hashable_even_when_given_a_list():
    message = ChatMessage(msisdn="+65", text="x", channels=[ChatChannel("SMS")])
    assert message.channels == (ChatChannel("SMS"),)
    hash(message)


def test_chat_accepted_reads_the_send_answer():
    accepted = ChatAccepted.from_json(
        {
            "umid": "7b2a1c4e-5d6f-4a8b-9c0d-1e2f3a4b5c6d",
            "user": {"msisdn": "+6591234567", "channelUserId": None},
            "clientMessageId": "c-1",
            "status": {"state": "Queued", "timestamp": "2026-07-23T10:00:00Z"},
        }
    )
    assert accepted.state == "queued"
    assert accepted.user.msisdn == "+6591234567" and accepted.user.channel_user_id is None
    assert accepted.timestamp == datetime(2026, 7, 23, 10, tzinfo=UTC)


# ---------------------------------------------------------------------------- Video


def test_room_lasts_15_minutes_and_hides_its_token():
    created = datetime(2026, 7, 23, 10, 0, tzinfo=UTC)
    room = Room.from_json(
        {"call_reference": "CASE-0001", "guest_link": "https://g/abc", "auth_token": "tok/+="},
        created,
        "http://127.0.0.1:8800/video",
    )
    assert room.expires_at == datetime(2026, 7, 23, 10, 15, tzinfo=UTC)
    assert room.remaining(created + timedelta(minutes=5)) == timedelta(minutes=10)
    assert room.remaining(created + timedelta(hours=1)) == timedelta(0)
    assert not room.is_expired(created + timedelta(minutes=14, seconds=59))
    assert room.is_expired(created + timedelta(minutes=15))
    assert room.agent_link("jane doe") == (
        "http://127.0.0.1:8800/video/?user=jane+doe&token=tok%2F%2B%3D"
    )
    assert "tok/+=" not in repr(room)


def test_agent_token_link_defaults_to_8x8():
    token = AgentToken.from_json({"auth_token": "abc"})
    assert token.agent_link("jane") == "https://video-agent.8x8.com/?user=jane&token=abc"


def test_room_without_a_guest_link_is_unreadable():
    with pytest.raises(KeyError):
        Room.from_json({"auth_token": "t"}, datetime.now(UTC))


# ---------------------------------------------------------------------------- timestamps


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2020-06-17T04:17:21.06Z", datetime(2020, 6, 17, 4, 17, 21, 60000, tzinfo=UTC)),
        ("2018-08-02T09:42:38.8988997+00:00", datetime(2018, 8, 2, 9, 42, 38, 898899, tzinfo=UTC)),
        ("2020-06-17T04:17:21", datetime(2020, 6, 17, 4, 17, 21, tzinfo=UTC)),
        ("yesterday", None),
        (None, None),
        (17, None),
    ],
)
def test_parse_timestamp(raw, expected):
    assert parse_timestamp(raw) == expected


def test_format_timestamp_is_utc_with_z():
    assert format_timestamp(datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)) == "2026-01-02T03:04:05Z"
    assert format_timestamp("as given") == "as given"


# --------------------------------------------------------------------------- call reports


def _video_example(path: str) -> dict:  # type: ignore[type-arg]
    response = spec("video_interaction_api.json")["paths"][path]["get"]["responses"]["200"][
        "content"
    ]["application/json"]
    return response["examples"]["response"]["value"]


def test_call_logs_read_8x8s_documented_example_quirks_included() -> None:
    from console.api.models import CallLogPage

    page = CallLogPage.from_json(_video_example("/api/v1/call-logs"))
    assert (page.prev_cursor, page.next_cursor) == ("5775", None)
    ended, open_ = page.calls
    assert (ended.call_id, ended.reference, ended.phone, ended.country) == (
        "5774",
        "ffdsfsfsf",
        "+639215074178",
        "PH",
    )
    assert ended.duration == 25 and ended.status == "E"
    assert ended.finished_at == datetime(2019, 2, 5, 7, 24, 50, 170000, tzinfo=UTC)
    # the example's "null," phone and curly-quoted country are read as what they mean
    assert open_.phone is None and open_.country == "SG" and open_.finished_at is None


def test_a_call_detail_takes_its_id_from_the_path_and_keeps_the_ratings() -> None:
    from console.api.models import CallLog

    detail = CallLog.from_json(_video_example("/api/v1/calls/{id}"), call_id="5774")
    assert detail.call_id == "5774" and detail.duration == 25
    assert (detail.agent_rating, detail.guest_rating) == ("5", "5")
    with pytest.raises(KeyError):
        CallLog.from_json({"Duration": 3})
