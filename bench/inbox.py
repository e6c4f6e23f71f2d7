"""Inbox benchmark: opening the inbox on a large history, a burst of customers' messages, and
the keys the agent presses meanwhile. Prints figures only (budgets are never timed asserts).

    python bench/inbox.py              # 3 runs of each figure
    python bench/inbox.py --runs 5
    python bench/inbox.py --quick      # one run of each figure

The history holds 100,000 messages over 30 days (10,000 today) in 2,000 conversations, a
third of them with a team state (assignee, labels, a note). Each run starts a headless
console on a fresh copy of it (no login: the inbox works from the history) and measures:

1. `open_inbox_s`: F3 pressed, until the inbox shows its rows and counts (the history is
   open and the inbox state loaded; its load is `load_s`, shown apart) (budget < 0.5 s);
2. `burst_1000_s`: 1,000 inbound messages arriving at once (one relay batch: 500 known
   conversations, 500 new), from the batch posted to the App until the list and the tabs
   show them (budget < 0.5 s);
3. `worst_key_ms`: the worst time from a keypress (↓ in the list, one every 10 ms from just
   before the burst until it is shown) to its handling (budget < 50 ms); `keys` pressed.
   Beside it, its peer in the same run: `quiet_worst_key_ms`, the same keys for 0.2 s with
   no events (what the machine's load alone costs). These keys are posted inside the app
   (`simulate_key`) and timed to their handling, not to the screen;
4. `lateness_*_ms`: how late a 5 ms ticker inside the console's loop woke while the burst
   was applied and shown (p50, p99, max: bench/latency.py), and `gc_max_ms`, the longest
   collection meanwhile (gc.callbacks): what any key pressed then would have waited.

Then, once: the agent types a reply in a real pseudo-terminal (another process types a
key every 50 ms and reads the screen) while 5 bursts of 1,000 customers' messages arrive,
one a second: key → paint (until the reply box shows the key) and the loop's lateness,
p50/p99/max, and the longest collection.

Each figure: median and max over the runs; `uptime` first, as the machine is shared.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/: harness, latency

from harness import (
    ConsoleInPty,
    inbound_item,
    load_line,
    run_as_the_console_does,
    run_in_terminal,
)

DAY = 86_400.0
MESSAGES = 100_000
TODAY = MESSAGES // 10
DAYS = 30
CONVERSATIONS = 2_000
BURST = 1_000
KEY_EVERY = 0.010


def build(folder: Path, now: float) -> None:
    """The history every run copies, written once through the public API."""
    from console.store import History

    midnight = now - now % DAY
    older = MESSAGES - TODAY
    first = midnight - (DAYS - 1) * DAY
    times = [first + (midnight - first) * n / older for n in range(older)]
    times += [midnight + (now - midnight - 60) * n / TODAY for n in range(TODAY)]
    with History.open(folder, flush_interval=3600, clock=lambda: now, max_age_days=365) as history:
        for index, at in enumerate(times):
            who = index % CONVERSATIONS
            channel = ("whatsapp", "viber", "sms")[who % 3]
            peer = f"+6590{who:06d}"
            inbound = index % 2 == 0
            history.record_message(
                f"m-{index:07d}",
                None,
                channel,
                "in" if inbound else "out",
                peer,
                f"Message {index}: about order {who}-{index % 97}",
                "received" if inbound else "delivered",
                at,
                conversation_id=f"{channel}:{peer}",
            )
        for who in range(CONVERSATIONS):
            channel = ("whatsapp", "viber", "sms")[who % 3]
            conversation_id = f"{channel}:+6590{who:06d}"
            history.upsert_conversation(
                conversation_id, channel, f"+6590{who:06d}", f"Customer {who}"
            )
            if who % 3 == 0:
                note = {"agent": "bob", "text": "Called back", "at": now - 3600, "seq": who + 1}
                history.update_conversation(
                    conversation_id,
                    assignee=("ana", "bob")[who % 2],
                    labels=["vip", "billing"][: 1 + who % 2],
                    notes=[note],
                    team_seq=who + 1,
                )


def burst(start_seq: int, now: float) -> list[Any]:
    """1,000 customers' messages in one relay batch: 500 known conversations, 500 new."""
    from console.live.events import Event, utc_iso

    events = []
    for n in range(BURST):
        at = now + n / 1000  # in the order they were written
        who = n if n < BURST // 2 else 100_000 + n
        namespace, kind, payload = inbound_item(n, who, at=at, text=f"Hello again {n}")
        payload["umid"] = f"burst-{n}"
        events.append(Event(start_seq + n, utc_iso(at), namespace, kind, payload))
    return events


async def one_run(folder: Path) -> dict[str, float]:
    from textual.pilot import Pilot

    from console.api.session import Session
    from console.app import AgentConsole
    from console.config import Settings
    from console.messages import EventsReceived
    from console.screens.inbox import InboxScreen
    from console.widgets.conversation_list import ConversationList

    async def no_login(settings: Settings) -> Session:
        await asyncio.Event().wait()  # the inbox works from the history alone
        raise AssertionError

    settings = Settings(
        api_key="bench-key-000000", subaccount="bench", server="http://127.0.0.1:9",
        data_dir=folder, agent="ana", history_max_age_days=365,
    )  # fmt: skip
    app = AgentConsole(settings, connector=no_login)
    figures: dict[str, float] = {}

    async def until(pilot: Pilot, predicate: Any, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise SystemExit(f"bench/inbox.py: the console did not get there ({predicate})")
            await asyncio.sleep(0.001)

    from latency import GcWatch, LoopTicker, summary

    ticker = LoopTicker()
    gc_watch = GcWatch()
    async with app.run_test(size=(160, 48)) as pilot:
        ticker.start()
        gc_watch.install()
        started = time.perf_counter()
        await until(pilot, lambda: app.history is not None and len(app.core.inbox) > 0)
        figures["load_s"] = time.perf_counter() - started
        await pilot.pause()

        started = time.perf_counter()
        await pilot.press("f3")
        await until(pilot, lambda: isinstance(app.screen, InboxScreen))
        screen = app.screen
        assert isinstance(screen, InboxScreen)
        rows = screen.query_one(ConversationList)
        await until(pilot, lambda: len(rows.rows) > 0)
        await pilot.pause(0)  # the first frame with the rows
        figures["open_inbox_s"] = time.perf_counter() - started

        rows.focus()
        handled: list[float] = []
        original = rows.action_move

        def timed_move(step: int) -> None:
            handled.append(time.perf_counter())
            original(step)

        rows.action_move = timed_move  # type: ignore[method-assign]

        async def keys_while(work: Any) -> list[float]:
            """Press ↓ every KEY_EVERY s while `work` runs (and a little before and after);
            the latency of each, in ms."""
            handled.clear()
            posted: list[float] = []
            done = asyncio.Event()

            async def press() -> None:
                while not done.is_set():
                    posted.append(time.perf_counter())
                    app.simulate_key("down")
                    await asyncio.sleep(KEY_EVERY)

            presser = asyncio.create_task(press())
            await asyncio.sleep(0.02)
            await work()
            await asyncio.sleep(0.05)
            done.set()
            await presser
            await until(pilot, lambda: len(handled) >= len(posted))
            return [(end - start) * 1000 for start, end in zip(posted, handled, strict=False)]

        quiet = await keys_while(lambda: asyncio.sleep(0.2))
        figures["quiet_worst_key_ms"] = max(quiet)

        events = burst(10_000, time.time())
        last = events[-1].payload
        newest = f"{last['recipient']['channel']}:{last['user']['msisdn']}"

        def shown() -> bool:
            listed = rows.rows
            return bool(listed) and listed[0].conversation_id == newest and not screen._list_due

        async def the_burst() -> None:
            started = time.perf_counter()
            app.post_message(EventsReceived(tuple(events)))
            await until(pilot, shown)
            figures["burst_1000_s"] = time.perf_counter() - started

        slow = None
        if os.environ.get("BENCH_SLOW"):  # which callbacks held the loop (a diagnostic)
            from diagnostics import SlowCallbacks

            slow = SlowCallbacks(0.02)
            slow.install()
        since = time.monotonic()
        latencies = await keys_while(the_burst)
        until_ = time.monotonic()
        if slow is not None:
            slow.remove()
            with open(os.environ["BENCH_SLOW"], "a") as out:
                for name, runs in sorted(slow.by_name().items(), key=lambda item: -item[1][0][0]):
                    print(f"{name}: {runs[:8]} ({len(runs)})", file=out)
        figures["worst_key_ms"] = max(latencies)
        figures["keys"] = len(latencies)
        lateness = summary(ticker.lateness_ms(since, until_))
        for stat in ("p50", "p99", "max"):
            figures[f"lateness_{stat}_ms"] = lateness[stat] or 0.0
        figures["gc_max_ms"] = gc_watch.figures(since, until_)["max_ms"]
        ticker.stop()
        gc_watch.remove()
    app.wait_closed(30)
    return figures


# --- typing a reply while customers write: key → paint from outside, in a pty -----------------

BURSTS = 5  # bursts of 1,000 customers' messages, one a second, while the agent types


async def typing_child(folder: Path, beacon_path: str) -> None:
    """The console on this process's terminal (a pty the parent reads and types into); once
    the parent has opened a conversation's reply box, BURSTS bursts of 1,000 customers'
    messages arrive, one a second, and the loop's lateness is measured meanwhile."""
    from latency import Beacon, GcWatch, LoopTicker, summary

    from console.app import AgentConsole
    from console.config import Settings
    from console.messages import EventsReceived
    from console.screens.inbox import InboxScreen
    from console.widgets.reply_box import ReplyBox

    async def no_login(settings: Settings) -> Any:
        await asyncio.Event().wait()

    settings = Settings(
        api_key="bench-key-000000", subaccount="bench", server="http://127.0.0.1:9",
        data_dir=folder, agent="ana", history_max_age_days=365,
    )  # fmt: skip
    app = AgentConsole(settings, connector=no_login)
    beacon = Beacon(beacon_path)
    ticker = LoopTicker()
    gc_watch = GcWatch()

    async def drive() -> None:
        while not app.is_running or app.history is None or not len(app.core.inbox):
            await asyncio.sleep(0.02)
        ticker.start()
        gc_watch.install()
        beacon.say("ready")
        while not (isinstance(app.screen, InboxScreen) and isinstance(app.focused, ReplyBox)):
            await asyncio.sleep(0.02)  # the parent presses F3, Enter, Tab
        await asyncio.sleep(1.0)
        bursts = [burst(10_000 + n * BURST, time.time() + n) for n in range(BURSTS)]
        for n, events in enumerate(bursts):  # each customer new in each burst
            for event in events:
                event.payload["umid"] = f"{event.payload['umid']}-{n}"
        started = time.monotonic()
        beacon.say("stream-start")
        for n, events in enumerate(bursts):
            await asyncio.sleep(max(started + n - time.monotonic(), 0))
            app.post_message(EventsReceived(tuple(events)))
        while app.live.pending:
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.5)  # the last burst shown
        ended = time.monotonic()
        figures = {
            "lateness_ms": summary(ticker.lateness_ms(started, ended)),
            "gc_max_ms": gc_watch.figures(started, ended)["max_ms"],
        }
        beacon.say("stream-end", started=started, figures=figures)

    try:
        await run_in_terminal(app, drive, beacon_path)
    finally:
        ticker.stop()
        gc_watch.remove()


def typing_run(source: Path, work: Path) -> dict[str, Any]:
    """The parent: opens a conversation in the console's pty and types a reply (a key every
    50 ms) while the bursts arrive; each key timed until the reply box shows it."""
    from latency import Painted, summary

    data = work / "typing"
    shutil.copytree(source, data)
    beacon = work / "typing.jsonl"
    argv = [sys.executable, __file__, "--typing-child", str(data), str(beacon)]
    records: list[tuple[float, float | None]] = []
    with ConsoleInPty(argv, beacon, columns=160, rows=48) as run:
        terminal = run.terminal
        run.wait("ready", 120)
        for key in ("f3", "enter", "tab"):
            terminal.write(key_bytes(key))
            time.sleep(1.0)
        terminal.write(b"001")  # the first line's number (each line starts with its own)
        run.wait("stream-start", 60)
        line = 0
        while not run.ended():
            line += 1
            typed = f"{line:03d}"  # every line of the reply is unique
            for letter in "abcdefghijklmnop":
                if run.heard.has("stream-end"):
                    break
                typed += letter
                pressed = time.monotonic()
                records.append((pressed, terminal.press(letter, Painted(0, typed), 10.0)))
                time.sleep(0.05)
            terminal.write(b"\r")  # a new line of the reply (Enter; ctrl+j sends)
            for digit in f"{line + 1:03d}":
                time.sleep(0.05)
                terminal.write(digit.encode())
        end = run.wait("stream-end", 120)
        run.quit()
    keys = [
        (10.0 if seconds is None else seconds) * 1000
        for pressed, seconds in records
        if end["started"] <= pressed <= end["at"]
    ]
    return {**end["figures"], "keys_ms": summary(keys)}


def key_bytes(key: str) -> bytes:
    from latency import key_bytes as named

    return named(key)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="one run of each figure")
    parser.add_argument("--typing-child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.typing_child:
        run_as_the_console_does(typing_child(Path(args.typing_child[0]), args.typing_child[1]))
        return
    if args.quick:
        args.runs = 1
    os.environ.setdefault("AGENT_CONSOLE_CONFIG", str(Path(tempfile.gettempdir()) / "none.toml"))
    print(load_line())
    with tempfile.TemporaryDirectory(prefix="bench-inbox-") as temp:
        source = Path(temp) / "source"
        started = time.perf_counter()
        build(source, time.time())
        print(f"built {MESSAGES:,} messages in {CONVERSATIONS:,} conversations "
              f"in {time.perf_counter() - started:.1f} s")  # fmt: skip
        results: list[dict[str, float]] = []
        for run in range(args.runs):
            copy = Path(temp) / f"run-{run}"
            shutil.copytree(source, copy)
            results.append(asyncio.run(one_run(copy)))
            shutil.rmtree(copy, ignore_errors=True)
        typing = typing_run(source, Path(temp))
    budgets = {"open_inbox_s": "< 0.5 s", "burst_1000_s": "< 0.5 s", "worst_key_ms": "< 50 ms"}
    print(f"\n  {'figure':<14} {'median':>9} {'max':>9}   budget")
    budgets.update(lateness_p99_ms="≤ 30 ms", lateness_max_ms="≤ 100 ms", gc_max_ms="≤ 50 ms")
    for name in (
        "load_s", "open_inbox_s", "burst_1000_s", "worst_key_ms", "quiet_worst_key_ms", "keys",
        "lateness_p50_ms", "lateness_p99_ms", "lateness_max_ms", "gc_max_ms",
    ):  # fmt: skip
        values = [r[name] for r in results]
        print(
            f"  {name:<14} {statistics.median(values):9.3f} {max(values):9.3f}   "
            f"{budgets.get(name, '')}"
        )
    from latency import describe

    print(
        f"\ntyping a reply in a pty while {BURSTS} bursts of {BURST:,} customers' messages "
        f"arrive, one a second (load {os.getloadavg()[0]:.2f}):"
    )
    print(f"  key → paint     {describe(typing['keys_ms'])}   budget p99 ≤ 100, max ≤ 250 ms")
    print(f"  loop lateness   {describe(typing['lateness_ms'])}   budget p99 ≤ 30, max ≤ 100 ms")
    print(f"  longest collection {typing['gc_max_ms']:.1f} ms   budget ≤ 50 ms")


if __name__ == "__main__":
    main()
