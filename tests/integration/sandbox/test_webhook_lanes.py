"""One product's webhooks never wait behind another's: a Chat Apps message sent right after a
10,000-message SMS batch gets its receipts before the batch's last receipt."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest
from websockets.asyncio.client import connect

from console.live.events import Event
from console.live.frames import parse_message
from console.sandbox.server import SandboxServer
from console.sandbox.settings import SandboxConfig

KEY = "lanes-test-key-0123456789"
AUTH = {"Authorization": f"Bearer {KEY}"}
SUB = "/api/v1/subaccounts/sandbox/messages"
FINAL = ("delivered", "undelivered", "rejected")


@pytest.fixture
def sandbox() -> Iterator[str]:
    """The sandbox with its own relay, so fast that every receipt is due at once: the order
    on the event stream is then the order in which the webhooks were delivered."""
    config = SandboxConfig(api_keys=(KEY,), customers=False, seed=9, speed=1000)
    server = SandboxServer(config)
    yield server.start()
    server.stop()


async def test_a_chat_message_after_a_big_sms_batch_is_not_queued_behind_it(sandbox: str) -> None:
    events: list[Event] = []
    async with (
        connect(sandbox.replace("http", "ws", 1) + "/events", additional_headers=AUTH) as ws,
        httpx.AsyncClient(base_url=sandbox, headers=AUTH, timeout=60, trust_env=False) as http,
    ):
        parse_message(await ws.recv())  # the stream is live (its first heartbeat)
        batch = await http.post(
            f"/sms{SUB}/batch",
            json={
                "destinations": [f"+6590{i:06d}" for i in range(10_000)],
                "template": {"text": "Flash sale: 20% off today only"},
            },
        )
        assert batch.status_code == 200, batch.text
        batch_id = batch.json()["batchId"]
        chat = await http.post(
            f"/chatapps{SUB}",
            json={
                "user": {"msisdn": "+6591234567"},
                "type": "text",
                "content": {"text": "Your table is ready"},
                "channels": [{"channel": "viber"}],  # no read receipt
            },
        )
        assert chat.status_code == 200, chat.text
        chat_umid = chat.json()["umid"]

        batch_finals = chat_finals = 0
        async with asyncio.timeout(120):
            while batch_finals < 10_000 or not chat_finals:
                for frame in parse_message(await ws.recv()):
                    if not isinstance(frame, Event):
                        continue
                    events.append(frame)
                    payload = frame.payload
                    if payload["status"]["state"] in FINAL:
                        if payload.get("batchId") == batch_id:
                            batch_finals += 1
                        elif payload["umid"] == chat_umid:
                            chat_finals += 1

    batch_seqs = [e.seq for e in events if e.payload.get("batchId") == batch_id]
    chat_receipts = [e for e in events if e.payload["umid"] == chat_umid]
    assert len(batch_seqs) == 20_000  # sent + a final receipt for each
    assert chat_receipts[-1].payload["status"]["state"] in FINAL
    # Every receipt of the chat message, its final one included, came before the batch's
    # last receipt: Chat Apps receipts do not queue behind SMS ones.
    assert chat_receipts[-1].seq < max(batch_seqs)
