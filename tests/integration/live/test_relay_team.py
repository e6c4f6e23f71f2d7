"""POST /team/events: kept team events join the webhooks' numbered stream (and its replay);
presence reaches the consoles connected now and is never kept; bad requests are refused
before anything is stored."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from live_helpers import SECRET, TOKEN, RelayServer, envelope
from websockets.asyncio.client import ClientConnection, connect

from console.live.events import Event, Heartbeat
from console.live.frames import parse_message
from console.live.log import MemoryEventLog
from console.live.team import Presence, TeamAction, team_action

AUTH = {"Authorization": f"Bearer {TOKEN}"}
CONVERSATION = "whatsapp:+6591234567"


def team(kind: str, **fields: Any) -> dict[str, Any]:
    return {"type": kind, "conversationId": CONVERSATION, "agent": "ana", **fields}


@pytest.fixture
async def relay() -> AsyncIterator[RelayServer]:
    server = RelayServer(MemoryEventLog)
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5) as client:
        yield client


async def receive_until(ws: ClientConnection, done: Any, timeout: float = 5.0) -> list[Any]:
    frames: list[Any] = []
    async with asyncio.timeout(timeout):
        while not done(frames):
            frames.extend(parse_message(await ws.recv()))
    return frames


async def test_team_events_are_numbered_with_the_webhooks_and_replayed(
    relay: RelayServer, http: httpx.AsyncClient
) -> None:
    base = relay.http_url
    webhook = await http.post(
        f"{base}/webhooks/sms", headers={"Authorization": SECRET}, content=json.dumps(envelope(1))
    )
    taken = await http.post(
        f"{base}/team/events", headers=AUTH, json=team("assigned", assignee="ana")
    )
    noted = await http.post(f"{base}/team/events", headers=AUTH, json=team("note_added", text="hi"))
    assert [r.status_code for r in (webhook, taken, noted)] == [200, 200, 200]
    assert [webhook.json()["seq"], taken.json()["seq"], noted.json()["seq"]] == [1, 2, 3]

    async with connect(f"{relay.ws_url}?since=0", additional_headers=AUTH) as ws:
        frames = await receive_until(ws, lambda f: any(isinstance(x, Heartbeat) for x in f))
    events = [frame for frame in frames if isinstance(frame, Event)]
    assert [(e.seq, e.namespace, e.event_type) for e in events] == [
        (1, "SMS", "outbound_message_status_changed"),
        (2, "Team", "assigned"),
        (3, "Team", "note_added"),
    ]
    action = team_action(events[1])
    assert action == TeamAction("assigned", CONVERSATION, "ana", assignee="ana")


async def test_presence_reaches_connected_consoles_and_is_never_kept(
    relay: RelayServer, http: httpx.AsyncClient
) -> None:
    async with connect(relay.ws_url, additional_headers=AUTH) as ws:
        await receive_until(ws, lambda f: any(isinstance(x, Heartbeat) for x in f))
        answer = await http.post(f"{relay.http_url}/team/events", headers=AUTH, json=team("typing"))
        assert answer.status_code == 200 and answer.json() == {"fannedOut": 1}
        frames = await receive_until(ws, lambda f: any(isinstance(x, Presence) for x in f))
    presence = next(frame for frame in frames if isinstance(frame, Presence))
    assert (presence.action.kind, presence.action.agent, presence.ttl) == ("typing", "ana", 8.0)
    assert relay.log.last_seq == 0  # nothing numbered, nothing to replay


@pytest.mark.parametrize(
    ("headers", "content", "status", "says"),
    [
        ({}, json.dumps(team("typing")), 401, "not authenticated"),
        ({"Authorization": "Bearer nope"}, json.dumps(team("typing")), 401, "not authenticated"),
        ({"Authorization": SECRET}, json.dumps(team("typing")), 401, "not authenticated"),
        (AUTH, "{", 400, "not JSON"),
        (AUTH, '{"type": "assigned", "x": NaN}', 400, "not JSON"),
        (AUTH, json.dumps(team("assigned")), 400, "'assignee' is required"),
        (AUTH, json.dumps(team("labelled", add=["x" * 40])), 400, "longer than 32"),
        (AUTH, json.dumps(team("note_added", text="x" * 70_000)), 413, "exceeds"),
    ],
)
async def test_a_bad_request_is_refused_and_nothing_is_kept(
    relay: RelayServer,
    http: httpx.AsyncClient,
    headers: dict[str, str],
    content: str,
    status: int,
    says: str,
) -> None:
    answer = await http.post(f"{relay.http_url}/team/events", headers=headers, content=content)
    assert answer.status_code == status
    assert says in answer.json()["message"]
    assert relay.log.last_seq == 0


async def test_a_console_tells_the_catch_up_from_what_happens_now_and_hears_presence(
    relay: RelayServer, http: httpx.AsyncClient
) -> None:

    from console.live.stream import EventBatch, EventStream

    base = relay.http_url
    await http.post(f"{base}/team/events", headers=AUTH, json=team("assigned", assignee="ana"))
    stream = EventStream(relay.ws_url, TOKEN, since=0)
    batches: list[Any] = []

    async def run() -> None:
        async for item in stream.batches():
            batches.append(item)

    task = asyncio.create_task(run())
    try:
        async with asyncio.timeout(10):
            while not any(isinstance(b, EventBatch) for b in batches):
                await asyncio.sleep(0.01)
            while relay.relay.subscriber_count == 0:
                await asyncio.sleep(0.01)
            await http.post(f"{base}/team/events", headers=AUTH, json=team("note_added", text="x"))
            await http.post(f"{base}/team/events", headers=AUTH, json=team("typing"))
            while not any(isinstance(b, Presence) for b in batches):
                await asyncio.sleep(0.01)
    finally:
        await stream.close()
        task.cancel()
    events = [b for b in batches if isinstance(b, EventBatch)]
    assert [(b.events[0].event_type, b.replayed) for b in events] == [
        ("assigned", True),
        ("note_added", False),
    ]
