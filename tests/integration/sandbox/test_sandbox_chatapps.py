"""Chat Apps contract: send, validation codes, fallback channels, batch, mark read, receipts."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import httpx
import pytest
from sandbox_support import SUB, TIMESTAMP, Contract, Hook, Receiver, assert_error

CHAT = f"/chatapps/api/v1/subaccounts/{SUB}/messages"


def test_whatsapp_text_is_queued_then_sent_delivered_read(
    client: httpx.Client,
    contract: Contract,
    receiver: Receiver,
    webhook_schema: Callable[[Hook], str],
) -> None:
    response = client.post(
        CHAT,
        json={
            "user": {"msisdn": "+6591234567"},
            "type": "Text",
            "content": {"text": "Hello from support 👋"},
            "clientMessageId": "chat-1",
        },
    )
    body = contract.check(response)
    uuid.UUID(body["umid"])
    assert body["user"] == {"msisdn": "+6591234567"}
    assert body["clientMessageId"] == "chat-1"
    assert body["status"]["state"] == "queued"
    assert TIMESTAMP.match(body["status"]["timestamp"])
    umid = body["umid"]
    receiver.wait_for(lambda h: "read" in receiver.states(umid))
    hooks = receiver.for_umid(umid)
    assert [h.body["payload"]["status"]["state"] for h in hooks] == ["sent", "delivered", "read"]
    for hook in hooks:
        assert webhook_schema(hook) == "chat_receipt"
        payload = hook.body["payload"]
        assert payload["channel"] == "whatsapp"
        assert payload["clientMessageId"] == "chat-1"
        assert payload["user"]["msisdn"] == "+6591234567"
        assert "price" not in payload


def test_fallback_channels_pick_the_channel_and_only_whatsapp_is_read(
    client: httpx.Client, receiver: Receiver, webhook_schema: Callable[[Hook], str]
) -> None:
    viber = client.post(
        CHAT,
        json={
            "user": {"msisdn": "6591234567"},
            "type": "TEXT",
            "content": {"text": "Hi", "sms": {"source": "Acme", "encoding": "AUTO"}},
            "channels": [
                {"channel": "Viber", "fallbackAfter": 60, "successStatus": "Delivered"},
                {"channel": "SMS"},
            ],
        },
    ).json()
    sms = client.post(
        CHAT,
        json={
            "user": {"msisdn": "+6591234568"},
            "type": "text",
            "content": {"text": "Hi"},
            "channels": [{"channel": "SMS"}],
        },
    ).json()
    receiver.wait_for(
        lambda h: (
            "delivered" in receiver.states(viber["umid"])
            and "delivered" in receiver.states(sms["umid"])
        )
    )
    for sent, channel in ((viber, "viber"), (sms, "sms")):
        hooks = receiver.for_umid(sent["umid"])
        assert {h.body["payload"]["channel"] for h in hooks} == {channel}
        assert [h.body["payload"]["status"]["state"] for h in hooks] == ["sent", "delivered"]
        for hook in hooks:
            webhook_schema(hook)


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"type": "text", "content": {"text": "hi"}}, 3001),
        ({"user": {}, "type": "text", "content": {"text": "hi"}}, 3002),
        ({"user": {"msisdn": "+12"}, "type": "text", "content": {"text": "hi"}}, 3003),
        ({"user": {"msisdn": "91234567", "country": "QQ"}, "type": "text", "content": {}}, 3018),
        ({"user": {"msisdn": "+6591234567"}, "content": {"text": "hi"}}, 3010),
        ({"user": {"msisdn": "+6591234567"}, "type": "fax", "content": {"text": "hi"}}, 3010),
        ({"user": {"msisdn": "+6591234567"}, "type": "text"}, 3004),
        ({"user": {"msisdn": "+6591234567"}, "type": "text", "content": {}}, 3005),
        ({"user": {"msisdn": "+6591234567"}, "type": "text", "content": {"text": ""}}, 3005),
        (
            {"user": {"msisdn": "+6591234567"}, "type": "text", "content": {"text": "x" * 35_001}},
            3006,
        ),
        ({"user": {"msisdn": "+6591234567"}, "type": "image", "content": {"text": "a"}}, 3007),
        ({"user": {"msisdn": "+6591234567"}, "type": "image", "content": {"url": "pic"}}, 3008),
        (
            {
                "user": {"msisdn": "+6591234567"},
                "type": "text",
                "content": {"text": "hi"},
                "clientMessageId": "c" * 51,
            },
            3009,
        ),
        (
            {
                "user": {"msisdn": "+6591234567"},
                "type": "text",
                "content": {"text": "hi", "sms": {"source": "S" * 17}},
            },
            3011,
        ),
        (
            {
                "user": {"msisdn": "+6591234567"},
                "type": "text",
                "content": {"text": "hi"},
                "dlrCallbackUrl": "not a url",
            },
            3020,
        ),
        ({"user": {"msisdn": "+6591234567"}, "type": "location", "content": {}}, 3021),
        (
            {
                "user": {"msisdn": "+6591234567"},
                "type": "text",
                "content": {"text": "hi"},
                "channels": [{"channel": "Telegram"}],
            },
            3022,
        ),
        (
            {
                "user": {"msisdn": "+6591234567"},
                "type": "text",
                "content": {"text": "hi"},
                "channels": [{"channel": "WhatsApp", "fallbackAfter": 5}],
            },
            3023,
        ),
        (
            {
                "user": {"msisdn": "+6591234567"},
                "type": "text",
                "content": {"text": "hi"},
                "channels": [{"channel": "WhatsApp", "successStatus": "Maybe"}],
            },
            3024,
        ),
        ({"user": {"msisdn": "+6591234567"}, "type": "template", "content": {}}, 3030),
    ],
)
def test_invalid_send_gets_the_messaging_apps_code(
    client: httpx.Client, contract: Contract, body: dict[str, object], code: int
) -> None:
    response = client.post(CHAT, json=body)
    assert_error(response, 400, code, contract)
    contract.check(response)


def test_text_of_35000_and_client_id_of_50_are_accepted(client: httpx.Client) -> None:
    response = client.post(
        CHAT,
        json={
            "user": {"msisdn": "+6591234567"},
            "type": "text",
            "content": {"text": "x" * 35_000},
            "clientMessageId": "c" * 50,
        },
    )
    assert response.status_code == 200, response.text


def test_batch_merges_the_template_and_rejects_items(
    client: httpx.Client, contract: Contract
) -> None:
    response = client.post(
        f"{CHAT}/batch",
        json={
            "clientBatchId": "promo-7",
            "template": {"type": "text", "content": {"text": "Weekend promo!"}},
            "messages": [
                {"user": {"msisdn": "+6591230001"}, "clientMessageId": "a"},
                {"user": {"msisdn": "+6591230002"}, "content": {"text": "Custom"}},
                {"user": {"msisdn": "not-a-number"}, "clientMessageId": "bad"},
            ],
            "includeMessagesInResponse": True,
        },
    )
    body = contract.check(response)
    assert (body["acceptedCount"], body["rejectedCount"]) == (2, 1)
    assert body["clientBatchId"] == "promo-7"
    states = [m["status"]["state"] for m in body["messages"]]
    assert states == ["queued", "queued", "rejected"]
    rejected = body["messages"][2]["status"]
    assert (rejected["errorCode"], rejected["errorMessage"]) == (3003, "Invalid MSISDN")
    quiet = client.post(
        f"{CHAT}/batch",
        json={
            "messages": [
                {"user": {"msisdn": "+6591230001"}, "type": "text", "content": {"text": "x"}}
            ]
        },
    )
    assert contract.check(quiet)["messages"] is None


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"messages": []}, 3012),
        ({}, 3012),
        ({"messages": [{"type": "text"}] * 10_001}, 1100),
        ({"messages": [{"type": "text"}], "clientBatchId": "b" * 101}, 3014),
    ],
    ids=["empty", "missing", "10001", "batch-id"],
)
def test_invalid_batch_is_a_400(
    client: httpx.Client, contract: Contract, body: dict[str, object], code: int
) -> None:
    response = client.post(f"{CHAT}/batch", json=body)
    assert_error(response, 400, code, contract)


def test_mark_read_for_an_inbound_message_and_404_for_unknown(
    client: httpx.Client, contract: Contract, receiver: Receiver
) -> None:
    inbound = client.post(
        "/sandbox/inbound",
        json={"channel": "whatsapp", "from": "+6591234567", "text": "Is my order ready?"},
    ).json()
    read = client.post(f"{CHAT}/{inbound['umid']}/read")
    assert read.status_code == 200 and read.content == b""
    contract.check(read)
    missing = client.post(f"{CHAT}/{uuid.uuid4()}/read")
    assert_error(missing, 404, 1300)


def test_chat_auth_and_subaccount(sandbox: str, client: httpx.Client) -> None:
    body = {"user": {"msisdn": "+6591234567"}, "type": "text", "content": {"text": "hi"}}
    assert_error(httpx.post(sandbox + CHAT, json=body), 401, 1200)
    assert_error(
        client.post("/chatapps/api/v1/subaccounts/nope-nope/messages", json=body), 401, 1001
    )
