"""Fixtures for the sandbox contract tests (helpers live in sandbox_support.py)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from oas_files import OAS_DIR
from sandbox_support import (
    AUTH,
    Contract,
    Hook,
    Receiver,
    ThreadedUvicorn,
    sandbox_config,
    start_receiver,
    webhook_checker,
)

from console.sandbox.server import SandboxServer


@pytest.fixture(scope="session", autouse=True)
def _loopback_without_proxies() -> Iterator[None]:
    """Loopback traffic must never go through a proxy a CI environment may define."""
    names = [k for k in os.environ if k.lower() in ("http_proxy", "https_proxy", "all_proxy")]
    saved = {name: os.environ.pop(name) for name in names}
    yield
    os.environ.update(saved)


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    """One webhook receiver per test module (tests tell their webhooks apart by umid)."""
    rec, server = start_receiver()
    yield rec
    server.stop()


@pytest.fixture
def make_receiver() -> Iterator[Callable[..., Receiver]]:
    """A fresh receiver, e.g. one that fails: ``make_receiver(fail_first=2)``."""
    servers: list[ThreadedUvicorn] = []

    def make(**settings: Any) -> Receiver:
        rec, server = start_receiver()
        for name, value in settings.items():
            setattr(rec, name, value)
        servers.append(server)
        return rec

    yield make
    for server in servers:
        server.stop()


@pytest.fixture
def make_sandbox(receiver: Receiver) -> Iterator[Callable[..., str]]:
    """Start a sandbox with overrides (webhooks to the module's receiver unless told; the
    machine's clocks unless ``clock`` is given)."""
    servers: list[SandboxServer] = []

    def make(webhook_url: str | None = None, clock: Any = None, **overrides: Any) -> str:
        config = sandbox_config(webhook_url or receiver.url, **overrides)
        server = SandboxServer(config, clock=clock)
        servers.append(server)
        return server.start()

    yield make
    for server in servers:
        server.stop()


@pytest.fixture(scope="module")
def sandbox(receiver: Receiver) -> Iterator[str]:
    """The module's shared sandbox with the default test config."""
    server = SandboxServer(sandbox_config(receiver.url))
    yield server.start()
    server.stop()


@pytest.fixture(scope="module")
def client(sandbox: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sandbox, headers=AUTH, timeout=30, trust_env=False) as c:
        yield c


@pytest.fixture(scope="session")
def contract() -> Contract:
    """8x8's OpenAPI files, from tests/oas in the repository."""
    return Contract(OAS_DIR)


@pytest.fixture(scope="session")
def webhook_schema(contract: Contract) -> Callable[[Hook], str]:
    """Validates a received webhook against API.md's shapes and common_models' status."""
    return webhook_checker(contract)
