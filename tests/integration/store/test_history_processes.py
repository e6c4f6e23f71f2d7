"""History across real processes: SIGKILL mid-burst, two consoles on one folder, exit flush."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from console.store import History, HistoryLocked
from console.store.storage import check_shape

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="POSIX signals")

BURST = """
import itertools, sys, time
from pathlib import Path
from console.store import History

history = History.open(Path(sys.argv[1]), flush_interval=0.005)
print("ready", flush=True)
for n in itertools.count(int(sys.argv[2])):
    now = time.time()
    history.record_message(
        f"u{n}", f"c{n}", "SMS", "out", "+6591234567", "burst " + "x" * 400, "queued", now,
        conversation_id=f"conv{n % 7}",
    )
    history.apply_receipt(f"u{n}", "sent", now, now)
    if n % 4 == 0:
        time.sleep(0.001)
"""

KILLED_IN_FSYNC = """
import os, sys, time
from pathlib import Path
from console.store import History

history = History.open(Path(sys.argv[1]), flush_interval=3600)
history.record_message("saved", None, "SMS", "out", "+65", "first", "queued", time.time())
history.flush()

def stuck_fsync(fd):
    print("writing", flush=True)
    time.sleep(60)

os.fsync = stuck_fsync
history.record_message("lost", None, "SMS", "out", "+65", "second", "queued", time.time())
history.flush()
"""

HOLDER = """
import sys
import time
from pathlib import Path
from console.store import History

history = History.open(Path(sys.argv[1]))
print("open", flush=True)
sys.stdin.read()
"""

EXIT_WITHOUT_CLOSE = """
import sys, time
from pathlib import Path
from console.store import History

history = History.open(Path(sys.argv[1]), flush_interval=3600)
history.record_message("at-exit", None, "SMS", "out", "+65", "bye", "queued", time.time())
sys.exit(0)
"""


def start(script: str, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c", script, *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def expect_line(process: subprocess.Popen[bytes], line: bytes) -> None:
    assert process.stdout is not None
    got = process.stdout.readline()
    if got != line:
        process.kill()
        _, errors = process.communicate()
        raise AssertionError(f"child said {got!r}, stderr: {errors.decode(errors='replace')}")


def kill(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGKILL)
    process.communicate()
    assert process.returncode == -signal.SIGKILL


def wait_for_temp_file(data_dir: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(entry.name.endswith(".tmp") for entry in os.scandir(data_dir)):
            return


def saved_messages(data_dir: Path) -> dict[str, dict[str, object]]:
    """The file as a plain JSON reader sees it (asserts it is whole and consistent)."""
    path = data_dir / "history.json"
    if not path.exists():
        return {}
    data = json.loads(path.read_bytes())
    check_shape(data)
    messages = data.get("messages", {})
    conversations = {doc["conversation_id"] for doc in data.get("conversations", {}).values()}
    # A snapshot is taken under one lock: a message's conversation is always in the same file.
    assert {doc["conversation_id"] for doc in messages.values()} <= conversations
    return messages


def test_sigkill_during_a_burst_of_writes_always_leaves_a_loadable_history(
    data_dir: Path,
) -> None:
    rng = random.Random(20261127)
    saved = 0
    for iteration in range(20):
        process = start(BURST, str(data_dir), str(iteration * 10_000_000))
        expect_line(process, b"ready\n")
        if iteration % 2:
            time.sleep(rng.uniform(0.02, 0.25))
        else:  # aim inside a flush: kill as soon as a temp file shows up
            wait_for_temp_file(data_dir, timeout=rng.uniform(0.05, 0.3))
        kill(process)

        messages = saved_messages(data_dir)
        assert len(messages) >= saved, "records that were saved before must stay saved"
        saved = len(messages)
        with History.open(data_dir) as history:
            assert history.notices == []
            assert len(history.recent_messages(saved + 1)) == saved
    assert saved > 0


def test_a_kill_inside_a_flush_keeps_the_previous_file(data_dir: Path) -> None:
    process = start(KILLED_IN_FSYNC, str(data_dir))
    expect_line(process, b"writing\n")
    kill(process)
    assert list(data_dir.glob("history.json.*.tmp")), "the half-done temp file is left behind"
    with History.open(data_dir) as history:
        assert history.notices == []
        assert history.message_by_umid("saved") is not None
        assert history.message_by_umid("lost") is None
    assert not list(data_dir.glob("history.json.*.tmp")), "and cleaned up at the next open"


def test_a_second_console_on_the_same_folder_gets_a_clear_error(data_dir: Path) -> None:
    holder = start(HOLDER, str(data_dir))
    expect_line(holder, b"open\n")
    try:
        with pytest.raises(HistoryLocked) as refused:
            History.open(data_dir)
        message = str(refused.value)
        assert f"process {holder.pid}" in message
        assert str(data_dir) in message
        assert "--data-dir" in message
        assert refused.value.data_dir == data_dir
    finally:
        kill(holder)
    # The holder died without releasing anything: its lock must not block the next console.
    with History.open(data_dir) as history:
        assert history.notices == []


def test_records_not_yet_flushed_are_saved_when_the_process_exits(data_dir: Path) -> None:
    process = start(EXIT_WITHOUT_CLOSE, str(data_dir))
    _, errors = process.communicate(timeout=30)
    assert process.returncode == 0, errors.decode(errors="replace")
    with History.open(data_dir) as history:
        assert history.message_by_umid("at-exit") is not None
