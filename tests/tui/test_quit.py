"""ctrl+q gives the terminal back at once: the history's last flush and the embedded sandbox's
exit finish on their own, and still happen. (How fast: bench/startup.py, never asserted.)"""

from __future__ import annotations

import asyncio
import dataclasses
import sys
from pathlib import Path

from tui_helpers import console_for, open_compose, send_from_compose, wait_for

from console.api.session import EmbeddedSandbox, Session, connect
from console.app import AgentConsole
from console.config import Settings, load_settings
from console.store import History

STUBBORN = """
import signal, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
print("ready", flush=True)
time.sleep(600)
"""


async def test_quitting_still_flushes_the_history(sandbox_url: str, tmp_path: Path) -> None:
    app = console_for(sandbox_url, data_dir=tmp_path)
    async with app.run_test(size=(120, 32)) as pilot:
        screen = await open_compose(app, pilot)
        await wait_for(pilot, lambda: app.history is not None)
        umid = await send_from_compose(
            pilot, screen, "+6591234567", "Saved at the very last moment"
        )
        await pilot.press("ctrl+q")
    assert app.wait_closed(timeout=30), "the final flush completes"
    with History.open(tmp_path) as history:  # the folder lock was released too
        stored = history.message_by_umid(umid)
    assert stored is not None and stored.text == "Saved at the very last moment"


async def test_quitting_does_not_wait_for_the_sandbox_to_exit(
    sandbox_url: str, tmp_path: Path
) -> None:
    """A sandbox child that ignores SIGTERM is still running when the console has quit: the
    console told it to stop and did not wait (it used to wait up to 5 s, then kill it)."""
    stubborn = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        STUBBORN,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    assert stubborn.stdout is not None
    assert (await stubborn.stdout.readline()).strip() == b"ready"

    async def with_stubborn_sandbox(settings: Settings) -> Session:
        session = await connect(settings)
        sandbox = EmbeddedSandbox(sandbox_url, "unused-key", "sandbox", process=stubborn)
        return dataclasses.replace(session, sandbox=sandbox)

    settings = Settings(api_key="demo-key-for-screenshots-4f2a9c", subaccount="sandbox")
    settings = dataclasses.replace(settings, server=sandbox_url, data_dir=tmp_path)
    app = AgentConsole(settings, connector=with_stubborn_sandbox)
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_for(pilot, lambda: app.connection.state == "connected")
            await pilot.press("ctrl+q")
        assert app.wait_closed(timeout=30)
        assert stubborn.returncode is None, "the console did not wait for the sandbox"
    finally:
        if stubborn.returncode is None:
            stubborn.kill()
        await stubborn.wait()


async def test_the_embedded_sandbox_dies_when_the_console_quits(tmp_path: Path) -> None:
    app = AgentConsole(load_settings({"seed": 3, "data_dir": str(tmp_path)}, {}, {}))
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: app.connection.state == "connected", timeout=60)
        assert app.session is not None and app.session.sandbox is not None
        process = app.session.sandbox.process
        await pilot.press("ctrl+q")
    assert app.wait_closed(timeout=30)
    await asyncio.wait_for(process.wait(), timeout=60)
    assert process.returncode is not None
