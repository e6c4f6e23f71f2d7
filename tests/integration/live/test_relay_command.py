"""`agent-console relay` as a user runs it: a real process, real HTTP, Ctrl-C to stop."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import httpx
from live_helpers import (
    envelope,
    free_port,
    read_base_url,
    start_relay_process,
    stop_relay_process,
)

from console.live.events import Event
from console.live.stream import EventStream

SECRET = "cli-secret-value-123"
TOKEN = "cli-token-value-456"


async def test_the_relay_command_serves_webhooks_and_events_and_stops_on_ctrl_c(
    tmp_path: Path,
) -> None:
    log = tmp_path / "relay.jsonl"
    process = start_relay_process(tmp_path, "--log", str(log), env={
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
        rest, err = stop_relay_process(process)
    out = first_line + rest
    assert process.returncode == 0, err
    assert "ws://127.0.0.1:" in out and "/webhooks/chatapps" in out
    assert "Relay stopped." in out
    assert "Traceback" not in err
    assert SECRET not in out + err and TOKEN not in out + err
    assert log.exists()


async def test_the_relay_command_refuses_to_start_without_a_secret(tmp_path: Path) -> None:
    env = {"AGENT_CONSOLE_WEBHOOK_SECRET": "", "AGENT_CONSOLE_EVENTS_TOKEN": ""}
    process = start_relay_process(tmp_path, "--events-token", TOKEN, env=env)
    out, err = process.communicate(timeout=10)
    assert process.returncode == 2
    assert "--webhook-secret" in err
    assert "Relay listening" not in out


async def test_a_second_relay_on_the_same_log_refuses_to_start_with_a_clear_message(
    tmp_path: Path,
) -> None:
    env = {"AGENT_CONSOLE_WEBHOOK_SECRET": SECRET, "AGENT_CONSOLE_EVENTS_TOKEN": TOKEN}
    log = str(tmp_path / "shared.jsonl")
    first = start_relay_process(tmp_path, "--log", log, env=env)
    try:
        await read_base_url(first)
        second = start_relay_process(tmp_path, "--log", log, env=env)
        out, err = second.communicate(timeout=10)
        assert second.returncode == 1
        assert "already used by another relay" in err
        assert "Traceback" not in err and "Relay listening" not in out
    finally:
        stop_relay_process(first)
    assert first.returncode == 0


async def test_the_relay_says_what_to_install_when_the_redis_package_is_missing(
    tmp_path: Path,
) -> None:
    blocker = tmp_path / "no-redis"
    (blocker / "redis").mkdir(parents=True)
    (blocker / "redis" / "__init__.py").write_text("raise ImportError('No module named redis')\n")
    env = {
        "AGENT_CONSOLE_WEBHOOK_SECRET": SECRET,
        "AGENT_CONSOLE_EVENTS_TOKEN": TOKEN,
        "PYTHONPATH": os.pathsep.join([str(blocker), *sys.path]),
    }
    process = start_relay_process(tmp_path, "--redis", "redis://127.0.0.1:1/0", env=env)
    out, err = process.communicate(timeout=20)
    assert process.returncode == 2
    assert "pip install 'agent-console[redis]'" in err
    assert "Traceback" not in err and "Relay listening" not in out


async def test_an_unreachable_redis_stops_the_relay_with_a_clear_message_and_no_password(
    tmp_path: Path,
) -> None:
    env = {
        "AGENT_CONSOLE_WEBHOOK_SECRET": SECRET,
        "AGENT_CONSOLE_EVENTS_TOKEN": TOKEN,
        "AGENT_CONSOLE_REDIS_URL": f"redis://:hunter2-secret@127.0.0.1:{free_port()}/0",
    }
    process = start_relay_process(tmp_path, env=env)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 1
    assert "cannot open the event log" in err and "cannot reach Redis" in err
    assert "redis://***@127.0.0.1" in err
    assert "hunter2" not in out + err and "Traceback" not in err


async def test_one_event_log_a_file_or_redis_not_both(tmp_path: Path) -> None:
    env = {"AGENT_CONSOLE_WEBHOOK_SECRET": SECRET, "AGENT_CONSOLE_EVENTS_TOKEN": TOKEN}
    args = ("--log", str(tmp_path / "x.jsonl"), "--redis", "redis://127.0.0.1:6379/0")
    process = start_relay_process(tmp_path, *args, env=env)
    _, err = process.communicate(timeout=20)
    assert process.returncode == 2
    assert "exclude each other" in err


async def test_add_agent_prints_a_token_once_and_the_relay_serves_that_agent(
    tmp_path: Path,
) -> None:
    import dataclasses
    import re
    import subprocess

    from console.live.team import TeamAction
    from console.live.team_client import TeamPoster, TeamPostFailed

    agents = tmp_path / "agents.toml"
    added = subprocess.run(
        [sys.executable, "-m", "console", "relay", "add-agent", "ana", "--agents", str(agents)],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=tmp_path,
    )
    assert added.returncode == 0, added.stderr
    token = re.search(r"^  (\S{40,})$", added.stdout, re.MULTILINE)
    assert token, added.stdout
    secret = token.group(1)
    assert added.stdout.count(secret) == 1
    assert secret not in agents.read_text() and "ana" in agents.read_text()
    again = subprocess.run(
        [sys.executable, "-m", "console", "relay", "add-agent", "ana", "--agents", str(agents)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert again.returncode == 1 and "--rotate" in again.stderr

    env = {"AGENT_CONSOLE_WEBHOOK_SECRET": SECRET, "AGENT_CONSOLE_EVENTS_TOKEN": ""}
    process = start_relay_process(tmp_path, "--agents", str(agents), env=env)
    first_line = ""
    try:
        base, first_line = await read_base_url(process)
        poster = TeamPoster(f"{base}/team/events", secret)
        try:
            mine = TeamAction("assigned", "sms:+6591234567", "ana", assignee="ana")
            seq = await poster.post(mine)
            try:
                await poster.post(dataclasses.replace(mine, agent="bob", assignee="bob"))
            except TeamPostFailed as error:
                refused = error.reason
        finally:
            await poster.aclose()
        assert seq == 1
        assert "403: This token acts as 'ana', not as 'bob'" in refused
        stream = EventStream(base, secret, since=0)
        async with asyncio.timeout(10):
            async for item in stream:
                if isinstance(item, Event):
                    break
        await stream.close()
        assert item.payload["agent"] == "ana"
    finally:
        rest, err = stop_relay_process(process)
    out = first_line + rest
    assert process.returncode == 0, err
    assert f"agents:   {agents} (1;" in out
    assert secret not in out + err
