"""`agent-console relay` as a user runs it: a real process, real HTTP, Ctrl-C to stop."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx
from live_helpers import envelope

from console.live.events import Event
from console.live.stream import EventStream

SECRET = "cli-secret-value-123"
TOKEN = "cli-token-value-456"


def start_relay(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
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


def stop(process: subprocess.Popen) -> tuple[str, str]:
    """Ctrl-C, then the rest of stdout and stderr."""
    assert process.stdout is not None and process.stderr is not None
    process.send_signal(signal.SIGINT)
    process.wait(timeout=10)
    return process.stdout.read(), process.stderr.read()


async def test_the_relay_command_serves_webhooks_and_events_and_stops_on_ctrl_c(
    tmp_path: Path,
) -> None:
    log = tmp_path / "relay.jsonl"
    process = start_relay(tmp_path, "--log", str(log), env={
        "AGENT_CONSOLE_WEBHOOK_SECRET": SECRET, "AGENT_CONSOLE_EVENTS_TOKEN": TOKEN,
    })  # fmt: skip
    first_line = ""
    try:
        base, first_line = await read_base_url(process)
        async with httpx.AsyncClient(timeout=10) as http:  # the socket listens already
            response = await http.post(
                f"{base}/webhooks/sms", headers={"Authorization": SECRET}, json=envelope(1)
            )
        assert response.status_code == 200
        stream = EventStream(base, TOKEN, since=0)
        async with asyncio.timeout(10):
            async for item in stream:
                if isinstance(item, Event):
                    break
        await stream.close()
        assert item.payload["index"] == 1
    finally:
        rest, err = stop(process)
    out = first_line + rest
    assert process.returncode == 0, err
    assert "ws://127.0.0.1:" in out and "/webhooks/chatapps" in out
    assert "Relay stopped." in out
    assert "Traceback" not in err
    assert SECRET not in out + err and TOKEN not in out + err
    assert log.exists()


async def test_the_relay_command_refuses_to_start_without_a_secret(tmp_path: Path) -> None:
    env = {"AGENT_CONSOLE_WEBHOOK_SECRET": "", "AGENT_CONSOLE_EVENTS_TOKEN": ""}
    process = start_relay(tmp_path, "--events-token", TOKEN, env=env)
    out, err = process.communicate(timeout=10)
    assert process.returncode == 2
    assert "--webhook-secret" in err
    assert "Relay listening" not in out


async def test_a_second_relay_on_the_same_log_refuses_to_start_with_a_clear_message(
    tmp_path: Path,
) -> None:
    env = {"AGENT_CONSOLE_WEBHOOK_SECRET": SECRET, "AGENT_CONSOLE_EVENTS_TOKEN": TOKEN}
    log = str(tmp_path / "shared.jsonl")
    first = start_relay(tmp_path, "--log", log, env=env)
    try:
        await read_base_url(first)
        second = start_relay(tmp_path, "--log", log, env=env)
        out, err = second.communicate(timeout=10)
        assert second.returncode == 1
        assert "already used by another relay" in err
        assert "Traceback" not in err and "Relay listening" not in out
    finally:
        stop(first)
    assert first.returncode == 0
