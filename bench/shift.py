"""A whole shift, compressed: memory, loop lateness and GC pauses while a floor's traffic lands.
Prints figures only (DESIGN.md budgets; never a timed assertion).

    python bench/shift.py                  # 20 batches of 10,000 at 2,000 receipts/s
    python bench/shift.py --json           # then one JSON object on the last line
    python bench/shift.py --batches 5 --rate 20000   # a quick look at memory only
    python bench/shift.py --trace          # + what tracemalloc says grew after batch 1
    python bench/shift.py --census         # + objects by type that grew, cyclic garbage left
    python bench/shift.py --max-rows 40000 # the feed's rows (the tracker's bound with them)
    python bench/shift.py --gc python      # the collector's own schedule, not the console's
    python bench/shift.py --trim           # malloc_trim before each RSS: the allocator's share

One fresh interpreter runs a headless console (Textual's `run_test`, 120×36) on an empty data
folder, not logged in: the traffic is posted to the App as `EventsReceived` messages in 50 ms
chunks, exactly as the websocket worker posts a relay's batches (as `bench/feed.py` does), so
the shift does not depend on the sandbox's webhook rate. Over the shift:

- `--batches` batches of `--batch` messages: each recorded as the sending service records a
  batch answer (`core.record_sent`), then its receipts ("sent", then a final status a quarter
  of a batch later; 10 % undelivered) at `--rate` receipts/s, payloads shaped like 8x8's
  (the sandbox's);
- `--inbound` customers' messages (WhatsApp, Viber, SMS; 500 customers) and `--team` team
  events (assigned, labelled, note added, status changed), spread evenly over the batches in
  the same stream;
- the agent at the keys throughout: a look at the feed before the first batch, then in the
  inbox, typing a reply into the reply box and rubbing it out; every other batch in the
  feed, moving through the rows.

Figures:

- `rss_mb_after_each_batch`: resident memory once a batch's every final status is applied and
  the history has taken its updates; `rss_growth_after_first_batch_mb`: the last less the
  first (budget ≤ 40 MB over 20 batches);
- `loop_lateness_*`: how late a 5 ms ticker inside the app's event loop woke, during the
  stream (:class:`LoopLateness`, bench/latency.py's ticker; budget p99 ≤ 30 ms, max ≤ 100 ms);
- `gc_pause_max_ms`: the longest collection (:class:`GcPauses`, ``gc.callbacks``; ≤ 50 ms);
- `key_to_paint_*`: a key's time to the screen, timed from outside the app. Pilot cannot see a
  stall (STYLE.md pitfall 18), so this process does not time keys itself: a
  :class:`KeyToPaint` probe driving the console in a pseudo-terminal plugs in through
  :func:`key_to_paint_probe`; without one these are null.

Probes share one small interface (:class:`Probe`): ``start()``, ``stop()``, ``figures()``.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import itertools
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Protocol

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))  # latency.py: the instruments the benches share

CHUNK_S = 0.05  # the stream's chunks: what one websocket read hands over
CUSTOMERS = 500
CHANNELS = ("whatsapp", "viber", "sms")
TEXT = "Your parcel ships today. Track it at https://example.com/t/ABC123 — reply STOP to opt out"
REPLY = "Thanks for waiting, I have checked your order and it ships today"


# --- measuring ---------------------------------------------------------------------------------


def rss_mb() -> float:
    """This process's resident memory now (Linux /proc)."""
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


def census() -> Counter[str]:
    """Objects the collector tracks, by type (what a batch left behind); what the console set
    aside from the collector (``gc.freeze``) is counted too."""
    gc.unfreeze()
    gc.collect()
    return Counter(type(item).__qualname__ for item in gc.get_objects())


def percentile(values: list[float], fraction: float) -> float | None:
    """Nearest rank: a value that was measured (None for none)."""
    if not values:
        return None
    ranked = sorted(values)
    return ranked[max(math.ceil(fraction * len(ranked)) - 1, 0)]


class Probe(Protocol):
    """Something that measures during the stream and reports figures (ms, JSON-ready)."""

    def start(self) -> None: ...
    def stop(self) -> None: ...
    def figures(self) -> dict[str, float | None]: ...


class LoopLateness:
    """How late a 5 ms ticker on the app's own event loop wakes (bench/latency.py's
    :class:`LoopTicker`): anything holding the loop (parsing, applying, painting, a
    collection) shows here, keys or not."""

    def __init__(self, interval: float = 0.005) -> None:
        from latency import LoopTicker

        self.ticker = LoopTicker(interval)

    def start(self) -> None:
        self.ticker.start()

    def stop(self) -> None:
        self.ticker.stop()

    def figures(self) -> dict[str, float | None]:
        late = self.ticker.lateness_ms()
        return {
            "loop_lateness_p50_ms": percentile(late, 0.50),
            "loop_lateness_p99_ms": percentile(late, 0.99),
            "loop_lateness_max_ms": max(late, default=None),
        }


class GcPauses:
    """Every collection's duration (bench/latency.py's :class:`GcWatch`, ``gc.callbacks``),
    whoever triggers it."""

    def __init__(self) -> None:
        from latency import GcWatch

        self.watch = GcWatch()

    def start(self) -> None:
        self.watch.install()

    def stop(self) -> None:
        self.watch.remove()

    def figures(self) -> dict[str, float | None]:
        figures = self.watch.figures()
        return {
            "gc_pause_max_ms": figures["max_ms"],
            "gc_full_collections": float(figures["count"][2]),
        }


class KeyToPaint:
    """Key → paint, timed from outside the app. The in-process run cannot measure it (Pilot
    waits for an idle app), so this one reports nulls; a pseudo-terminal driver (another
    process pressing keys and watching the screen) replaces it via `key_to_paint_probe`."""

    def __init__(self) -> None:
        self.samples_ms: list[float] = []

    def start(self) -> None:
        return None

    def stop(self) -> None:
        return None

    def figures(self) -> dict[str, float | None]:
        return {
            "key_to_paint_p99_ms": percentile(self.samples_ms, 0.99),
            "key_to_paint_max_ms": max(self.samples_ms, default=None),
        }


def key_to_paint_probe() -> Probe:
    """The hook for the pseudo-terminal key → paint driver."""
    return KeyToPaint()


# --- the traffic -------------------------------------------------------------------------------


def sent_receipt(umid: str, n: int, batch: int, state: str, at: str, **status: Any) -> dict:
    """An SMS delivery receipt as 8x8 (and the sandbox) posts it."""
    return {
        "umid": umid,
        "batchId": f"b7a0c1d2-{batch:04d}-4e5f-8a9b-0c1d2e3f4a5b",
        "clientMessageId": f"shift-{batch}-{n}",
        "subAccountId": "bench_subaccount",
        "source": "BenchCo",
        "destination": f"+6591{n:07d}",
        "status": {"state": state, "timestamp": at, **status},
        "price": {"total": 0.037, "perSms": 0.037, "currency": "EUR"},
        "smsCount": 1,
    }


def batch_umid(batch: int, n: int) -> str:
    return f"0a1b2c3d-{batch:04d}-{n:06d}-9e8f-7a6b5c4d3e2f"


def receipt_events(batch: int, count: int) -> Iterator[tuple[str, str, dict]]:
    """(namespace, event type, payload) of a batch's receipts: "sent" for each message, its
    final status trailing by a quarter of the batch (as 8x8's arrive, seconds apart)."""
    from console.live.events import utc_iso

    lag = max(count // 4, 1)
    for step in range(count + lag):
        at = utc_iso()
        if step < count:
            yield (
                "SMS",
                "outbound_message_status_changed",
                sent_receipt(
                    batch_umid(batch, step), step, batch, "sent", at, detail="sent_to_operator"
                ),
            )
        final = step - lag
        if 0 <= final < count:
            umid = batch_umid(batch, final)
            if final % 10 == 3:
                status = {"errorCode": 46, "errorMessage": "Subscriber not reachable"}
                payload = sent_receipt(umid, final, batch, "undelivered", at, **status)
            else:
                detail = "delivered_to_recipient"
                payload = sent_receipt(umid, final, batch, "delivered", at, detail=detail)
            yield "SMS", "outbound_message_status_changed", payload


def inbound_event(n: int) -> tuple[str, str, dict]:
    """A customer's message (500 customers, the three channels)."""
    from console.live.events import utc_iso

    who = n % CUSTOMERS
    channel = CHANNELS[who % 3]
    msisdn = f"+6590{who:06d}"
    text = f"Hello, about my order {who}-{n}: when does it arrive?"
    if channel == "sms":
        payload: dict[str, Any] = {
            "umid": f"in-{n:07d}",
            "timestamp": utc_iso(),
            "source": msisdn,
            "destination": "+6531580000",
            "body": text,
        }
        return "SMS", "inbound_message_received", payload
    payload = {
        "umid": f"in-{n:07d}",
        "timestamp": utc_iso(),
        "user": {"msisdn": msisdn, "name": f"Customer {who}"},
        "recipient": {"channel": channel, "channelId": "bench"},
        "type": "text",
        "content": {"text": text},
    }
    return "ChatApps", "inbound_message_received", payload


def team_event(n: int) -> tuple[str, str, dict]:
    """A colleague's team action on one of the customers' conversations."""
    from console.live.team import TEAM_NAMESPACE, TeamAction

    who = (n * 7) % CUSTOMERS
    conversation = f"{CHANNELS[who % 3]}:+6590{who:06d}"
    colleague = ("bob", "cleo", "dev")[n % 3]
    match n % 4:
        case 0:
            action = TeamAction("assigned", conversation, colleague, assignee=colleague)
        case 1:
            action = TeamAction("labelled", conversation, colleague, add=(f"l{n % 5}",))
        case 2:
            action = TeamAction("note_added", conversation, colleague, text=f"Called back {n}")
        case _:
            action = TeamAction("status_changed", conversation, colleague, status="pending")
    return TEAM_NAMESPACE, action.kind, action.to_body()


def interleave(main: Iterator[Any], total: int, extra: list[Any]) -> Iterator[Any]:
    """`extra` spread evenly through the `total` items of `main`, lazily."""
    step = total / (len(extra) + 1)
    pending = iter(extra)
    due = deque(round((number + 1) * step) for number in range(len(extra)))
    for position, item in enumerate(main, 1):
        yield item
        while due and due[0] <= position:
            due.popleft()
            yield next(pending)
    yield from pending


async def stream_at(app: Any, items: Iterator[Any], count: int, seconds: float, seq: int) -> int:
    """Post `count` events over `seconds`, in CHUNK_S chunks, as the websocket worker posts a
    relay's batches. Events are made as they are posted (as frames are parsed), never a whole
    batch at once: the bench's own memory stays out of the figures. Returns the last seq."""
    from console.live.events import Event, utc_iso
    from console.messages import EventsReceived

    started = time.perf_counter()
    per_chunk = max(int(count / max(seconds, 1e-6) * CHUNK_S), 1)
    posted = 0
    while True:
        chunk = []
        for namespace, kind, payload in itertools.islice(items, per_chunk):
            seq += 1
            chunk.append(Event(seq, utc_iso(), namespace, kind, payload))
        if not chunk:
            return seq
        delay = started + posted / count * seconds - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        app.post_message(EventsReceived(tuple(chunk)))
        posted += len(chunk)


# --- the agent -----------------------------------------------------------------------------------


class Agent:
    """The agent at the keys all shift long. Keys are posted as the terminal driver would
    (`App.simulate_key`), without waiting for the app to be idle as Pilot's presses do: a busy
    loop makes them queue, as it would for a person. This drives; it does not time keys."""

    def __init__(self, app: Any, pilot: Any, every: float) -> None:
        self.app = app
        self.pilot = pilot
        self.every = every
        self.keys = 0
        self._typed = 0

    async def in_inbox(self) -> None:
        from console.screens.inbox import InboxScreen
        from console.widgets.conversation_list import ConversationList
        from console.widgets.reply_box import ReplyBox

        self.press("f3")
        await self._until(lambda: isinstance(self.app.screen, InboxScreen))
        await self._until(lambda: bool(self.app.screen.query(ConversationList)))
        rows = self.app.screen.query_one(ConversationList)
        await self._until(lambda: len(rows.rows) > 0)
        rows.focus()
        self.press("enter")
        await asyncio.sleep(self.every)
        self.app.screen.query_one("#reply", ReplyBox).focus()

    async def in_feed(self) -> None:
        from console.screens.feed import FeedScreen

        self.press("f4")
        await self._until(lambda: isinstance(self.app.screen, FeedScreen))

    async def back_to_inbox(self) -> None:
        from console.screens.inbox import InboxScreen

        self.press("f3")
        await self._until(lambda: isinstance(self.app.screen, InboxScreen))

    def press(self, key: str) -> None:
        self.app.simulate_key(key)
        self.keys += 1

    async def type_reply(self, until: Callable[[], bool]) -> None:
        """Type the reply a key at a time; rub it out once written; again."""
        from textual.screen import ModalScreen

        from console.widgets.reply_box import ReplyBox

        while not until():
            if isinstance(self.app.screen, ModalScreen):  # a letter landed elsewhere: close it
                self.press("escape")
                await asyncio.sleep(self.every)
                continue
            if not isinstance(self.app.focused, ReplyBox):
                boxes = self.app.screen.query(ReplyBox)
                if boxes:
                    boxes.first().focus()
                await asyncio.sleep(self.every)
                continue
            if self._typed < len(REPLY):
                key = REPLY[self._typed]
                self.press("space" if key == " " else key)
                self._typed += 1
            else:
                for _ in REPLY:
                    self.press("backspace")
                self._typed = 0
            await asyncio.sleep(self.every)

    async def browse_feed(self, until: Callable[[], bool]) -> None:
        keys = ("up", "up", "pageup", "down", "pagedown", "end")
        index = 0
        while not until():
            self.press(keys[index % len(keys)])
            index += 1
            await asyncio.sleep(self.every)

    async def _until(self, predicate: Callable[[], bool], timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise SystemExit(f"bench/shift.py: the console did not get there ({predicate})")
            await asyncio.sleep(0.01)


# --- the shift, in the child interpreter ------------------------------------------------------


async def shift(folder: Path, options: dict[str, Any]) -> dict[str, Any]:
    from console.app import AgentConsole
    from console.config import Settings
    from console.core import Accepted, SentSms

    batches, batch, rate = options["batches"], options["batch"], options["rate"]
    trace = options["trace"]

    async def never_logged_in(settings: Settings) -> Any:
        await asyncio.Event().wait()

    settings = Settings(data_dir=folder, agent="ana", feed_max_rows=options["max_rows"])
    app = AgentConsole(settings, connector=never_logged_in)
    figures: dict[str, Any] = {"batches": batches, "batch": batch, "rate": rate}
    probes: list[Probe] = [LoopLateness(), GcPauses(), key_to_paint_probe()]
    inbound_per_batch = options["inbound"] // max(batches, 1)
    team_per_batch = options["team"] // max(batches, 1)
    seq = 0
    inbound_n = team_n = 0
    rss: list[float] = []
    blocks: list[int] = []  # Python's allocated memory blocks: RSS less the allocator's slack
    censuses: list[Counter[str]] = []
    snapshots: list[Any] = []
    if trace:
        import tracemalloc

        tracemalloc.start(1)

    async with app.run_test(size=(120, 36)) as pilot:
        agent = Agent(app, pilot, options["key_every"])
        while not app.history_keeper.settled:
            await pilot.pause(0.05)
        if options.get("gc") == "python":  # the collector's own schedule, for comparison
            app.gc_pacer.stop()
        await agent.in_feed()  # the start of a shift: a look at the feed, then the inbox
        figures["rss_start_mb"] = rss_mb()
        for probe in probes:
            probe.start()
        for number in range(batches):
            sent = [
                SentSms(f"+6591{n:07d}", Accepted(batch_umid(number, n), f"shift-{number}-{n}"))
                for n in range(batch)
            ]
            app.core.record_sent(sent, TEXT, batch_id=f"batch-{number}")
            del sent
            extra = [inbound_event(inbound_n + i) for i in range(inbound_per_batch)]
            extra += [team_event(team_n + i) for i in range(team_per_batch)]
            inbound_n += inbound_per_batch
            team_n += team_per_batch
            receipts = 2 * batch  # "sent" and a final status each
            stream = interleave(receipt_events(number, batch), receipts, extra)
            started = time.perf_counter()
            poster = asyncio.create_task(
                stream_at(app, stream, receipts + len(extra), receipts / rate, seq)
            )
            seq += receipts + len(extra)
            if number == 0:
                await agent.in_inbox()
            elif number % 2 == 1:
                await agent.in_feed()
            else:
                await agent.back_to_inbox()
            last = batch_umid(number, batch - 1)

            def applied(last: str = last, poster: asyncio.Task[None] = poster) -> bool:
                return (
                    poster.done()
                    and not app.live.pending
                    and (row := app.feed.get(last)) is not None
                    and row.final
                )

            if number % 2 == 1:
                await agent.browse_feed(applied)
            else:
                await agent.type_reply(applied)
            await poster
            await asyncio.wrap_future(app.core.after_writes(lambda history: None))
            await pilot.pause()
            if options.get("trim"):
                import ctypes

                ctypes.CDLL("libc.so.6").malloc_trim(0)
            rss.append(rss_mb())
            blocks.append(sys.getallocatedblocks())
            if options.get("census") and number in (0, batches - 1):
                censuses.append(census())
            took = time.perf_counter() - started
            print(f"batch {number + 1:>3}: RSS {rss[-1]:6.0f} MB   {took:5.1f} s", file=sys.stderr)
            if trace and number in (0, batches - 1):
                gc.collect()
                snapshots.append(tracemalloc.take_snapshot())
        for probe in probes:
            probe.stop()
            figures.update(probe.figures())
        figures["keys"] = agent.keys
        if options.get("census"):  # what a full collection would free now
            gc.unfreeze()
            figures["cyclic_garbage"] = gc.collect()
            figures["rss_after_full_collection_mb"] = rss_mb()
        figures["rss_mb_after_each_batch"] = [round(value, 1) for value in rss]
        figures["blocks_k_after_each_batch"] = [round(value / 1000) for value in blocks]
        if len(censuses) == 2:
            grown = censuses[1] - censuses[0]
            figures["grew"] = [f"{count:>9,} {name}" for name, count in grown.most_common(20)]
        figures["rss_growth_after_first_batch_mb"] = round(rss[-1] - rss[0], 1) if rss else None
        figures["sizes"] = {
            "tracker": len(app.core.tracker),
            "feed_rows": len(app.feed),
            "traffic": len(app.core.traffic),
        }
    if trace and len(snapshots) == 2:
        figures["grew"] = [
            f"{stat.size_diff / 1e6:7.2f} MB {stat.count_diff:>9,} "
            f"{stat.traceback.format()[-1].strip() if stat.traceback else ''}"
            for stat in snapshots[1].compare_to(snapshots[0], "lineno")[:25]
        ]
    return figures


def child_main(folder: str, options: str) -> None:
    figures = asyncio.run(shift(Path(folder), json.loads(options)))
    print(json.dumps(figures))


# --- the parent ---------------------------------------------------------------------------------


def fmt(value: Any, unit: str = "", digits: int = 1) -> str:
    if value is None:
        return "— (not measured here)"
    if isinstance(value, list):
        return " ".join(f"{item:.0f}" for item in value) + unit
    return f"{value:,.{digits}f}{unit}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--batches", type=int, default=20)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=2_000.0, help="receipts per second")
    parser.add_argument("--inbound", type=int, default=5_000, help="customers' messages")
    parser.add_argument("--team", type=int, default=2_000, help="team events")
    parser.add_argument("--key-every", type=float, default=0.05, help="seconds between keys")
    parser.add_argument(
        "--max-rows", type=int, default=100_000, help="the feed's rows (and the tracker's bound)"
    )
    parser.add_argument("--trace", action="store_true", help="tracemalloc: what grew")
    parser.add_argument("--census", action="store_true", help="objects by type: what grew")
    parser.add_argument("--trim", action="store_true", help="malloc_trim(0) before each RSS")
    parser.add_argument(
        "--gc", choices=("console", "python"), default="console", help="who runs the collector"
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.child:
        child_main(*args.child)
        return
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
    }
    load = os.getloadavg()
    print(f"load: {load[0]:.2f} {load[1]:.2f} (1 and 5 min), {os.cpu_count()} cores", flush=True)
    work = Path(tempfile.mkdtemp(prefix="bench-shift-"))
    env = dict(os.environ, AGENT_CONSOLE_CONFIG=str(work / "none.toml"))
    try:
        done = subprocess.run(
            [sys.executable, __file__, "--child", str(work / "data"), json.dumps(options)],
            stdout=subprocess.PIPE,
            text=True,
            check=False,
            env=env,
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if done.returncode:
        raise SystemExit(f"the shift failed (exit {done.returncode})")
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    print(
        f"\n{args.batches} batches of {args.batch:,} at {args.rate:,.0f} receipts/s, "
        f"{args.inbound:,} customers' messages, {args.team:,} team events, "
        f"{figures['keys']:,} keys; the feed keeps {args.max_rows:,} rows\n"
    )
    rows = [
        ("RSS before the first batch", "rss_start_mb", " MB", 0),
        ("RSS after each batch", "rss_mb_after_each_batch", " MB", 0),
        ("growth after the first batch", "rss_growth_after_first_batch_mb", " MB", 1),
        ("Python blocks after each (k)", "blocks_k_after_each_batch", "", 0),
        ("loop lateness p50", "loop_lateness_p50_ms", " ms", 1),
        ("loop lateness p99", "loop_lateness_p99_ms", " ms", 1),
        ("loop lateness max", "loop_lateness_max_ms", " ms", 1),
        ("longest GC pause", "gc_pause_max_ms", " ms", 1),
        ("full collections", "gc_full_collections", "", 0),
        ("key → paint p99", "key_to_paint_p99_ms", " ms", 1),
        ("key → paint max", "key_to_paint_max_ms", " ms", 1),
    ]
    for label, key, unit, digits in rows:
        print(f"  {label:32} {fmt(figures.get(key), unit, digits)}")
    print(f"  {'held at the end':32} {figures['sizes']}")
    if "cyclic_garbage" in figures:
        print(f"  {'cyclic garbage at the end':32} {figures['cyclic_garbage']:,} objects")
        print(
            f"  {'RSS after a full collection':32} {figures['rss_after_full_collection_mb']:.0f} MB"
        )
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
