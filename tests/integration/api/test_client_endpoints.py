"""Every CpaasClient call against a real local server: what goes on the wire, what comes back.

Each request the client sends is also validated against 8x8's own OpenAPI file.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from scripted_server import API_KEY, SUBACCOUNT, Reply, ScriptedServer, Seen, assert_valid_request

from console import __version__
from console.api import (
    BatchTooLarge,
    ChatChannel,
    ChatMessage,
    CpaasClient,
    SmsMessage,
    SmsTemplate,
    UnexpectedResponse,
)

SMS = f"/sms/api/v1/subaccounts/{SUBACCOUNT}/messages"
CHAT = f"/chatapps/api/v1/subaccounts/{SUBACCOUNT}/messages"
TOKENS = "/video/api/v1/tokens"
HEX32 = re.compile(r"^[0-9a-f]{32}$")


def sms_queued(seen: Seen) -> Reply:
    body = seen.json
    return Reply(
        json={
            "umid": "bda3d56d-1424-e711-813c-06ed3428fe67",
            "clientMessageId": body.get("clientMessageId"),
            "destination": body["destination"].lstrip("+"),
            "encoding": "GSM7",
            "status": {"code": "QUEUED", "description": "SMS is accepted and queued"},
        }
    )


@pytest.fixture
async def api(server: ScriptedServer):
    async with CpaasClient(server.endpoints, API_KEY, SUBACCOUNT) as client:
        yield client


async def test_send_sms_sends_bearer_key_user_agent_and_8x8_body(api, server):
    server.script("POST", SMS, sms_queued)

    accepted = await api.send_sms(SmsMessage("+6591234567", "Your room is ready", source="Support"))

    [seen] = server.requests("POST", SMS)
    assert seen.headers["authorization"] == f"Bearer {API_KEY}"
    assert seen.headers["user-agent"] == f"agent-console/{__version__}"
    assert seen.headers["content-type"] == "application/json"
    assert seen.json["destination"] == "+6591234567"
    assert seen.json["text"] == "Your room is ready"
    assert seen.json["source"] == "Support"
    assert seen.json["encoding"] == "AUTO"
    assert HEX32.match(seen.json["clientMessageId"])
    assert_valid_request(seen)
    assert accepted.accepted
    assert accepted.status_code == "QUEUED"
    assert accepted.destination == "6591234567"
    assert accepted.client_message_id == seen.json["clientMessageId"]


async def test_send_sms_keeps_the_callers_client_message_id(api, server):
    server.script("POST", SMS, sms_queued)
    accepted = await api.send_sms(SmsMessage("+6591234567", "hi", client_message_id="ticket-42"))
    assert server.requests("POST", SMS)[0].json["clientMessageId"] == "ticket-42"
    assert accepted.client_message_id == "ticket-42"


async def test_send_sms_reports_a_rejected_message(api, server):
    server.script(
        "POST",
        SMS,
        Reply(
            json={
                "umid": "c0ffee00-0000-4000-8000-000000000001",
                "clientMessageId": None,
                "destination": "6591234567",
                "encoding": "GSM7",
                "status": {"code": "REJECTED", "description": "Destination is blocked"},
            }
        ),
    )
    accepted = await api.send_sms(SmsMessage("+6591234567", "hi"))
    assert not accepted.accepted
    assert accepted.status_description == "Destination is blocked"
    # 8x8 said null; the client still tells the caller which id it used.
    assert accepted.client_message_id == server.requests()[0].json["clientMessageId"]


async def test_batch_of_messages_gives_each_its_own_id_and_reads_per_item_results(api, server):
    def answer(seen: Seen) -> Reply:
        items = seen.json["messages"]
        results = [
            {
                "umid": f"00000000-0000-4000-8000-00000000000{i}",
                "clientMessageId": m["clientMessageId"],
                "destination": m["destination"].lstrip("+"),
                "encoding": "GSM7",
                "status": {"code": "REJECTED" if i == 1 else "QUEUED", "description": "x"},
            }
            for i, m in enumerate(items)
        ]
        return Reply(
            json={
                "batchId": "f1ea5276-a824-e711-8146-022a22cc1c71",
                "clientBatchId": seen.json["clientBatchId"],
                "acceptedCount": 2,
                "rejectedCount": 1,
                "messages": results,
            }
        )

    server.script("POST", f"{SMS}/batch", answer)
    result = await api.send_sms_batch(
        messages=[
            SmsMessage("+6591234567", "one"),
            SmsMessage("+6500000000", "two"),
            SmsMessage("+6598765432", "three", client_message_id="mine"),
        ],
        client_batch_id="shift-1",
    )

    [seen] = server.requests("POST", f"{SMS}/batch")
    assert_valid_request(seen)
    ids = [m["clientMessageId"] for m in seen.json["messages"]]
    assert ids[2] == "mine" and HEX32.match(ids[0]) and HEX32.match(ids[1])
    assert ids[0] != ids[1]
    assert seen.json["clientBatchId"] == "shift-1"
    assert seen.json["includeMessagesInResponse"] is True
    assert (result.accepted_count, result.rejected_count) == (2, 1)
    assert result.client_batch_id == "shift-1"
    assert result.messages is not None
    assert [m.status_code for m in result.messages] == ["QUEUED", "REJECTED", "QUEUED"]


async def test_batch_of_destinations_with_template(api, server):
    server.script(
        "POST",
        f"{SMS}/batch",
        Reply(
            json={
                "batchId": "f1ea5276-a824-e711-8146-022a22cc1c71",
                "clientBatchId": None,
                "acceptedCount": 2,
                "rejectedCount": 0,
            }
        ),
    )
    result = await api.send_sms_batch(
        destinations=["+6591234567", "+6598765432"],
        template=SmsTemplate(text="Outage resolved", source="Support"),
        include_messages=False,
    )
    [seen] = server.requests("POST", f"{SMS}/batch")
    assert seen.json["destinations"] == ["+6591234567", "+6598765432"]
    assert seen.json["template"] == {"text": "Outage resolved", "source": "Support"}
    assert seen.json["includeMessagesInResponse"] is False
    assert 1 <= len(seen.json["clientBatchId"]) <= 20
    assert "messages" not in seen.json
    assert result.messages is None
    assert result.accepted_count == 2


async def test_batch_over_10000_is_refused_before_sending(api, server):
    destinations = [f"+65912{i:05d}" for i in range(10_001)]
    with pytest.raises(BatchTooLarge) as caught:
        await api.send_sms_batch(destinations=destinations, template=SmsTemplate(text="x"))
    assert isinstance(caught.value, ValueError)
    assert caught.value.code == 1100
    assert "10,001" in caught.value.readable
    assert server.requests() == []


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"messages": [], "destinations": ["+6591234567"]}, {"messages": []}],
    ids=["neither", "both", "empty"],
)
async def test_batch_needs_exactly_one_non_empty_list(api, server, kwargs):
    with pytest.raises(ValueError):
        await api.send_sms_batch(**kwargs)
    assert server.requests() == []


async def test_cancel_scheduled_sms_and_batch(api, server):
    server.script("DELETE", f"{SMS}/*", Reply(json={"cancelledCount": 1}))
    server.script("DELETE", f"{SMS}/batch/*", Reply(json={"cancelledCount": 7}))

    assert await api.cancel_sms("bda3d56d-1424-e711-813c-06ed3428fe67") == 1
    assert await api.cancel_sms_batch("f1ea5276-a824-e711-8146-022a22cc1c71") == 7

    first, second = server.requests("DELETE")
    assert first.path == f"{SMS}/bda3d56d-1424-e711-813c-06ed3428fe67"
    assert second.path == f"{SMS}/batch/f1ea5276-a824-e711-8146-022a22cc1c71"
    for seen in (first, second):
        assert_valid_request(seen)


async def test_an_id_cannot_change_the_path(api, server):
    server.script("DELETE", f"{SMS}/*", Reply(json={"cancelledCount": 0}))
    await api.cancel_sms("../../other/messages")
    [seen] = server.requests("DELETE")
    assert seen.raw_path == f"{SMS}/..%2F..%2Fother%2Fmessages"


async def test_sms_details(api, server):
    server.script(
        "GET",
        f"{SMS}/*",
        Reply(
            json={
                "umid": "dec02e44-c76f-4a0a-b69f-6ac2a4386eb9",
                "subAccountId": SUBACCOUNT,
                "direction": "outbound",
                "country": "SG",
                "status": {
                    "state": "undelivered",
                    "detail": "rejected_by_operator",
                    "timestamp": "2020-06-17T04:17:21.06Z",
                    "errorCode": 46,
                    "errorMessage": "Subscriber not reachable",
                },
                "msisdn": "+6591xxxx67",
                "source": "Support",
                "body": "**MASKED**",
                "encoding": "GSM7",
                "createdAt": "2020-06-17T04:17:20.00Z",
                "smsCount": 2,
                "price": {"total": 0.0024, "perSms": 0.0012, "currency": "EUR"},
                "clientMessageId": "ticket-42",
            }
        ),
    )
    details = await api.sms_details("dec02e44-c76f-4a0a-b69f-6ac2a4386eb9")
    assert_valid_request(server.requests()[0])
    assert details.status.state == "undelivered"
    assert details.status.error_code == 46
    assert details.sms_count == 2
    assert details.price is not None and details.price.currency == "EUR"
    assert details.client_message_id == "ticket-42"


async def test_verify_treats_404_for_a_random_umid_as_logged_in(api, server):
    server.script("GET", f"{SMS}/*", Reply(404, {"code": 1300, "message": "Message not found"}))
    await api.verify()
    [seen] = server.requests("GET")
    assert re.fullmatch(rf"{SMS}/[0-9a-f-]{{36}}", seen.path)
    assert seen.headers["authorization"] == f"Bearer {API_KEY}"
    assert_valid_request(seen)


async def test_send_chat_with_fallback_channels(api, server):
    def answer(seen: Seen) -> Reply:
        return Reply(
            json={
                "umid": "7b2a1c4e-5d6f-4a8b-9c0d-1e2f3a4b5c6d",
                "clientMessageId": seen.json["clientMessageId"],
                "user": seen.json["user"],
                "status": {"state": "queued", "timestamp": "2026-07-23T10:00:00.12Z"},
            }
        )

    server.script("POST", CHAT, answer)
    accepted = await api.send_chat(
        ChatMessage(
            msisdn="+6591234567",
            text="Hi Jane, how can I help?",
            channels=[
                ChatChannel("WhatsApp", fallback_after=60, success_status="Delivered"),
                ChatChannel("SMS"),
            ],
            sms_source="Support",
        )
    )
    [seen] = server.requests("POST", CHAT)
    assert_valid_request(seen)
    assert seen.json["user"] == {"msisdn": "+6591234567"}
    assert seen.json["type"] == "text"
    assert seen.json["content"] == {
        "text": "Hi Jane, how can I help?",
        "sms": {"source": "Support"},
    }
    assert seen.json["channels"] == [
        {"channel": "WhatsApp", "fallbackAfter": 60, "successStatus": "Delivered"},
        {"channel": "SMS"},
    ]
    assert HEX32.match(seen.json["clientMessageId"])
    assert accepted.state == "queued"
    assert accepted.user.msisdn == "+6591234567"
    assert accepted.timestamp == datetime(2026, 7, 23, 10, 0, 0, 120000, tzinfo=UTC)


async def test_mark_read_posts_without_a_body(api, server):
    server.script("POST", f"{CHAT}/*/read", Reply(200))
    assert await api.mark_read("7b2a1c4e-5d6f-4a8b-9c0d-1e2f3a4b5c6d") is None
    [seen] = server.requests("POST")
    assert seen.path == f"{CHAT}/7b2a1c4e-5d6f-4a8b-9c0d-1e2f3a4b5c6d/read"
    assert seen.body == b""
    assert_valid_request(seen)


async def test_agent_token_is_an_empty_post(api, server):
    server.script("POST", TOKENS, Reply(json={"auth_token": "eyJhbGciOi.agent"}))
    token = await api.create_agent_token()
    [seen] = server.requests("POST", TOKENS)
    assert seen.body == b""
    assert_valid_request(seen)
    assert token.auth_token == "eyJhbGciOi.agent"
    assert token.agent_link("jane@acme") == (
        f"{server.url}/video/?user=jane%40acme&token=eyJhbGciOi.agent"
    )
    assert "eyJhbGciOi" not in repr(token)


async def test_create_room_with_phone_and_reference_is_valid_15_minutes(api, server):
    def answer(seen: Seen) -> Reply:
        return Reply(
            json={
                "call_reference": seen.json.get("call_reference", "generated1"),
                "guest_link": f"{server.url}/video/guest/abc123",
                "auth_token": "eyJ.room",
            }
        )

    server.script("POST", TOKENS, answer)
    before = datetime.now(UTC)
    room = await api.create_room(phone_number="+6591234567", call_reference="CASE-2024-01")
    after = datetime.now(UTC)

    [seen] = server.requests("POST", TOKENS)
    assert_valid_request(seen)
    assert seen.json == {
        "create_room": True,
        "phone_number": "+6591234567",
        "call_reference": "CASE-2024-01",
    }
    assert room.call_reference == "CASE-2024-01"
    assert room.guest_link.endswith("/video/guest/abc123")
    assert before - timedelta(seconds=1) <= room.created_at <= after
    assert room.expires_at - room.created_at == timedelta(minutes=15)
    assert not room.is_expired()
    assert room.is_expired(room.created_at + timedelta(minutes=15))
    assert "token=eyJ.room" in room.agent_link("jane")


async def test_create_room_without_options_sends_only_create_room(api, server):
    server.script(
        "POST",
        TOKENS,
        Reply(json={"call_reference": "r1234567", "guest_link": "g", "auth_token": "t"}),
    )
    await api.create_room()
    assert server.requests()[0].json == {"create_room": True}


async def test_answer_that_is_not_8x8s_is_an_unexpected_response(api, server):
    server.script(
        "POST",
        SMS,
        Reply(200, body=b"<html>captive portal</html>", headers={"content-type": "text/html"}),
    )
    with pytest.raises(UnexpectedResponse) as caught:
        await api.send_sms(SmsMessage("+6591234567", "hi"))
    assert "does not understand" in caught.value.readable


async def test_request_json_reaches_endpoints_without_a_typed_method(api, server):
    server.script("GET", "/video/api/v1/call-logs", Reply(json={"calls": []}))
    assert await api.request_json("video", "GET", "/api/v1/call-logs") == {"calls": []}
