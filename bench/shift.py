"""A whole shift, compressed: memory, loop lateness, GC pauses and key → paint while a floor's
traffic lands. Prints figures only (DESIGN.md budgets; never a timed assertion).

    python bench/shift.py                  # 20 batches of 10,000 at 2,000 receipts/s
    python bench/shift.py --json           # then one JSON object on the last line
    python bench/shift.py --quick          # 4 batches of 10,000: a re-run in about a minute
    python bench/shift.py --batches 5 --rate 20000   # a quick look at memory only
    python bench/shift.py --trace          # + what grew after batch 1 (BENCH_TRACE_FROM=n: n)
    BENCH_TRACE_PEAK=file python bench/shift.py --trace  # + what the last batch held at its peak
    python bench/shift.py --census         # + objects by type that grew, cyclic garbage left
    python bench/shift.py --max-rows 40000 # the feed's rows (the tracker's bound with them)
    python bench/shift.py --gc python      # the collector's own schedule, not the console's
    python bench/shift.py --trim           # malloc_trim before each RSS: the allocator's share

A fresh interpreter runs the real console in a pseudo-terminal (120×36) that this process
reads (bench/latency.py), on an empty data folder, not logged in: the traffic is posted to
the App as `EventsReceived` messages in 50 ms chunks, exactly as the websocket worker posts a
relay's batches, so the shift does not depend on the sandbox's webhook rate. Over the shift:

- `--batches` batches of `--batch` messages: each answer recorded as the sending service
  records it (`core.record_sent_durably`: journalled, then shown), then its receipts ("sent",
  then a final status a quarter of a batch later; 10 % undelivered) at `--rate` receipts/s,
  payloads shaped like 8x8's (the sandbox's);
- `--inbound` customers' messages (WhatsApp, Viber, SMS; 500 customers) and `--team` team
  events (assigned, labelled, note added, status changed), spread evenly over the batches in
  the same stream;
- the agent at the keys throughout, from THIS process, through the terminal: during even
  batches in the inbox typing a reply into a conversation's reply box (each line rubbed out
  with ctrl+u once written), during odd ones in the feed pressing space (Pause / Resume).

Figures:

- `rss_mb_after_each_batch`: resident memory once a batch's every final status is applied and
  the history has taken its updates; `rss_growth_after_first_batch_mb`: the last less the
  first (budget ≤ 40 MB over 20 batches);
- `loop_lateness_*`: how late a 5 ms ticker inside the app's event loop woke, during the
  stream, recording the answers included (bench/latency.py's ticker; budget p99 ≤ 30 ms,
  max ≤ 100 ms);
- `gc_pause_max_ms`: the longest collection (``gc.callbacks``; ≤ 50 ms);
- `key_to_paint_*`: a key's time to the screen, timed from this process: written into the
  terminal, until the bytes the console writes show its effect (the letter in the reply
  box's line, the footer's Pause/Resume). Budget p99 ≤ 100 ms, max ≤ 250 ms. A key never
  shown counts as the 10 s waited. Switching section (F3, F4) is timed apart (`switch_*`).

Diagnostics (environment variables naming a file the child writes): `BENCH_SLOW` the loop's
callbacks that held it over 20 ms (wall, the loop thread's CPU, the process's CPU), the loop's
worst moments with each thread's CPU over them (who had the GIL), and the longest
collections; `BENCH_PROFILE` a cProfile of the shift; `BENCH_LAYOUTS` which widgets asked for
a new layout of the whole screen, and from where; `BENCH_STALLS` every thread's
stack, sampled while the loop is over half a second late; `BENCH_MALLOC` pymalloc's and
glibc's own statistics after the first, middle and last batch (whose free space the RSS
holds); `BENCH_GARBAGE` (a file, or 1) after the shift, the cyclic garbage set aside that an
idle moment's collection would free, by type, and the RSS once it is freed;
`BENCH_COLLECT_EVERY=n` (an experiment) that collection every n batches, as if the agent
paused then. `--trace` groups by line; `BENCH_TRACE_BY=filename` by module,
`BENCH_TRACE_TOP=n` lists n. In this process, `BENCH_PTYLOG`
names a file that gets every read of the pty and every key written, stamped on the monotonic
clock (bench/latency.py's PtyTerminal), to replay what the terminal was sent around a slow key.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/: harness, latency

from diagnostics import PeakSnapshot, malloc_stats
from harness import (
    ConsoleInPty,
    as_events,
    batch_umid,
    fmt,
    inbound_item,
    interleave,
    load_line,
    receipt_items,
    record_batch,
    rss_mb,
    run_as_the_console_does,
    sent_batch,
    stream_at,
    team_item,
    until,
)

KEY_TIMEOUT = 10.0
SWITCH_TIMEOUT = 60.0
LETTERS = "abcdefghijklmnop"
PEAK = PeakSnapshot()  # BENCH_TRACE_PEAK: what the last batch held at its peak


def census() -> Counter[str]:
    """Objects the collector tracks, by type (what a batch left behind); what the console set
    aside from the collector (``gc.freeze``) is counted too."""
    gc.unfreeze()
    gc.collect()
    return Counter(type(item).__qualname__ for item in gc.get_objects())


def holders(path: str, type_name: str) -> None:
    """Write which objects hold the objects of `type_name` alive (two levels of referrers),
    and the widgets and screens alive by type (BENCH_HOLDERS=file:TypeName; default Strip)."""
    import types

    from textual.dom import DOMNode

    gc.unfreeze()  # the console sets long-lived objects aside from the collector
    gc.collect()
    objects = gc.get_objects()
    found = [item for item in objects if type(item).__qualname__ == type_name]
    nodes = Counter(type(item).__qualname__ for item in objects if isinstance(item, DOMNode))
    ignore = {id(objects), id(found)}

    def name(item: Any) -> str:
        if isinstance(item, types.FrameType):
            return f"frame {item.f_code.co_qualname}"
        if isinstance(item, types.FunctionType):
            return f"function {item.__qualname__}"
        if isinstance(item, (types.CoroutineType, types.GeneratorType)):
            return f"{type(item).__name__} {item.__qualname__}"
        return type(item).__qualname__

    held: Counter[str] = Counter()
    for item in found[:: max(len(found) // 200, 1)]:
        for ref in gc.get_referrers(item):
            if id(ref) in ignore:
                continue
            owners = [
                name(owner)
                for owner in gc.get_referrers(ref)
                if id(owner) not in ignore and owner is not found
            ][:3]
            held[f"{name(ref)} in {'/'.join(owners)}"] += 1
    with open(path, "w") as out:
        print(f"{len(found)} {type_name}; referrers of a sample:", file=out)
        for where, count in held.most_common(30):
            print(f"{count:6} {where}", file=out)
        print("nodes alive:", file=out)
        for node, count in nodes.most_common(40):
            print(f"{count:6} {node}", file=out)


# --- the shift, in the child interpreter (the console on the pty) ------------------------------


async def keep_reply_focused(app: Any, beacon: Any) -> None:
    """Whenever the inbox is in front, a conversation is open with its reply box focused
    (what the agent would do by hand; this process does it so the parent only types):
    "inbox-ready" is said each time it is so anew."""
    from textual.screen import ModalScreen

    from console.screens.inbox import InboxScreen
    from console.widgets.conversation_list import ConversationList
    from console.widgets.reply_box import ReplyBox

    ready = False
    while True:
        await asyncio.sleep(0.05)
        screen = app.screen
        if isinstance(screen, ModalScreen):  # a key landed where it opened a dialog
            app.pop_screen()
            continue
        if not isinstance(screen, InboxScreen):
            ready = False
            continue
        if isinstance(app.focused, ReplyBox):
            if not ready:
                ready = True
                beacon.say("inbox-ready")
            continue
        ready = False
        boxes = screen.query(ReplyBox)
        if boxes and boxes.first().display:
            boxes.first().focus()
            continue
        lists = screen.query(ConversationList)
        if lists and len(lists.first().rows):
            lists.first().focus()
            app.simulate_key("enter")


async def shift(folder: Path, options: dict[str, Any], beacon_path: str) -> None:
    from harness import quiet_console, run_in_terminal
    from latency import Beacon, GcWatch, LoopTicker, summary

    from console.widgets.reply_box import ReplyBox

    batches, batch, rate = options["batches"], options["batch"], options["rate"]
    trace = options["trace"]
    app = quiet_console(folder, agent="ana", feed_max_rows=options["max_rows"])
    beacon = Beacon(beacon_path)
    figures: dict[str, Any] = {"batches": batches, "batch": batch, "rate": rate}
    if trace:
        import tracemalloc

        # BENCH_TRACE_FRAMES=8: grown memory grouped by the whole stack (who holds it)
        tracemalloc.start(int(os.environ.get("BENCH_TRACE_FRAMES", "1")))

    async def drive() -> None:
        await until(lambda: app.is_running and app.history_keeper.settled, 120)
        if options.get("gc") == "python":  # the collector's own schedule, for comparison
            app.gc_pacer.stop()
        from console.messages import EventsReceived

        # A few customers wrote before the shift: the agent has a conversation to reply to.
        app.post_message(EventsReceived(tuple(as_events(map(inbound_item, range(3)), 0))))
        await until(lambda: len(app.core.inbox) >= 3)
        asyncio.get_running_loop().create_task(keep_reply_focused(app, beacon))
        beacon.say("ready")
        await until(lambda: isinstance(app.focused, ReplyBox), 120)  # the parent: F4, F3
        await asyncio.sleep(1.0)  # the inbox settles: its first repaints are not the shift's
        ticker, gc_watch = LoopTicker(), GcWatch()
        ticker.start()
        gc_watch.install()
        if os.environ.get("BENCH_PROFILE"):  # where the loop's CPU goes (a diagnostic)
            import cProfile

            profile = cProfile.Profile()
            profile.enable()
        sampler = None
        if os.environ.get("BENCH_STALLS"):  # every thread's stack while the loop is late
            from diagnostics import StallSampler

            sampler = StallSampler(ticker, late=0.5, every=0.05)
            sampler.start()
        layouts: Counter[str] = Counter()
        if os.environ.get("BENCH_LAYOUTS"):  # who asks for a new layout of the screen
            import traceback

            from textual.widget import Widget

            original = Widget.refresh

            def refresh(self: Any, *regions: Any, **flags: Any) -> Any:
                if flags.get("layout") or flags.get("recompose"):
                    stack = traceback.extract_stack(limit=7)[:-1]
                    where = " < ".join(f"{f.name}:{f.lineno}" for f in reversed(stack[-5:]))
                    layouts[f"{type(self).__name__} {where}"] += 1
                return original(self, *regions, **flags)

            Widget.refresh = refresh  # type: ignore[method-assign]
        slow = None
        if os.environ.get("BENCH_SLOW"):  # which callbacks held the loop (a diagnostic)
            from diagnostics import SlowCallbacks

            slow = SlowCallbacks(0.02)
            slow.install()
            from diagnostics import SlowMessages

            slow_messages = SlowMessages(0.005)
            slow_messages.install()
            from diagnostics import ThreadShares, thread_cpu

            threads_before, process_before = thread_cpu(), time.process_time()
            shares = ThreadShares()
            shares.start()
        inbound_per_batch = options["inbound"] // max(batches, 1)
        team_per_batch = options["team"] // max(batches, 1)
        seq, inbound_n, team_n = 3, 3, 0
        rss: list[float] = []
        shown_s: list[float] = []
        censuses: list[Counter[str]] = []
        snapshots: list[Any] = []
        first_snapshot = min(int(os.environ.get("BENCH_TRACE_FROM", "1")) - 1, batches - 1)
        figures["rss_start_mb"] = rss_mb()
        started = time.monotonic()
        beacon.say("stream-start")
        # Each answer is made (in a thread) while the batch before streams: made at the batch
        # boundary it took the GIL from the loop just as the agent switched section.
        answer = asyncio.create_task(asyncio.to_thread(sent_batch, 0, batch))
        for number in range(batches):
            sent = await answer
            beacon.say("batch", number=number)
            began = time.perf_counter()
            peak_watch = None
            if trace and os.environ.get("BENCH_TRACE_PEAK") and number == batches - 1:
                peak_watch = asyncio.create_task(PEAK.watch())  # what a batch holds
            recording = asyncio.create_task(record_batch(app, number, batch, sent=sent))
            del sent
            extra = [inbound_item(inbound_n + i) for i in range(inbound_per_batch)]
            extra += [team_item(team_n + i) for i in range(team_per_batch)]
            inbound_n += inbound_per_batch
            team_n += team_per_batch
            receipts = 2 * batch  # "sent" and a final status each
            stream = interleave(receipt_items(number, batch), receipts, extra)
            poster = asyncio.create_task(
                stream_at(app, stream, receipts + len(extra), receipts / rate, seq)
            )
            seq += receipts + len(extra)
            last = batch_umid(number, batch - 1)

            def applied(last: str = last, poster: asyncio.Task[int] = poster) -> bool:
                return (
                    poster.done()
                    and not app.live.pending
                    and (row := app.feed.get(last)) is not None
                    and row.final
                )

            shown_s.append(await recording)
            # (made after the last batch too: every RSS below counts one answer waiting)
            answer = asyncio.create_task(asyncio.to_thread(sent_batch, number + 1, batch))
            await until(applied, options["timeout"], 0.05)
            await poster
            await asyncio.wrap_future(app.core.after_writes(lambda history: None))
            await asyncio.sleep(0.05)
            if (
                os.environ.get("BENCH_COLLECT_EVERY")
                and (number + 1) % int(os.environ["BENCH_COLLECT_EVERY"]) == 0
            ):  # an experiment: the collection an idle moment would give, every n batches
                app.gc_pacer.collect_all()
            if options.get("trim"):
                import ctypes

                ctypes.CDLL("libc.so.6").malloc_trim(0)
            rss.append(rss_mb())
            if os.environ.get("BENCH_MALLOC") and number in (
                0,
                batches // 2 - 1,
                batches - 1,
            ):  # diagnostic
                malloc_stats(os.environ["BENCH_MALLOC"], number, rss_mb())
            if os.environ.get("BENCH_HOLDERS") and number == batches - 1:  # a diagnostic
                where, _, type_name = os.environ["BENCH_HOLDERS"].partition(":")
                holders(where, type_name or "Strip")
            if options.get("census") and number in (first_snapshot, batches - 1):
                censuses.append(census())
            if trace and os.environ.get("BENCH_TRACE_LIVE"):  # only what is alive
                gc.unfreeze()
                gc.collect()
                gc.freeze()
            if trace:
                current, peak = tracemalloc.get_traced_memory()
                figures.setdefault("traced_mb_after_each_batch", []).append(round(current / 1e6))
                figures.setdefault("traced_peak_mb_each_batch", []).append(round(peak / 1e6))
                tracemalloc.reset_peak()
            if trace and number in (first_snapshot, batches - 1):
                snapshots.append(tracemalloc.take_snapshot())
            if peak_watch is not None:
                peak_watch.cancel()
                PEAK.write(os.environ["BENCH_TRACE_PEAK"], snapshots[-1])
            beacon.say("batch-done", number=number, rss=rss[-1], took=time.perf_counter() - began)
        ended = time.monotonic()
        await answer
        ticker.stop()
        gc_watch.remove()
        if os.environ.get("BENCH_GARBAGE"):  # after the figures' window: it pauses the loop
            from diagnostics import garbage

            figures.update(garbage(os.environ["BENCH_GARBAGE"], app.trimmer.trim_now, rss_mb))
        if os.environ.get("BENCH_PROFILE"):
            import pstats

            profile.disable()
            with open(os.environ["BENCH_PROFILE"], "w") as out:
                pstats.Stats(profile, stream=out).sort_stats("tottime").print_stats(40)
                pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(80)
                stats = pstats.Stats(profile, stream=out).sort_stats("cumulative")
                stats.print_callees("_on_timer_update|_refresh_layout|render_update")
        if sampler is not None:
            sampler.stop()
            with open(os.environ["BENCH_STALLS"], "w") as out:
                for thread, where, n in sampler.top(40):
                    print(f"{n:6} {thread:20} {where}", file=out)
        if layouts:
            with open(os.environ["BENCH_LAYOUTS"], "w") as out:
                for where, count in layouts.most_common(30):
                    print(f"{count:6} {where}", file=out)
        if slow is not None:
            slow.remove()
            with open(os.environ["BENCH_SLOW"], "w") as out:
                for name, runs in sorted(slow.by_name().items(), key=lambda item: -item[1][0][0]):
                    print(f"{name}: {runs[:12]} ({len(runs)})", file=out)
                print("\n# when (monotonic), wall ms, loop CPU ms, name: beside keys", file=out)
                for at, (took, used, _, name) in zip(slow.when, slow.seen, strict=True):
                    print(f"@ {at:.3f} {took * 1000:.1f} {used * 1000:.1f} {name}", file=out)
                shares.stop()
                worst_moments(ticker, slow, out, shares)
                slow_messages.remove()
                print("\n# CPU seconds per thread (threads alive at both ends)", file=out)
                threads_after = thread_cpu()
                for name, used in sorted(threads_after.items(), key=lambda item: -item[1]):
                    print(f"{used - threads_before.get(name, 0.0):8.2f} {name}", file=out)
                print(f"{time.process_time() - process_before:8.2f} the process", file=out)
                print("\n# messages handled in over 5 ms of the loop's CPU", file=out)
                for at, used, name in slow_messages.seen:
                    print(f"@ {at:.3f} {used:.1f} {name}", file=out)
                trims = sorted(app.trimmer.trims)
                if trims:  # the allocator's returns of free pages (console/allocator.py)
                    print(
                        f"\n# {len(trims)} trims: p50 {trims[len(trims) // 2] * 1000:.1f} ms,"
                        f" max {trims[-1] * 1000:.1f} ms",
                        file=out,
                    )
                longest = sorted(gc_watch.collections, key=lambda c: -c.pause_s)[:10]
                for collection in longest:
                    print(
                        f"gc gen {collection.generation}: {collection.pause_s * 1000:.1f} ms",
                        file=out,
                    )
        lateness = summary(ticker.lateness_ms(started, ended))
        figures["loop_lateness_p50_ms"] = lateness["p50"]
        figures["loop_lateness_p99_ms"] = lateness["p99"]
        figures["loop_lateness_max_ms"] = lateness["max"]
        gc_figures = gc_watch.figures(started, ended)
        figures["gc_pause_max_ms"] = gc_figures["max_ms"]
        figures["gc_full_collections"] = gc_figures["count"][2]
        figures["answer_shown_s_max"] = max(shown_s, default=None)
        if options.get("census"):  # what a full collection would free now
            gc.unfreeze()
            figures["cyclic_garbage"] = gc.collect()
            figures["rss_after_full_collection_mb"] = rss_mb()
        figures["rss_mb_after_each_batch"] = [round(value, 1) for value in rss]
        figures["rss_growth_after_first_batch_mb"] = round(rss[-1] - rss[0], 1) if rss else None
        if len(censuses) == 2:
            grown = censuses[1] - censuses[0]
            figures["grew"] = [f"{count:>9,} {name}" for name, count in grown.most_common(20)]
        if trace and len(snapshots) == 2:
            deep = tracemalloc.get_traceback_limit() > 1
            # BENCH_TRACE_BY=filename: grown memory by module (what each part of the code holds)
            by = os.environ.get("BENCH_TRACE_BY") or ("traceback" if deep else "lineno")
            grouped = snapshots[1].compare_to(snapshots[0], by)
            figures["grew"] = [
                f"{stat.size_diff / 1e6:7.2f} MB {stat.count_diff:>9,} "
                + stat.traceback.format()[-1].strip()
                + (
                    " @ "
                    + " < ".join(
                        f"{Path(f.filename).name}:{f.lineno}" for f in reversed(stat.traceback)
                    )
                    if deep
                    else ""
                )
                for stat in grouped[: int(os.environ.get("BENCH_TRACE_TOP", "40"))]
            ]
        figures["sizes"] = {
            "tracker": len(app.core.tracker),
            "feed_rows": len(app.feed),
            "traffic": len(app.core.traffic),
        }
        beacon.say("stream-end", started=started, figures=figures)

    await run_in_terminal(app, drive, beacon_path)


# --- the agent, in this process: keys through the terminal, each timed to its paint ----------


class Agent:
    """Presses keys into the console's terminal as an agent would, one at a time, and times
    each until the console writes its effect: in the inbox a reply typed a letter at a time
    (each line unique: its number, then letters); in the feed space (Pause ⇄ Resume)."""

    def __init__(self, run: ConsoleInPty, every: float) -> None:
        self.run = run
        self.every = every
        self.keys: list[tuple[float, float | None]] = []  # (pressed at, seconds or None)
        self.modes: list[str] = []  # where each key was pressed
        self.what: list[str] = []  # the key, and how long after the section was switched to
        self._switched = 0.0
        self.switches: list[float | None] = []
        self.mode = ""
        self._reported = -1
        self._paused = False  # the feed: paused by space (its footer then says Resume)
        self._line = 0
        self._typed = ""

    def to_inbox(self) -> None:
        from latency import key_bytes

        asked = time.monotonic()
        self.run.terminal.write(key_bytes("f3"))
        while self.run.alive():
            ready = self.run.heard.poll().get("inbox-ready")
            if ready is not None and ready["at"] >= asked:
                self.switches.append(ready["at"] - asked)
                break
            if time.monotonic() - asked > 60:
                raise SystemExit(f"the inbox never came:\n{self.run.terminal.text()}")
            time.sleep(0.01)
        self.mode = "inbox"
        self._switched = time.monotonic()
        self._new_line()

    def to_feed(self) -> None:
        from latency import Painted

        # The feed is as the agent left it: following ("Pause") or paused ("Resume"). Waiting
        # for "Pause" alone waited 60 s whenever it was left paused (no key pressed
        # meanwhile), then read the screen with pyte: the "stall" of earlier runs.
        shows = Painted(-1, "Pause", others=("Resume",))
        seconds, seen = self.run.terminal.press_seen("f4", shows, timeout=SWITCH_TIMEOUT)
        if seen is None:
            raise SystemExit(f"the feed never came:\n{self.run.terminal.text()}")
        self._paused = seen == "Resume"
        self.switches.append(seconds)
        self.mode = "feed"
        self._switched = time.monotonic()

    def _new_line(self) -> None:
        self.run.terminal.write(b"\x15")  # ctrl+u: the line rubbed out
        self._line += 1
        self._typed = f"{self._line:04d}"
        for digit in self._typed:
            time.sleep(0.02)
            self.run.terminal.write(digit.encode())
        time.sleep(self.every)

    def press_one(self) -> None:
        from latency import Painted

        terminal = self.run.terminal
        if self.mode == "inbox":
            if len(self._typed) >= 4 + len(LETTERS):
                self._new_line()
            letter = LETTERS[len(self._typed) - 4]
            self._typed += letter
            key, shows = letter, Painted(0, self._typed)
        else:  # the footer's label says what space does next
            key, shows = "space", Painted(-1, "Pause" if self._paused else "Resume")
        pressed = time.monotonic()
        seconds = terminal.press(key, shows, KEY_TIMEOUT)
        self.keys.append((pressed, seconds))
        self.modes.append(self.mode)
        self.what.append(f"{key!r} {pressed - self._switched:.2f} s after the switch")
        if self.mode == "feed":
            if seconds is None:  # not seen: read the screen (pyte: slow, but the reader reads on)
                self._paused = "Resume" in terminal.line(-1)
            else:
                self._paused = not self._paused

    def report_batches(self) -> dict[str, Any]:
        """Print each batch's RSS as the console says it is done; what was heard."""
        heard = self.run.heard.poll()
        done = heard.get("batch-done")
        if done is not None and done["number"] > self._reported:
            self._reported = done["number"]
            print(
                f"batch {done['number'] + 1:>3}: RSS {done['rss']:6.0f} MB   {done['took']:5.1f} s",
                file=sys.stderr,
                flush=True,
            )
        return heard

    def through_the_shift(self) -> None:
        while not self.run.ended():
            heard = self.report_batches()
            number = heard.get("batch", {}).get("number", 0)
            wanted = "feed" if number % 2 == 1 else "inbox"
            if wanted != self.mode:
                self.to_feed() if wanted == "feed" else self.to_inbox()
                continue
            self.press_one()
            time.sleep(self.every)

    def latencies_ms(self, since: float, until: float) -> list[float]:
        return [
            (KEY_TIMEOUT if seconds is None else seconds) * 1000
            for pressed, seconds in self.keys
            if since <= pressed <= until
        ]


def run_shift(options: dict[str, Any]) -> dict[str, Any]:
    from latency import summary

    work = Path(tempfile.mkdtemp(prefix="bench-shift-"))
    beacon = work / "beacon.jsonl"
    (work / "none.toml").write_text("")
    argv = [sys.executable, __file__, "--child", str(work / "data"), str(beacon)]
    argv.append(json.dumps(options))
    try:
        with ConsoleInPty(
            argv, beacon, env={"AGENT_CONSOLE_CONFIG": str(work / "none.toml")}
        ) as run:
            run.wait("ready", 120)
            agent = Agent(run, options["key_every"])
            agent.to_feed()  # the start of a shift: a look at the feed, then the inbox
            agent.to_inbox()
            run.wait("stream-start", 120)
            agent.through_the_shift()
            agent.report_batches()
            heard = run.heard.poll()
            if "failed" in heard:
                raise SystemExit(f"the shift failed:\n{heard['failed'].get('error')}")
            end = run.wait("stream-end", 60)
            run.quit()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    figures = end["figures"]
    keys = summary(agent.latencies_ms(end["started"], end["at"]))
    figures["key_to_paint_p50_ms"] = keys["p50"]
    figures["key_to_paint_p99_ms"] = keys["p99"]
    figures["key_to_paint_max_ms"] = keys["max"]
    figures["keys"] = keys["n"]
    figures["keys_unseen"] = sum(1 for _, seconds in agent.keys if seconds is None)
    for mode in ("inbox", "feed"):
        chosen = [
            (KEY_TIMEOUT if seconds is None else seconds) * 1000
            for (pressed, seconds), where in zip(agent.keys, agent.modes, strict=True)
            if where == mode and end["started"] <= pressed <= end["at"]
        ]
        keys = summary(chosen)
        figures[f"key_to_paint_{mode}"] = [keys["p50"], keys["p99"], keys["max"], keys["n"]]
    slowest = sorted(
        zip(agent.keys, agent.modes, agent.what, strict=True),
        key=lambda item: -(KEY_TIMEOUT if item[0][1] is None else item[0][1]),
    )[:3]
    figures["slowest_keys"] = [
        f"{(KEY_TIMEOUT if seconds is None else seconds) * 1000:,.0f} ms: {what} ({mode})"
        for (_, seconds), mode, what in slowest
    ]
    switches = [(SWITCH_TIMEOUT if s is None else s) * 1000 for s in agent.switches[2:]]
    figures["switches_unseen"] = sum(1 for s in agent.switches[2:] if s is None)
    figures["switch_max_ms"] = max(switches, default=None)
    figures["switch_p50_ms"] = summary(switches)["p50"]
    return figures


def worst_moments(ticker: Any, slow: Any, out: Any, shares: Any, count: int = 8) -> None:
    """The loop's worst moments (the ticker's latest wake-ups) and what held it then: the
    callbacks over 20 ms that started between the tick being due and its wake-up (wall ms /
    the loop's CPU ms). Nothing listed: no single callback was that long (many shorter ones,
    or the GIL held by another thread). Then each thread's CPU ms over that gap (the loop's
    is MainThread's), when `shares` (diagnostics.ThreadShares) saw it."""
    print(f"\n# the loop's {count} worst moments, and the callbacks over 20 ms then", file=out)
    late = ticker.late
    for index in sorted(range(len(late)), key=late.__getitem__, reverse=True)[:count]:
        woke = ticker.woke[index]
        due = woke - late[index]
        ran = [
            f"{took * 1000:.0f}/{used * 1000:.0f} {name}"
            for at, (took, used, _, name) in zip(slow.when, slow.seen, strict=True)
            if due - ticker.interval <= at <= woke
        ]
        listed = "; ".join(ran) or "none over 20 ms"
        print(f"@ {woke:.3f} woke {late[index] * 1000:.1f} ms late: {listed}", file=out)
        threads = shares.near(woke)
        if threads:
            print(f"    {threads}", file=out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--batches", type=int, default=20)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--quick", action="store_true", help="4 batches: about a minute")
    parser.add_argument("--rate", type=float, default=2_000.0, help="receipts per second")
    parser.add_argument("--inbound", type=int, default=5_000, help="customers' messages")
    parser.add_argument("--team", type=int, default=2_000, help="team events")
    parser.add_argument("--key-every", type=float, default=0.05, help="seconds between keys")
    parser.add_argument("--max-rows", type=int, help="the feed's rows (the tracker's bound)")
    parser.add_argument("--timeout", type=float, default=300.0, help="per batch, seconds")
    parser.add_argument("--trace", action="store_true", help="tracemalloc: what grew")
    parser.add_argument("--census", action="store_true", help="objects by type: what grew")
    parser.add_argument("--trim", action="store_true", help="malloc_trim(0) before each RSS")
    parser.add_argument(
        "--gc", choices=("console", "python"), default="console", help="who runs the collector"
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.child:
        folder, beacon, options = args.child
        run_as_the_console_does(shift(Path(folder), json.loads(options), beacon))
        return
    if args.quick:
        args.batches = 4
        args.inbound = args.inbound * 4 // 20
        args.team = args.team * 4 // 20
    if args.max_rows is None:
        from console.config import Settings

        args.max_rows = Settings().feed_max_rows
    options = {
        "batches": args.batches,
        "batch": args.batch,
        "rate": args.rate,
        "inbound": args.inbound,
        "team": args.team,
        "key_every": args.key_every,
        "trace": args.trace,
        "gc": args.gc,
        "max_rows": args.max_rows,
        "census": args.census,
        "trim": args.trim,
        "timeout": args.timeout,
    }
    print(load_line(), flush=True)
    figures = run_shift(options)
    print(
        f"\n{args.batches} batches of {args.batch:,} at {args.rate:,.0f} receipts/s, "
        f"{args.inbound:,} customers' messages, {args.team:,} team events, "
        f"{figures['keys']:,} keys timed; the feed keeps {args.max_rows:,} rows; "
        f"{load_line()} at the end\n"
    )
    rows = [
        ("RSS before the first batch", "rss_start_mb", " MB", 0),
        ("RSS after each batch", "rss_mb_after_each_batch", " MB", 0),
        ("traced (--trace) after each", "traced_mb_after_each_batch", " MB", 0),
        ("traced peak during each", "traced_peak_mb_each_batch", " MB", 0),
        ("growth after the first batch", "rss_growth_after_first_batch_mb", " MB", 1),
        ("loop lateness p50", "loop_lateness_p50_ms", " ms", 1),
        ("loop lateness p99", "loop_lateness_p99_ms", " ms", 1),
        ("loop lateness max", "loop_lateness_max_ms", " ms", 1),
        ("longest GC pause", "gc_pause_max_ms", " ms", 1),
        ("full collections", "gc_full_collections", "", 0),
        ("key → paint p50 (pty)", "key_to_paint_p50_ms", " ms", 1),
        ("key → paint p99", "key_to_paint_p99_ms", " ms", 1),
        ("key → paint max", "key_to_paint_max_ms", " ms", 1),
        ("  keys never shown (10 s)", "keys_unseen", "", 0),
        ("  typing a reply: p50 p99 max n", "key_to_paint_inbox", "", 0),
        ("  space in the feed: p50 p99 max n", "key_to_paint_feed", "", 0),
        ("F3/F4 to the section, p50", "switch_p50_ms", " ms", 1),
        ("F3/F4 to the section, max", "switch_max_ms", " ms", 1),
        ("  F4 never shown (60 s)", "switches_unseen", "", 0),
        ("a batch's answer shown, max", "answer_shown_s_max", " s", 2),
    ]
    for label, key, unit, digits in rows:
        print(f"  {label:32} {fmt(figures.get(key), unit, digits)}")
    print(f"  {'held at the end':32} {figures['sizes']}")
    for line in figures.get("slowest_keys", ()):
        print(f"  {'a slowest key':32} {line}")
    if "cyclic_garbage" in figures:
        print(f"  {'cyclic garbage at the end':32} {figures['cyclic_garbage']:,} objects")
        print(
            f"  {'RSS after a full collection':32} {figures['rss_after_full_collection_mb']:.0f} MB"
        )
    if "cyclic_garbage_at_end" in figures:  # BENCH_GARBAGE
        print(f"  {'garbage set aside, at the end':32} {figures['cyclic_garbage_at_end']:,}")
        print(f"  {'objects tracked, at the end':32} {figures['tracked_at_end']:,}")
        print(f"  {'a full collection then':32} {figures['full_collection_ms']} ms")
        print(f"  {'RSS once it is collected':32} {figures['rss_after_collecting_mb']:.1f} MB")
    for line in figures.get("grew", ()):
        print("  " + line)
    if args.json:
        keys = (
            "rss_mb_after_each_batch",
            "rss_growth_after_first_batch_mb",
            "loop_lateness_p99_ms",
            "loop_lateness_max_ms",
            "gc_pause_max_ms",
            "key_to_paint_p99_ms",
            "key_to_paint_max_ms",
        )
        print(json.dumps({key: figures.get(key) for key in keys}))


if __name__ == "__main__":
    main()
