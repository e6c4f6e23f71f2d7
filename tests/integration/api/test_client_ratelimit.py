"""The client-side limiter keeps a burst of concurrent sends under the configured rate, as
the server sees it, and a 429 holds back every call of the client, not just the refused one."""

from __future__ import annotations

import asyncio

from scripted_server import API_KEY, SUBACCOUNT, Reply, Seen

from console.api import CpaasClient, SmsMessage

SMS = f"/sms/api/v1/subaccounts/{SUBACCOUNT}/messages"


def queued(seen: Seen) -> Reply:
    return Reply(
        json={
            "umid": "bda3d56d-1424-e711-813c-06ed3428fe67",
            "clientMessageId": seen.json["clientMessageId"],
            "destination": seen.json["destination"].lstrip("+"),
            "encoding": "GSM7",
            "status": {"code": "QUEUED", "description": "SMS is accepted and queued"},
        }
    )


def most_in_any_window(times: list[float], window: float) -> int:
    times = sorted(times)
    most, start = 0, 0
    for end, t in enumerate(times):
        while t - times[start] >= window:
            start += 1
        most = max(most, end - start + 1)
    return most


async def test_a_burst_is_capped_at_the_rate_limit(server):
    server.script("POST", SMS, queued)
    async with CpaasClient(server.endpoints, API_KEY, SUBACCOUNT, rate_limit=20) as api:
        results = await asyncio.gather(
            *(api.send_sms(SmsMessage(f"+659123{i:04d}", "hi")) for i in range(30))
        )
    assert all(result.accepted for result in results)
    arrivals = [seen.at for seen in server.requests("POST", SMS)]
    assert len(arrivals) == 30
    # Spaced 51 ms apart (20/s less 2 %): no second at the server holds more than 20.
    assert most_in_any_window(arrivals, 1.0) <= 20
    # Paced, not sent at once (an unpaced burst arrives within milliseconds); the ideal
    # 1.48 s shrinks when a busy machine delays the first request.
    assert max(arrivals) - min(arrivals) >= 1.0


async def test_a_429_holds_back_the_other_calls_of_the_client(server):
    """While one call waits out Retry-After, a call started meanwhile waits for the same
    moment instead of drawing its own 429."""
    replies = [
        Reply(429, {"code": 429, "message": "Quota exceeded."}, headers={"Retry-After": "1"})
    ]
    server.script("POST", SMS, lambda seen: replies.pop() if replies else queued(seen))
    limited = asyncio.Event()
    async with CpaasClient(
        server.endpoints, API_KEY, SUBACCOUNT, on_retry=lambda *args: limited.set()
    ) as api:
        first = asyncio.create_task(api.send_sms(SmsMessage("+6591230001", "first")))
        await limited.wait()
        await api.send_sms(SmsMessage("+6591230002", "second"))
        await first
    refused, *later = server.requests("POST", SMS)
    assert len(later) == 2
    assert all(seen.at - refused.at >= 1.0 for seen in later)
