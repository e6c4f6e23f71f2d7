"""Fixtures for the CpaasClient integration tests (helpers live in scripted_server.py)."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from scripted_server import FakeTime, ScriptedServer, ServerThread


@pytest.fixture(scope="session")
def _scripted_server() -> Iterator[ScriptedServer]:
    scripted = ScriptedServer()
    with ServerThread(scripted.app) as url:
        scripted.url = url
        yield scripted


@pytest.fixture
def server(_scripted_server: ScriptedServer) -> ScriptedServer:
    _scripted_server.reset()
    return _scripted_server


@pytest.fixture
def refused_url() -> str:
    """A loopback URL where nothing listens (connection refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()
