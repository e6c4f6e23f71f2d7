"""Three consoles, random network cuts, a 10,000-event burst: all end with the same events."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from typing import Any

import httpx
from live_helpers import TOKEN, RelayServer, StreamRecorder, post_webhooks

from console.live.stream import EventStream

TOTAL = 10_000
VIA_HTTP = 300  # part of the burst arrives as real webhooks; the rest straight into the log


async def burst(relay: RelayServer, http: httpx.AsyncClient) -> None:
    """10,000 events: concurrent appends (group-committed, fsynced) plus real webhooks."""
    webhooks = asyncio.create_task(post_webhooks(http, relay.http_url, range(VIA_HTTP)))
    for start in range(VIA_HTTP, TOTAL, 200):
        stop = min(start + 200, TOTAL)
        await asyncio.gather(
            *(
                relay.log.append("SMS", "outbound_message_status_changed", {"index": i})
                for i in range(start, stop)
            )
        )
    await webhooks


async def test_three_subscribers_with_random_disconnects_end_with_the_same_events(
    file_relay: RelayServer, proxy_factory: Callable[..., Any], http: httpx.AsyncClient
) -> None:
    relay = file_relay
    rng = random.Random(20240501)
    proxies = [await proxy_factory(relay.port) for _ in range(3)]
    recorders = [
        StreamRecorder(
            EventStream(proxy.ws_url, TOKEN, since=0, backoff_initial=0.02, backoff_max=0.1)
        )
        for proxy in proxies
    ]
    for recorder in recorders:
        await recorder.wait_for(lambda r: any(s.state == "live" for s in r.states))

    producer = asyncio.create_task(burst(relay, http))
    cuts = 0
    while not producer.done():  # cut a random console's connection every few tens of ms
        await asyncio.sleep(rng.uniform(0.02, 0.08))
        rng.choice(proxies).cut()
        cuts += 1
    await producer
    for recorder in recorders:
        await recorder.wait_for_seq(TOTAL, timeout=30)
        await recorder.stop()

    stored = await relay.log.read_since(0, limit=TOTAL + 1)
    assert [e.seq for e in stored] == list(range(1, TOTAL + 1))
    expected = {(e.seq, e.frame_json) for e in stored}
    for recorder in recorders:
        received = [(e.seq, e.frame_json) for e in recorder.events]
        assert [seq for seq, _ in received] == list(range(1, TOTAL + 1))  # no dup, no hole
        assert set(received) == expected
    assert sorted(e.payload["index"] for e in stored) == list(range(TOTAL))
    assert cuts >= 3
    assert sum(proxy.connections for proxy in proxies) >= 3 + 2  # some really reconnected
