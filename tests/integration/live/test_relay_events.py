"""websocket /events: token, since= replay without holes or duplicates, gaps, heartbeats,
and a slow subscriber that is dropped while the others carry on."""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from live_helpers import TOKEN, RelayServer, post_webhooks
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from console.live.events import Event, GapNotice, Heartbeat
from console.live.frames import parse_message
from console.live.log import MemoryEventLog

AUTH = {"Authorization": f"Bearer {TOKEN}"}


async def frames(ws: ClientConnection, timeout: float = 5.0) -> list[Any]:
    async with asyncio.timeout(timeout):
        return parse_message(await ws.recv())


async def read_events_until(ws: ClientConnection, last: int, timeout: float = 10.0) -> list[Any]:
    """Every frame received until the event with seq ``last`` arrived."""
    received: list[Any] = []
    async with asyncio.timeout(timeout):
        while not any(isinstance(f, Event) and f.seq == last for f in received):
            received.extend(parse_message(await ws.recv()))
    return received


async def close_code(ws: ClientConnection) -> tuple[int, str]:
    with pytest.raises(ConnectionClosed) as caught:
        async with asyncio.timeout(5):
            while True:
                await ws.recv()
    assert caught.value.rcvd is not None
    return caught.value.rcvd.code, caught.value.rcvd.reason


async def until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    """Wait for a condition of the relay (polled every 5 ms), never a fixed delay."""
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.005)


async def append(relay: RelayServer, count: int, *, size: int = 0) -> None:
    for index in range(count):
        payload: dict[str, Any] = {"index": index}
        if size:
            payload["padding"] = os.urandom(size // 2).hex()
        await relay.log.append("SMS", "outbound_message_status_changed", payload)
        await asyncio.sleep(0)  # like webhooks arriving: let the relay's senders run


@pytest.fixture
async def relay(relay_factory: Callable[..., Any]) -> RelayServer:
    return await relay_factory(heartbeat=0.3)


@pytest.mark.parametrize(
    ("query", "headers"),
    [
        ("", {}),
        ("", {"Authorization": "Bearer nope"}),
        ("", {"Authorization": TOKEN}),  # not a bearer header
        ("?token=nope", {}),
        ("?since=abc", AUTH),
        ("?since=-1", AUTH),
    ],
    ids=["missing", "wrong-header", "no-bearer", "wrong-query", "since-text", "since-negative"],
)
async def test_a_bad_token_or_since_is_closed_with_policy_violation(
    relay: RelayServer, query: str, headers: dict[str, str]
) -> None:
    await append(relay, 2)
    async with connect(relay.ws_url + query, additional_headers=headers) as ws:
        code, reason = await close_code(ws)
    assert code == 1008
    assert reason


@pytest.mark.parametrize("by", ["header", "query"])
async def test_a_good_token_in_header_or_query_starts_a_live_stream(
    relay: RelayServer, http: httpx.AsyncClient, by: str
) -> None:
    await append(relay, 3)
    url = relay.ws_url + (f"?token={TOKEN}" if by == "query" else "")
    async with connect(url, additional_headers=AUTH if by == "header" else {}) as ws:
        assert await frames(ws) == [Heartbeat(3)]  # no since: live from now, told where
        seqs = await post_webhooks(http, relay.http_url, range(2))
        received = await read_events_until(ws, seqs[-1])
    assert [f.seq for f in received if isinstance(f, Event)] == [4, 5]
    assert received[0].payload["index"] == 0


async def test_since_replays_the_backlog_then_goes_live_without_duplicate_or_hole(
    relay_factory: Callable[..., Any],
) -> None:
    relay = await relay_factory(max_batch=7)  # many small replay batches: a long race window
    await append(relay, 300)
    async with connect(relay.ws_url + "?since=100", additional_headers=AUTH) as ws:
        writer = asyncio.create_task(append(relay, 400))  # live events during the replay
        received = await read_events_until(ws, 700)
        await writer
    events = [f for f in received if isinstance(f, Event)]
    assert [e.seq for e in events] == list(range(101, 701))
    assert not [f for f in received if isinstance(f, GapNotice)]
    heartbeats = [f for f in received if isinstance(f, Heartbeat)]
    assert heartbeats and heartbeats[0].seq >= 300  # sent once the backlog was replayed


async def test_since_older_than_the_log_starts_with_a_gap_frame(
    relay_factory: Callable[..., Any],
) -> None:
    relay = await relay_factory(lambda: MemoryEventLog(max_events=50))
    await append(relay, 120)
    async with connect(relay.ws_url + "?since=10", additional_headers=AUTH) as ws:
        first = await frames(ws)
        received = await read_events_until(ws, 120)
    assert first == [GapNotice(since=10, resumes_at=71, message=first[0].message)]
    assert "11–70" in first[0].message
    assert [f.seq for f in received if isinstance(f, Event)] == list(range(71, 121))


async def test_since_ahead_of_the_log_means_the_log_was_reset(relay: RelayServer) -> None:
    await append(relay, 4)
    async with connect(relay.ws_url + "?since=900", additional_headers=AUTH) as ws:
        first = await frames(ws)
        received = await read_events_until(ws, 4)
    assert isinstance(first[0], GapNotice)
    assert (first[0].since, first[0].resumes_at) == (900, 1)
    assert [f.seq for f in received if isinstance(f, Event)] == [1, 2, 3, 4]


async def test_since_equal_to_the_last_seq_replays_nothing(relay: RelayServer) -> None:
    await append(relay, 4)
    async with connect(relay.ws_url + "?since=4", additional_headers=AUTH) as ws:
        assert await frames(ws) == [Heartbeat(4)]


async def test_an_idle_stream_gets_heartbeats_with_the_last_seq(relay: RelayServer) -> None:
    await append(relay, 2)
    async with connect(relay.ws_url + "?since=0", additional_headers=AUTH) as ws:
        await read_events_until(ws, 2)
        idle = [await frames(ws, timeout=2) for _ in range(3)]
    assert idle[-2:] == [[Heartbeat(2)], [Heartbeat(2)]]


async def test_a_slow_subscriber_is_dropped_with_1013_while_the_others_get_everything(
    relay_factory: Callable[..., Any],
) -> None:
    relay = await relay_factory(subscriber_queue=100, max_batch=10)
    total = 600
    # the slow client: tiny receive buffer, no compression, and it does not read
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", relay.port))
    sock.setblocking(False)
    slow = await connect(
        relay.ws_url + "?since=0", additional_headers=AUTH, sock=sock, max_queue=1,
        compression=None,
    )  # fmt: skip
    fast = [await connect(relay.ws_url + "?since=0", additional_headers=AUTH) for _ in range(2)]
    try:
        await until(lambda: relay.relay.subscriber_count == 3)  # all three subscribed
        readers = [asyncio.create_task(read_events_until(ws, total)) for ws in fast]
        await append(relay, total, size=16_000)
        for received in await asyncio.gather(*readers):
            # the fast ones get every event while the slow one is stuck
            assert [f.seq for f in received if isinstance(f, Event)] == list(range(1, total + 1))
        assert relay.relay.subscriber_count == 2

        got: list[int] = []
        with pytest.raises(ConnectionClosed) as caught:
            async with asyncio.timeout(10):
                while True:
                    batch = parse_message(await slow.recv())
                    got.extend(f.seq for f in batch if isinstance(f, Event))
        assert caught.value.rcvd is not None
        assert caught.value.rcvd.code == 1013
        assert f"since={got[-1]}" in caught.value.rcvd.reason
        assert got == list(range(1, len(got) + 1)) and len(got) < total

        # it comes back with since= and gets exactly the rest
        async with connect(relay.ws_url + f"?since={got[-1]}", additional_headers=AUTH) as again:
            rest = await read_events_until(again, total)
        got.extend(f.seq for f in rest if isinstance(f, Event))
        assert got == list(range(1, total + 1))
    finally:
        for ws in [slow, *fast]:
            await ws.close()


async def _never_reading_client(relay: RelayServer) -> ClientConnection:
    """A websocket client with a tiny receive buffer that reads nothing until told."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", relay.port))
    sock.setblocking(False)
    return await connect(
        relay.ws_url + "?since=0", additional_headers=AUTH, sock=sock, max_queue=1,
        compression=None, ping_interval=None,
    )  # fmt: skip


async def _closed_with_1013(ws: ClientConnection) -> list[int]:
    """Read what the relay had sent, then its close frame: 1013 naming the last seq."""
    got: list[int] = []
    with pytest.raises(ConnectionClosed) as caught:
        async with asyncio.timeout(10):
            while True:
                got.extend(f.seq for f in parse_message(await ws.recv()) if isinstance(f, Event))
    assert caught.value.rcvd is not None
    assert caught.value.rcvd.code == 1013
    assert f"since={got[-1] if got else 0}" in caught.value.rcvd.reason
    return got


@pytest.mark.parametrize(
    "options",
    [
        {"subscriber_bytes": 256 * 1024},  # its queue's bytes overflow
        {"send_timeout": 0.3},  # a send to it waits too long (by the relay's own clock)
    ],
    ids=["queue-bytes", "stalled-send"],
)
async def test_a_subscriber_that_never_reads_is_closed_by_the_relay_with_1013(
    relay_factory: Callable[..., Any], options: dict[str, Any]
) -> None:
    """Not left to the server's keepalive: the relay's own rule drops it, well before
    its queue reaches 10,000 events, and only it."""
    relay = await relay_factory(**options)
    stuck = await _never_reading_client(relay)
    try:
        async with connect(relay.ws_url, additional_headers=AUTH) as reader:
            await until(lambda: relay.relay.subscriber_count == 2)
            total = 0
            while relay.relay.subscriber_count == 2:  # until the relay lets go of it
                await append(relay, 10, size=16_000)
                total += 10
                assert total <= 2_000, "the relay kept a subscriber that reads nothing"
            assert relay.relay.subscriber_count == 1
            got = await _closed_with_1013(stuck)
            assert got == list(range(1, len(got) + 1)) and len(got) < total
            await read_events_until(reader, total)  # the other one got everything
    finally:
        await stuck.close()
