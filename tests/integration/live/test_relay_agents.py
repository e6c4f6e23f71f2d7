"""Each agent acts as themself: with an agents file the relay knows who posts a team event by
their own token and refuses one naming somebody else; team events name real conversations and
sane times; nothing refused is ever stored."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from live_helpers import SECRET, TOKEN, RelayServer
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from console.live.agents import AgentDirectory, add_agent
from console.live.events import Event, Heartbeat
from console.live.frames import parse_message
from console.live.log import FileEventLog, MemoryEventLog
from console.live.team import team_action

NOW = 1_900_000_000.0  # the relay's clock in these tests
JANE = "whatsapp:+6591234567"


def customer_writes(peer: str = "+6591234567", channel: str = "whatsapp") -> dict[str, Any]:
    return {
        "namespace": "ChatApps",
        "eventType": "inbound_message_received",
        "payload": {
            "umid": f"in-{peer}",
            "user": {"msisdn": peer},
            "recipient": {"channel": channel, "channelId": "x"},
            "type": "text",
            "content": {"text": "hello?"},
        },
    }


def team(kind: str, agent: str = "ana", conversation: str = JANE, **fields: Any) -> dict[str, Any]:
    return {"type": kind, "conversationId": conversation, "agent": agent, **fields}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
async def agents_relay(
    relay_factory: Callable[..., Any], tmp_path: Path
) -> tuple[RelayServer, dict[str, str]]:
    path = tmp_path / "agents.toml"
    tokens = {name: add_agent(path, name) for name in ("ana", "bob")}
    relay = await relay_factory(
        MemoryEventLog, events_token=None, agents=AgentDirectory(path), clock=lambda: NOW
    )
    return relay, tokens


async def test_an_agents_token_acts_only_as_that_agent(
    agents_relay: tuple[RelayServer, dict[str, str]], http: httpx.AsyncClient
) -> None:
    relay, tokens = agents_relay
    base = relay.http_url
    inbound = await http.post(
        f"{base}/webhooks/chatapps", headers={"Authorization": SECRET}, json=customer_writes()
    )
    assert inbound.status_code == 200
    ana = bearer(tokens["ana"])
    for body in (
        team("assigned", agent="bob", assignee="mallory"),
        team("note_added", agent="bob", text="FORGED"),
        team("typing", agent="bob"),
    ):
        forged = await http.post(f"{base}/team/events", headers=ana, json=body)
        assert forged.status_code == 403, forged.text
        assert forged.json()["message"] == "This token acts as 'ana', not as 'bob'"
    for headers in (bearer(TOKEN), bearer("nope"), {"Authorization": SECRET}, {}):
        refused = await http.post(
            f"{base}/team/events", headers=headers, json=team("note_added", text="hi")
        )
        assert refused.status_code == 401
    assert relay.log.last_seq == 1  # only the customer's message

    taken = await http.post(
        f"{base}/team/events", headers=ana, json=team("assigned", assignee="bob")
    )
    noted = await http.post(
        f"{base}/team/events",
        headers=bearer(tokens["bob"]),
        json=team("note_added", agent="bob", text="on it"),
    )
    assert (taken.json(), noted.json()) == ({"seq": 2}, {"seq": 3})
    actions = [team_action(event) for event in await relay.log.read_since(1)]
    assert [(a.kind, a.agent) for a in actions if a] == [("assigned", "ana"), ("note_added", "bob")]


async def test_consoles_follow_events_with_their_agents_token_only(
    agents_relay: tuple[RelayServer, dict[str, str]],
) -> None:
    relay, tokens = agents_relay
    async with connect(relay.ws_url, additional_headers=bearer(tokens["bob"])) as ws:
        frames = parse_message(await asyncio.wait_for(ws.recv(), 5))
        assert any(isinstance(frame, Heartbeat) for frame in frames)
    for token in (TOKEN, tokens["bob"] + "x"):
        async with connect(relay.ws_url, additional_headers=bearer(token)) as ws:
            with pytest.raises(ConnectionClosed) as closed:
                await asyncio.wait_for(ws.recv(), 5)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008


@pytest.fixture
async def demo_relay(relay_factory: Callable[..., Any]) -> RelayServer:
    """The shared events token (the embedded demo's relay): any name, but checked bodies."""
    return await relay_factory(MemoryEventLog, clock=lambda: NOW)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (team("status_changed", status="snoozed", snoozedUntil=1e308), "must be a time"),
        (team("status_changed", status="snoozed", snoozedUntil=0.001), "must be a time"),
        (team("status_changed", status="snoozed", snoozedUntil=-1), "must be a time"),
        (team("status_changed", status="snoozed", snoozedUntil=NOW - 3600), "in the past"),
        (
            team("status_changed", status="snoozed", snoozedUntil=NOW + 367 * 86400),
            "within a year",
        ),
        (team("assigned", conversation="nochannel:[/]", assignee="ana"), "must start with"),
        (team("assigned", conversation="whatsapp:[/]", assignee="ana"), "by number"),
        (team("typing", conversation="nochannel:x"), "must start with"),
        (team("note_added", conversation="sms:+6590000001", text="x"), "no conversation"),
        (team("labelled", conversation="sms:+6590000001", add=["vip"]), "no conversation"),
        (
            team("status_changed", conversation="sms:+6590000001", status="resolved"),
            "no conversation",
        ),
    ],
    ids=[
        "snooze-1e308",
        "snooze-1970",
        "snooze-negative",
        "snooze-past",
        "snooze-over-a-year",
        "no-channel",
        "markup-peer",
        "presence-no-channel",
        "note-unknown",
        "label-unknown",
        "status-unknown",
    ],
)
async def test_hostile_team_values_are_refused_and_nothing_is_kept(
    demo_relay: RelayServer, http: httpx.AsyncClient, body: dict[str, Any], reason: str
) -> None:
    await http.post(
        f"{demo_relay.http_url}/webhooks/chatapps",
        headers={"Authorization": SECRET},
        json=customer_writes(),
    )
    answer = await http.post(f"{demo_relay.http_url}/team/events", headers=bearer(TOKEN), json=body)
    assert answer.status_code == 400, answer.text
    assert reason in answer.json()["message"]
    assert demo_relay.log.last_seq == 1


async def test_nan_is_not_a_time(demo_relay: RelayServer, http: httpx.AsyncClient) -> None:
    content = (
        '{"type": "status_changed", "conversationId": "whatsapp:+6591234567", "agent": "ana", '
        '"status": "snoozed", "snoozedUntil": NaN}'
    )
    answer = await http.post(
        f"{demo_relay.http_url}/team/events", headers=bearer(TOKEN), content=content
    )
    assert answer.status_code == 400 and demo_relay.log.last_seq == 0


async def test_a_conversation_starts_with_a_customer_or_an_agents_reply_or_assignment(
    demo_relay: RelayServer, http: httpx.AsyncClient
) -> None:
    base, auth = demo_relay.http_url, bearer(TOKEN)
    answers = [
        await http.post(f"{base}/team/events", headers=auth, json=body)
        for body in (
            team("status_changed", status="snoozed", snoozedUntil=NOW + 3 * 86400),  # unknown
            team("assigned", assignee="ana"),  # a valid first event
            team("status_changed", status="snoozed", snoozedUntil=NOW + 3 * 86400),
            team("note_added", conversation="viber:abc+/DEF==", text="x"),  # unknown
            team(
                "replied",
                conversation="viber:abc+/DEF==",
                umid="u-1",
                channel="viber",
                text="Hello, this is ACME",
            ),
            team("note_added", conversation="viber:abc+/DEF==", text="x"),
        )
    ]
    assert [a.status_code for a in answers] == [400, 200, 200, 400, 200, 200]
    await http.post(
        f"{base}/webhooks/sms",
        headers={"Authorization": SECRET},
        json={
            "namespace": "SMS",
            "eventType": "inbound_message_received",
            "payload": {"umid": "s-1", "source": "+6598765432", "body": "hi"},
        },
    )
    noted = await http.post(
        f"{base}/team/events",
        headers=auth,
        json=team("note_added", conversation="sms:+6598765432", text="x"),
    )
    assert noted.status_code == 200


async def test_a_restarted_relay_still_knows_the_conversations_in_its_log(
    relay_factory: Callable[..., Any], tmp_path: Path, http: httpx.AsyncClient
) -> None:
    path = tmp_path / "events.jsonl"
    relay = await relay_factory(lambda: FileEventLog(path))
    await http.post(
        f"{relay.http_url}/webhooks/chatapps",
        headers={"Authorization": SECRET},
        json=customer_writes(),
    )
    await relay.restart()
    noted = await http.post(
        f"{relay.http_url}/team/events", headers=bearer(TOKEN), json=team("note_added", text="x")
    )
    assert noted.status_code == 200, noted.text
    stored = await relay.log.read_since(0)
    assert [e.namespace for e in stored if isinstance(e, Event)] == ["ChatApps", "Team"]
