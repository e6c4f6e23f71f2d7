"""Fixtures for the relay's integration tests (helpers live in live_helpers.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from live_helpers import ChaosProxy, RelayServer
from redis_server import RedisServer

from console.live.log import EventLog, FileEventLog, MemoryEventLog


@pytest.fixture
async def relay_factory() -> AsyncIterator[Callable[..., Any]]:
    """Start relays: ``await relay_factory(log=..., **Relay options)``; all stopped after."""
    servers: list[RelayServer] = []

    async def make(make_log: Callable[[], EventLog] | None = None, **options: Any) -> RelayServer:
        server = RelayServer(make_log or (lambda: MemoryEventLog()), **options)
        await server.start()
        servers.append(server)
        return server

    yield make
    for server in servers:
        await server.stop()


@pytest.fixture
async def file_relay(relay_factory: Callable[..., Any], tmp_path: Path) -> RelayServer:
    """A relay on a FileEventLog in tmp_path (each restart reopens the same file)."""
    path = tmp_path / "events.jsonl"
    return await relay_factory(lambda: FileEventLog(path))


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    limits = httpx.Limits(max_connections=32, max_keepalive_connections=32)
    async with httpx.AsyncClient(timeout=10, limits=limits) as client:
        yield client


@pytest.fixture
async def proxy_factory() -> AsyncIterator[Callable[[int], Any]]:
    proxies: list[ChaosProxy] = []

    async def make(target_port: int) -> ChaosProxy:
        proxy = ChaosProxy(target_port)
        await proxy.start()
        proxies.append(proxy)
        return proxy

    yield make
    for proxy in proxies:
        await proxy.close()


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """One real redis-server for the session; tests keep apart by key prefix."""
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()
