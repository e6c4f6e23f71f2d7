"""The delivery feed under a 10,000-message batch: prints figures only (DESIGN.md budgets).

    python bench/feed.py                      # the table: the feed and a DataTable baseline
    python bench/feed.py --json               # then one JSON object on the last line
    python bench/feed.py --rate 4000          # receipts per second (default 2,000)
    python bench/feed.py --only feed          # one variant
    python bench/feed.py --quick              # the feed's stream alone (about a minute)

Each stream run is a fresh interpreter running the real console in a pseudo-terminal
(120×36) that this process reads with bench/latency.py, on a copy of a 100,000-record history
(30 days, 10,000 of them today, written once through the public API as `bench/history.py`
does). The console is not logged in: the batch goes straight into the console core
(`core.record_sent_durably`, as the sending service records a batch answer: journalled,
then shown in slices, inside the measured window; `record_sent_ms` is until it was shown),
and its 20,000 receipts (a "sent" and a final status per message, 10 % undelivered, shaped
like 8x8's, built beforehand by bench/harness.py) are posted to the App as `EventsReceived`
messages at `--rate` per second in 50 ms chunks, exactly as the websocket worker posts a
relay's batches. So the bench drives events itself and does not depend on the sandbox's
webhook rate.

Figures per variant, during the stream (Pilot is not used: it presses keys only when the app
is idle, so it cannot see a stall):
- `lateness_*_ms`: how late a 5 ms ticker inside the console's loop woke (p50, p99, max;
  budget p99 ≤ 30 ms, max ≤ 100 ms);
- `key_*_ms`, `keys`: key → paint, timed from this process: space is typed into the
  terminal every `--key-every` seconds and timed until the footer shows its effect
  ("Pause" becomes "Resume" and back; budget p99 ≤ 100 ms, max ≤ 250 ms). Feed only;
- `gc_max_ms`: the longest garbage collection (gc.callbacks; budget 50 ms), and what a full
  collection of the heap costs afterwards (`idle_full_ms`: the console runs one only after
  10 s without a key);
- `final_s`: from the first receipt posted until the screen holds every final status (the
  feed: its view counts 10,000 final and has been drawn since; the baseline: its last
  status cell updated); `record_sent_ms`: recording the batch's answer;
- `f4_to_feed_s`: F4 typed until the feed's footer shows;
- `rss_mb` before the batch and `peak_mb` (the process's peak resident memory);
- with `--batches N`: RSS after each batch.

Diagnostics (environment variables naming a file): `BENCH_SLOW` lists the callbacks that
held the loop over 20 ms with their wall and CPU time, `BENCH_PROFILE` a cProfile of the
stream, `BENCH_STALLS` the stacks sampled while the loop was late.

Before the stream, `load` runs (each in a fresh interpreter, 120×36) put 10,000 and 100,000
rows in front of the agent from rows already built (what the history's worker hands over):
the feed (a FeedStore, its view and FeedTable) against a DataTable given the same rows' cells
(`add_rows`, cursor on the newest). Each is timed until the newest row is on the screen, with
the resident memory the rows added. `--load` chooses the sizes (`--load` with none skips it).

During the stream, `repaints_per_s` is how often the feed redrew its rows (at most 30 a second
whatever the receipt rate: changes only mark it dirty).

Variants: `feed` (FeedScreen: a virtualised ScrollView over a row store) and `datatable`
(Textual's DataTable keyed by umid, rows added and status cells updated in `batch_update`,
the cursor following the newest row, as STYLE.md pitfall 7 recommends).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/: harness, latency

from harness import (
    ConsoleInPty,
    as_events,
    fmt,
    load_line,
    peak_mb,
    quiet_console,
    receipt_items,
    record_batch,
    rss_mb,
    run_as_the_console_does,
    run_in_terminal,
)

KEYS = ("down", "up", "pagedown", "pageup", "end", "down", "up")
CACHE = Path(tempfile.gettempdir()) / "agent-console-bench-feed-history"


# --- the history every run copies -------------------------------------------------------------


def history_folder(records: int) -> Path:
    """A 100,000-record history written once (reused while the cache folder exists)."""
    folder = CACHE / f"{records}"
    marker = folder / "built.json"
    if marker.exists():
        return folder
    from history import build_history  # bench/history.py

    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    print(f"writing a {records:,}-record history once (cached in {folder})…", flush=True)
    started = time.perf_counter()
    build_history(folder, records, 30, records // 10)
    marker.write_text(json.dumps({"seconds": time.perf_counter() - started}))
    return folder


# --- one run, in a fresh interpreter -----------------------------------------------------------


def receipts(batch: int, count: int, seq: int) -> list[Any]:
    """A batch's receipts as relay events, built beforehand (bench/harness.py's traffic)."""
    return as_events(receipt_items(batch, count), seq)


async def run(kind: str, folder: Path, options: dict[str, Any], beacon_path: str) -> None:
    """The child: the real console on this process's terminal (a pty the parent reads), the
    receipts posted from inside its loop, the loop's lateness and the collections timed."""
    from latency import Beacon, GcWatch, LoopTicker, summary

    from console.messages import EventsReceived

    batch, rate, batches = options["batch"], options["rate"], options["batches"]
    app = quiet_console(folder, feed_max_rows=options["max_rows"])
    beacon = Beacon(beacon_path)
    ticker = LoopTicker()
    gc_watch = GcWatch()
    gc_watch.install()
    figures: dict[str, Any] = {"variant": kind, "batch": batch, "rate": rate}

    async def pause(seconds: float) -> None:
        await asyncio.sleep(seconds)

    async def drive() -> None:
        while not app.is_running or not app.history_keeper.settled:
            await pause(0.02)
        ticker.start()
        if os.environ.get("BENCH_STALLS"):  # where the loop's time goes while it is late
            from diagnostics import StallSampler

            sampler = StallSampler(ticker)
            sampler.start()
        beacon.say("ready")
        if kind == "feed":
            from console.screens.feed import FeedScreen

            while not (isinstance(app.screen, FeedScreen) and app.feed.history_loaded):
                await pause(0.01)  # the parent presses F4
            screen: Any = app.screen
            table: Any = screen.table

            def final() -> int:
                view = table.view
                view.settle()
                drawn = table._drawn_version == view.version and not table._dirty
                return view.final if drawn else -1
        else:
            screen = BaselineScreen()
            await app.push_screen(screen)
            await pause(0.1)
            screen.load_window()
            table = screen.query_one("DataTable")

            def final() -> int:
                return screen.final

        await pause(1.0)  # the screen settles: its first repaints are not the stream's
        if os.environ.get("BENCH_GC") == "python":  # the collector's own schedule
            app.gc_pacer.stop()
        figures["window_rows"] = table.row_count if kind == "datatable" else len(table.view)
        figures["rss_mb"] = rss_mb()
        figures["rss_after_batch_mb"] = []
        seq = 10_000_000
        base_final = final()
        if os.environ.get("BENCH_PROFILE"):  # where the loop's CPU goes (a diagnostic)
            import cProfile

            profile = cProfile.Profile()
            profile.enable()
        figures["record_sent_ms"] = []
        built = []  # every batch's receipts built beforehand: the bench's own work is not timed
        for number in range(batches):
            built.append(receipts(number, batch, seq))
            seq += len(built[-1])
        # Building them held the loop (~160 ms for 20,000): the ticker's wake-up late by it
        # lands now, before the window opens, not in it as the console's lateness.
        await pause(0.1)
        recording: list[asyncio.Task[float]] = []
        for number in range(batches):
            if number == 0:  # the window opens with the answer (keys timed from here)
                stream_started = time.monotonic()
                beacon.say("stream-start")
            # The batch's answer recorded as the sending service does (journalled, then shown
            # in slices), its receipts arriving meanwhile: all inside the measured window.
            recording.append(asyncio.create_task(record_batch(app, number, batch)))
            events = built[number]
            chunk = max(int(rate * 0.05), 1)
            target = base_final + batch * (number + 1)
            if kind == "feed" and batch * (number + 1) >= options["max_rows"]:
                target = options["max_rows"]  # the feed keeps the newest max_rows: all final
            started = time.perf_counter()
            syncs_before = table.syncs if kind == "feed" else 0
            for index in range(0, len(events), chunk):
                due = started + index / rate
                delay = due - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                app.post_message(EventsReceived(tuple(events[index : index + chunk])))
            figures["record_sent_ms"].append(await recording[-1] * 1000)
            while final() < target and time.perf_counter() - started < options["timeout"]:
                await pause(0.02)
            if final() < target:
                figures["timed_out"] = True
            if number == 0:
                figures["final_s"] = time.perf_counter() - started
                if kind == "feed":
                    figures["repaints_per_s"] = (table.syncs - syncs_before) / figures["final_s"]
                figures["lag_s"] = figures["final_s"] - (len(events) - 1) / rate
            figures["rss_after_batch_mb"].append(rss_mb())
        stream_ended = time.monotonic()
        if os.environ.get("BENCH_PROFILE"):
            import pstats

            profile.disable()
            with open(os.environ["BENCH_PROFILE"], "w") as out:
                pstats.Stats(profile, stream=out).sort_stats("tottime").print_stats(45)
                pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(70)
        late = ticker.lateness_ms(stream_started, stream_ended)
        figures["lateness_ms"] = summary(late)
        figures["gc"] = gc_watch.figures(stream_started, stream_ended)
        figures["peak_mb"] = peak_mb()
        figures["set_aside"] = app.gc_pacer.set_aside
        started = time.perf_counter()
        app.gc_pacer.collect_all()  # what the next idle moment costs after the batch
        figures["idle_full_ms"] = (time.perf_counter() - started) * 1000
        if os.environ.get("BENCH_STALLS"):
            sampler.stop()
            with open(os.environ["BENCH_STALLS"], "w") as out:
                for thread, where, n in sampler.top(40):
                    print(f"{n:6} {thread:20} {where}", file=out)
        if os.environ.get("BENCH_SLOW"):
            with open(os.environ["BENCH_SLOW"], "w") as out:
                ranked = sorted(slow.by_name().items(), key=lambda item: -item[1][0][0])
                for name, runs in ranked:
                    print(f"{name}: {runs[:12]} ({len(runs)})", file=out)
        beacon.say("stream-end", started=stream_started, figures=figures)

    if os.environ.get("BENCH_SLOW"):  # which callbacks held the loop (a diagnostic)
        from diagnostics import SlowCallbacks

        slow = SlowCallbacks(0.02)
        slow.install()

    try:
        await run_in_terminal(app, drive, beacon_path)
    finally:
        ticker.stop()
        gc_watch.remove()


# --- loading N rows: the feed's line-drawn table against a DataTable ------------------------------


def load_rows(count: int) -> list[Any]:
    """`count` messages as the feed holds them (10 % undelivered, the rest delivered)."""
    from console.feed.rows import FeedRow

    now = time.time()
    rows = []
    for n in range(count):
        undelivered = n % 10 == 3
        rows.append(
            FeedRow(
                f"load-{n:06d}",
                now - (count - n),
                "undelivered" if undelivered else "delivered",
                destination=f"+6591{n:07d}",
                channel="sms",
                client_message_id=f"ref-{n}",
                batch_id="batch-load",
                error_code=46 if undelivered else None,
                sms_count=1,
                price=0.037,
                currency="EUR",
            )
        )
    return rows


async def load_run(kind: str, count: int) -> dict[str, Any]:
    from datetime import date

    from textual.app import App, ComposeResult
    from textual.widgets import DataTable

    from console.feed.columns import cells, layout
    from console.feed.rows import FeedStore
    from console.feed.view import FeedView
    from console.widgets.feed_table import FeedTable

    rows = load_rows(count)
    newest = rows[-1].client_message_id or ""
    chosen = layout(118)  # 120 columns less the scrollbar: the same columns for both
    names = list(chosen.names)
    widths = {column.name: size for column, size in chosen.columns}
    today = date.today()

    class LoadApp(App[None]):
        def compose(self) -> ComposeResult:
            if kind == "feed":
                yield FeedTable(FeedView(FeedStore(max_rows=max(count, 1))), id="table")
            else:
                yield DataTable(cursor_type="row", id="table")

    def on_screen(app: App[None]) -> bool:
        return any(newest in strip.text for strip in app.screen._compositor.render_strips())

    app = LoadApp()
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        before = rss_mb()
        started = time.perf_counter()
        if kind == "feed":
            table: Any = app.query_one(FeedTable)
            table.view.store.merge(rows)
            table.sync()
        else:
            table = app.query_one(DataTable)
            for name in names:
                table.add_column(name, key=name)
            table.add_rows(
                [
                    tuple(values[name] for name in names)
                    for values in (
                        cells(row, reveal=False, today=today, widths=widths) for row in rows
                    )
                ]
            )
            table.move_cursor(row=count - 1)
        await pilot.pause()
        while not on_screen(app):
            await pilot.pause(0.005)
        seconds = time.perf_counter() - started
        grown = rss_mb() - before
    return {"variant": kind, "rows": count, "load_s": seconds, "load_mb": grown}


def baseline_screen_class() -> Any:
    from rich.text import Text
    from textual.app import ComposeResult
    from textual.screen import Screen
    from textual.widgets import DataTable

    from console.core.model import Changes
    from console.live.events import TERMINAL_STATES

    class DataTableFeed(Screen[None]):
        """The baseline: one DataTable row per message, keyed by umid."""

        def __init__(self) -> None:
            super().__init__()
            self.states: dict[str, bool] = {}
            self.final = 0

        def compose(self) -> ComposeResult:
            yield DataTable(cursor_type="row")

        def on_mount(self) -> None:
            table = self.query_one(DataTable)
            for key in ("time", "to", "channel", "ref", "batch", "status", "seg", "price"):
                table.add_column(key, key=key)
            self.app.core_changed.subscribe(self, self.changed)  # type: ignore[attr-defined]

        def load_window(self) -> None:
            history = self.app.history  # type: ignore[attr-defined]
            table = self.query_one(DataTable)
            with self.app.batch_update():
                for message in reversed(history.recent_messages(100_000)):
                    if message.direction == "out" and message.umid:
                        self._add(table, message.umid, message.peer, message.channel,
                                  message.client_message_id, message.batch_id, message.status,
                                  message.created_at)  # fmt: skip
            table.move_cursor(row=table.row_count - 1)

        def _add(self, table: Any, umid: str, *cells: Any) -> None:
            peer, channel, ref, batch, state, at = cells
            table.add_row(
                Text(time.strftime("%H:%M:%S", time.localtime(at))), Text(peer),
                Text(channel), Text(ref or ""), Text(batch or ""), Text(state), Text(""),
                Text(""), key=umid,
            )  # fmt: skip
            self._state(umid, state)

        def _state(self, umid: str, state: str) -> None:
            final = state in TERMINAL_STATES
            before = self.states.get(umid, False)
            self.states[umid] = final
            self.final += int(final) - int(before)

        def changed(self, changes: Changes) -> None:
            table = self.query_one(DataTable)
            with self.app.batch_update():
                for sent in changes.sent:
                    if sent.umid not in table.rows:
                        self._add(table, sent.umid, sent.destination, sent.channel,
                                  sent.client_message_id, sent.batch_id, sent.delivery.state,
                                  sent.sent_at)  # fmt: skip
                for umid, delivery in changes.deliveries.items():
                    if umid in table.rows:
                        table.update_cell(umid, "status", Text(delivery.label))
                        if delivery.sms_count is not None:
                            table.update_cell(umid, "seg", Text(str(delivery.sms_count)))
                        if delivery.price is not None:
                            table.update_cell(umid, "price", Text(f"{delivery.price.total}"))
                        self._state(umid, delivery.state)
                if changes.sent or changes.deliveries:
                    table.move_cursor(row=table.row_count - 1)

    return DataTableFeed


def BaselineScreen() -> Any:  # a factory that reads like the class
    return baseline_screen_class()()


def child_main(kind: str, folder: str, options: str) -> None:
    if kind.startswith("load-"):
        figures = asyncio.run(load_run(kind.removeprefix("load-"), int(folder)))
    else:
        chosen = json.loads(options)
        run_as_the_console_does(run(kind, Path(folder), chosen, chosen["beacon"]))
        return
    print(json.dumps(figures))


def load_child(kind: str, count: int) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, "--child", f"load-{kind}", str(count), "{}"],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise SystemExit(f"{kind} load of {count:,} failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def print_loads(sizes: list[int], kinds: list[str]) -> dict[str, Any]:
    """Rows put in front of the agent: the feed against a DataTable, each size in a fresh
    interpreter."""
    loads: dict[str, Any] = {}
    print("\nloading rows (until the newest is on the screen; RSS the rows added)\n")
    print(f"{'':34}" + "".join(f"{kind:>22}" for kind in kinds) + f"{'DataTable / feed':>20}")
    for count in sizes:
        figures = {kind: load_child(kind, count) for kind in kinds}
        loads[str(count)] = figures
        shown = [
            f"{fmt(figures[k]['load_s'], ' s', 2)}, {fmt(figures[k]['load_mb'], ' MB', 0)}"
            for k in kinds
        ]
        cells = "".join(f"{text:>22}" for text in shown)
        ratio = ""
        if "feed" in figures and "datatable" in figures:
            ratio = f"{figures['datatable']['load_s'] / figures['feed']['load_s']:.1f}×"
        print(f"{f'{count:,} rows':34}{cells}{ratio:>20}")
    return loads


def one_run(kind: str, source: Path, options: dict[str, Any]) -> dict[str, Any]:
    """The console in a pseudo-terminal; this process presses keys as an agent would, while
    the stream runs, and times each until the screen shows it (space: the footer's Pause
    becomes Resume and back)."""
    from latency import KeyTimer, Painted, summary

    work = Path(tempfile.mkdtemp(prefix="bench-feed-"))
    beacon = work / "beacon.jsonl"
    argv = [sys.executable, __file__, "--child", kind, str(work / "data")]
    argv.append(json.dumps({**options, "beacon": str(beacon)}))
    figures: dict[str, Any] = {}
    try:
        shutil.copytree(source, work / "data", ignore=shutil.ignore_patterns("built.json"))
        with ConsoleInPty(argv, beacon) as run:
            run.wait("ready", 120)
            if kind == "feed":
                seconds = run.terminal.press("f4", Painted(-1, "Pause"), timeout=60)
                figures["f4_to_feed_s"] = seconds
            run.wait("stream-start", 120)
            keys = KeyTimer(
                run.terminal,
                [("space", Painted(-1, "Resume")), ("space", Painted(-1, "Pause"))],
                every=options["key_every"],
                timeout=10.0,
            )
            if kind == "feed":
                keys.press_until(run.ended)
            end = run.wait("stream-end", options["timeout"] + 60)
            figures.update(end["figures"])
            figures["keys_ms"] = summary(keys.latencies_ms(end["started"], end["at"]))
            figures["keys_unseen"] = keys.unseen()
            run.quit()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--only", choices=("feed", "datatable"))
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=2_000.0, help="receipts per second")
    parser.add_argument("--batches", type=int, default=1, help="batches one after another")
    parser.add_argument("--max-rows", type=int, default=100_000, help="the feed's row bound")
    parser.add_argument("--records", type=int, default=100_000, help="history records")
    parser.add_argument("--key-every", type=float, default=0.05, help="seconds between keys")
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument(
        "--load",
        type=int,
        nargs="*",
        default=[10_000, 100_000],
        help="row counts for the load runs (none: skip them)",
    )
    parser.add_argument("--quick", action="store_true", help="the feed's stream alone")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.child:
        child_main(*args.child)
        return
    if args.quick:  # the stream's figures only: no load runs, no DataTable baseline
        args.load, args.only = [], "feed"
    options = {
        "batch": args.batch,
        "rate": args.rate,
        "batches": args.batches,
        "max_rows": args.max_rows,
        "key_every": args.key_every,
        "timeout": args.timeout,
    }
    source = history_folder(args.records)
    print(load_line())
    kinds_wanted = [kind for kind in ("feed", "datatable") if not args.only or kind == args.only]
    loads = print_loads(args.load, kinds_wanted) if args.load else {}
    results = {}
    for kind in ("feed", "datatable"):
        if args.only and kind != args.only:
            continue
        results[kind] = one_run(kind, source, options)
    receipts_total = 2 * args.batch
    print(
        f"\n{args.batch:,}-message batch, {receipts_total:,} receipts at {args.rate:,.0f}/s "
        f"({receipts_total / args.rate:.1f} s), on a {args.records:,}-record history\n"
    )
    for figures in results.values():  # flattened for the table (and --json keeps both)
        for name, key in (("lateness", "lateness_ms"), ("key", "keys_ms")):
            for stat in ("p50", "p99", "max"):
                figures[f"{name}_{stat}_ms"] = (figures.get(key) or {}).get(stat)
        figures["keys"] = (figures.get("keys_ms") or {}).get("n")
        figures["gc_max_ms"] = figures.get("gc", {}).get("max_ms")
        figures["gc_full"] = figures.get("gc", {}).get("count", [0, 0, 0])[2]
    rows = [
        ("every final status shown", "final_s", " s", 2),
        ("recording the batch's answer", "record_sent_ms", " ms", 0),
        ("  of which after the last receipt", "lag_s", " s", 2),
        ("loop lateness (5 ms ticker), max", "lateness_max_ms", " ms", 1),
        ("loop lateness, p99", "lateness_p99_ms", " ms", 1),
        ("loop lateness, p50", "lateness_p50_ms", " ms", 1),
        ("key → paint (pty), max", "key_max_ms", " ms", 1),
        ("key → paint, p99", "key_p99_ms", " ms", 1),
        ("key → paint, p50", "key_p50_ms", " ms", 1),
        ("keys pressed meanwhile", "keys", "", 0),
        ("  of which never shown (10 s)", "keys_unseen", "", 0),
        ("repaints per second meanwhile", "repaints_per_s", "", 1),
        ("longest garbage collection", "gc_max_ms", " ms", 1),
        ("full collections", "gc_full", "", 0),
        ("bursts set aside (not walked)", "set_aside", "", 0),
        ("a full collection when idle", "idle_full_ms", " ms", 0),
        ("F4 until the feed shows (pty)", "f4_to_feed_s", " s", 2),
        ("rows from the window", "window_rows", "", 0),
        ("RSS before the batch", "rss_mb", " MB", 0),
        ("RSS after each batch", "rss_after_batch_mb", " MB", 0),
        ("peak RSS", "peak_mb", " MB", 0),
    ]
    kinds = list(results)
    print(f"{'':34}" + "".join(f"{kind:>22}" for kind in kinds))
    for label, key, unit, digits in rows:
        print(
            f"{label:34}" + "".join(f"{fmt(results[k].get(key), unit, digits):>22}" for k in kinds)
        )
    if "feed" in results and "datatable" in results:
        feed, table = results["feed"], results["datatable"]
        pairs = (
            ("lag after the last receipt", "lag_s"),
            ("worst loop lateness", "lateness_max_ms"),
        )
        for label, key in pairs:
            if feed.get(key) and table.get(key):
                print(f"DataTable / feed, {label}: {table[key] / feed[key]:.1f}×")
    for kind in kinds:
        if results[kind].get("timed_out"):
            print(f"{kind}: did not show every final status within --timeout")
    if args.json:
        print(json.dumps({"stream": results, "load": loads}))


if __name__ == "__main__":
    main()
