"""The sandbox and the relay run on uvloop with httptools when those wheels are installed, and
on asyncio with h11 (pure Python) where they are missing."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from console.sandbox.server import SandboxServer
from console.sandbox.settings import SandboxConfig
from console.serving import PURE, STACK_ENV, Stack, server_stack

KEY = "stack-test-key-0123456789"
SECRET = "stack-secret-123"
TOKEN = "stack-token-456"
# Run a module as if the uvloop and httptools wheels did not exist for this platform.
WITHOUT_WHEELS = (
    "import runpy, sys; sys.modules['uvloop'] = None; sys.modules['httptools'] = None; "
    "sys.argv[0] = 'relay'; runpy.run_module('console.live.command', run_name='__main__')"
)


@pytest.fixture
def no_stack_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(STACK_ENV, raising=False)


@pytest.fixture
def without_wheels(monkeypatch: pytest.MonkeyPatch, no_stack_env: None) -> None:
    """``import uvloop`` and ``import httptools`` fail, as where no wheel exists."""
    monkeypatch.setitem(sys.modules, "uvloop", None)
    monkeypatch.setitem(sys.modules, "httptools", None)


@contextlib.contextmanager
def _sandbox(stack: Stack | None = None) -> Iterator[tuple[SandboxServer, str]]:
    config = SandboxConfig(api_keys=(KEY,), customers=False, seed=3, speed=50)
    server = SandboxServer(config, stack=stack)
    url = server.start()
    try:
        yield server, url
    finally:
        server.stop()


def _send_and_see_its_receipts(url: str) -> dict:
    """One SMS through the sandbox and its own relay; returns /sandbox/info afterwards."""
    auth = {"Authorization": f"Bearer {KEY}"}
    with httpx.Client(base_url=url, headers=auth, timeout=10, trust_env=False) as client:
        sent = client.post(
            "/sms/api/v1/subaccounts/sandbox/messages",
            json={"destination": "+6591234567", "text": "stack check"},
        )
        assert sent.status_code == 200, sent.text
        deadline = time.monotonic() + 20
        while True:  # both receipts reach the mounted relay over HTTP
            info = client.get("/sandbox/info").json()
            if info["webhooks"]["delivered"] >= 2:
                return info
            assert time.monotonic() < deadline, info
            time.sleep(0.02)


def test_the_fastest_installed_stack_is_chosen(no_stack_env: None) -> None:
    pytest.importorskip("uvloop")
    pytest.importorskip("httptools")
    assert server_stack() == Stack("uvloop", "httptools")
    assert server_stack("pure") == PURE
    assert server_stack("httptools") == Stack("asyncio", "httptools")
    with pytest.raises(ValueError, match="auto, pure or httptools"):
        server_stack("fast")


def test_a_missing_wheel_falls_back_to_pure_python(without_wheels: None) -> None:
    assert server_stack() == PURE
    assert server_stack("httptools") == PURE


def test_the_sandbox_serves_on_uvloop_and_httptools_when_installed(no_stack_env: None) -> None:
    pytest.importorskip("uvloop")
    pytest.importorskip("httptools")
    with _sandbox() as (server, url):
        info = _send_and_see_its_receipts(url)
        assert info["server"] == {"loop": "uvloop", "http": "httptools"}
        assert server._server is not None  # and uvicorn parses with httptools indeed:
        assert server._server.config.http_protocol_class.__name__ == "HttpToolsProtocol"


def test_the_sandbox_works_in_pure_python_without_the_wheels(without_wheels: None) -> None:
    with _sandbox() as (server, url):
        info = _send_and_see_its_receipts(url)
        assert info["server"] == {"loop": "asyncio", "http": "h11"}
        assert server._server is not None
        assert server._server.config.http_protocol_class.__name__ == "H11Protocol"


def _relay(tmp_path: Path, *command: str) -> tuple[str, str]:
    """Start the relay command, post one webhook, stop it: (its output, the webhook's status)."""
    env = {
        **os.environ,
        "AGENT_CONSOLE_WEBHOOK_SECRET": SECRET,
        "AGENT_CONSOLE_EVENTS_TOKEN": TOKEN,
    }
    env.pop(STACK_ENV, None)
    process = subprocess.Popen(
        [*command, "--port", "0", "--log", str(tmp_path / "events.jsonl")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    assert process.stdout is not None and process.stderr is not None
    try:
        lines: list[str] = []
        while not lines or not lines[-1].startswith("Press Ctrl-C"):
            line = process.stdout.readline()
            assert line, process.stderr.read()
            lines.append(line)
        base = re.search(r"http://127\.0\.0\.1:\d+", lines[0])
        assert base, lines
        body = {"namespace": "SMS", "eventType": "outbound_message_status_changed", "payload": {}}
        answer = httpx.post(
            base.group(0) + "/webhooks/sms",
            json=body,
            headers={"Authorization": SECRET},
            timeout=10,
            trust_env=False,
        )
    finally:
        process.send_signal(signal.SIGINT)
        rest, err = process.communicate(timeout=15)
    assert process.returncode == 0, err
    return "".join(lines) + rest, f"{answer.status_code} {answer.text}"


def test_the_relay_command_serves_on_uvloop_and_httptools_when_installed(tmp_path: Path) -> None:
    pytest.importorskip("uvloop")
    pytest.importorskip("httptools")
    out, answer = _relay(tmp_path, sys.executable, "-m", "console.live.command")
    assert "server:   uvicorn on uvloop + httptools" in out
    assert answer == '200 {"seq":1}'


def test_the_relay_command_works_in_pure_python_without_the_wheels(tmp_path: Path) -> None:
    out, answer = _relay(tmp_path, sys.executable, "-c", WITHOUT_WHEELS)
    assert "server:   uvicorn on asyncio + h11" in out
    assert answer == '200 {"seq":1}'
