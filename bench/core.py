"""The console core on the UI thread: what one batch of 2,000 receipts costs.

    python bench/core.py            # 5 runs of each figure
    python bench/core.py --runs 9

The App hands every websocket message (a batch of events) to `ConsoleCore.apply_events` on
the UI's event loop, then screens apply the one `Changes` it returns. DESIGN.md asks that a
keypress is handled within 50 ms while 2,000 events/s arrive, so a 2,000-receipt batch must
cost a small part of that. Figures (median and min over the runs, ms per batch):

1. `apply_events` of 2,000 receipts (1,000 messages sent, each then delivered): without a
   history; with one holding 20,000 earlier messages updated inline; and as the App runs it,
   the history's updates handed to their own thread (the UI thread's share, then when that
   thread is done). The history only updates memory; its writer thread saves.
2. The same batch through the whole UI path in a headless app: the core, the Signal, and a
   `SentTable` of 500 rows updating the rows whose messages moved.

Prints figures only (DESIGN.md: budgets are never timed asserts).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from console.core import Accepted, ConsoleCore, SentSms  # noqa: E402
from console.live.events import Event  # noqa: E402

MESSAGES = 1_000
BATCH = 2 * MESSAGES
EARLIER = 20_000
AT = "2026-11-27T05:00:00.000Z"


def receipts(prefix: str, start_seq: int) -> list[Event]:
    """sent, then delivered, for MESSAGES messages: 2,000 receipt events in one batch."""
    events = []
    seq = start_seq
    for state, second in (("sent", 1), ("delivered", 2)):
        for n in range(MESSAGES):
            payload = {
                "umid": f"{prefix}-{n:05d}",
                "subAccountId": "acme",
                "destination": f"+6591{n:06d}",
                "status": {"state": state, "timestamp": f"2026-11-27T05:00:0{second}.00Z"},
            }
            events.append(Event(seq, AT, "SMS", "outbound_message_status_changed", payload))
            seq += 1
    return events


def sends(prefix: str) -> list[SentSms]:
    return [
        SentSms(f"+6591{n:06d}", Accepted(f"{prefix}-{n:05d}", f"cid-{prefix}-{n}"))
        for n in range(MESSAGES)
    ]


def stat(values: Sequence[float]) -> str:
    return f"median {statistics.median(values):7.2f}   min {min(values):7.2f}"


def timed(runs: int, setup: Callable[[int], Callable[[], object]]) -> list[float]:
    times = []
    for run in range(runs + 1):  # the first is a warm-up
        action = setup(run)
        start = time.perf_counter()
        action()
        if run:
            times.append((time.perf_counter() - start) * 1000)
    return times


def bench_core(runs: int) -> None:
    from console.store import History

    print("1. ConsoleCore.apply_events, one batch of 2,000 receipts (ms)")

    def without_history(run: int) -> Callable[[], object]:
        core = ConsoleCore()
        core.record_sent(sends(f"r{run}"), "Your parcel is on its way")
        batch = receipts(f"r{run}", 1)
        return lambda: core.apply_events(batch)

    print(f"  {'no history':<38} {stat(timed(runs, without_history))}")
    with (
        tempfile.TemporaryDirectory(prefix="bench-core-") as folder,
        History.open(Path(folder)) as history,
    ):
        core = ConsoleCore(history=history)
        core.follow("wss://relay.example.com/events")
        for start in range(0, EARLIER, MESSAGES):
            core.record_sent(sends(f"earlier{start}"), "An earlier message")
        seq = iter(range(1, 10**9, BATCH))

        def with_history(run: int) -> Callable[[], object]:
            core.record_sent(sends(f"h{run}"), "Your parcel is on its way")
            batch = receipts(f"h{run}", next(seq))
            return lambda: core.apply_events(batch)

        label = f"history of {EARLIER:,} messages, inline"
        print(f"  {label:<38} {stat(timed(runs, with_history))}")

        ui_thread: list[float] = []
        finished: list[float] = []
        with ThreadPoolExecutor(1) as writes:
            handed = ConsoleCore(history=history, background=writes.submit)
            handed.follow("wss://relay.example.com/events")
            for run in range(runs + 1):
                handed.record_sent(sends(f"b{run}"), "Your parcel is on its way")
                writes.submit(lambda: None).result()  # start from a quiet writer
                batch = receipts(f"b{run}", next(seq))
                start = time.perf_counter()
                handed.apply_events(batch)
                returned = time.perf_counter()
                writes.submit(lambda: None).result()
                if run:
                    ui_thread.append((returned - start) * 1000)
                    finished.append((time.perf_counter() - start) * 1000)
        label = "the same, updates on their own thread"
        print(f"  {label:<38} {stat(ui_thread)}   (UI thread)")
        print(f"  {'':<38} {stat(finished)}   (history updated)")


async def ui_path(runs: int) -> list[float]:
    from textual.app import App, ComposeResult

    from console.core.model import Changes
    from console.widgets.sent_table import SentTable

    class Harness(App[None]):
        def compose(self) -> ComposeResult:
            yield SentTable()

    times: list[float] = []
    app = Harness()
    async with app.run_test(size=(120, 40)) as pilot:
        table = app.query_one(SentTable)
        done = asyncio.Event()

        def show(changes: Changes) -> None:
            table.show_deliveries(changes.deliveries)
            done.set()

        for run in range(runs + 1):
            core = ConsoleCore(on_change=show)
            sent = core.record_sent(sends(f"u{run}"), "Your parcel is on its way")
            table.clear()
            table.add_sent(sent.sent)
            await pilot.pause()
            batch = receipts(f"u{run}", 1)
            done.clear()
            start = time.perf_counter()
            core.apply_events(batch)
            await done.wait()
            await pilot.pause()  # the repaint of the rows that changed
            if run:
                times.append((time.perf_counter() - start) * 1000)
    return times


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per figure (default 5)")
    args = parser.parse_args(argv)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"Python {sys.version.split()[0]}; {args.runs} runs (+1 warm-up); "
        f"{os.cpu_count()} CPUs, load average {load:.2f}"
    )
    bench_core(args.runs)
    print("2. The UI path: core + Signal + a 500-row SentTable, headless (ms per batch)")
    label = "apply, update rows, repaint"
    print(f"  {label:<38} {stat(asyncio.run(ui_path(args.runs)))}")
    print(
        f"  (one batch = {BATCH:,} receipts for {MESSAGES:,} messages; budget context: a "
        "keypress within 50 ms at 2,000 events/s)"
    )


if __name__ == "__main__":
    main()
