"""8x8's error answers become the right ApiError, with 8x8's code and message, and no retry."""

from __future__ import annotations

import logging

import pytest
from scripted_server import API_KEY, SUBACCOUNT, Reply, error_body

from console.api import (
    ApiError,
    ChatMessage,
    CpaasClient,
    NotFound,
    SmsMessage,
    Unauthenticated,
    ValidationFailed,
)

SMS = f"/sms/api/v1/subaccounts/{SUBACCOUNT}/messages"
CHAT = f"/chatapps/api/v1/subaccounts/{SUBACCOUNT}/messages"


@pytest.fixture
async def api(server, fake_time):
    async with CpaasClient(
        server.endpoints, API_KEY, SUBACCOUNT, sleep=fake_time.sleep, clock=fake_time.clock
    ) as client:
        yield client


async def test_401_with_code_1200_is_unauthenticated_and_not_retried(api, server, fake_time):
    server.script(
        "POST", SMS, Reply(401, error_body(1200, "Request was not authenticated properly"))
    )
    with pytest.raises(Unauthenticated) as caught:
        await api.send_sms(SmsMessage("+6591234567", "hi"))
    error = caught.value
    assert (error.status, error.code) == (401, 1200)
    assert error.error_id == "0d4c8e0a-8f5b-4c53-9b5e-7a3d2f1e0c9b"
    assert error.readable == (
        "The API key was refused (8x8 code 1200): check the key and sub-account."
    )
    assert len(server.requests()) == 1
    assert fake_time.sleeps == []


async def test_401_code_1001_points_at_the_sub_account(api, server):
    server.script(
        "GET",
        f"{SMS}/*",
        Reply(401, error_body(1001, "Provided subAccountId doesn't belongs to your account")),
    )
    with pytest.raises(Unauthenticated) as caught:
        await api.verify()
    assert caught.value.code == 1001
    assert "does not own this sub-account" in caught.value.readable


async def test_400_keeps_8x8s_code_and_message(api, server):
    server.script(
        "POST",
        SMS,
        Reply(400, error_body(1002, "Invalid MSISDN format (not E.164 international number)")),
    )
    with pytest.raises(ValidationFailed) as caught:
        await api.send_sms(SmsMessage("+1", "hi"))
    assert caught.value.code == 1002
    assert caught.value.message == "Invalid MSISDN format (not E.164 international number)"
    assert caught.value.readable == (
        "8x8 rejected the request (code 1002): "
        "Invalid MSISDN format (not E.164 international number)."
    )
    assert len(server.requests()) == 1


async def test_chat_apps_validation_code(api, server):
    server.script("POST", CHAT, Reply(400, error_body(3005, "Missed text")))
    with pytest.raises(ValidationFailed) as caught:
        await api.send_chat(ChatMessage(msisdn="+6591234567"))
    assert caught.value.code == 3005


async def test_404_is_not_found(api, server):
    server.script("POST", f"{CHAT}/*/read", Reply(404, error_body(1300, "Message not found")))
    with pytest.raises(NotFound) as caught:
        await api.mark_read("7b2a1c4e-5d6f-4a8b-9c0d-1e2f3a4b5c6d")
    assert caught.value.code == 1300
    assert caught.value.readable == "Not found (8x8 code 1300): Message not found."


async def test_404_without_8x8_body_from_a_wrong_route(api, server):
    server.script(
        "DELETE", f"{SMS}/*", Reply(404, body=b"Not Found", headers={"content-type": "text/plain"})
    )
    with pytest.raises(NotFound) as caught:
        await api.cancel_sms("abc")
    assert caught.value.code is None
    assert caught.value.message == "Not Found"


async def test_other_4xx_is_a_plain_api_error_and_not_retried(api, server):
    server.script("POST", SMS, Reply(403, error_body(1010, "Sender ID not allowed")))
    with pytest.raises(ApiError) as caught:
        await api.send_sms(SmsMessage("+6591234567", "hi", source="BANK"))
    assert type(caught.value) is ApiError
    assert caught.value.readable == (
        "8x8 refused the request (HTTP 403, code 1010): Sender ID not allowed."
    )
    assert len(server.requests()) == 1


async def test_the_key_appears_in_no_error_repr_or_log(server, fake_time, caplog):
    server.script("POST", SMS, Reply(503, error_body(2000, "Internal error")))
    server.script("GET", f"{SMS}/*", Reply(401, error_body(1200, "Not authenticated")))
    errors: list[BaseException] = []
    with caplog.at_level(logging.DEBUG):
        async with CpaasClient(
            server.endpoints,
            API_KEY,
            SUBACCOUNT,
            sleep=fake_time.sleep,
            clock=fake_time.clock,
            on_retry=lambda attempt, reason, wait: errors.append(reason),
        ) as client:
            for call in (client.send_sms(SmsMessage("+6591234567", "hi")), client.verify()):
                try:
                    await call
                except ApiError as error:
                    errors.append(error)
            client_text = f"{client!r} {client}"
    assert len(errors) == 5  # 3 retries announced, then the two final errors
    texts = [client_text, caplog.text] + [f"{e!r} {e} {e.__cause__!r}" for e in errors]
    for text in texts:
        assert API_KEY not in text
        assert API_KEY[-12:] not in text
    assert "••••••6c5b4a" in client_text


def test_a_key_that_cannot_be_a_header_is_refused_without_echoing_it(server):
    with pytest.raises(ValueError) as caught:
        CpaasClient(server.endpoints, "secret-key\nX-Evil: 1", SUBACCOUNT)
    assert "secret-key" not in str(caught.value)
    with pytest.raises(ValueError):
        CpaasClient(server.endpoints, "", SUBACCOUNT)
