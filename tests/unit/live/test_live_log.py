"""The relay's replay log: numbering, durability across reopen, crash recovery, bounds."""

from __future__ import annotations

import asyncio
import json
import os
import stat
from pathlib import Path

import pytest

from console.live.events import Event
from console.live.log import EventLog, FileEventLog, LogError, MemoryEventLog


class Clock:
    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def event_lines(path: Path) -> list[dict]:
    return [line for line in lines(path) if "meta" not in line]


async def fill(log: EventLog, count: int, start: int = 0) -> list[Event]:
    return [await log.append("SMS", "x", {"i": i}) for i in range(start, start + count)]


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "relay" / "events.jsonl"


async def test_appends_get_consecutive_seqs_and_read_since_replays_after_a_seq(
    path: Path,
) -> None:
    log = FileEventLog(path)
    await log.open()
    events = await fill(log, 5)
    assert [e.seq for e in events] == [1, 2, 3, 4, 5]
    assert (log.oldest_seq, log.last_seq) == (1, 5)
    assert [e.payload["i"] for e in await log.read_since(2)] == [2, 3, 4]
    assert [e.seq for e in await log.read_since(0, limit=2)] == [1, 2]
    assert await log.read_since(5) == []
    assert await log.read_since(2) == events[2:]
    await log.close()


async def test_the_log_survives_a_restart_and_keeps_numbering(path: Path) -> None:
    log = FileEventLog(path)
    await log.open()
    before = await fill(log, 3)
    await log.close()

    again = FileEventLog(path)
    await again.open()
    assert again.last_seq == 3
    assert await again.read_since(0) == before
    assert (await again.append("SMS", "x", {})).seq == 4
    await again.close()


async def test_concurrent_appends_are_group_committed_in_order_before_they_return(
    path: Path,
) -> None:
    log = FileEventLog(path)
    await log.open()
    subscription = log.subscribe()
    events = await asyncio.gather(*(log.append("SMS", "x", {"i": i}) for i in range(500)))
    assert sorted(e.seq for e in events) == list(range(1, 501))
    assert [e.payload["i"] for e in events] == list(range(500))  # seq follows arrival order
    assert [line["seq"] for line in event_lines(path)] == list(range(1, 501))
    await log.close()  # the subscription ends after what was queued before the appends returned
    committed = [[e.seq for e in batch] async for batch in subscription]
    assert [seq for batch in committed for seq in batch] == list(range(1, 501))
    assert len(committed) < 500  # appends that waited for a write were batched together


async def test_a_torn_last_line_is_cut_off_at_open(path: Path) -> None:
    log = FileEventLog(path)
    await log.open()
    await fill(log, 3)
    await log.close()
    with path.open("ab") as handle:
        handle.write(b'{"seq":4,"receivedAt":"2024-05-01T10:00:0')  # crash mid-write

    again = FileEventLog(path)
    await again.open()
    assert again.last_seq == 3
    assert (await again.append("SMS", "x", {"after": "crash"})).seq == 4
    await again.close()
    assert [line["seq"] for line in event_lines(path)] == [1, 2, 3, 4]


async def test_a_corrupt_middle_line_is_dropped_and_the_original_copied_aside(
    path: Path,
) -> None:
    log = FileEventLog(path)
    await log.open()
    await fill(log, 4)
    await log.close()
    text = path.read_text().splitlines()
    text[2] = "garbage{"  # the line of seq 2 (line 0 is the header)
    path.write_text("\n".join(text) + "\n")

    again = FileEventLog(path)
    await again.open()
    assert [e.seq for e in await again.read_since(0)] == [1, 3, 4]
    assert again.last_seq == 4
    await again.close()
    aside = list(path.parent.glob("events.jsonl.corrupt-*"))
    assert len(aside) == 1 and "garbage{" in aside[0].read_text()
    assert "garbage{" not in path.read_text()


async def test_the_count_bound_trims_memory_and_compacts_the_file(path: Path) -> None:
    log = FileEventLog(path, max_events=10)
    await log.open()
    await fill(log, 25)
    assert (log.oldest_seq, log.last_seq) == (16, 25)
    assert [e.seq for e in await log.read_since(0)] == list(range(16, 26))
    assert len(event_lines(path)) <= 13  # compacted once over 1.25x the bound
    await log.compact()
    assert [line["seq"] for line in event_lines(path)] == list(range(16, 26))
    await log.close()

    again = FileEventLog(path, max_events=10)
    await again.open()
    assert (again.oldest_seq, again.last_seq) == (16, 25)
    await again.close()


async def test_the_age_bound_drops_old_events_but_numbering_never_goes_back(path: Path) -> None:
    clock = Clock()
    log = FileEventLog(path, max_age_seconds=60, clock=clock)
    await log.open()
    await fill(log, 3)
    clock.now += 30
    await fill(log, 2, start=3)
    clock.now += 45  # the first three are now 75 s old
    assert await log.trim() == 3
    assert (log.oldest_seq, log.last_seq) == (4, 5)
    clock.now += 100
    await log.trim()
    assert (log.oldest_seq, log.last_seq) == (6, 5)  # nothing kept
    await log.compact()
    assert event_lines(path) == []
    await log.close()

    again = FileEventLog(path, max_age_seconds=60, clock=clock)
    await again.open()
    assert again.last_seq == 5  # the header remembers where numbering stopped
    assert (await again.append("SMS", "x", {})).seq == 6
    await again.close()


async def test_old_events_are_dropped_when_the_log_is_opened(path: Path) -> None:
    clock = Clock()
    log = FileEventLog(path, max_age_seconds=60, clock=clock)
    await log.open()
    await fill(log, 2)
    await log.close()
    clock.now += 3600
    again = FileEventLog(path, max_age_seconds=60, clock=clock)
    await again.open()
    assert (again.oldest_seq, again.last_seq) == (3, 2)
    assert await again.read_since(0) == []
    await again.close()


async def test_a_second_process_cannot_open_the_same_log(path: Path) -> None:
    log = FileEventLog(path)
    await log.open()
    with pytest.raises(LogError, match="another relay"):
        await FileEventLog(path).open()
    await log.close()
    other = FileEventLog(path)
    await other.open()  # free again once closed
    await other.close()


async def test_a_failed_write_fails_its_appends_and_leaves_no_hole(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = FileEventLog(path)
    await log.open()
    await fill(log, 2)
    real_write = log._write

    def disk_full(data: bytes) -> None:
        real_write(data[: len(data) // 2])  # a partial write, then the error
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(log, "_write", disk_full)
    with pytest.raises(LogError, match="No space left"):
        await log.append("SMS", "x", {"lost": True})
    monkeypatch.setattr(log, "_write", real_write)
    assert (await log.append("SMS", "x", {"kept": True})).seq == 3
    await log.close()
    assert [line["seq"] for line in event_lines(path)] == [1, 2, 3]


async def test_appending_to_a_closed_log_is_an_error(path: Path) -> None:
    log = FileEventLog(path)
    with pytest.raises(LogError):
        await log.append("SMS", "x", {})


async def test_memory_log_behaves_like_the_file_log() -> None:
    clock = Clock()
    log = MemoryEventLog(max_events=3, max_age_seconds=10, clock=clock)
    await log.open()
    subscription = log.subscribe()
    await fill(log, 5)
    assert [e.seq for e in await log.read_since(0)] == [3, 4, 5]
    clock.now += 11
    assert await log.trim() == 3
    assert (log.oldest_seq, log.last_seq) == (6, 5)
    assert isinstance(log, EventLog)
    await log.close()
    assert [e.seq async for batch in subscription for e in batch] == [1, 2, 3, 4, 5]


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
async def test_every_file_and_the_folder_are_private_to_the_user(path: Path) -> None:
    """Events hold customers' numbers and messages: 0600 files in a 0700 folder, like the
    history, whatever the umask (here the usual 022)."""
    previous = os.umask(0o022)
    try:
        log = FileEventLog(path, max_events=4)
        await log.open()
        await fill(log, 10)  # compacts through a temp file: the replacement is private too
        await log.compact()
        await log.close()
        text = path.read_text().splitlines()
        text[2] = "garbage{"  # a corrupt middle line: the original is copied aside
        path.write_text("\n".join(text) + "\n")
        os.chmod(path, 0o644)  # as an older version left it
        log = FileEventLog(path)
        await log.open()
        await log.close()
    finally:
        os.umask(previous)
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    written = sorted(path.parent.iterdir())
    assert {p.name.split(".corrupt-")[0] for p in written} == {path.name, path.name + ".lock"}
    assert any(".corrupt-" in p.name for p in written)
    for file in written:
        assert stat.S_IMODE(file.stat().st_mode) == 0o600, file.name


async def replay_all(log: EventLog, since: int = 0) -> list[Event]:
    """Every kept event after ``since``, read as the relay reads a backlog."""
    out: list[Event] = []
    while True:
        batch = await log.read_since(out[-1].seq if out else since, limit=37)
        if not batch:
            return out
        out.extend(batch)


async def big_fill(log: EventLog, count: int, start: int = 0) -> list[Event]:
    # non-ASCII text too: offsets in the file are bytes, lengths in memory are characters
    return [
        await log.append("SMS", "x", {"i": i, "text": "é€😀" * 50 + "x" * 900})
        for i in range(start, start + count)
    ]


async def test_memory_is_bounded_in_bytes_and_older_replays_come_from_the_file(
    path: Path,
) -> None:
    log = FileEventLog(path, max_bytes=20_000, max_events=250)
    await log.open()
    written = await big_fill(log, 400)  # ~1.3 KB a line: ~520 KB, 250 kept
    assert 0 < log.memory_bytes <= 20_000
    assert (log.oldest_seq, log.last_seq) == (151, 400)
    assert await replay_all(log) == written[150:]
    assert await replay_all(log, since=300) == written[300:]
    assert await log.read_since(399) == written[399:]
    await log.compact()  # the file is rewritten: older replays still find their lines
    assert await replay_all(log) == written[150:]
    more = await big_fill(log, 10, start=400)
    assert await replay_all(log, since=390) == written[390:] + more
    await log.close()

    again = FileEventLog(path, max_bytes=20_000, max_events=250)
    await again.open()  # a restart keeps memory within the bound too
    assert 0 < again.memory_bytes <= 20_000
    assert await replay_all(again) == written[160:] + more
    await again.close()


async def test_replays_from_the_file_interleave_with_appends_and_trims(path: Path) -> None:
    clock = Clock()
    log = FileEventLog(path, max_bytes=5_000, max_events=100, clock=clock)
    await log.open()
    written = await big_fill(log, 60)
    replay = asyncio.ensure_future(replay_all(log))
    written += await big_fill(log, 60, start=60)  # drops the first 20 meanwhile
    got = await replay
    seqs = [e.seq for e in got]
    assert seqs == sorted(set(seqs))  # in order, no duplicate
    assert got == [e for e in written if e.seq in set(seqs)]
    assert seqs[-1] >= 60
    await log.close()


async def test_the_memory_log_keeps_what_fits_in_its_bytes() -> None:
    log = MemoryEventLog(max_bytes=20_000)
    written = await big_fill(log, 100)
    assert 0 < log.memory_bytes <= 20_000
    kept = await replay_all(log)
    assert kept == written[-len(kept) :] and 5 < len(kept) < 20
    assert log.oldest_seq == kept[0].seq and log.last_seq == 100


async def test_frames_replay_as_stored_in_steps_of_about_max_bytes(path: Path) -> None:
    log = FileEventLog(path, max_bytes=20_000, max_events=250)
    await log.open()
    written = await big_fill(log, 300)
    expected = [(e.seq, e.frame_json) for e in written[50:]]
    for step in (1, 5_000, 10**9):  # bytes per step: one event at least, the whole at most
        got: list[tuple[int, str]] = []
        while batch := await log.read_frames_since(got[-1][0] if got else 0, 1000, step):
            assert len(batch) == 1 or sum(len(text) for _, text in batch) <= step
            got.extend(batch)
        assert got == expected
    memory = MemoryEventLog(max_bytes=20_000)
    kept = await big_fill(memory, 50)
    first = memory.oldest_seq - 1  # the memory log keeps what fits in its bytes
    frames = [(e.seq, e.frame_json) for e in kept[first : first + 3]]
    assert await memory.read_frames_since(0, 3) == frames
    await log.close()
