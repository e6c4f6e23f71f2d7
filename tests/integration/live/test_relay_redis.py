"""Several relays on one Redis: one gapless numbered stream for a whole floor.

Real relay processes (``agent-console relay --redis``), a real redis-server, real consoles
(``EventStream``) on each relay.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import signal
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
    StreamRecorder,
    envelope,
    read_base_url,
    start_relay_process,
    stop_relay_process,
)
from redis_server import RedisServer
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from console.live.events import Event, GapNotice, Heartbeat
from console.live.frames import parse_message
from console.live.redis_log import RedisEventLog
from console.live.stream import EventStream
from console.live.team import Presence, TeamAction
from console.live.team_client import TeamPoster, TeamPostFailed, team_url

FAST = {"backoff_initial": 0.02, "backoff_max": 0.2, "open_timeout": 2.0}
AUTH = {"Authorization": f"Bearer {TOKEN}"}
UNREACHABLE = (httpx.TransportError,)


def ws(base: str) -> str:
    return base.replace("http://", "ws://") + "/events"


async def post(http: httpx.AsyncClient, base: str, index: int) -> int:
    response = await http.post(
        f"{base}/webhooks/sms", headers={"Authorization": SECRET}, json=envelope(index)
    )
    assert response.status_code == 200, response.text
    return response.json()["seq"]


async def post_alternately(
    http: httpx.AsyncClient, bases: list[str], indices: range, *, concurrency: int = 8
) -> dict[int, int]:
    """POST each index to the relays in turn; a relay that is gone gets no more, and what it
    did not acknowledge goes to the next one (as 8x8 retries). Returns index -> seq."""
    alive = list(bases)
    acknowledged: dict[int, int] = {}
    pending = iter(indices)
    turn = itertools.count()

    async def worker() -> None:
        for index in pending:
            while True:
                base = alive[next(turn) % len(alive)]
                try:
                    acknowledged[index] = await post(http, base, index)
                    break
                except UNREACHABLE:
                    if base in alive and len(alive) > 1:
                        alive.remove(base)

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return acknowledged


async def post_until_accepted(http: httpx.AsyncClient, base: str, index: int) -> int:
    """POST a webhook again while the relay answers 503, as 8x8 does; returns its seq."""
    async with asyncio.timeout(20):
        while True:
            response = await http.post(
                f"{base}/webhooks/sms", headers={"Authorization": SECRET},
                content=json.dumps(envelope(index)),
            )  # fmt: skip
            if response.status_code == 200:
                return response.json()["seq"]
            assert response.status_code == 503
            await asyncio.sleep(0.05)


@pytest.fixture
def relay_env(redis_server: RedisServer) -> dict[str, str]:
    return {
        "AGENT_CONSOLE_WEBHOOK_SECRET": SECRET,
        "AGENT_CONSOLE_EVENTS_TOKEN": TOKEN,
        "AGENT_CONSOLE_REDIS_URL": redis_server.url,
    }


async def test_two_relays_on_one_redis_serve_one_stream_and_consoles_fail_over(
    tmp_path: Path, relay_env: dict[str, str], http: httpx.AsyncClient
) -> None:
    prefix = f"floor-{uuid.uuid4().hex[:8]}"
    first = start_relay_process(tmp_path, "--redis-prefix", prefix, env=relay_env)
    second = start_relay_process(tmp_path, "--redis-prefix", prefix, env=relay_env)
    recorders: list[StreamRecorder] = []
    try:
        base_a, _ = await read_base_url(first)
        base_b, _ = await read_base_url(second)
        # consoles of the first relay know the second too; those of the second know only it
        on_a = [EventStream([ws(base_a), ws(base_b)], TOKEN, since=0, **FAST) for _ in range(2)]
        on_b = [EventStream(ws(base_b), TOKEN, since=0, **FAST) for _ in range(2)]
        recorders = [StreamRecorder(stream) for stream in on_a + on_b]
        for recorder in recorders:
            await recorder.wait_for(lambda r: any(s.state == "live" for s in r.states))

        # webhooks to both relays in turn: one gapless numbering, the same on every console
        acknowledged = await post_alternately(http, [base_a, base_b], range(200))
        assert sorted(acknowledged.values()) == list(range(1, 201))
        for recorder in recorders:
            await recorder.wait_for_seq(200)
        reference = recorders[-1].events
        assert [e.seq for e in reference] == list(range(1, 201))
        assert {e.payload["index"]: e.seq for e in reference} == acknowledged
        for recorder in recorders:
            assert recorder.events == reference

        # the first relay is killed while webhooks flow; its consoles move to the second
        producer = asyncio.create_task(post_alternately(http, [base_a, base_b], range(200, 600)))
        await recorders[0].wait_for_seq(300)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        acknowledged |= await producer
        last = max(acknowledged.values())
        for recorder in recorders:
            await recorder.wait_for_seq(last, timeout=20)
        reference = recorders[-1].events
        assert [e.seq for e in reference] == list(range(1, last + 1))  # no gap, no duplicate
        stored = {e.seq: e.payload["index"] for e in reference}
        assert all(stored[seq] == index for index, seq in acknowledged.items())
        for recorder in recorders:
            assert recorder.events == reference
        for stream in on_a:
            assert stream.url == ws(base_b) and stream.connections >= 2
    finally:
        for recorder in recorders:
            await recorder.stop()
        if first.poll() is None:
            stop_relay_process(first)
        out, err = stop_relay_process(second)
    assert second.returncode == 0, err
    assert f"Redis Streams at {relay_env['AGENT_CONSOLE_REDIS_URL']}, key {{{prefix}}}" in out
    assert "Traceback" not in err
    assert SECRET not in out + err and TOKEN not in out + err


async def redis_relays(
    relay_factory: Callable[..., Any], url: str, count: int, **options: Any
) -> list[RelayServer]:
    prefix = f"floor-{uuid.uuid4().hex[:8]}"
    return [
        await relay_factory(lambda: RedisEventLog(url, prefix=prefix, block_ms=500), **options)
        for _ in range(count)
    ]


async def receive_until(ws_connection: Any, done: Callable[[list[Any]], bool]) -> list[Any]:
    frames: list[Any] = []
    async with asyncio.timeout(10):
        while not done(frames):
            frames.extend(parse_message(await ws_connection.recv()))
    return frames


def team(kind: str, **fields: Any) -> dict[str, Any]:
    return {"type": kind, "conversationId": "whatsapp:+6591234567", "agent": "ana", **fields}


async def test_team_events_and_presence_reach_the_consoles_of_every_relay(
    relay_factory: Callable[..., Any], redis_server: RedisServer, http: httpx.AsyncClient
) -> None:
    one, two = await redis_relays(relay_factory, redis_server.url, 2)
    async with connect(f"{two.ws_url}?since=0", additional_headers=AUTH) as console:
        await receive_until(console, lambda f: any(isinstance(x, Heartbeat) for x in f))
        poster = TeamPoster(team_url(one.ws_url), TOKEN)  # the console's own client
        try:
            assert await poster.post(TeamAction.from_body(team("assigned", assignee="ana"))) == 1
        finally:
            await poster.aclose()
        frames = await receive_until(console, lambda f: any(isinstance(x, Event) for x in f))
        event = next(x for x in frames if isinstance(x, Event))
        assert (event.seq, event.namespace, event.event_type) == (1, "Team", "assigned")

        async with asyncio.timeout(10):  # until the second relay listens on the channel
            while True:
                typing = await http.post(
                    f"{one.http_url}/team/events", headers=AUTH, json=team("typing")
                )
                assert typing.json() == {"fannedOut": 0}  # nobody on the first relay
                try:
                    async with asyncio.timeout(0.2):
                        frames = await receive_until(
                            console, lambda f: any(isinstance(x, Presence) for x in f)
                        )
                    break
                except TimeoutError:
                    continue
    presence = next(x for x in frames if isinstance(x, Presence))
    assert (presence.action.kind, presence.action.agent) == ("typing", "ana")
    assert (await one.log.bounds()).last_seq == 1  # presence is never numbered


async def test_redis_unreachable_means_503_and_nothing_acknowledged_then_numbering_goes_on(
    relay_factory: Callable[..., Any], tmp_path: Path, http: httpx.AsyncClient
) -> None:
    server = RedisServer(tmp_path / "redis", durable=True)
    server.start()
    try:
        (relay,) = await redis_relays(relay_factory, server.url, 1)
        assert await post(http, relay.http_url, 0) == 1
        server.stop()  # killed: Redis is gone

        refused = await http.post(
            f"{relay.http_url}/webhooks/sms", headers={"Authorization": SECRET},
            content=json.dumps(envelope(1)),
        )  # fmt: skip
        assert refused.status_code == 503
        assert refused.json()["code"] == 2000 and "retry later" in refused.json()["message"]
        poster = TeamPoster(team_url(relay.ws_url), TOKEN)  # a team event is refused alike
        try:
            with pytest.raises(TeamPostFailed, match="503"):
                await poster.post(TeamAction.from_body(team("assigned", assignee="ana")))
        finally:
            await poster.aclose()
        async with connect(f"{relay.ws_url}?since=0", additional_headers=AUTH) as console:
            with pytest.raises(ConnectionClosed) as closed:
                await asyncio.wait_for(console.recv(), 10)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1013

        server.start()  # back, with what it had acknowledged (AOF, fsync always)
        assert await post_until_accepted(http, relay.http_url, 1) == 2
        recorder = StreamRecorder(EventStream(relay.ws_url, TOKEN, since=0, **FAST))
        await recorder.wait_for_seq(2)
        await recorder.stop()
        assert [(e.seq, e.payload["index"]) for e in recorder.events] == [(1, 0), (2, 1)]
    finally:
        server.stop()


async def test_a_redis_that_lost_its_events_is_followed_and_its_consoles_told(
    relay_factory: Callable[..., Any], tmp_path: Path, http: httpx.AsyncClient
) -> None:
    server = RedisServer(tmp_path / "redis")  # no persistence: a restart loses everything
    server.start()
    recorder: StreamRecorder | None = None
    try:
        (relay,) = await redis_relays(relay_factory, server.url, 1)
        recorder = StreamRecorder(EventStream(relay.ws_url, TOKEN, since=0, **FAST))
        await recorder.wait_for(lambda r: any(s.state == "live" for s in r.states))
        assert [await post(http, relay.http_url, index) for index in range(3)] == [1, 2, 3]
        await recorder.wait_for_seq(3)

        server.stop()
        server.start()  # empty: the numbering starts again at 1
        assert await post_until_accepted(http, relay.http_url, 3) == 1

        # the console is told that the numbering restarted, and gets the new event
        await recorder.wait_for(lambda r: r.events[-1].payload["index"] == 3, timeout=20)
        gaps = [item for item in recorder.items if isinstance(item, GapNotice)]
        assert len(gaps) == 1 and gaps[0].resumes_at <= gaps[0].since
        assert [(e.seq, e.payload["index"]) for e in recorder.events] == [
            (1, 0),
            (2, 1),
            (3, 2),
            (1, 3),
        ]
    finally:
        if recorder is not None:
            await recorder.stop()
        server.stop()


async def test_a_redis_outage_is_said_to_consoles_within_seconds_and_logged_once(
    relay_factory: Callable[..., Any],
    tmp_path: Path,
    http: httpx.AsyncClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Redis stops while a console listens and nothing is posted: the console's stream says
    the relay cannot store (1013) within 5 s, the relay writes one line for the outage however
    many webhooks it refuses meanwhile, one when Redis is back, and the console resumes with
    since= without losing what was acknowledged."""
    import logging

    from console.live.relay import LOG_DOWN
    from console.live.state import StreamPhase

    server = RedisServer(tmp_path / "redis", durable=True)
    server.start()
    recorder: StreamRecorder | None = None
    try:
        (relay,) = await redis_relays(relay_factory, server.url, 1)
        recorder = StreamRecorder(EventStream(relay.ws_url, TOKEN, since=0, **FAST))
        assert await post(http, relay.http_url, 0) == 1
        await recorder.wait_for_seq(1)
        caplog.clear()
        with caplog.at_level(logging.DEBUG):
            server.stop()  # killed: nothing is posted; the console only listens
            await recorder.wait_for(
                lambda r: any(LOG_DOWN in (s.error or "") for s in r.states), timeout=5
            )
            told = next(s for s in recorder.states if LOG_DOWN in (s.error or ""))
            assert told.state is StreamPhase.RECONNECTING and "1013" in (told.error or "")
            for index in range(1, 21):  # 8x8 keeps posting meanwhile: each refused with 503
                refused = await http.post(
                    f"{relay.http_url}/webhooks/sms",
                    headers={"Authorization": SECRET},
                    json=envelope(index),
                )
                assert refused.status_code == 503
            reconnects = len(recorder.states)
            await recorder.wait_for(lambda r: len(r.states) >= reconnects + 4)  # it keeps trying

            server.start()  # back, with what it had acknowledged
            assert await post_until_accepted(http, relay.http_url, 21) == 2
            await recorder.wait_for_seq(2, timeout=20)
        said = [
            r
            for r in caplog.records
            if r.name.startswith("console.") and r.levelno >= logging.WARNING
        ]
        assert [r.getMessage().split(" (")[0] for r in said] == [
            "relay: cannot store events",
            "relay: the event log is back after an outage",
        ]
        assert not any(r.exc_info for r in caplog.records if r.name.startswith("console."))
        assert [(e.seq, e.payload["index"]) for e in recorder.events] == [(1, 0), (2, 21)]
    finally:
        if recorder is not None:
            await recorder.stop()
        server.stop()
