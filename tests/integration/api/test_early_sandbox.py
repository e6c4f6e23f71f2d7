"""The embedded sandbox spawned before the UI (`agent-console` with no key): the first login
uses that process, and only one login ever does; a login that wants another sandbox never
leaves the early one running."""

from __future__ import annotations

import asyncio
import dataclasses
import sys
from pathlib import Path

from console.config import Settings
from console.connecting import EarlySandbox

WAITS_FOR_STDIN = "import sys; sys.stdin.read()"  # as the sandbox does (--exit-with-stdin)


async def a_child() -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-c", WAITS_FOR_STDIN, stdin=asyncio.subprocess.PIPE
    )


async def test_the_first_login_takes_the_early_process_and_only_the_first(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    child = await a_child()
    early = EarlySandbox(settings, child)
    try:
        assert early.take(settings) is child
        assert early.take(settings) is None  # ctrl+r later: a new sandbox, not this one
    finally:
        child.kill()
        await child.wait()


async def test_a_login_for_another_sandbox_stops_the_early_one(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    child = await a_child()
    early = EarlySandbox(settings, child)
    other_seed = dataclasses.replace(settings, sandbox_seed=42)
    assert early.take(other_seed) is None
    assert await asyncio.wait_for(child.wait(), 5) != 0  # killed, not left behind


async def test_a_sandbox_that_died_early_is_not_used(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    child = await asyncio.create_subprocess_exec(sys.executable, "-c", "raise SystemExit(3)")
    await child.wait()
    assert EarlySandbox(settings, child).take(settings) is None


async def test_the_spawned_sandbox_serves_the_first_login(tmp_path: Path) -> None:
    """End to end with the real sandbox: spawned first, logged into afterwards."""
    settings = Settings(data_dir=tmp_path)
    early = await EarlySandbox.spawn(settings)
    spawned = early._process
    session = await asyncio.wait_for(early.connect(settings), 30)
    try:
        assert session.sandbox is not None
        assert session.sandbox.process is spawned
        assert session.target == "sandbox"
    finally:
        await session.close()
