"""A dropped session keeps what the agent typed: a real console under a pseudo-terminal, a
reply half-written in the Inbox, a draft in Compose and an unsaved note, then SIGHUP (the SSH
connection dropped) or SIGKILL; the next console on the same data folder has them all back,
in the Inbox with the customer's conversation open."""

from __future__ import annotations

import fcntl
import json
import os
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pyte
import pytest

from console.sandbox.server import SandboxServer
from console.sandbox.settings import SandboxConfig

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGHUP"), reason="POSIX terminals")

KEY = "hangup-test-key-Qm4x"
SUBACCOUNT = "hangup_demo"
COLUMNS, LINES = 160, 40
F3, F5, ENTER, ESCAPE = "\x1bOR", "\x1b[15~", "\r", "\x1b"
JANE = "whatsapp:+6591234567"


@pytest.fixture(scope="module")
def sandbox_url() -> Iterator[str]:
    config = SandboxConfig(api_keys=(KEY,), subaccount=SUBACCOUNT, customers=False, seed=9)
    server = SandboxServer(config)
    yield server.start()
    server.stop()


class Terminal:
    """`agent-console` in a pseudo-terminal of its own; what it draws goes to a screen."""

    def __init__(self, url: str, data_dir: Path) -> None:
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", LINES, COLUMNS, 0, 0))
        env = {
            **os.environ,
            "TERM": "xterm-256color",
            "CPAAS_API_KEY": KEY,
            "NO_PROXY": "*",
            "no_proxy": "*",
        }
        env.pop("TEXTUAL", None)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "console", "--server", url, "--subaccount", SUBACCOUNT,
             "--data-dir", str(data_dir)],
            stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True,
        )  # fmt: skip
        os.close(slave)
        self.master = master
        self.screen = pyte.Screen(COLUMNS, LINES)
        self.stream = pyte.ByteStream(self.screen)
        self.lock = threading.Lock()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        while True:
            try:
                data = os.read(self.master, 65536)
            except OSError:
                return
            if not data:
                return
            with self.lock:
                self.stream.feed(data)

    def text(self) -> str:
        with self.lock:
            return "\n".join(self.screen.display)

    def style_of(self, text: str) -> tuple[str, str] | None:
        """The colours the screen draws `text` in (its first character), or None."""
        with self.lock:
            for row, line in enumerate(self.screen.display):
                column = line.find(text)
                if column >= 0:
                    char = self.screen.buffer[row][column]
                    return char.fg, char.bg
        return None

    def type(self, keys: str) -> None:
        os.write(self.master, keys.encode())

    def end(self, signum: int) -> None:
        os.kill(self.process.pid, signum)
        self.process.wait(30)
        os.close(self.master)
        self.reader.join(10)


def wait_until(
    condition: Callable[[], object],
    what: str,
    timeout: float = 30.0,
    terminal: Terminal | None = None,
) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            shown = "" if terminal is None else "; the screen:\n" + terminal.text()
            raise AssertionError(f"waited {timeout} s for {what}{shown}")
        time.sleep(0.05)


def section(terminal: Terminal) -> str:
    """The section the header names (its first line: "Inbox  SANDBOX  ● …")."""
    words = terminal.text().split("\n", 1)[0].replace("›", " ").split()
    known = {"Home", "Rooms", "Inbox", "Feed", "Compose", "Shield", "Tools"}
    return next((word for word in words if word in known), "")


def saved(data_dir: Path) -> dict[str, Any]:
    path = data_dir / "drafts.json"
    try:
        return json.loads(path.read_bytes())
    except (FileNotFoundError, ValueError):
        return {}


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGHUP, signal.SIGKILL], ids=["SIGHUP", "SIGKILL"])
def test_drafts_come_back_after_the_session_drops(
    sandbox_url: str, tmp_path: Path, signum: int
) -> None:
    data_dir = tmp_path / "data"
    console = Terminal(sandbox_url, data_dir)
    try:
        wait_until(lambda: f"••••••{KEY[-6:]}" in console.text(), "the login", terminal=console)
        console.type(F5)  # the composer: To has the focus
        wait_until(lambda: section(console) == "Compose", "the composer", terminal=console)
        console.type("+6591110000")
        wait_until(lambda: saved(data_dir).get("compose", {}).get("to") == "+6591110000",
                   "the compose draft on disk")  # fmt: skip

        customer = {"channel": "whatsapp", "from": "+6591234567", "text": "Where is it?",
                    "name": "Jane Tan"}  # fmt: skip
        answer = httpx.post(
            f"{sandbox_url}/sandbox/inbound",
            json=customer,
            headers={"Authorization": f"Bearer {KEY}"},
            trust_env=False,
        )
        assert answer.status_code == 200, answer.text
        console.type(F3)
        wait_until(lambda: "Jane Tan" in console.text(), "Jane's conversation", terminal=console)
        console.type(ENTER)  # open it
        wait_until(lambda: saved(data_dir).get("conversation") == JANE, "the open conversation")
        unfocused = console.style_of("▔ Reply ▔")
        console.type(ENTER)  # to the reply box: its border lights up once it has the focus
        wait_until(lambda: console.style_of("▔ Reply ▔") != unfocused, "the reply box's focus")
        console.type("Let me check")
        wait_until(lambda: saved(data_dir).get("replies", {}).get(JANE) == "Let me check",
                   "the reply draft on disk", terminal=console)  # fmt: skip
        # Back to the thread. A lone ESC byte means Escape only once no other byte follows it
        # for a moment (the terminal protocol, as for a person typing): "p" right after it
        # would arrive as alt+p.
        console.type(ESCAPE)
        time.sleep(0.5)
        console.type("p")
        wait_until(lambda: "Private note" in console.text(), "the note dialog", terminal=console)
        console.type("VIP call back")
        wait_until(lambda: saved(data_dir).get("notes", {}).get(JANE) == "VIP call back",
                   "the note draft on disk")  # fmt: skip
    finally:
        console.end(signum)

    again = Terminal(sandbox_url, data_dir)
    try:
        # In the Inbox, Jane's conversation open, the reply as it was typed.
        wait_until(lambda: "Let me check" in again.text(), "the reply", terminal=again)
        wait_until(
            lambda: section(again) == "Inbox" and "Where is it?" in again.text(),
            "the Inbox with Jane's thread",
            terminal=again,
        )
        again.type(ESCAPE)
        time.sleep(0.5)  # a lone ESC (see above)
        again.type("p")
        wait_until(lambda: "VIP call back" in again.text(), "the note", terminal=again)
        again.type(ESCAPE)  # the note dialog closes (its draft is discarded)
        wait_until(lambda: "Private note" not in again.text(), "the note dialog closed")
        again.type(F5)
        wait_until(lambda: "+6591110000" in again.text(), "the compose draft", terminal=again)
    finally:
        again.end(signal.SIGTERM)
    assert KEY not in (data_dir / "drafts.json").read_text()
