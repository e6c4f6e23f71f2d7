"""A retry can never send twice: the same clientMessageId gets the first answer back."""

from __future__ import annotations

import pytest

from console.api import CpaasClient, SmsMessage
from console.api.models import ChatMessage


@pytest.fixture
async def api(sandbox):  # type: ignore[no-untyped-def]
    async with CpaasClient(sandbox.endpoints, sandbox.key, sandbox.subaccount, timeout=30) as c:
        yield c


async def test_a_resent_sms_with_the_same_client_message_id_is_not_sent_again(api) -> None:  # type: ignore[no-untyped-def]
    message = SmsMessage("+6591234567", "only once, please", client_message_id="retry-test-1")
    first = await api.send_sms(message)
    second = await api.send_sms(message)
    assert second.umid == first.umid
    assert second.client_message_id == "retry-test-1"
    other = await api.send_sms(
        SmsMessage("+6591234567", "only once, please", client_message_id="retry-test-2")
    )
    assert other.umid != first.umid


async def test_a_resent_batch_with_the_same_client_batch_id_is_not_sent_again(api) -> None:  # type: ignore[no-untyped-def]
    messages = [
        SmsMessage(f"+659123456{i}", "batch once", client_message_id=f"b-{i}") for i in range(3)
    ]
    first = await api.send_sms_batch(messages=messages, client_batch_id="batch-once-1")
    second = await api.send_sms_batch(messages=messages, client_batch_id="batch-once-1")
    assert second.batch_id == first.batch_id
    assert [m.umid for m in second.messages or ()] == [m.umid for m in first.messages or ()]


async def test_a_resent_chat_message_is_not_sent_again(api) -> None:  # type: ignore[no-untyped-def]
    message = ChatMessage(msisdn="+6591234567", text="hello once", client_message_id="chat-once-1")
    first = await api.send_chat(message)
    second = await api.send_chat(message)
    assert second.umid == first.umid


async def test_a_resent_chat_batch_is_not_sent_again(api, sandbox) -> None:  # type: ignore[no-untyped-def]
    path = f"/api/v1/subaccounts/{sandbox.subaccount}/messages/batch"
    body = {
        "clientBatchId": "chat-batch-once",
        "includeMessagesInResponse": True,
        "messages": [
            {"user": {"msisdn": f"+659123450{i}"}, "type": "text", "content": {"text": "hi"}}
            for i in range(3)
        ],
    }
    first = await api.request_json("chatapps", "POST", path, body)
    second = await api.request_json("chatapps", "POST", path, body)
    assert second["batchId"] == first["batchId"]
    assert [m["umid"] for m in second["messages"]] == [m["umid"] for m in first["messages"]]
