"""Shown means durable: the core publishes a send (which screens show as sent) only once the
history's journal has it on disk, and waits for that without holding the event loop."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from console.core import Accepted, Changes, ConsoleCore, SentSms
from console.core.rooms import RoomView
from console.store import History
from console.store.journal import Journal

NOW = 1_800_000_000.0


def sent(umid: str) -> SentSms:
    return SentSms("+6591234567", Accepted(umid, f"ref-{umid}"))


@pytest.fixture
def held_fsync(monkeypatch: pytest.MonkeyPatch) -> tuple[threading.Event, threading.Event]:
    """Journal appends wait until `release` is set; `started` says one is waiting."""
    started, release = threading.Event(), threading.Event()
    real_append = Journal.append

    def append(self: Journal, entries: object) -> None:
        started.set()
        assert release.wait(10)
        real_append(self, entries)  # type: ignore[arg-type]

    monkeypatch.setattr(Journal, "append", append)
    return started, release


async def test_a_send_is_published_only_after_its_journal_line_is_on_disk(
    data_dir: Path, held_fsync: tuple[threading.Event, threading.Event]
) -> None:
    started, release = held_fsync
    published: list[Changes] = []
    with (
        ThreadPoolExecutor(1) as writes,
        History.open(data_dir, flush_interval=3600, clock=lambda: NOW) as history,
    ):
        core = ConsoleCore(
            history=history,
            on_change=published.append,
            background=writes.submit,
            clock=lambda: NOW,
        )
        task = asyncio.create_task(core.record_sent_durably([sent("u1"), sent("u2")], "hi"))
        await asyncio.to_thread(started.wait, 10)
        for _ in range(5):  # the loop runs on while the journal waits for the disk
            await asyncio.sleep(0)
        assert not task.done() and published == []
        release.set()
        changes = await task
        assert [row.umid for row in changes.sent] == ["u1", "u2"]
        assert published == [changes]
        [name] = [p.name for p in (data_dir / "history").glob("sends-*.journal")]
        assert b'"hi"' in (data_dir / "history" / name).read_bytes()
    with History.open(data_dir, clock=lambda: NOW) as again:
        assert sorted(m.umid for m in again.recent_messages(10)) == ["u1", "u2"]


async def test_a_room_is_published_only_after_it_is_journalled(
    data_dir: Path, held_fsync: tuple[threading.Event, threading.Event]
) -> None:
    started, release = held_fsync
    published: list[Changes] = []
    room = RoomView("room-0001", "https://guest/1", "+6591234567", NOW, NOW + 900)
    with (
        ThreadPoolExecutor(1) as writes,
        History.open(data_dir, flush_interval=3600, clock=lambda: NOW) as history,
    ):
        core = ConsoleCore(history=history, on_change=published.append, background=writes.submit)
        task = asyncio.create_task(core.record_room_durably(room))
        await asyncio.to_thread(started.wait, 10)
        assert published == [] and core.room("room-0001") is None
        release.set()
        await task
        assert core.room("room-0001") is not None and len(published) == 1
        assert [r.call_reference for r in history.rooms()] == ["room-0001"], "recorded once"


async def test_without_a_history_a_send_is_published_at_once(data_dir: Path) -> None:
    published: list[Changes] = []
    core = ConsoleCore(on_change=published.append)
    changes = await core.record_sent_durably([sent("u1")], "hi")
    assert published == [changes] and changes.sent[0].umid == "u1"


async def test_a_journal_the_disk_refuses_still_shows_the_send_and_says_so(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """8x8 took the message: it was sent. The history says it could not write, and keeps it
    in memory for its next flush."""

    def full(self: Journal, entries: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Journal, "append", full)
    errors: list[str] = []
    with (
        ThreadPoolExecutor(1) as writes,
        History.open(data_dir, clock=lambda: NOW, on_write_error=errors.append) as history,
    ):
        core = ConsoleCore(history=history, background=writes.submit)
        changes = await core.record_sent_durably([sent("u1")], "hi")
        assert changes.sent[0].umid == "u1"
        assert errors and "No space left" in errors[0]
        assert history.message_by_umid("u1") is not None, "recorded once, in memory"


async def test_a_receipt_heard_while_the_send_is_journalled_shows_with_the_send(
    data_dir: Path, held_fsync: tuple[threading.Event, threading.Event]
) -> None:
    """Nothing of a send shows before it is on disk, not even its receipt (which would make
    a row of its own, out of the batch's order): the send comes out with its delivery."""
    from console.live.events import Event

    started, release = held_fsync
    published: list[Changes] = []
    payload = {
        "umid": "u1",
        "destination": "+6591234567",
        "status": {"state": "delivered", "timestamp": "2026-11-27T05:00:01.00Z"},
    }
    receipt = Event(
        1, "2026-11-27T05:00:01.000Z", "SMS", "outbound_message_status_changed", payload
    )
    with (
        ThreadPoolExecutor(1) as writes,
        History.open(data_dir, flush_interval=3600, clock=lambda: NOW) as history,
    ):
        core = ConsoleCore(history=history, on_change=published.append, background=writes.submit)
        task = asyncio.create_task(core.record_sent_durably([sent("u1")], "hi"))
        await asyncio.to_thread(started.wait, 10)
        heard = core.apply_events([receipt])
        assert heard.receipts == 1 and "u1" not in heard.deliveries
        release.set()
        changes = await task
        assert changes.sent[0].delivery.state == "delivered"
        assert [c.sent[0].umid for c in published if c.sent] == ["u1"]


def test_a_receipt_for_a_message_sent_elsewhere_makes_its_row_in_the_history(
    data_dir: Path,
) -> None:
    """The Feed shows every message this console sent or heard a receipt for; the history
    keeps the same, so the row is there after a restart too."""
    from console.live.events import Event, utc_iso

    payload = {
        "umid": "theirs-1",
        "batchId": "their-batch",
        "clientMessageId": "their-ref-7",
        "destination": "+6598765432",
        "status": {"state": "delivered", "timestamp": utc_iso(NOW)},
    }
    event = Event(1, utc_iso(NOW + 0.5), "SMS", "outbound_message_status_changed", payload)
    with History.open(data_dir, clock=lambda: NOW) as history:
        ConsoleCore(history=history, clock=lambda: NOW).apply_events([event])
    with History.open(data_dir, clock=lambda: NOW) as again:
        message = again.message_by_umid("theirs-1")
        assert message is not None and message.heard_only
        assert (message.peer, message.status, message.batch_id) == (
            "+6598765432",
            "delivered",
            "their-batch",
        )
        assert message.client_message_id == "their-ref-7" and message.channel == "sms"


async def test_a_large_answer_is_shown_in_slices_with_the_loop_given_back_between_them(
    data_dir: Path,
) -> None:
    """A 10,000-message answer shown at once held the agent's keys for half a second: it is
    shown a slice at a time, in order, every slice on disk first; a receipt heard between
    slices for a message not shown yet comes out with its send, not before it."""
    from console.live.events import Event

    umids = [f"u{n:04d}" for n in range(600)]
    payload = {
        "umid": umids[-1],
        "destination": "+6591234567",
        "status": {"state": "delivered", "timestamp": "2026-11-27T05:00:01.00Z"},
    }
    receipt = Event(
        1, "2026-11-27T05:00:01.000Z", "SMS", "outbound_message_status_changed", payload
    )
    seen: list[str] = []  # what ran, in order: a slice shown, or something else on the loop
    heard: list[Changes] = []

    def published(changes: Changes) -> None:
        if changes.sent:
            seen.append("slice")
            if seen.count("slice") == 1:  # between the first slice and the rest: a receipt
                heard.append(core.apply_events([receipt]))

    async def other_work() -> None:
        while True:
            seen.append("other")
            await asyncio.sleep(0)

    with (
        ThreadPoolExecutor(1) as writes,
        History.open(data_dir, flush_interval=3600, clock=lambda: NOW) as history,
    ):
        core = ConsoleCore(history=history, on_change=published, background=writes.submit)
        task = asyncio.create_task(core.record_sent_durably([sent(u) for u in umids], "hi"))
        ticker = asyncio.create_task(other_work())
        changes = await task
        ticker.cancel()
        slices = [n for n, what in enumerate(seen) if what == "slice"]
        assert len(slices) > 1
        assert any(what == "other" for what in seen[slices[0] : slices[-1]])
        assert [row.umid for row in changes.sent] == umids
        assert heard[0].receipts == 1 and umids[-1] not in heard[0].deliveries
        assert changes.sent[-1].delivery.state == "delivered"
        assert changes.sent[0].delivery.state == "queued"
        on_disk = await asyncio.wrap_future(core.after_writes(lambda h: h.recent_messages(700)))
        assert len(on_disk) == len(umids)
