"""EventStream against a real relay: blips, restarts, dead peers, gaps, backoff."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from live_helpers import TOKEN, RelayServer, StreamRecorder, free_port, post_webhooks

from console.live.events import Event, GapNotice
from console.live.log import FileEventLog, MemoryEventLog
from console.live.stream import EventBatch, EventStream, StreamState

FAST = {"backoff_initial": 0.02, "backoff_max": 0.2, "open_timeout": 2.0}


async def append(relay: RelayServer, start: int, stop: int, *, pause_every: int = 0) -> None:
    for index in range(start, stop):
        await relay.log.append("SMS", "outbound_message_status_changed", {"index": index})
        if pause_every and index % pause_every == 0:
            await asyncio.sleep(0.002)
        else:
            await asyncio.sleep(0)


def assert_exact(events: list[Event], first: int, last: int) -> None:
    """Exactly seqs first..last, in order, each once, each with its own payload."""
    assert [e.seq for e in events] == list(range(first, last + 1))
    assert [e.payload["index"] for e in events] == [s - 1 for s in range(first, last + 1)]


async def test_a_socket_killed_mid_stream_resumes_with_no_duplicate_and_no_hole(
    relay_factory: Callable[..., Any], proxy_factory: Callable[..., Any]
) -> None:
    relay = await relay_factory()
    proxy = await proxy_factory(relay.port)
    recorder = StreamRecorder(EventStream(proxy.ws_url, TOKEN, since=0, **FAST))
    producer = asyncio.create_task(append(relay, 0, 1500, pause_every=10))
    for _ in range(4):  # cut the network four times while events flow
        await asyncio.sleep(0.08)
        proxy.cut()
    await producer
    await recorder.wait_for_seq(1500)
    await recorder.stop()
    assert_exact(recorder.events, 1, 1500)
    assert proxy.connections >= 3
    reconnects = [s for s in recorder.states if s.state == "reconnecting"]
    assert reconnects and all(s.error for s in reconnects)
    assert recorder.stream.last_seq == 1500


async def test_the_relay_restarted_on_the_same_log_and_the_stream_resumed(
    file_relay: RelayServer, http: httpx.AsyncClient
) -> None:
    relay = file_relay
    recorder = StreamRecorder(EventStream(relay.ws_url, TOKEN, since=0, **FAST))
    await post_webhooks(http, relay.http_url, range(0, 100))
    await recorder.wait_for_seq(100)
    await relay.restart()  # a new uvicorn and relay on the same port and log file
    await append(relay, 100, 250)  # stored before the console got back
    await recorder.wait_for_seq(250)
    await post_webhooks(http, relay.http_url, range(250, 300))
    await recorder.wait_for_seq(300)
    await recorder.stop()
    assert [e.seq for e in recorder.events] == list(range(1, 301))
    assert recorder.events == await relay.log.read_since(0, limit=1000)  # what the relay stored
    assert sorted(e.payload["index"] for e in recorder.events) == list(range(300))
    errors = [s.error for s in recorder.states if s.state == "reconnecting"]
    assert any("1012" in (e or "") or "lost" in (e or "") for e in errors)
    assert [s.state for s in recorder.states].count("live") >= 2


async def test_a_dead_peer_is_detected_by_the_heartbeat_timeout(
    relay_factory: Callable[..., Any], proxy_factory: Callable[..., Any]
) -> None:
    relay = await relay_factory(heartbeat=0.1)
    proxy = await proxy_factory(relay.port)
    stream = EventStream(proxy.ws_url, TOKEN, since=0, heartbeat_timeout=0.6, **FAST)
    recorder = StreamRecorder(stream)
    await append(relay, 0, 10)
    await recorder.wait_for_seq(10)
    proxy.freeze()  # the peer goes silent: no close, no RST, nothing
    await append(relay, 10, 20)
    await recorder.wait_for(lambda r: any(s.state == "reconnecting" for s in r.states), timeout=5)
    proxy.thaw()
    await recorder.wait_for_seq(20)
    await recorder.stop()
    assert_exact(recorder.events, 1, 20)
    error = next(s.error for s in recorder.states if s.state == "reconnecting")
    assert "no heartbeat" in (error or "")


async def test_a_gap_is_reported_then_the_stream_continues(
    relay_factory: Callable[..., Any],
) -> None:
    relay = await relay_factory(lambda: MemoryEventLog(max_events=20))
    await append(relay, 0, 50)
    recorder = StreamRecorder(EventStream(relay.ws_url, TOKEN, since=5, **FAST))
    await recorder.wait_for_seq(50)
    await recorder.stop()
    kinds = [type(i).__name__ for i in recorder.items if not isinstance(i, Event)]
    assert kinds[:4] == ["StreamState", "StreamState", "GapNotice", "StreamState"]
    gap = next(i for i in recorder.items if isinstance(i, GapNotice))
    assert (gap.since, gap.resumes_at, gap.missing) == (5, 31, 25)
    gap_state = next(s for s in recorder.states if s.state == "gap")
    assert gap_state.gap == gap
    assert_exact(recorder.events, 31, 50)


async def test_a_fresh_stream_starts_live_and_still_resumes_after_a_blip(
    relay_factory: Callable[..., Any], proxy_factory: Callable[..., Any]
) -> None:
    relay = await relay_factory()
    proxy = await proxy_factory(relay.port)
    await append(relay, 0, 5)  # before the console connected: not replayed
    recorder = StreamRecorder(EventStream(proxy.ws_url, TOKEN, **FAST))
    await recorder.wait_for(lambda r: any(s.state == "live" for s in r.states))
    await append(relay, 5, 15)
    await recorder.wait_for_seq(15)
    proxy.cut()
    await append(relay, 15, 25)
    await recorder.wait_for_seq(25)
    await recorder.stop()
    assert_exact(recorder.events, 6, 25)


async def test_an_unreachable_relay_is_retried_with_growing_jittered_backoff() -> None:
    stream = EventStream(
        f"ws://127.0.0.1:{free_port()}/events",
        TOKEN,
        backoff_initial=0.01,
        backoff_max=0.04,
        rng=random.Random(7),
    )
    recorder = StreamRecorder(stream)
    await recorder.wait_for(lambda r: len(r.states) >= 6)
    await recorder.stop()  # close() ends the iteration
    first, *retries = recorder.states[:6]
    assert first.state == "connecting"
    assert [s.attempt for s in retries] == [1, 2, 3, 4, 5]
    for state in retries:
        assert state.state == "reconnecting"
        assert "cannot reach the relay" in (state.error or "")
        assert 0 <= (state.retry_in or 0) <= min(0.04, 0.01 * 2 ** (state.attempt - 1))


async def test_a_wrong_token_is_retried_with_the_reason_and_growing_attempts(
    relay_factory: Callable[..., Any],
) -> None:
    relay = await relay_factory()
    recorder = StreamRecorder(
        EventStream(relay.ws_url, "not-the-token", backoff_initial=0.01, backoff_max=0.02)
    )
    await recorder.wait_for(lambda r: len(r.states) >= 4)
    await recorder.stop()
    retries = [s for s in recorder.states if s.state == "reconnecting"]
    assert [s.attempt for s in retries[:3]] == [1, 2, 3]
    assert "1008" in (retries[0].error or "")
    assert not any(s.state == "live" for s in recorder.states)


async def test_on_seq_reports_each_handled_event_and_batches_group_them(
    relay_factory: Callable[..., Any],
) -> None:
    relay = await relay_factory()
    await append(relay, 0, 300)
    handled: list[int] = []
    stream = EventStream(relay.ws_url, TOKEN, since=0, on_seq=handled.append, **FAST)
    batches: list[EventBatch] = []
    async with asyncio.timeout(10):
        async for item in stream.batches():
            if isinstance(item, EventBatch):
                batches.append(item)
                if item.last_seq == 300:
                    break
    await stream.close()
    flat = [e.seq for batch in batches for e in batch.events]
    assert flat == list(range(1, 301))
    assert len(batches) < 300  # the replay arrives in batches
    assert handled == [b.last_seq for b in batches[:-1]]  # the last one was not handed back


async def test_states_say_connecting_then_live(relay_factory: Callable[..., Any]) -> None:
    relay = await relay_factory()
    recorder = StreamRecorder(EventStream(relay.ws_url, TOKEN, **FAST))
    await recorder.wait_for(lambda r: len(r.states) >= 2)
    await recorder.stop()
    assert [s.state for s in recorder.states[:2]] == ["connecting", "live"]
    assert isinstance(recorder.states[0], StreamState)


async def test_events_lost_to_a_corrupt_log_line_are_reported_as_a_gap(
    relay_factory: Callable[..., Any], tmp_path: Path
) -> None:
    path = tmp_path / "events.jsonl"
    relay = await relay_factory(lambda: FileEventLog(path))
    await append(relay, 0, 6)
    await relay.stop()
    lines = path.read_text().splitlines()
    lines[3] = "{garbled"  # seq 3 (line 0 is the header)
    path.write_text("\n".join(lines) + "\n")
    await relay.start()  # the relay drops the bad line and keeps 1, 2, 4, 5, 6

    recorder = StreamRecorder(EventStream(relay.ws_url, TOKEN, since=0, **FAST))
    await recorder.wait_for_seq(6)
    await recorder.stop()
    assert [e.seq for e in recorder.events] == [1, 2, 4, 5, 6]
    gaps = [i for i in recorder.items if isinstance(i, GapNotice)]
    assert [(g.since, g.resumes_at, g.missing) for g in gaps] == [(2, 4, 1)]
    assert "Event 3 is no longer kept" in gaps[0].message


async def test_reconnect_now_drops_the_connection_and_resumes_at_once(
    relay_factory: Callable[..., Any],
) -> None:
    relay = await relay_factory()
    stream = EventStream(relay.ws_url, TOKEN, since=0, backoff_initial=30, backoff_max=30)
    recorder = StreamRecorder(stream)
    await append(relay, 0, 10)
    await recorder.wait_for_seq(10)
    stream.reconnect()  # no 30 s backoff: "Reconnect stream" in the command palette
    await recorder.wait_for(lambda r: [s.state for s in r.states].count("live") == 2, timeout=3)
    await append(relay, 10, 20)
    await recorder.wait_for_seq(20)
    await recorder.stop()
    assert_exact(recorder.events, 1, 20)
    assert stream.connections == 2
