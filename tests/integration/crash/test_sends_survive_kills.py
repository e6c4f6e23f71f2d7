"""Shown means durable, under SIGKILL: a console sending batches to a real sandbox on loopback is
killed at random moments, during and right after batches, again and again; after each kill the
history holds every message the console had shown as sent, and nothing in it is damaged.

The console here is the real core (SmsSender → ConsoleCore → History, the history's updates on
one writer thread, as the App wires them) driving the real API client against a real sandbox.
It writes the umids of a send only where the composer says "✓ Sent": when `SmsSender.send`
yields the progress. To afford many kills, one "zygote" process imports everything once and
forks a fresh console per run (each with its own history threads, started after the fork).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from console.sandbox.server import SandboxServer
from console.sandbox.settings import SandboxConfig
from console.store import History

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="POSIX fork and signals")

KEY = "crash-test-key-7Hq2"
SUBACCOUNT = "crash_demo"
KILLS = 50
RUNS_PER_FOLDER = 5  # kills on one data folder (replays on top of replays), then a fresh one

ZYGOTE = r"""
import asyncio, os, random, sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from console.api.client import CpaasClient
from console.config import Endpoints
from console.core.sending import SmsDraft, SmsSender
from console.core.service import ConsoleCore
from console.store import History

URL, KEY, SUB = sys.argv[1:4]
# Made once here, before any fork (no connection yet): its TLS set-up costs a third of a
# second, which every console would pay again.
CLIENT = CpaasClient(Endpoints.for_server(URL), KEY, SUB)


async def console(data_dir: str, shown_path: str, seed: int) -> None:
    history = History.open(Path(data_dir))
    writes = ThreadPoolExecutor(1, thread_name_prefix="history-write")  # as the App does
    core = ConsoleCore(history=history, background=writes.submit)
    sender = SmsSender(CLIENT, core, batch_limit=100)
    shown = os.open(shown_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    rng = random.Random(seed)
    os.write(1, b"ready\n")
    for n in range(1_000_000):
        count = rng.choice((1, 1, 3, 40, 120, 250))
        numbers = tuple(f"+6591{rng.randrange(10**6):06d}" for _ in range(count))
        draft = SmsDraft(numbers, f"crash {seed} {n}", f"r{seed}-{n}")
        async for progress in sender.send(draft):
            # The composer shows "✓ Sent" here: so this is where the test learns of them.
            os.write(shown, b"".join(f"{s.accepted.umid}\n".encode() for s in progress.sent))


for line in sys.stdin:
    data_dir, shown_path, seed = line.split()
    pid = os.fork()
    if pid == 0:
        try:
            asyncio.run(console(data_dir, shown_path, int(seed)))
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    print(f"gone {pid}", flush=True)
"""


@pytest.fixture(scope="module")
def sandbox_url() -> Iterator[str]:
    config = SandboxConfig(
        api_keys=(KEY,), subaccount=SUBACCOUNT, customers=False, seed=5, balance=1e9
    )
    server = SandboxServer(config)
    yield server.start()
    server.stop()


class Zygote:
    def __init__(self, url: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", ZYGOTE, url, KEY, SUBACCOUNT],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env={**os.environ, "NO_PROXY": "*", "no_proxy": "*"},
        )

    def line(self) -> str:
        assert self.process.stdout is not None
        line = self.process.stdout.readline().decode()
        assert line, "the zygote died"
        return line.strip()

    def run(self, data_dir: Path, shown: Path, seed: int) -> None:
        """Start a console; returns once it is ready to send."""
        assert self.process.stdin is not None
        self.process.stdin.write(f"{data_dir} {shown} {seed}\n".encode())
        self.process.stdin.flush()
        assert self.line() == "ready"

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait(30)


def shown_umids(path: Path) -> list[str]:
    """The umids the console showed as sent (a line cut by the kill was never whole)."""
    if not path.exists():
        return []
    content = path.read_text()
    lines = content.split("\n")
    return [line for line in lines[:-1] if line]


def wait_for_shown(path: Path, sends: int, timeout: float = 30.0) -> None:
    """Until the console has shown `sends` more sends (or answers of a batch) as sent."""
    deadline = time.monotonic() + timeout
    seen = 0
    size = 0
    while seen < sends:
        assert time.monotonic() < deadline, "the console shows nothing as sent"
        now = path.stat().st_size if path.exists() else 0
        if now > size:
            seen += 1
            size = now
        else:
            time.sleep(0.002)


def console_pid(zygote: Zygote) -> int:
    """The newest child of the zygote: the console just started."""
    children = Path(f"/proc/{zygote.process.pid}/task/{zygote.process.pid}/children")
    pids = children.read_text().split()
    assert len(pids) == 1, pids
    return int(pids[0])


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="Linux /proc")
def test_every_send_shown_as_sent_survives_a_kill_at_any_moment(
    sandbox_url: str, tmp_path: Path
) -> None:
    rng = random.Random(2226)
    zygote = Zygote(sandbox_url)
    checked = kills_after_sends = 0
    try:
        expected: set[str] = set()
        data_dir = tmp_path / "data-0"
        for run in range(KILLS):
            if run % RUNS_PER_FOLDER == 0:
                data_dir = tmp_path / f"data-{run // RUNS_PER_FOLDER}"
                expected = set()
            shown = tmp_path / f"shown-{run}.txt"
            zygote.run(data_dir, shown, seed=run)
            pid = console_pid(zygote)
            if run % 2:  # anywhere: before the first answer, mid-request, mid-flush…
                time.sleep(rng.uniform(0.0, 0.5))
            else:  # right after a send was shown, while its history is being written
                wait_for_shown(shown, rng.randint(1, 3))
                time.sleep(rng.uniform(0.0, 0.03))
            os.kill(pid, signal.SIGKILL)
            assert zygote.line() == f"gone {pid}"

            now_shown = shown_umids(shown)
            kills_after_sends += bool(now_shown)
            expected.update(now_shown)
            with History.open(data_dir) as history:
                damaged = [n for n in history.notices if "corrupt" in n or "damaged" in n]
                assert damaged == [], damaged
                # Every day part, on disk or in memory (the history keeps only its newest
                # parts in memory: message_by_umid would miss the older ones).
                everything = history.find_messages(limit=10_000_000)
                kept = [m.umid for m in everything]
                assert len(kept) == len(set(kept)), "a replay added a message twice"
                by_umid = {m.umid: m for m in everything}
                missing = [u for u in expected if u not in by_umid]
                assert missing == [], f"run {run}: {len(missing)} shown as sent, not kept"
                for umid in now_shown:
                    assert by_umid[umid].text.startswith(f"crash {run} ")
            checked += len(now_shown)
    finally:
        zygote.close()
    print(f"{KILLS} kills, {kills_after_sends} after sends were shown; {checked:,} umids checked")
    assert kills_after_sends >= KILLS // 2, "most kills come after something was shown"
    assert checked >= 1_000
