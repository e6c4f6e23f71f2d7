"""Ending one tab's console leaves nothing behind, even when the console does not cooperate.

The console here is a stand-in that speaks the web driver's first line and then misbehaves
as a real one might: ignores the quit request and SIGTERM, or quits but leaves the process
it started (as an embedded sandbox) running."""

from __future__ import annotations

import asyncio
import sys
import textwrap
import time
from pathlib import Path

import pytest
from serve_helpers import alive, kill_leftovers, wait_until_gone
from textual_serve.download_manager import DownloadManager

from console.serve.server import ConsoleProcess

STAND_IN = textwrap.dedent(
    """
    import signal, subprocess, sys
    if sys.argv[2] == "ignore":
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    child = subprocess.Popen(
        [sys.executable, "-c",
         "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(600)"],
        stdin=subprocess.DEVNULL,
    )
    open(sys.argv[1], "w").write(f"{child.pid}")
    sys.stdout.buffer.write(b"__GANGLION__\\n")
    sys.stdout.flush()
    seen = b""
    while chunk := sys.stdin.buffer.read1(4096):
        seen += chunk
        if b'"quit"' in seen and sys.argv[2] == "quit":
            sys.exit(0)  # quits, and leaves its child behind
    signal.pause()
    """
)


@pytest.mark.parametrize("behaviour", ["ignore", "quit"])
async def test_the_console_and_what_it_started_end_with_the_tab(
    behaviour: str, tmp_path: Path
) -> None:
    child_pid_file = tmp_path / "child.pid"
    sent: list[bytes] = []
    closed: list[bool] = []

    async def write_bytes(data: bytes) -> None:
        sent.append(data)

    async def write_str(data: str) -> None:
        sent.append(data.encode())

    async def close() -> None:
        closed.append(True)

    console = ConsoleProcess(
        [sys.executable, "-c", STAND_IN, str(child_pid_file), behaviour],
        {"AGENT_CONSOLE_TEST": "1"},
        quit_grace=0.5,
        term_grace=0.5,
        write_bytes=write_bytes,
        write_str=write_str,
        close=close,
        download_manager=DownloadManager(),
    )
    await console.start(80, 24)
    assert console.pid is not None
    pids = {console.pid}
    try:
        deadline = time.monotonic() + 10
        while not (child_pid_file.exists() and child_pid_file.read_text()):
            assert time.monotonic() < deadline, "the stand-in never started its child"
            await asyncio.sleep(0.05)
        pids.add(int(child_pid_file.read_text()))
        assert all(alive(pid) for pid in pids)
        await console.stop()
        wait_until_gone(pids, timeout=5)
        assert closed, "the page is told the session ended"
        await console.stop()  # a second stop (the page and the server both ask) is harmless
    finally:
        kill_leftovers(pids)
