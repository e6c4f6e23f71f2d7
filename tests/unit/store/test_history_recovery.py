"""History: damaged files, retention, the folder lock and failed saves."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from console.store import History, HistoryError, HistoryLocked
from console.store import storage as storage_module

NOW = 1_795_755_662.0  # 2026-11-27T05:01:02Z
DAY = 86_400.0


def clock() -> float:
    return NOW


VALID = {
    "messages": {
        "1": {
            "umid": "u1",
            "channel": "SMS",
            "direction": "out",
            "peer": "+6591234567",
            "text": "hi",
            "status": "sent",
            "created_at": NOW,
        }
    }
}

DAMAGED = {
    "garbage": b"\x00\xffnot json at all{{{",
    "truncated": json.dumps(VALID).encode()[:-17],
    "empty": b"",
    "top-level list": b"[1, 2, 3]",
    "table is a list": b'{"messages": [1, 2]}',
    "document is a string": b'{"messages": {"1": "hello"}}',
    "document id not a number": b'{"messages": {"one": {}}}',
    "message without created_at": json.dumps(
        {"messages": {"1": {k: v for k, v in VALID["messages"]["1"].items() if k != "created_at"}}}
    ).encode(),
    "last_seq is text": b'{"meta": {"1": {"schema": 1, "last_seq": "12"}}}',
    "created_at is text": json.dumps(
        {"messages": {"1": {**VALID["messages"]["1"], "created_at": "yesterday"}}}
    ).encode(),
}


CODECS = [storage_module.STDLIB_CODEC]
if storage_module.ORJSON_CODEC is not None:
    CODECS.append(storage_module.ORJSON_CODEC)


@pytest.mark.parametrize("codec", CODECS, ids=lambda codec: codec.name)
@pytest.mark.parametrize("content", DAMAGED.values(), ids=DAMAGED.keys())
def test_a_damaged_file_is_moved_aside_and_a_fresh_history_starts(
    data_dir: Path, content: bytes, codec: storage_module.Codec, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(storage_module, "DEFAULT_CODEC", codec)
    (data_dir / "history.json").write_bytes(content)
    with History.open(data_dir, clock=clock) as history:
        moved = data_dir / "history.json.corrupt-20261127T050102"
        assert moved.read_bytes() == content  # kept as it was, not deleted
        [notice] = history.notices
        assert notice.startswith("History file was corrupt (")
        assert f"moved aside to {moved}; starting fresh" in notice
        assert history.recent_messages(10) == []
        history.record_message("u2", None, "SMS", "out", "+65", "new", "queued", NOW)
    saved = json.loads((data_dir / "history.json").read_bytes())
    assert [doc["umid"] for doc in saved["messages"].values()] == ["u2"]
    with History.open(data_dir, clock=clock) as again:
        assert again.notices == []


def test_a_damaged_file_is_replaced_by_a_valid_one_even_with_nothing_recorded(
    data_dir: Path,
) -> None:
    (data_dir / "history.json").write_bytes(b"{broken")
    with History.open(data_dir, clock=clock):
        pass
    assert json.loads((data_dir / "history.json").read_bytes()) == {}


def test_two_damaged_files_in_the_same_second_are_both_kept(data_dir: Path) -> None:
    for content in (b"first", b"second"):
        (data_dir / "history.json").write_bytes(content)
        History.open(data_dir, clock=clock).close()
    assert (data_dir / "history.json.corrupt-20261127T050102").read_bytes() == b"first"
    assert (data_dir / "history.json.corrupt-20261127T050102-2").read_bytes() == b"second"


def test_the_valid_file_loads_without_notice(data_dir: Path) -> None:
    (data_dir / "history.json").write_text(json.dumps(VALID))
    with History.open(data_dir, clock=clock) as history:
        assert history.notices == []
        message = history.message_by_umid("u1")
        assert message is not None and message.status == "sent"


def make_old_and_new(data_dir: Path) -> None:
    """Four records of each kind: 100, 50, 1 and 0 days old."""
    keep_all = 1000
    with History.open(data_dir, clock=lambda: NOW - 200 * DAY, max_age_days=keep_all) as history:
        for index, age in enumerate((100, 50, 1, 0)):
            at = NOW - age * DAY
            history.record_room(f"room-{age:04d}-x", f"https://g/{age}", None, at, at + 900)
            history.record_message(
                f"m{age}",
                None,
                "SMS",
                "in",
                "+65",
                f"{age} days",
                "delivered",
                at,
                conversation_id=f"c{index}",
            )
    # logins are stamped by the clock: write them with clocks in the past
    for age in (100, 50, 1, 0):
        past = History.open(data_dir, clock=lambda age=age: NOW - age * DAY, max_age_days=keep_all)
        with past as history:
            history.record_login(f"sub-{age}", "sandbox", None)


def test_retention_drops_records_older_than_max_age_at_open(data_dir: Path) -> None:
    make_old_and_new(data_dir)
    with History.open(data_dir, clock=clock, max_age_days=30) as history:
        assert [m.umid for m in history.recent_messages(10)] == ["m0", "m1"]
        assert [r.call_reference for r in history.rooms(10)] == ["room-0000-x", "room-0001-x"]
        assert [c.conversation_id for c in history.conversations(10)] == ["c3", "c2"]
        assert [login.subaccount for login in history.recent_logins(10)] == ["sub-0", "sub-1"]
    saved = json.loads((data_dir / "history.json").read_bytes())
    assert len(saved["messages"]) == 2  # the file itself was trimmed


def test_retention_keeps_only_the_newest_max_records_per_kind(data_dir: Path) -> None:
    make_old_and_new(data_dir)
    with History.open(data_dir, clock=clock, max_records=3) as history:
        assert [m.umid for m in history.recent_messages(10)] == ["m0", "m1", "m50"]
        assert len(history.rooms(10)) == 3
        assert len(history.conversations(10)) == 3
        assert len(history.recent_logins(10)) == 3
        # the records kept still work: receipts find their message, ids do not collide
        history.record_message("m-new", None, "SMS", "out", "+65", "new", "queued", NOW)
        assert history.message_by_umid("m50") is not None
        assert history.message_by_umid("m100") is None
    with History.open(data_dir, clock=clock, max_records=10) as history:
        assert [m.umid for m in history.recent_messages(10)] == ["m-new", "m0", "m1", "m50"]


def test_a_second_open_in_the_same_process_is_refused_with_a_clear_message(
    data_dir: Path,
) -> None:
    with History.open(data_dir, clock=clock):
        with pytest.raises(HistoryLocked) as refused:
            History.open(data_dir, clock=clock)
        message = str(refused.value)
        assert str(data_dir) in message
        assert "--data-dir" in message
        assert "already using the history" in message
    History.open(data_dir, clock=clock).close()  # released by close()


def test_temp_files_left_by_a_killed_writer_are_cleaned_at_open(data_dir: Path) -> None:
    stale = data_dir / "history.json.abc123.tmp"
    stale.write_bytes(b'{"messages": {"1": ')
    (data_dir / "history.json").write_text(json.dumps(VALID))
    with History.open(data_dir, clock=clock) as history:
        assert not stale.exists()
        assert history.notices == []
        assert history.message_by_umid("u1") is not None


def test_a_failed_background_save_is_reported_and_retried(data_dir: Path) -> None:
    errors: list[str] = []
    blocker = data_dir / "history.json"
    history = History.open(data_dir, clock=clock, flush_interval=0.01, on_write_error=errors.append)
    try:
        blocker.mkdir()  # a folder where the file should be: every rename fails
        history.record_message("u1", None, "SMS", "out", "+65", "hi", "queued", NOW)
        with pytest.raises(HistoryError, match="Could not save the history"):
            history.flush()
        _wait_for(lambda: bool(errors))
        assert errors[0].startswith(f"Could not save the history to {blocker}")
        assert history.write_error == errors[0]
        blocker.rmdir()
        _wait_for(lambda: blocker.is_file())
        _wait_for(lambda: history.write_error is None)
    finally:
        history.close()
    saved = json.loads(blocker.read_bytes())
    assert [doc["umid"] for doc in saved["messages"].values()] == ["u1"]
    assert not list(data_dir.glob("*.tmp"))


def test_an_unusable_data_folder_is_a_clear_error(tmp_path: Path) -> None:
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("x")
    with pytest.raises(HistoryError, match="--data-dir"):
        History.open(not_a_folder, clock=clock)


def _wait_for(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.01)
    raise AssertionError("condition not met in time")
