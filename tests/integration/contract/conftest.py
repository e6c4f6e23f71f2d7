"""Fixtures for the client ↔ sandbox contract tests.

Real servers only: the sandbox (console.sandbox) under uvicorn on 127.0.0.1, a random free
port, in its own thread and loop (SandboxServer, as the console runs it); and a tiny webhook
receiver under uvicorn too, so inbound messages the sandbox emits can be seen.

The sandbox runs at speed 0.001, so no delivery receipt falls due while these tests run:
a 10,000-message batch must not bury the machine in 20,000 webhooks that nothing here checks
(the sandbox's own tests cover receipts).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from console.config import Endpoints
from console.sandbox import SandboxConfig, SandboxServer

CONTRACT_KEY = "contract-key-5e4d3c2b1a09"
CONTRACT_SUB = "contract-sub"
WEBHOOK_SECRET = "Basic d2ViaG9vazpzZWNyZXQ="
SLOW = 0.001  # receipts 1,000 times slower than real: none fall due during the tests


@dataclass
class Hook:
    path: str
    authorization: str | None
    body: Any


class WebhookReceiver:
    def __init__(self) -> None:
        self.hooks: list[Hook] = []
        self._lock = threading.Lock()
        self.app = Starlette(routes=[Route("/{path:path}", self._receive, methods=["POST"])])

    async def _receive(self, request: Request) -> Response:
        hook = Hook(request.url.path, request.headers.get("authorization"), await request.json())
        with self._lock:
            self.hooks.append(hook)
        return Response(status_code=200)

    def received(self) -> list[Hook]:
        with self._lock:
            return list(self.hooks)

    async def wait_for(self, predicate: Any, timeout: float = 10.0) -> Hook:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for hook in self.received():
                if predicate(hook):
                    return hook
            await asyncio.sleep(0.02)
        raise AssertionError("the expected webhook never arrived")


class Uvicorn:
    """An ASGI app under uvicorn on 127.0.0.1, random port, in a background thread."""

    def __init__(self, app: Any) -> None:
        self.server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.01)
        return f"http://127.0.0.1:{self.server.servers[0].sockets[0].getsockname()[1]}"

    def __exit__(self, *exc_info: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@dataclass
class Sandbox:
    url: str
    key: str
    subaccount: str
    receiver: WebhookReceiver

    @property
    def endpoints(self) -> Endpoints:
        return Endpoints.for_server(self.url)


def _sandbox(receiver: WebhookReceiver, receiver_url: str, **config: Any) -> Iterator[Sandbox]:
    sandbox_config = SandboxConfig(
        api_keys=(CONTRACT_KEY,),
        subaccount=CONTRACT_SUB,
        webhook_url=receiver_url,
        webhook_secret=WEBHOOK_SECRET,
        seed=7,
        speed=SLOW,
        customers=False,
        **config,
    )
    with SandboxServer(sandbox_config) as url:
        yield Sandbox(url, CONTRACT_KEY, CONTRACT_SUB, receiver)


@pytest.fixture(scope="module")
def receiver() -> Iterator[tuple[WebhookReceiver, str]]:
    webhooks = WebhookReceiver()
    with Uvicorn(webhooks.app) as url:
        yield webhooks, url


@pytest.fixture(scope="module")
def sandbox(receiver: tuple[WebhookReceiver, str]) -> Iterator[Sandbox]:
    """The sandbox with 8x8's default limits (1,800 requests/s per sub-account)."""
    yield from _sandbox(*receiver)


@pytest.fixture(scope="module")
def limited_sandbox(receiver: tuple[WebhookReceiver, str]) -> Iterator[Sandbox]:
    """A sandbox that allows only 20 requests/s per sub-account, to draw 429s."""
    yield from _sandbox(*receiver, rate_limit=20)
