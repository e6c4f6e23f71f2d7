"""One conformance suite for every EventLog: memory, file, and Redis Streams (a real
redis-server). What the relay relies on, whichever log is behind it."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from redis_server import RedisServer

from console.live.events import Event
from console.live.log import EventLog, FileEventLog, LogBounds, LogError, MemoryEventLog
from console.live.redis_log import RedisEventLog

KINDS = ["memory", "file", "redis"]


class Clock:
    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


MakeLog = Callable[..., EventLog]


@pytest.fixture(params=KINDS)
def kind(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def make_log(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> MakeLog:
    """``make_log(**options)``: a new log object on this test's storage (the same file or
    Redis keys each time, so a second one is a reopen or, for Redis, another relay)."""
    if kind == "memory":
        return lambda **options: MemoryEventLog(**options)
    if kind == "file":
        path = tmp_path / "events.jsonl"
        return lambda **options: FileEventLog(path, **options)
    server: RedisServer = request.getfixturevalue("redis_server")
    prefix = f"test-{uuid.uuid4().hex[:12]}"
    return lambda **options: RedisEventLog(server.url, prefix=prefix, block_ms=500, **options)


async def opened(make_log: MakeLog, **options: Any) -> EventLog:
    log = make_log(**options)
    await log.open()
    return log


async def fill(log: EventLog, count: int, start: int = 0) -> list[Event]:
    return [await log.append("SMS", "x", {"i": i}) for i in range(start, start + count)]


async def replay(log: EventLog, since: int = 0, limit: int = 7) -> list[Event]:
    out: list[Event] = []
    while batch := await log.read_since(out[-1].seq if out else since, limit):
        out.extend(batch)
    return out


async def collect(subscription: Any, count: int, timeout: float = 10) -> list[Event]:
    got: list[Event] = []
    async with asyncio.timeout(timeout):
        while len(got) < count:
            got.extend(await anext(subscription))
    return got


async def test_it_is_an_event_log(make_log: MakeLog) -> None:
    log = make_log()
    assert isinstance(log, EventLog)


async def test_appends_are_numbered_from_one_and_replayed_after_a_seq(make_log: MakeLog) -> None:
    log = await opened(make_log)
    assert await log.bounds() == LogBounds(1, 0)
    events = await fill(log, 5)
    assert [e.seq for e in events] == [1, 2, 3, 4, 5]
    assert [e.payload for e in events] == [{"i": i} for i in range(5)]
    assert await log.bounds() == LogBounds(1, 5)
    assert await log.read_since(2) == events[2:]
    assert await log.read_since(0, limit=2) == events[:2]
    assert await log.read_since(5) == []
    assert await log.read_since(99) == []
    assert await log.read_since(0, limit=0) == []
    stored = await log.read_since(0)
    assert [e.frame_json for e in stored] == [e.frame_json for e in events]  # the same bytes
    frames = [(e.seq, e.frame_json) for e in events]
    assert await log.read_frames_since(0) == frames
    assert await log.read_frames_since(3, limit=1) == frames[3:4]
    assert await log.read_frames_since(0, max_bytes=1) == frames[:1]  # at least one
    assert await log.read_frames_since(5) == []
    assert events[0].namespace == "SMS" and events[0].event_type == "x"
    await log.close()


async def test_concurrent_appends_get_gapless_seqs_in_arrival_order(make_log: MakeLog) -> None:
    log = await opened(make_log)
    events = await asyncio.gather(*(log.append("SMS", "x", {"i": i}) for i in range(300)))
    assert [e.seq for e in events] == list(range(1, 301))
    assert [e.payload["i"] for e in events] == list(range(300))
    assert await replay(log) == list(events)
    await log.close()


async def test_an_event_that_cannot_be_encoded_fails_and_uses_no_seq(make_log: MakeLog) -> None:
    log = await opened(make_log)
    await fill(log, 1)
    with pytest.raises(LogError, match="JSON"):
        await log.append("SMS", "x", {"bad": object()})
    assert (await log.append("SMS", "x", {})).seq == 2
    await log.close()


async def test_appending_to_a_log_that_is_not_open_is_a_log_error(
    make_log: MakeLog, kind: str
) -> None:
    if kind == "memory":
        pytest.skip("the memory log needs no opening")
    log = make_log()
    with pytest.raises(LogError):
        await log.append("SMS", "x", {})


async def test_a_subscription_yields_later_commits_in_order_in_batches(make_log: MakeLog) -> None:
    log = await opened(make_log)
    await fill(log, 3)
    subscription = log.subscribe(after=(await log.bounds()).last_seq)
    waiting = asyncio.ensure_future(collect(subscription, 200))
    later = await asyncio.gather(*(log.append("SMS", "x", {"i": i}) for i in range(200)))
    got = await waiting
    assert got == list(later)  # none of the first three, every later one, once, in order
    await subscription.aclose()
    await log.close()


async def test_a_subscription_from_now_yields_what_comes_after_it(make_log: MakeLog) -> None:
    log = await opened(make_log)
    await fill(log, 3)
    subscription = log.subscribe()  # (a shared log's starts from its last seq when first read)
    first = asyncio.ensure_future(anext(subscription))
    written: list[Event] = []
    async with asyncio.timeout(10):
        while not first.done():
            written.append(await log.append("SMS", "x", {"i": len(written)}))
            await asyncio.wait({first}, timeout=0.01)
    got = first.result()
    written += await fill(log, 5, start=100)
    got += await collect(subscription, written[-1].seq - got[-1].seq)
    assert got[0].seq > 3
    assert got == [e for e in written if e.seq >= got[0].seq]
    await subscription.aclose()
    await log.close()


async def test_a_subscription_after_a_seq_replays_the_rest_then_goes_live(
    make_log: MakeLog,
) -> None:
    log = await opened(make_log)
    first = await fill(log, 10)
    subscription = log.subscribe(after=4)
    more = await fill(log, 5, start=10)
    assert await collect(subscription, 11) == first[4:] + more
    await subscription.aclose()
    await log.close()


async def test_read_the_bounds_subscribe_after_them_then_replay_misses_nothing(
    make_log: MakeLog,
) -> None:
    """What a relay does: read the bounds, subscribe after them, replay the backlog up to them
    (here from seq 20), then take what is newer from the subscription, while appends come."""
    log = await opened(make_log)
    await fill(log, 50)
    producer = asyncio.ensure_future(fill(log, 200, start=50))
    await asyncio.sleep(0.01)
    bounds = await log.bounds()
    subscription = log.subscribe(after=bounds.last_seq)
    backlog = [e for e in await replay(log, since=20, limit=30) if e.seq <= bounds.last_seq]
    await producer
    live = await collect(subscription, 250 - bounds.last_seq)
    assert [e.seq for e in backlog + live] == list(range(21, 251))
    await subscription.aclose()
    await log.close()


@pytest.mark.parametrize("after", ["last", 1])
async def test_deliver_to_hands_every_batch_to_a_callback_in_order(
    make_log: MakeLog, after: str | int, caplog: pytest.LogCaptureFixture
) -> None:
    log = await opened(make_log)
    first = await fill(log, 3)
    got: list[Event] = []
    done = asyncio.Event()

    def take(batch: list[Event]) -> None:
        got.extend(batch)
        if got[-1].seq >= 53:
            done.set()
        raise RuntimeError("a broken subscriber")  # logged; never breaks a commit

    start = (await log.bounds()).last_seq if after == "last" else after
    subscription = log.subscribe(after=start)
    subscription.deliver_to(take)
    written = await asyncio.gather(*(log.append("SMS", "x", {"i": i}) for i in range(50)))
    await asyncio.wait_for(done.wait(), 10)
    assert got == [e for e in first if e.seq > start] + list(written)
    assert "subscriber failed" in caplog.text
    await subscription.aclose()
    await fill(log, 2, start=50)  # after aclose: not handed over
    assert got[-1].seq == 53
    await log.close()


async def test_subscriptions_end_when_the_log_closes(make_log: MakeLog) -> None:
    log = await opened(make_log)
    subscription = log.subscribe()
    waiting = asyncio.ensure_future(anext(subscription))
    await asyncio.sleep(0.05)
    await log.close()
    with pytest.raises(StopAsyncIteration):
        await asyncio.wait_for(waiting, 10)


async def test_the_count_bound_keeps_the_newest(make_log: MakeLog) -> None:
    log = await opened(make_log, max_events=10)
    written = await fill(log, 25)
    assert await log.bounds() == LogBounds(16, 25)
    assert await replay(log) == written[15:]
    assert await log.read_since(3, limit=2) == written[15:17]
    frames = [(e.seq, e.frame_json) for e in written[15:17]]
    assert await log.read_frames_since(3, limit=2) == frames
    await log.trim()
    assert await log.bounds() == LogBounds(16, 25)
    assert await replay(log) == written[15:]
    await log.close()


async def test_the_age_bound_drops_old_events_and_numbering_never_goes_back(
    make_log: MakeLog,
) -> None:
    clock = Clock()
    log = await opened(make_log, max_age_seconds=60, clock=clock)
    await fill(log, 3)
    clock.now += 30
    kept = await fill(log, 2, start=3)
    clock.now += 45  # the first three are 75 s old
    assert await log.trim() == 3
    assert await log.bounds() == LogBounds(4, 5)
    assert await replay(log) == kept
    clock.now += 100
    await log.trim()
    assert await log.bounds() == LogBounds(6, 5)  # nothing kept
    assert await log.read_since(0) == []
    assert (await log.append("SMS", "x", {})).seq == 6
    await log.close()


async def test_a_reopened_log_keeps_its_events_and_numbering(make_log: MakeLog, kind: str) -> None:
    if kind == "memory":
        pytest.skip("the memory log keeps nothing across processes")
    log = await opened(make_log)
    before = await fill(log, 3)
    await log.close()
    again = await opened(make_log)
    assert await again.bounds() == LogBounds(1, 3)
    assert await replay(again) == before
    assert (await again.append("SMS", "x", {})).seq == 4
    await again.close()


async def test_transients_reach_other_relays_on_the_log_but_not_the_publisher(
    make_log: MakeLog, kind: str
) -> None:
    log = await opened(make_log)
    mine = log.transients()
    if kind != "redis":  # one process owns the log: nobody else to tell
        await log.publish_transient('{"type":"presence"}')
        waiting = asyncio.ensure_future(anext(mine))
        await log.close()
        with pytest.raises(StopAsyncIteration):
            await asyncio.wait_for(waiting, 5)
        return
    other = await opened(make_log)
    theirs = other.transients()
    first = asyncio.ensure_future(anext(theirs))
    mine_first = asyncio.ensure_future(anext(mine))
    async with asyncio.timeout(10):  # until the other relay is subscribed to the channel
        while not first.done():
            await log.publish_transient('{"type":"presence","n":1}')
            await asyncio.wait({first}, timeout=0.05)
    assert first.result() == '{"type":"presence","n":1}'
    assert not mine_first.done()  # the publisher does not get its own back
    await other.close()
    await log.close()  # the transients end with their logs
    with pytest.raises(StopAsyncIteration):
        await asyncio.wait_for(mine_first, 10)
    with pytest.raises(StopAsyncIteration):
        await asyncio.wait_for(anext(theirs), 10)
