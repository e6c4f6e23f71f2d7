"""The single history.json of earlier versions is split into the history folder on first open,
with nothing lost, whenever the process is killed."""

from __future__ import annotations

import json
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from console.store import History

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="POSIX signals")

DAY = 86_400.0
NOW = time.time()


def legacy_history(count: int, days: int) -> dict[str, Any]:
    """A history.json as the previous version wrote it: one file, every table in it."""
    messages: dict[str, Any] = {}
    for index in range(count):
        at = round(NOW - (index % days) * DAY - index * 0.001, 3)
        doc: dict[str, Any] = {
            "channel": "SMS",
            "direction": "out",
            "peer": f"+6591{index:06d}",
            "text": f"message {index} ✓",
            "status": "delivered",
            "created_at": at,
            "umid": f"umid-{index}",
            "client_message_id": f"cid-{index}",
            "status_at": at + 3,
            "timeline": [
                {"state": "sent", "timestamp": at + 1, "received_at": at + 1.1},
                {"state": "delivered", "timestamp": at + 3, "received_at": at + 3.2},
            ],
        }
        if index % 5 == 0:
            doc.update(direction="in", channel="WhatsApp", conversation_id=f"conv-{index % 40}")
            del doc["client_message_id"], doc["timeline"], doc["status_at"]
        messages[str(index + 1)] = doc
    conversations = {
        str(n + 1): {
            "conversation_id": f"conv-{n * 5}",
            "channel": "WhatsApp",
            "peer": f"+6590{n:06d}",
            "name": f"Customer {n}",
            "last_activity": NOW - n,
            "unread": n % 3,
            "last_text": "hello",
            "last_direction": "in",
        }
        for n in range(8)
    }
    rooms = {
        str(n + 1): {
            "call_reference": f"ref-{n:08d}",
            "guest_link": f"https://guest/{n}",
            "created_at": round(NOW - n * DAY, 3),
            "expires_at": round(NOW - n * DAY + 900, 3),
            "guest_joined": n % 2 == 0,
        }
        for n in range(days)
    }
    logins = {
        "1": {"subaccount": "acme", "mode_label": "sandbox", "key_tail": "", "at": NOW, "count": 3},
        "2": {"subaccount": "acme", "mode_label": "Europe", "key_tail": "abc123", "at": NOW - 9},
    }
    meta = {"1": {"schema": 1, "last_seq": 17, "resume": {"ws://relay/events": 42}}}
    return {
        "logins": logins,
        "rooms": rooms,
        "messages": messages,
        "conversations": conversations,
        "meta": meta,
    }


def canonical(docs: Any) -> list[str]:
    return sorted(json.dumps(doc, sort_keys=True) for doc in docs)


def saved(data_dir: Path) -> dict[str, list[str]]:
    """Everything the split folder holds, read as plain JSON files."""
    folder = data_dir / "history"
    messages: list[Any] = []
    rooms: list[Any] = []
    for path in folder.glob("????-??-??.*.json"):
        if path.name.endswith(".index.json"):
            continue
        data = json.loads(path.read_bytes())
        messages.extend(data.get("messages", {}).values())
        rooms.extend(data.get("rooms", {}).values())
    conversations = json.loads((folder / "conversations.json").read_bytes())["conversations"]
    state = json.loads((folder / "state.json").read_bytes())
    return {
        "messages": canonical(messages),
        "rooms": canonical(rooms),
        "conversations": canonical(conversations.values()),
        "logins": canonical(state["logins"].values()),
    }


def expected(legacy: dict[str, Any]) -> dict[str, list[str]]:
    return {table: canonical(legacy[table].values()) for table in saved_tables()}


def saved_tables() -> tuple[str, ...]:
    return ("messages", "rooms", "conversations", "logins")


def assert_split_whole(data_dir: Path, legacy: dict[str, Any]) -> None:
    with History.open(data_dir) as history:
        assert history.notices == []
        assert history.resume_point("ws://relay/events") == 42
        message = history.find_message("umid-7")
        assert message is not None and [r.state for r in message.timeline] == [
            "sent",
            "delivered",
        ]
    assert not (data_dir / "history.json").exists()
    assert not (data_dir / "history.migrating").exists()
    assert saved(data_dir) == expected(legacy)


def test_an_existing_history_json_is_split_by_day_with_nothing_lost(data_dir: Path) -> None:
    legacy = legacy_history(5_000, days=10)
    (data_dir / "history.json").write_text(json.dumps(legacy))
    assert_split_whole(data_dir, legacy)
    parts = sorted(p.name for p in (data_dir / "history").glob("????-??-??.*.json"))
    days = {name[:10] for name in parts}
    assert len(days) == 10
    data = [name for name in parts if not name.endswith(".index.json")]
    assert all(name.replace(".json", ".index.json") in parts for name in data)
    state = json.loads((data_dir / "history" / "state.json").read_bytes())
    assert "last_seq" not in json.dumps(state)  # replaced by the resume points
    with History.open(data_dir) as history:
        assert len(history.find_messages(limit=10_000)) == 5_000
        assert len(history.find_messages(conversation_id="conv-5", limit=10_000)) == 125
        [conversation] = [c for c in history.conversations(50) if c.conversation_id == "conv-5"]
        assert (conversation.name, conversation.unread) == ("Customer 1", 1)


MIGRATE = """
import os, pathlib, sys, time
from pathlib import Path

point = sys.argv[2]

def hang():
    print("stuck", flush=True)
    time.sleep(60)

if point == "writing":
    real_fsync, calls = os.fsync, [0]
    def fsync(fd):
        calls[0] += 1
        if calls[0] == 7:
            hang()
        real_fsync(fd)
    os.fsync = fsync
elif point == "renaming":
    real_replace = os.replace
    def replace(source, target, **kwargs):
        if str(target).endswith("history"):
            hang()
        real_replace(source, target, **kwargs)
    os.replace = replace
elif point == "removing":
    real_unlink = pathlib.Path.unlink
    def unlink(self, *args, **kwargs):
        if self.name == "history.json":
            hang()
        real_unlink(self, *args, **kwargs)
    pathlib.Path.unlink = unlink

from console.store import History

print("opening", flush=True)
with History.open(Path(sys.argv[1])):
    print("open", flush=True)
    sys.stdin.read()
"""


def start(*args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c", MIGRATE, *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def kill(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGKILL)
    process.communicate()


@pytest.mark.parametrize("point", ["writing", "renaming", "removing"])
def test_a_split_killed_at_any_step_is_finished_by_the_next_open(
    data_dir: Path, point: str
) -> None:
    legacy = legacy_history(3_000, days=6)
    (data_dir / "history.json").write_text(json.dumps(legacy))
    process = start(str(data_dir), point)
    assert process.stdout is not None
    assert process.stdout.readline() == b"opening\n"
    line = process.stdout.readline()
    if line != b"stuck\n":
        kill(process)
        raise AssertionError(f"child said {line!r}")
    kill(process)
    assert (data_dir / "history.json").exists(), "kept until the split is durable"
    split_done = point == "removing"
    assert (data_dir / "history").exists() is split_done
    assert (data_dir / "history.migrating").exists() is not split_done
    assert_split_whole(data_dir, legacy)


def test_a_split_killed_at_random_moments_never_loses_a_record(tmp_path: Path) -> None:
    legacy = legacy_history(20_000, days=12)
    original = tmp_path / "history.json"
    original.write_text(json.dumps(legacy))
    rng = random.Random(20261127)
    for iteration in range(6):
        data_dir = tmp_path / f"data-{iteration}"
        data_dir.mkdir()
        shutil.copy(original, data_dir / "history.json")
        process = start(str(data_dir), "none")
        assert process.stdout is not None
        assert process.stdout.readline() == b"opening\n"
        time.sleep(rng.uniform(0.0, 0.45))  # the split takes about 0.3 s here
        kill(process)
        assert (data_dir / "history.json").exists() or (data_dir / "history").exists()
        assert_split_whole(data_dir, legacy)
