"""The relay's fan-out through real relays: each batch of events is encoded once and every
console gets the same messages; /events is served uncompressed unless asked; on Redis, one
reader per relay whatever the number of consoles, appends numbered in batches, and two relays'
consoles get every event once, in order."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from live_helpers import (
    SECRET,
    TOKEN,
    RelayServer,
    post_webhooks,
    read_base_url,
    start_relay_process,
    stop_relay_process,
)
from redis_server import RedisServer
from websockets.asyncio.client import ClientConnection, connect

from console.live import fanout as fanout_module
from console.live.events import Event, Heartbeat
from console.live.frames import parse_message
from console.live.log import MemoryEventLog
from console.live.redis_log import RedisEventLog

AUTH = {"Authorization": f"Bearer {TOKEN}"}


async def until(condition: Callable[[], bool], timeout: float = 10) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.01)


async def messages_until(ws: ClientConnection, last_seq: int) -> tuple[list[str], list[int]]:
    """The event messages (raw text) up to ``last_seq``, and the seqs they held."""
    messages: list[str] = []
    seqs: list[int] = []
    async with asyncio.timeout(15):
        while not seqs or seqs[-1] < last_seq:
            message = await ws.recv()
            assert isinstance(message, str)
            frames = parse_message(message)
            if all(isinstance(frame, Heartbeat) for frame in frames):
                continue
            messages.append(message)
            seqs.extend(frame.seq for frame in frames if isinstance(frame, Event))
    return messages, seqs


async def test_every_console_gets_the_same_messages_each_encoded_once(
    relay_factory: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    encoded: list[str] = []
    real = fanout_module.encode_batch

    def counting(texts: Any) -> str:
        encoded.append(real(texts))
        return encoded[-1]

    monkeypatch.setattr(fanout_module, "encode_batch", counting)
    relay = await relay_factory(lambda: MemoryEventLog())
    consoles = [await connect(relay.ws_url, additional_headers=AUTH) for _ in range(5)]
    try:
        await until(lambda: relay.relay.subscriber_count == 5)
        for _ in range(30):  # bursts, as webhooks arrive under load
            for index in range(10):
                await relay.log.append("SMS", "inbound_message_received", {"index": index})
            await asyncio.sleep(0)
        received = [await messages_until(ws, 300) for ws in consoles]
    finally:
        for ws in consoles:
            await ws.close()
    # every event was encoded once, for everyone: not once per console
    assert sum(len(parse_message(message)) for message in encoded) == 300
    assert len(encoded) < 300  # batched: several events per message
    for messages, seqs in received:
        assert seqs == list(range(1, 301))  # all, in order, none twice
        # what each console got is byte for byte what was encoded: each message one of the
        # encoder's, or (a console that fell behind) several of them joined
        assert fanout_module.join_messages(messages) == fanout_module.join_messages(encoded)
        assert len(messages) <= len(encoded)


async def test_the_relay_serves_events_uncompressed_unless_told_to(tmp_path: Path) -> None:
    """A console asks for permessage-deflate; the relay declines (one message for every
    console), unless AGENT_CONSOLE_EVENTS_DEFLATE=1."""
    env = {"AGENT_CONSOLE_WEBHOOK_SECRET": SECRET, "AGENT_CONSOLE_EVENTS_TOKEN": TOKEN}
    for setting, expected in (("", None), ("1", "permessage-deflate")):
        process = start_relay_process(
            tmp_path,
            "--log",
            str(tmp_path / f"events{setting}.jsonl"),
            env={**env, fanout_module.EVENTS_DEFLATE_ENV: setting},
        )
        try:
            base, _ = await read_base_url(process)
            url = base.replace("http://", "ws://") + "/events"
            async with connect(url, additional_headers=AUTH, compression="deflate") as ws:
                offered = ws.response.headers.get("Sec-WebSocket-Extensions")
                assert ((offered or "").split(";")[0] or None) == expected
                await ws.recv()  # the stream works either way
        finally:
            stop_relay_process(process)


async def test_two_relays_on_redis_one_reader_each_batched_appends_every_event_once(
    relay_factory: Callable[..., Any], redis_server: RedisServer, http: httpx.AsyncClient
) -> None:
    import redis.asyncio as redis_asyncio

    prefix = f"fanout-{uuid.uuid4().hex[:8]}"
    relays: list[RelayServer] = [
        await relay_factory(lambda: RedisEventLog(redis_server.url, prefix=prefix, block_ms=500))
        for _ in range(2)
    ]
    admin = redis_asyncio.Redis.from_url(redis_server.url)
    consoles = [
        await connect(relay.ws_url, additional_headers=AUTH) for relay in relays for _ in range(4)
    ]
    try:
        await until(lambda: all(relay.relay.subscriber_count == 4 for relay in relays))
        scripts_before = await evalsha_calls(admin)
        total = 400
        halves = [range(0, total, 2), range(1, total, 2)]
        acknowledged = await asyncio.gather(
            *(
                post_webhooks(http, relay.http_url, list(half), concurrency=16)
                for relay, half in zip(relays, halves, strict=True)
            )
        )
        assert sorted(seq for seqs in acknowledged for seq in seqs) == list(range(1, total + 1))
        scripts = await evalsha_calls(admin) - scripts_before
        received = [await messages_until(ws, total) for ws in consoles]
        readers = [
            client
            for client in await admin.client_list()
            if client.get("cmd") in ("xread", "xread|block")
        ]
    finally:
        for ws in consoles:
            await ws.close()
        await admin.aclose()
    for _, seqs in received:
        assert seqs == list(range(1, total + 1))  # no loss, no duplicate, no gap
    # one reader per relay, however many consoles: 2 here, not 8
    assert len(readers) == 2, readers
    # appends are numbered in batches: fewer script runs than events (32 posting at once);
    # bounds() and the health watch run scripts too, so this is a loose bound
    assert scripts < total


async def evalsha_calls(admin: Any) -> int:
    stats = await admin.info("commandstats")
    return int(stats.get("cmdstat_evalsha", {}).get("calls", 0))


async def test_a_relays_own_appends_are_delivered_as_stored_and_in_order_with_others(
    redis_server: RedisServer,
) -> None:
    """Its own events reach the relay's fan-out without waiting for the read back from Redis;
    an event another relay numbered in between makes the next ones wait for the reader, so
    the order is the log's."""
    prefix = f"stored-{uuid.uuid4().hex[:8]}"
    here = RedisEventLog(redis_server.url, prefix=prefix, block_ms=500)
    other = RedisEventLog(redis_server.url, prefix=prefix, block_ms=500)
    await here.open()
    await other.open()
    delivered: list[int] = []
    release = asyncio.Event()
    try:
        subscription = here.subscribe(after=0)
        real_read = subscription._read  # type: ignore[attr-defined]

        async def held_read(cursor: int) -> Any:
            await release.wait()  # the read back from Redis is held up
            return await real_read(cursor)

        subscription._read = held_read  # type: ignore[attr-defined]
        subscription.deliver_to(lambda batch: delivered.extend(e.seq for e in batch))
        await asyncio.gather(*(here.append("SMS", "t", {"n": n}) for n in range(3)))
        assert delivered == [1, 2, 3]  # at once, the reader still held
        await other.append("SMS", "t", {"n": 3})  # seq 4, by the other relay
        await here.append("SMS", "t", {"n": 4})  # seq 5 must not overtake seq 4
        assert delivered == [1, 2, 3]
        release.set()
        await until(lambda: len(delivered) >= 5)
        await asyncio.sleep(0.1)
        assert delivered == [1, 2, 3, 4, 5]  # in the log's order, none twice
    finally:
        await here.close()
        await other.close()
