"""Retries against a real server: 429 honours Retry-After, 5xx and network failures back off,
and a retried send repeats the same clientMessageId so it can never go out twice."""

from __future__ import annotations

import httpx
import pytest
from scripted_server import API_KEY, SUBACCOUNT, Reply, Seen, error_body

from console.api import (
    ChatMessage,
    CpaasClient,
    NetworkError,
    RateLimited,
    RequestTimedOut,
    ServerError,
    SmsMessage,
    SmsTemplate,
)
from console.config import Endpoints

SMS = f"/sms/api/v1/subaccounts/{SUBACCOUNT}/messages"
CHAT = f"/chatapps/api/v1/subaccounts/{SUBACCOUNT}/messages"


def queued(seen: Seen) -> Reply:
    return Reply(
        json={
            "umid": "bda3d56d-1424-e711-813c-06ed3428fe67",
            "clientMessageId": seen.json["clientMessageId"],
            "destination": "6591234567",
            "encoding": "GSM7",
            "status": {"code": "QUEUED", "description": "SMS is accepted and queued"},
        }
    )


def too_many(seconds: str) -> Reply:
    headers = {"Retry-After": seconds}
    wait = seconds
    return Reply(
        429,
        error_body(429, f"Quota exceeded. Please try again in {wait} second(s)."),
        headers=headers,
    )


def client(endpoints: Endpoints, fake_time, **kwargs) -> CpaasClient:
    kwargs.setdefault("rng", lambda: 0.5)
    # Only retry waits should show in fake_time.sleeps, not the limiter's spacing.
    kwargs.setdefault("rate_limit", 1e6)
    return CpaasClient(
        endpoints, API_KEY, SUBACCOUNT, sleep=fake_time.sleep, clock=fake_time.clock, **kwargs
    )


# ------------------------------------------------------------------------------ 429


async def test_429_waits_for_retry_after_in_real_time_then_succeeds(server):
    server.script("POST", SMS, too_many("1"), queued)
    retries: list[tuple[int, str, float]] = []
    async with CpaasClient(
        server.endpoints,
        API_KEY,
        SUBACCOUNT,
        on_retry=lambda attempt, reason, wait: retries.append(
            (attempt, type(reason).__name__, wait)
        ),
    ) as api:
        accepted = await api.send_sms(SmsMessage("+6591234567", "hi"))
    first, second = server.requests("POST", SMS)
    assert second.at - first.at >= 1.0
    assert accepted.accepted
    assert first.json["clientMessageId"] == second.json["clientMessageId"]
    [(attempt, reason, wait)] = retries
    assert (attempt, reason) == (2, "RateLimited")
    assert 1.0 <= wait <= 1.1


async def test_429_wait_is_what_the_server_asked(server, fake_time):
    server.script("POST", SMS, too_many("5"), queued)
    async with client(server.endpoints, fake_time, rng=lambda: 0.0) as api:
        await api.send_sms(SmsMessage("+6591234567", "hi"))
    # One wait of exactly Retry-After: no second wait in the limiter on top of it.
    assert fake_time.sleeps == [5.0]


async def test_429_waits_spread_by_at_most_a_tenth(server, fake_time):
    server.script("POST", SMS, too_many("5"), queued)
    async with client(server.endpoints, fake_time, rng=lambda: 0.999) as api:
        await api.send_sms(SmsMessage("+6591234567", "hi"))
    [wait] = fake_time.sleeps
    assert 5.0 <= wait <= 5.5


async def test_429_without_retry_after_reads_8x8s_message(server, fake_time):
    server.script(
        "POST",
        SMS,
        Reply(429, error_body(429, "Quota exceeded. Please try again in 3 second(s).")),
        queued,
    )
    async with client(server.endpoints, fake_time, rng=lambda: 0.0) as api:
        await api.send_sms(SmsMessage("+6591234567", "hi"))
    assert fake_time.sleeps == [3.0]


async def test_429_asking_longer_than_max_retry_wait_raises_at_once(server, fake_time):
    server.script("POST", SMS, too_many("120"), queued)
    async with client(server.endpoints, fake_time, max_retry_wait=30) as api:
        with pytest.raises(RateLimited) as caught:
            await api.send_sms(SmsMessage("+6591234567", "hi"))
    assert caught.value.retry_after == 120
    assert caught.value.readable == (
        "Too many requests: 8x8 asks to wait 120 s before trying again."
    )
    assert len(server.requests()) == 1
    assert fake_time.sleeps == []


async def test_429_retries_stop_when_the_wait_budget_is_spent(server, fake_time):
    server.script("POST", SMS, too_many("10"))
    async with client(server.endpoints, fake_time, max_retry_wait=30, rng=lambda: 0.0) as api:
        with pytest.raises(RateLimited) as caught:
            await api.send_sms(SmsMessage("+6591234567", "hi"))
    assert fake_time.sleeps == [10.0, 10.0, 10.0]
    assert len(server.requests()) == 4
    assert caught.value.readable == "Too many requests: retried for 30 s, still limited."
    assert caught.value.attempts == 4


async def test_429s_do_not_use_up_the_attempts_for_failures(server, fake_time):
    server.script("POST", SMS, too_many("1"), too_many("1"), too_many("1"), queued)
    async with client(server.endpoints, fake_time, max_attempts=2) as api:
        accepted = await api.send_sms(SmsMessage("+6591234567", "hi"))
    assert accepted.accepted
    assert len({seen.json["clientMessageId"] for seen in server.requests()}) == 1


# ------------------------------------------------------------------------------ 5xx


async def test_5xx_then_success_resends_the_same_client_message_id(server, fake_time):
    server.script("POST", SMS, Reply(503, error_body(2000, "Internal error")), queued)
    retries = []
    async with client(
        server.endpoints, fake_time, on_retry=lambda *args: retries.append(args)
    ) as api:
        accepted = await api.send_sms(SmsMessage("+6591234567", "hi"))
    first, second = server.requests("POST", SMS)
    assert first.json["clientMessageId"] == second.json["clientMessageId"]
    assert first.json == second.json
    assert accepted.client_message_id == first.json["clientMessageId"]
    [(attempt, reason, wait)] = retries
    assert attempt == 2 and isinstance(reason, ServerError) and wait == fake_time.sleeps[0]


async def test_5xx_backs_off_exponentially_with_full_jitter_then_gives_up(server, fake_time):
    server.script("POST", CHAT, Reply(500, error_body(2000, "Internal error")))
    async with client(server.endpoints, fake_time, max_attempts=4, rng=lambda: 0.5) as api:
        with pytest.raises(ServerError) as caught:
            await api.send_chat(ChatMessage(msisdn="+6591234567", text="hi"))
    # rng 0.5 of the cap 0.5 s, 1 s, 2 s
    assert fake_time.sleeps == [0.25, 0.5, 1.0]
    assert len(server.requests()) == 4
    assert len({seen.json["clientMessageId"] for seen in server.requests()}) == 1
    assert caught.value.attempts == 4
    assert caught.value.readable == (
        "8x8 had a server error (HTTP 500, code 2000) after 4 attempts: try again shortly "
        "(error id 0d4c8e0a-8f5b-4c53-9b5e-7a3d2f1e0c9b)."
    )


async def test_backoff_is_random_between_zero_and_the_cap(server, fake_time):
    server.script("POST", SMS, Reply(502))
    draws = iter([0.0, 1.0])
    async with client(server.endpoints, fake_time, max_attempts=3, rng=lambda: next(draws)) as api:
        with pytest.raises(ServerError):
            await api.send_sms(SmsMessage("+6591234567", "hi"))
    assert fake_time.sleeps == [0.0, 1.0]


async def test_503_retry_after_is_honoured(server, fake_time):
    server.script("POST", SMS, Reply(503, headers={"Retry-After": "4"}), queued)
    async with client(server.endpoints, fake_time) as api:
        await api.send_sms(SmsMessage("+6591234567", "hi"))
    assert fake_time.sleeps == [4.0]


async def test_a_broken_on_retry_callback_does_not_break_the_send(server, fake_time):
    server.script("POST", SMS, Reply(503), queued)

    def broken(*args: object) -> None:
        raise RuntimeError("ui gone")

    async with client(server.endpoints, fake_time, on_retry=broken) as api:
        assert (await api.send_sms(SmsMessage("+6591234567", "hi"))).accepted


# ------------------------------------------------------------------------------ network


async def test_timeouts_raise_request_timed_out_after_bounded_attempts(server, fake_time):
    server.script("POST", SMS, Reply(json={}, delay=1.0))
    async with client(server.endpoints, fake_time, timeout=0.2, max_attempts=3) as api:
        with pytest.raises(RequestTimedOut) as caught:
            await api.send_sms(SmsMessage("+6591234567", "hi"))
    seen = server.requests("POST", SMS)
    assert len(seen) == 3
    # Retrying a POST that may have reached the server is safe: it is the same message.
    assert len({s.json["clientMessageId"] for s in seen}) == 1
    assert isinstance(caught.value, NetworkError)
    assert caught.value.attempts == 3
    host = server.url.removeprefix("http://")
    assert caught.value.readable == (
        f"No answer from {host} within 0.2 s (3 attempts): the network or 8x8 is slow."
    )


async def test_a_timeout_then_an_answer_succeeds(server, fake_time):
    server.script("POST", SMS, Reply(json={}, delay=1.0), queued)
    async with client(server.endpoints, fake_time, timeout=0.3) as api:
        accepted = await api.send_sms(SmsMessage("+6591234567", "hi"))
    assert accepted.accepted
    assert len(server.requests("POST", SMS)) == 2


async def test_connection_refused_is_a_network_error_after_bounded_attempts(refused_url, fake_time):
    retries = []
    async with client(
        Endpoints.for_server(refused_url),
        fake_time,
        max_attempts=3,
        on_retry=lambda *args: retries.append(args),
    ) as api:
        with pytest.raises(NetworkError) as caught:
            await api.create_agent_token()
    assert not isinstance(caught.value, RequestTimedOut)
    assert caught.value.status is None
    assert caught.value.attempts == 3
    assert [attempt for attempt, _, _ in retries] == [2, 3]
    host = refused_url.removeprefix("http://")
    assert caught.value.readable == f"No network: could not reach {host}."


async def test_unknown_host_is_a_network_error(fake_time):
    """A DNS failure, as httpx reports it (simulated: tests never query a resolver)."""

    def no_dns(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno -2] Name or service not known", request=request)

    endpoints = Endpoints.for_region("europe")
    async with client(endpoints, fake_time, transport=httpx.MockTransport(no_dns)) as api:
        with pytest.raises(NetworkError) as caught:
            await api.send_sms(SmsMessage("+6591234567", "hi"))
    assert caught.value.readable == "No network: could not reach sms.8x8.uk."
    assert caught.value.attempts == 4


async def test_destinations_batch_is_not_resent_after_a_timeout(server, fake_time):
    """Without per-message ids a repeat could send twice, so only 'surely not processed'
    failures are retried for a destinations batch."""
    server.script("POST", f"{SMS}/batch", Reply(json={}, delay=1.0))
    async with client(server.endpoints, fake_time, timeout=0.2, max_attempts=4) as api:
        with pytest.raises(RequestTimedOut):
            await api.send_sms_batch(
                destinations=["+6591234567"], template=SmsTemplate(text="Outage resolved")
            )
    assert len(server.requests("POST", f"{SMS}/batch")) == 1


async def test_destinations_batch_is_resent_after_429(server, fake_time):
    server.script(
        "POST",
        f"{SMS}/batch",
        too_many("1"),
        Reply(json={"batchId": "b1", "acceptedCount": 1, "rejectedCount": 0}),
    )
    async with client(server.endpoints, fake_time) as api:
        result = await api.send_sms_batch(
            destinations=["+6591234567"], template=SmsTemplate(text="Outage resolved")
        )
    assert result.accepted_count == 1
    first, second = server.requests("POST", f"{SMS}/batch")
    assert first.json == second.json  # same clientBatchId on the repeat
