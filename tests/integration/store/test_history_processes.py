"""History across real processes: SIGKILL mid-flush over several parts, two consoles on one
folder, the flush at exit."""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import pytest

from console.store import History, HistoryLocked
from console.store.catalog import identity
from console.store.storage import check_shape

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="POSIX signals")

DAY = 86_400.0
DAYS = 4

# Messages go round-robin to four days, so each flush writes several parts at once.
BURST = """
import itertools, sys, time
from pathlib import Path
from console.store import History

history = History.open(Path(sys.argv[1]), flush_interval=0.005)
print("ready", flush=True)
base = int(sys.argv[2])
for n in itertools.count(base):
    now = time.time() - (n % 4) * 86400
    history.record_message(
        f"u{n}", f"c{n}", "SMS", "out", "+6591234567", "burst " + "x" * 400, "queued", now,
        conversation_id=f"conv{n % 7}",
    )
    history.apply_receipt(f"u{n}", "sent", now, now)
    if n % 4 == 0:
        time.sleep(0.001)
"""

# Three parts saved; then all three change, and the flush hangs inside the second one's fsync.
KILLED_IN_FSYNC = """
import os, sys, time
from pathlib import Path
from console.store import History

history = History.open(Path(sys.argv[1]), flush_interval=3600)
now = time.time()
for age in range(3):
    at = now - age * 86400
    history.record_message(f"first{age}", None, "SMS", "out", "+65", "1", "queued", at)
history.flush()

real_fsync = os.fsync
target = sys.argv[2]

def stuck_fsync(fd):
    name = os.readlink(f"/proc/self/fd/{fd}")
    if os.path.basename(name).startswith(target + ".") and name.endswith(".tmp"):
        print("writing", flush=True)
        time.sleep(60)
    real_fsync(fd)

os.fsync = stuck_fsync
for age in range(3):
    at = now - age * 86400
    history.record_message(f"second{age}", None, "SMS", "out", "+65", "2", "queued", at)
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


def wait_for_temp_file(folder: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if folder.exists() and any(e.name.endswith(".tmp") for e in os.scandir(folder)):
            return


PART = re.compile(r"^\d{4}-\d\d-\d\d\.\d+\.json$")


def saved_parts(folder: Path) -> dict[str, list[int]]:
    """Every part as a plain JSON reader sees it: its message numbers (asserts it is whole)."""
    parts: dict[str, list[int]] = {}
    if not folder.exists():
        return parts
    for path in folder.iterdir():
        if not PART.match(path.name):
            continue
        data = json.loads(path.read_bytes())  # a half-written file would not parse
        check_shape(data)
        numbers = [int(doc["umid"][1:]) for doc in data.get("messages", {}).values()]
        index_path = path.with_name(path.name[:-5] + ".index.json")
        with contextlib.suppress(FileNotFoundError, ValueError):
            index = json.loads(index_path.read_bytes())
            if index["source"] == identity(path):  # else stale: rebuilt at the next open
                assert set(index["umids"]) == {f"u{n}" for n in numbers}, path.name
        parts[path.name] = sorted(numbers)
    return parts


def assert_each_part_whole(parts: dict[str, list[int]], base: int) -> None:
    """A version of a part holds every message recorded there up to some moment: from one run,
    its numbers are consecutive in that day's sequence (n, n+4, n+8…), never with a hole."""
    for name, numbers in parts.items():
        run = [n for n in numbers if n >= base]
        assert all(b - a == DAYS for a, b in itertools.pairwise(run)), name


def test_sigkill_during_flushes_of_several_parts_leaves_each_part_old_or_new(
    data_dir: Path,
) -> None:
    rng = random.Random(20261127)
    folder = data_dir / "history"
    saved = 0
    for iteration in range(20):
        base = iteration * 10_000_000
        process = start(BURST, str(data_dir), str(base))
        expect_line(process, b"ready\n")
        if iteration % 2:
            time.sleep(rng.uniform(0.02, 0.25))
        else:  # aim inside a flush: kill as soon as a temp file shows up
            wait_for_temp_file(folder, timeout=rng.uniform(0.05, 0.3))
        kill(process)

        parts = saved_parts(folder)
        assert_each_part_whole(parts, base)
        count = sum(len(numbers) for numbers in parts.values())
        assert count >= saved, "records that were saved before must stay saved"
        saved = count
        with History.open(data_dir) as history:
            assert history.notices == []
            found = [m for chunk in history.scan_messages() for m in chunk]
            assert len(found) == saved
            for conversation_id in {m.conversation_id for m in found}:
                assert conversation_id is not None
                assert history.conversation(conversation_id) is not None
    assert saved > 0
    assert len({name.split(".")[0] for name in saved_parts(folder)}) == DAYS


@pytest.mark.parametrize("stuck", [0, 1, 2], ids=["newest", "middle", "oldest"])
def test_a_kill_inside_a_flush_of_three_parts_keeps_each_part_old_or_new(
    data_dir: Path, stuck: int
) -> None:
    """Parts are written oldest first; the one whose fsync hangs keeps its old version,
    those before it have their new one, those after it their old one."""
    now = time.time()
    days = [time.strftime("%Y-%m-%d", time.gmtime(now - age * DAY)) for age in range(3)]
    process = start(KILLED_IN_FSYNC, str(data_dir), f"{days[stuck]}.0.json")
    expect_line(process, b"writing\n")
    kill(process)
    folder = data_dir / "history"
    assert list(folder.glob(f"{days[stuck]}.0.json.*.tmp")), "the half-done temp file is left"
    parts = {name.split(".")[0]: numbers for name, numbers in _umids(folder).items()}
    for age, day in enumerate(days):
        written = age > stuck  # the oldest day (highest age) is written first
        expected = {f"first{age}", f"second{age}"} if written else {f"first{age}"}
        assert parts[day] == expected, day
    with History.open(data_dir) as history:
        assert history.notices == []
        assert history.message_by_umid(f"second{stuck}") is None
        assert history.message_by_umid(f"first{stuck}") is not None
    assert not list(folder.glob("*.tmp")), "and cleaned up at the next open"


def _umids(folder: Path) -> dict[str, set[str]]:
    found: dict[str, set[str]] = defaultdict(set)
    for path in folder.iterdir():
        if PART.match(path.name):
            data = json.loads(path.read_bytes())
            found[path.name] |= {doc["umid"] for doc in data["messages"].values()}
    return found


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
