"""Helpers for the relay's integration tests: real uvicorn on 127.0.0.1, real clients.

- ``RelayServer``: a relay app under uvicorn, in the test's event loop, on a free port that
  can be stopped and started again on the same port (relay restart).
- ``start_relay_process``: ``agent-console relay`` as a real process (``read_base_url``
  reads where it listens; ``stop_relay_process`` sends Ctrl-C).
- ``ChaosProxy``: a TCP proxy between clients and the relay that can cut every connection
  (a network blip) or silently stop forwarding (a dead peer, a laptop asleep).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette

from console.live.command import listen_socket
from console.live.log import EventLog
from console.live.relay import Relay, create_relay_app

SECRET = "Bearer webhook-secret-123"
TOKEN = "events-token-456"


class _TestServer(uvicorn.Server):
    """uvicorn without signal handling (tests run it inside pytest's loop)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RelayServer:
    """A relay under uvicorn; ``restart()`` brings up a new app on the same port and log."""

    def __init__(self, make_log: Callable[[], EventLog], **relay_options: Any) -> None:
        self.make_log = make_log
        self.relay_options = relay_options
        self.port = free_port()
        self.app: Starlette | None = None
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def relay(self) -> Relay:
        assert self.app is not None
        return self.app.state.relay

    @property
    def log(self) -> EventLog:
        return self.relay.log

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/events"

    async def start(self) -> None:
        options = {"webhook_secret": SECRET, "events_token": TOKEN, **self.relay_options}
        self.app = create_relay_app(self.make_log(), **options)
        sock = listen_socket("127.0.0.1", self.port)  # same port again after a restart
        config = uvicorn.Config(
            self.app,
            log_level="warning",
            lifespan="on",
            access_log=False,
            timeout_graceful_shutdown=2,
        )
        self._server = _TestServer(config)
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]))
        for _ in range(500):
            if self._server.started:
                return
            if self._task.done():
                self._task.result()
                raise RuntimeError("uvicorn exited during startup")
            await asyncio.sleep(0.01)
        raise RuntimeError("uvicorn did not start")

    async def stop(self) -> None:
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            await self._task
        self._server = None
        self._task = None

    async def restart(self) -> None:
        await self.stop()
        await self.start()


def envelope(index: int, *, namespace: str = "SMS", size: int = 0) -> dict[str, Any]:
    """An SMS delivery-receipt webhook body whose payload carries ``index``."""
    payload: dict[str, Any] = {
        "umid": f"umid-{index}",
        "subAccountId": "acme",
        "destination": "+6591234567",
        "status": {"state": "delivered", "timestamp": "2024-05-01T10:00:00.00Z"},
        "index": index,
    }
    if size:
        payload["padding"] = "x" * size
    event_type = "outbound_message_status_changed"
    return {"namespace": namespace, "eventType": event_type, "payload": payload}


async def post_webhooks(
    client: httpx.AsyncClient,
    base_url: str,
    indices: range | list[int],
    *,
    concurrency: int = 16,
    size: int = 0,
) -> list[int]:
    """POST one webhook per index with bounded concurrency; return the seqs, by index order."""
    seqs: dict[int, int] = {}
    queue = list(indices)
    position = 0

    async def worker() -> None:
        nonlocal position
        while position < len(queue):
            index = queue[position]
            position += 1
            response = await client.post(
                f"{base_url}/webhooks/sms",
                headers={"Authorization": SECRET},
                content=json.dumps(envelope(index, size=size)),
            )
            assert response.status_code == 200, response.text
            seqs[index] = response.json()["seq"]

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return [seqs[index] for index in queue]


def start_relay_process(
    tmp_path: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "console.live.command", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=tmp_path,
    )


async def read_base_url(process: subprocess.Popen) -> tuple[str, str]:
    """The relay's base URL from its first line of output, and that line."""
    assert process.stdout is not None
    line = await asyncio.wait_for(asyncio.to_thread(process.stdout.readline), 10)
    match = re.match(r"Relay listening on (http://127\.0\.0\.1:\d+)", line)
    assert match, line
    return match.group(1), line


def stop_relay_process(process: subprocess.Popen) -> tuple[str, str]:
    """Ctrl-C, then the rest of stdout and stderr."""
    assert process.stdout is not None and process.stderr is not None
    process.send_signal(signal.SIGINT)
    process.wait(timeout=10)
    return process.stdout.read(), process.stderr.read()


class ChaosProxy:
    """A TCP proxy to a relay: ``cut()`` aborts every connection; ``freeze()`` blackholes."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.frozen = False
        self.connections = 0
        self._pairs: set[tuple[asyncio.StreamWriter, asyncio.StreamWriter]] = set()
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def port(self) -> int:
        assert self._server is not None
        return self._server.sockets[0].getsockname()[1]

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/events"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)

    async def close(self) -> None:
        self.cut()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        for task in list(self._tasks):
            task.cancel()

    def cut(self) -> None:
        """Abort every proxied connection, both sides, as a network failure would."""
        for client, upstream in list(self._pairs):
            client.transport.abort()
            upstream.transport.abort()
        self._pairs.clear()

    def freeze(self) -> None:
        """Stop forwarding bytes in both directions without closing anything."""
        self.frozen = True

    def thaw(self) -> None:
        self.frozen = False

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.transport.abort()
            return
        self.connections += 1
        pair = (writer, up_writer)
        self._pairs.add(pair)
        for source, sink in ((reader, up_writer), (up_reader, writer)):
            task = asyncio.create_task(self._pipe(source, sink))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _pipe(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        try:
            while True:
                data = await source.read(65536)
                if not data:
                    break
                while self.frozen:
                    await asyncio.sleep(0.05)
                sink.write(data)
                await sink.drain()
        except (OSError, asyncio.CancelledError):
            pass
        finally:
            sink.close()


class StreamRecorder:
    """Iterates an EventStream in a background task and records every item."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream
        self.items: list[Any] = []
        self._changed = asyncio.Event()
        self.task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        async for item in self.stream:
            self.items.append(item)
            self._changed.set()

    @property
    def events(self) -> list[Any]:
        from console.live.events import Event

        return [item for item in self.items if isinstance(item, Event)]

    @property
    def states(self) -> list[Any]:
        from console.live.stream import StreamState

        return [item for item in self.items if isinstance(item, StreamState)]

    async def wait_for(
        self, predicate: Callable[[StreamRecorder], bool], timeout: float = 10
    ) -> None:
        async with asyncio.timeout(timeout):
            while not predicate(self):
                if self.task.done():
                    self.task.result()
                    raise AssertionError("the stream ended")
                self._changed.clear()
                await self._changed.wait()

    async def wait_for_seq(self, seq: int, timeout: float = 10) -> None:
        await self.wait_for(lambda r: bool(r.events) and r.events[-1].seq >= seq, timeout)

    async def stop(self) -> None:
        await self.stream.close()
        async with asyncio.timeout(5):
            await self.task
