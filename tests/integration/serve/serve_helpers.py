"""Running `agent-console serve` as a user does, and finding the processes it starts."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit


@dataclass
class Served:
    """A running `agent-console serve`: its process, the link it printed (with the run's
    secret in its path), what it printed."""

    process: subprocess.Popen[str]
    url: str
    output: list[str] = field(default_factory=list)

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def origin(self) -> str:
        """The server without the secret: ``http://127.0.0.1:PORT``."""
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def secret(self) -> str:
        return urlsplit(self.url).path.strip("/")

    def websocket(self, secret: str | None = None) -> str:
        """The page's websocket address (with another ``secret`` in its path if given)."""
        path = self.secret if secret is None else secret
        return self.origin.replace("http://", "ws://") + f"/{path}/ws"


@contextmanager
def serve(
    *args: str, env: Mapping[str, str] | None = None, timeout: float = 30.0
) -> Iterator[Served]:
    """`agent-console serve --port 0 ARGS` on 127.0.0.1 until the block ends (then SIGTERM)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "console", "serve", "--host", "127.0.0.1", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=dict(env) if env is not None else None,
    )
    served = Served(process, url="")
    found = threading.Event()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            served.output.append(line)
            match = re.search(r"http://127\.0\.0\.1:\d+/[A-Za-z0-9_-]{43}/", line)
            if match and not served.url:
                served.url = match.group(0)
                found.set()
        found.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        if not found.wait(timeout) or not served.url:
            raise AssertionError("serve printed no URL:\n" + "".join(served.output))
        yield served
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        reader.join(5)


def _stat(pid: int) -> tuple[int, str] | None:
    """(parent pid, state) of a process, or None when it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = text[text.rindex(")") + 2 :].split()
    return int(fields[1]), fields[0]


def alive(pid: int) -> bool:
    """True while the process exists and is not a zombie (dead, waiting to be reaped)."""
    stat = _stat(pid)
    return stat is not None and stat[1] != "Z"


def descendants(pid: int) -> set[int]:
    """Every living process below ``pid``."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (stat := _stat(int(entry.name))) and stat[1] != "Z":
            children.setdefault(stat[0], []).append(int(entry.name))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def command_line(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (FileNotFoundError, ProcessLookupError):
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def environment(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes()
    pairs = (part.decode(errors="replace").partition("=") for part in raw.split(b"\0") if part)
    return {name: value for name, _, value in pairs}


def consoles_and_sandboxes(serve_pid: int) -> tuple[set[int], set[int]]:
    """The console processes `serve` started, and the embedded sandboxes they started."""
    consoles: set[int] = set()
    sandboxes: set[int] = set()
    for pid in descendants(serve_pid):
        argv = command_line(pid)
        if argv[1:4] == ["-P", "-m", "console.serve.tab"]:
            consoles.add(pid)
        elif argv[1:5] == ["-P", "-m", "console", "sandbox"]:
            sandboxes.add(pid)
    return consoles, sandboxes


def wait_until_gone(pids: set[int], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while left := {pid for pid in pids if alive(pid)}:
        if time.monotonic() > deadline:
            shown = {pid: " ".join(command_line(pid)) for pid in left}
            raise AssertionError(f"still running after {timeout:g} s: {shown}")
        time.sleep(0.05)


def kill_leftovers(pids: set[int]) -> None:
    """Never leave a test's processes behind, whatever the test found."""
    for pid in pids:
        if alive(pid):
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
