"""History: damaged files, retention by whole files, the folder lock and failed saves."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from console.store import History, HistoryError, HistoryLocked
from console.store import storage as storage_module

NOW = 1_795_755_662.0  # 2026-11-27T05:01:02Z
DAY = 86_400.0
STAMP = "20261127T050102"


def clock() -> float:
    return NOW


def day(age: int) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(NOW - age * DAY))


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
    "created_at is text": json.dumps(
        {"messages": {"1": {**VALID["messages"]["1"], "created_at": "yesterday"}}}
    ).encode(),
}
DAMAGED_LEGACY = {**DAMAGED, "resume is a list": b'{"meta": {"1": {"schema": 1, "resume": [1]}}}'}


CODECS = [storage_module.STDLIB_CODEC]
if storage_module.ORJSON_CODEC is not None:
    CODECS.append(storage_module.ORJSON_CODEC)


def inbound(history: History, age: int, conversation_id: str) -> None:
    """An inbound message `age` days old, umid m<age>."""
    at = NOW - age * DAY
    history.record_message(
        f"m{age}", None, "SMS", "in", "+65", f"{age} days", "delivered", at,
        conversation_id=conversation_id,
    )  # fmt: skip


def record_days(data_dir: Path, ages: tuple[int, ...], **options: object) -> None:
    """One inbound message a day (umid m<age>, conversation c<age>), saved."""
    with History.open(data_dir, clock=clock, **options) as history:  # type: ignore[arg-type]
        for age in ages:
            inbound(history, age, f"c{age}")


# --- the single history.json of earlier versions --------------------------------------------


@pytest.mark.parametrize("codec", CODECS, ids=lambda codec: codec.name)
@pytest.mark.parametrize("content", DAMAGED_LEGACY.values(), ids=DAMAGED_LEGACY.keys())
def test_a_damaged_history_json_is_moved_aside_and_a_fresh_history_starts(
    data_dir: Path, content: bytes, codec: storage_module.Codec, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(storage_module, "DEFAULT_CODEC", codec)
    (data_dir / "history.json").write_bytes(content)
    with History.open(data_dir, clock=clock) as history:
        moved = data_dir / f"history.json.corrupt-{STAMP}"
        assert moved.read_bytes() == content  # kept as it was, not deleted
        [notice] = history.notices
        assert notice.startswith("History file was corrupt (")
        assert f"moved aside to {moved}; starting fresh" in notice
        assert history.recent_messages(10) == []
        history.record_message("u2", None, "SMS", "out", "+65", "new", "queued", NOW)
    assert not (data_dir / "history.json").exists()
    with History.open(data_dir, clock=clock) as again:
        assert again.notices == []
        assert [m.umid for m in again.recent_messages(10)] == ["u2"]


def test_a_history_json_that_appears_beside_a_split_history_is_left_as_it_was(
    data_dir: Path,
) -> None:
    """Written by an earlier version run on the same folder after the split: never lost."""
    record_days(data_dir, (0,))
    (data_dir / "history.json").write_text(json.dumps(VALID))
    with History.open(data_dir, clock=clock) as history:
        kept = data_dir / f"history.json.not-split-{STAMP}"
        assert json.loads(kept.read_bytes()) == VALID
        [notice] = history.notices
        assert notice.endswith(f"left as it was, in {kept}.")
        assert [m.umid for m in history.recent_messages(10)] == ["m0"]


# --- a damaged part, index or small file: moved aside alone ---------------------------------


@pytest.mark.parametrize("content", DAMAGED.values(), ids=DAMAGED.keys())
def test_a_damaged_part_is_moved_aside_alone_and_the_rest_loads(
    data_dir: Path, content: bytes
) -> None:
    record_days(data_dir, (0, 1, 2))
    damaged = data_dir / "history" / f"{day(0)}.0.json"
    damaged.write_bytes(content)
    with History.open(data_dir, clock=clock) as history:
        moved = damaged.with_name(f"{damaged.name}.corrupt-{STAMP}")
        assert moved.read_bytes() == content
        [notice] = history.notices
        assert notice.startswith(f"History file {damaged.name} was corrupt (")
        assert f"moved aside to {moved}; the rest of the history is kept" in notice
        assert [m.umid for m in history.recent_messages(10)] == ["m1", "m2"]
        assert {c.conversation_id for c in history.conversations(10)} == {"c0", "c1", "c2"}
        history.record_message("new", None, "SMS", "out", "+65", "again", "queued", NOW)
    with History.open(data_dir, clock=clock) as again:
        assert again.notices == []
        assert [m.umid for m in again.recent_messages(10)] == ["new", "m1", "m2"]


def rot(path: Path) -> bytes:
    """Damage a file in place, its size and time kept (as a failing disk would)."""
    stat = path.stat()
    with path.open("r+b") as file:
        file.write(b"\x00" * 8)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    return path.read_bytes()


def test_a_damaged_old_part_is_moved_aside_when_it_is_read_and_the_search_goes_on(
    data_dir: Path,
) -> None:
    record_days(data_dir, (0, 5, 10))
    damaged = data_dir / "history" / f"{day(5)}.0.json"
    content = rot(damaged)
    notices: list[str] = []
    with History.open(data_dir, clock=clock, hot_messages=1, on_notice=notices.append) as history:
        assert history.notices == []  # not read at open: only today's part is
        found = history.find_messages(text="days")
        assert [m.umid for m in found] == ["m0", "m10"]
        [notice] = notices
        assert notice.startswith(f"History file {damaged.name} was corrupt")
        assert history.notices == notices
        assert [d.day for d in history.days()] == [day(0), day(10)]
    assert damaged.with_name(f"{damaged.name}.corrupt-{STAMP}").read_bytes() == content


def test_a_receipt_for_a_message_in_a_damaged_old_part_costs_nothing_else(
    data_dir: Path,
) -> None:
    record_days(data_dir, (0, 5))
    rot(data_dir / "history" / f"{day(5)}.0.json")
    notices: list[str] = []
    with History.open(data_dir, clock=clock, hot_messages=1, on_notice=notices.append) as history:
        assert history.apply_receipt("m5", "read", NOW, NOW) is None
        history.flush()  # the writer loads the part for the receipt: damaged
        assert len(notices) == 1
        assert history.find_message("m5") is None
        assert history.message_by_umid("m0") is not None
    with History.open(data_dir, clock=clock) as again:
        assert again.notices == []
        assert [m.umid for m in again.recent_messages(10)] == ["m0"]


@pytest.mark.parametrize("damage", ["garbage", "missing", "wrong shape"])
def test_a_damaged_or_missing_index_is_rebuilt_from_its_part_without_a_notice(
    data_dir: Path, damage: str
) -> None:
    record_days(data_dir, (0, 5))
    index = data_dir / "history" / f"{day(5)}.0.index.json"
    if damage == "missing":
        index.unlink()
    else:
        index.write_bytes(b"{{{" if damage == "garbage" else b'{"messages": "three"}')
    with History.open(data_dir, clock=clock, hot_messages=1) as history:
        assert history.notices == []
        assert json.loads(index.read_bytes())["umids"] == ["m5"]
        history.apply_receipt("m5", "read", NOW, NOW)  # its index says where m5 lives
    with History.open(data_dir, clock=clock) as again:
        message = again.find_message("m5")
        assert message is not None and message.status == "read"


def test_a_stale_index_is_rebuilt_from_its_part(data_dir: Path) -> None:
    """A kill after a part is saved but before its index is leaves the older index."""
    record_days(data_dir, (0, 5))
    index = data_dir / "history" / f"{day(5)}.0.index.json"
    older = index.read_bytes()
    with History.open(data_dir, clock=clock) as history:
        history.record_message("m5b", None, "SMS", "in", "+65", "b", "received", NOW - 5 * DAY)
    index.write_bytes(older)  # lists m5 only, and names the part's previous version
    with History.open(data_dir, clock=clock, hot_messages=1) as history:
        assert history.notices == []
        assert json.loads(index.read_bytes())["umids"] == ["m5", "m5b"]
        history.apply_receipt("m5b", "read", NOW, NOW)  # found through the rebuilt index
    with History.open(data_dir, clock=clock) as again:
        message = again.find_message("m5b")
        assert message is not None and message.status == "read"


def test_an_index_that_lists_a_message_its_part_lacks_sends_it_to_the_right_day(
    data_dir: Path,
) -> None:
    """Never written so, but an index is only a cache: the part is the truth."""
    record_days(data_dir, (0, 5))
    index = data_dir / "history" / f"{day(5)}.0.index.json"
    listed = json.loads(index.read_bytes())
    index.write_text(json.dumps({**listed, "umids": [*listed["umids"], "ghost"]}))
    with History.open(data_dir, clock=clock, hot_messages=1) as history:
        assert history.apply_receipt("ghost", "delivered", NOW, NOW) is None
        history.flush()  # not in its part: held until the message is recorded
        history.record_message("ghost", None, "SMS", "out", "+65", "late", "sent", NOW)
        message = history.message_by_umid("ghost")
        assert message is not None and message.status == "delivered"
    with History.open(data_dir, clock=clock) as again:
        assert [m.umid for m in again.recent_messages(10)] == ["ghost", "m0", "m5"]
    assert b"ghost" in (data_dir / "history" / f"{day(0)}.0.json").read_bytes()
    assert b"ghost" not in (data_dir / "history" / f"{day(5)}.0.json").read_bytes()


def test_two_damaged_files_in_the_same_second_are_both_kept(data_dir: Path) -> None:
    record_days(data_dir, (0,))
    damaged = data_dir / "history" / f"{day(0)}.0.json"
    for content in (b"first", b"second"):
        damaged.write_bytes(content)
        History.open(data_dir, clock=clock).close()
    assert damaged.with_name(f"{damaged.name}.corrupt-{STAMP}").read_bytes() == b"first"
    assert damaged.with_name(f"{damaged.name}.corrupt-{STAMP}-2").read_bytes() == b"second"


@pytest.mark.parametrize("name", ["conversations.json", "state.json"])
def test_a_damaged_small_file_is_moved_aside_alone(data_dir: Path, name: str) -> None:
    record_days(data_dir, (0, 1))
    with History.open(data_dir, clock=clock) as history:
        history.set_resume_point("ws://relay/events", 9)
    damaged = data_dir / "history" / name
    damaged.write_bytes(b'{"conversations": {"1": {"conversation_id": 7}}, "meta": []}')
    with History.open(data_dir, clock=clock) as history:
        [notice] = history.notices
        assert notice.startswith(f"History file {name} was corrupt (")
        assert damaged.with_name(f"{name}.corrupt-{STAMP}").exists()
        assert [m.umid for m in history.recent_messages(10)] == ["m0", "m1"]
        # conversations are rebuilt from the messages in memory; resume points are gone
        assert [(c.conversation_id, c.unread) for c in history.conversations(10)] == [
            ("c0", 1),
            ("c1", 1),
        ]
        assert (history.resume_point("ws://relay/events") == 9) is (name != "state.json")


# --- retention: whole files --------------------------------------------------------------------


def make_old_and_new(data_dir: Path) -> None:
    """Four records of each kind: 100, 50, 1 and 0 days old."""
    keep_all = 1000
    with History.open(data_dir, clock=lambda: NOW - 200 * DAY, max_age_days=keep_all) as history:
        for index, age in enumerate((100, 50, 1, 0)):
            at = NOW - age * DAY
            history.record_room(f"room-{age:04d}-x", f"https://g/{age}", None, at, at + 900)
            inbound(history, age, f"c{index}")
    # logins are stamped by the clock: write them with clocks in the past
    for age in (100, 50, 1, 0):
        past = History.open(data_dir, clock=lambda age=age: NOW - age * DAY, max_age_days=keep_all)
        with past as history:
            history.record_login(f"sub-{age}", "sandbox", None)


def part_files(data_dir: Path) -> list[str]:
    return sorted(p.name for p in (data_dir / "history").iterdir() if p.name[:2] == "20")


def test_retention_deletes_whole_days_older_than_max_age_at_open(data_dir: Path) -> None:
    make_old_and_new(data_dir)
    assert len(part_files(data_dir)) == 8  # 4 days: a part and its index each
    with History.open(data_dir, clock=clock, max_age_days=30) as history:
        assert part_files(data_dir) == [
            f"{day(1)}.0.index.json",
            f"{day(1)}.0.json",
            f"{day(0)}.0.index.json",
            f"{day(0)}.0.json",
        ]
        assert [m.umid for m in history.recent_messages(10)] == ["m0", "m1"]
        assert [m.umid for m in history.find_messages(text="days")] == ["m0", "m1"]
        assert [r.call_reference for r in history.rooms(10)] == ["room-0000-x", "room-0001-x"]
        assert [c.conversation_id for c in history.conversations(10)] == ["c3", "c2"]
        assert [login.subaccount for login in history.recent_logins(10)] == ["sub-0", "sub-1"]


def test_retention_keeps_only_the_newest_max_records_per_kind(data_dir: Path) -> None:
    make_old_and_new(data_dir)
    with History.open(data_dir, clock=clock, max_records=3) as history:
        assert f"{day(100)}.0.json" not in part_files(data_dir)
        assert [m.umid for m in history.recent_messages(10)] == ["m0", "m1", "m50"]
        assert len(history.rooms(10)) == 3
        assert len(history.conversations(10)) == 3
        assert len(history.recent_logins(10)) == 3
        # the records kept still work: receipts find their message, ids do not collide
        history.record_message("m-new", None, "SMS", "out", "+65", "new", "queued", NOW)
        assert history.message_by_umid("m50") is not None
        assert history.find_message("m100") is None
    with History.open(data_dir, clock=clock, max_records=10) as history:
        assert [m.umid for m in history.recent_messages(10)] == ["m-new", "m0", "m1", "m50"]


# --- the lock, temp files, failed saves -------------------------------------------------------


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
    record_days(data_dir, (0,))
    stale = [
        data_dir / "history" / f"{day(0)}.0.json.abc123.tmp",
        data_dir / "history" / "state.json.x1.tmp",
        data_dir / "history.json.abc123.tmp",  # left by an earlier version
    ]
    for path in stale:
        path.write_bytes(b'{"messages": {"1": ')
    with History.open(data_dir, clock=clock) as history:
        assert not any(path.exists() for path in stale)
        assert history.notices == []
        assert history.message_by_umid("m0") is not None


def test_a_failed_background_save_is_reported_and_retried(data_dir: Path) -> None:
    errors: list[str] = []
    blocker = data_dir / "history" / f"{day(0)}.0.json"
    history = History.open(data_dir, clock=clock, flush_interval=0.01, on_write_error=errors.append)
    try:
        blocker.mkdir()  # a folder where the part should be: every rename fails
        history.record_message("u1", None, "SMS", "out", "+65", "hi", "queued", NOW)
        with pytest.raises(HistoryError, match="Could not save the history"):
            history.flush()
        _wait_for(lambda: bool(errors))
        assert errors[0].startswith("Could not save the history to ")
        assert str(blocker) in errors[0]
        assert history.write_error == errors[0]
        blocker.rmdir()
        _wait_for(lambda: blocker.is_file())
        _wait_for(lambda: history.write_error is None)
    finally:
        history.close()
    saved = json.loads(blocker.read_bytes())
    assert [doc["umid"] for doc in saved["messages"].values()] == ["u1"]
    assert not list(data_dir.rglob("*.tmp"))


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
