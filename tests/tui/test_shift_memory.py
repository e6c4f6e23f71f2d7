"""Memory flat across a shift, as the agent sees it: timelines and rows are bounded together, and
a message the tracker has let go still opens with every receipt and its payload, read back
from the history. (Figures are bench/shift.py's; no test here is timed.)"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Static
from tui_helpers import wait_for

from console.app import AgentConsole
from console.config import Settings
from console.core import Accepted, SentSms
from console.core.tracker import DeliveryTracker
from console.interpreter import SWITCH_EVERY
from console.live.events import Event
from console.messages import EventsReceived
from console.screens.message_timeline import MessageTimelineScreen

SIZE = (120, 36)


def quiet_console(tmp_path: Path, **settings: Any) -> AgentConsole:
    """A console on its own history that never logs in: events are posted to it directly."""

    async def never(_settings: Settings) -> Any:
        await asyncio.Event().wait()

    return AgentConsole(Settings(data_dir=tmp_path, **settings), connector=never)


def receipt(seq: int, umid: str, state: str, marker: str) -> Event:
    payload = {
        "umid": umid,
        "subAccountId": "bench_subaccount",
        "destination": "+6591000001",
        "clientBatchId": marker,  # a field only the payload carries
        "status": {"state": state, "timestamp": "2026-11-27T05:00:00.00Z"},
    }
    return Event(seq, "2026-11-27T05:00:01.000Z", "SMS", "outbound_message_status_changed", payload)


def test_the_tracker_is_bounded_with_the_feeds_rows(tmp_path: Path) -> None:
    app = quiet_console(tmp_path, feed_max_rows=250)
    assert app.core.tracker.max_messages == app.feed.max_rows == 250


async def test_batch_after_batch_the_tracker_never_holds_more_messages_than_the_feed_lists(
    tmp_path: Path,
) -> None:
    """Batches answered (shown in slices) and their receipts, well past the feed's rows: after
    every batch the tracker holds no more messages than the feed lists, and both keep the
    newest (the oldest message is forgotten by both; the newest is final in both)."""
    app = quiet_console(tmp_path, feed_max_rows=60)
    seq = 0
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.history_keeper.settled and app.history is not None)
        for batch in range(4):
            umids = [f"b{batch}-{n:03d}" for n in range(45)]
            sent = [SentSms("+6591000001", Accepted(umid)) for umid in umids]
            await app.core.record_sent_durably(sent, "Your parcel ships today")
            events = []
            for umid in umids:
                seq += 1
                events.append(receipt(seq, umid, "delivered", umid))
            app.post_message(EventsReceived(tuple(events)))
            newest = umids[-1]
            await wait_for(
                pilot, lambda newest=newest: app.core.tracker.state(newest) == "delivered"
            )
            row = app.feed.get(newest)
            assert row is not None and row.final  # the feed moved with the core (at once)
            assert len(app.core.tracker) <= len(app.feed) <= 60
        assert app.core.tracker.state("b0-000") is None and app.feed.get("b0-000") is None
        assert app.core.timeline("b3-044") is not None


async def test_an_old_messages_timeline_reads_its_payloads_back_from_the_history(
    tmp_path: Path,
) -> None:
    app = quiet_console(tmp_path)
    app.core.tracker = DeliveryTracker(100, detailed=3, raw_receipts=3)  # a tiny shift
    umids = [f"old-{n}" for n in range(12)]
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.history_keeper.settled and app.history is not None)
        sent = [SentSms(f"+659100000{n % 10}", Accepted(umid)) for n, umid in enumerate(umids)]
        app.core.record_sent(sent, "Your parcel ships today")
        events = [receipt(n + 1, umid, "sent", f"first-{umid}") for n, umid in enumerate(umids)]
        events += [
            receipt(n + 100, umid, "delivered", f"final-{umid}") for n, umid in enumerate(umids)
        ]
        app.post_message(EventsReceived(tuple(events)))
        await wait_for(pilot, lambda: app.core.tracker.state(umids[-1]) == "delivered")
        assert app.core.timeline(umids[0]) is None, "the tracker let go of the oldest"
        assert app.core.tracker.state(umids[0]) == "delivered", "it still knows where it stands"
        newest = app.core.timeline(umids[-1])
        assert newest is not None and newest.receipts[-1].raw, "the newest keep their payloads"
        await asyncio.wrap_future(app.core.after_writes(lambda history: None))

        row = app.feed.get(umids[0])
        assert row is not None and row.status == "delivered"
        await app.push_screen(MessageTimelineScreen(row))
        await wait_for(pilot, lambda: isinstance(app.screen, MessageTimelineScreen))
        screen = app.screen
        assert isinstance(screen, MessageTimelineScreen)
        await wait_for(pilot, lambda: [e.state for e in screen.entries] == ["sent", "delivered"])
        assert all(entry.raw is not None for entry in screen.entries)
        raw = screen.query_one("#timeline-raw", Static)
        await wait_for(pilot, lambda: "final-old-0" in str(raw.render()))
        await pilot.press("up")  # the first receipt's payload, from the history too
        await wait_for(pilot, lambda: "first-old-0" in str(raw.render()))


async def test_the_shield_counts_older_traffic_it_no_longer_keeps_one_by_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from console.core.traffic import Observation, TrafficLedger
    from console.screens import shield as shield_screen
    from console.screens.shield import ShieldScreen

    now = 1_795_755_662.0
    monkeypatch.setattr(shield_screen, "now", lambda: now)
    app = quiet_console(tmp_path)
    app.core.traffic = TrafficLedger(max_observed=10)  # a long shift, compressed
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.history_keeper.settled)
        for n in range(500):  # another application's traffic in the last hour
            number = f"+65912300{n % 100:02d}"
            app.core.traffic.observe(Observation(f"x{n}", number, now - 3000 + n, "delivered"))
        assert len(app.core.traffic) == 10 and app.core.traffic.folded
        await app.push_screen(ShieldScreen())
        await wait_for(pilot, lambda: getattr(app.screen, "report", None) is not None)
        report = app.screen.report  # type: ignore[attr-defined]
        assert report.total == 500, "every message counted, kept one by one or not"


async def test_freed_memory_goes_back_to_the_system_while_the_console_runs(
    tmp_path: Path,
) -> None:
    """On glibc the console tunes the allocator before any thread starts, and returns the free
    pages every few seconds while it runs (console/allocator.py); at exit it stops doing so."""
    app = quiet_console(tmp_path)
    if not app.allocator.available:
        pytest.skip("glibc only (Linux)")
    assert app.allocator.tuned
    async with app.run_test(size=SIZE):
        assert app.trimmer.running
        app.trimmer.trim_now()
        assert app.trimmer.trims
    assert not app.trimmer.running


async def test_a_keys_threads_get_the_gil_within_a_millisecond_while_the_console_runs(
    tmp_path: Path,
) -> None:
    """While the console runs, a thread waits at most 1 ms for the GIL (console/interpreter.py:
    a key crosses the input thread, the UI loop and the output thread); at exit the
    interpreter's interval is what it was."""
    before = sys.getswitchinterval()
    app = quiet_console(tmp_path)
    async with app.run_test(size=SIZE):
        assert sys.getswitchinterval() == pytest.approx(SWITCH_EVERY)
        assert before > SWITCH_EVERY
    assert sys.getswitchinterval() == pytest.approx(before)


def test_on_the_loop_the_console_runs_on_the_history_gives_way_to_its_long_turns(
    tmp_path: Path,
) -> None:
    """The command line runs the App on a TurnLoop (console/loop_turns.py); the history's
    threads are handed its `give_way`, so a long turn of the loop (a section's first paint)
    is not shared with them."""
    from console.loop_turns import console_loop, running_turns

    async def scenario() -> None:
        app = quiet_console(tmp_path)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: app.history_keeper.settled)
            turns = running_turns()
            assert turns is not None and app.history is not None
            writes = app.history_keeper.writes
            assert writes.turns is turns and app.history.give_way == writes.give_way

    with asyncio.Runner(loop_factory=console_loop) as runner:
        runner.run(scenario())
