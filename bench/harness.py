"""What the stream benches (shift.py, feed.py, inbox.py) share to drive the console.

- the traffic, shaped like 8x8's (the sandbox's) payloads: a batch's receipts ("sent", then a
  final status a quarter of the batch later; 10 % undelivered), customers' messages on the
  three channels, team events; and a batch's answer recorded as the sending service records
  it (:func:`record_batch`: ``core.record_sent_durably``, journalled then shown);
- the console run headless of a server: :func:`quiet_console` (never logged in, so the bench
  drives events itself and does not depend on the sandbox's webhook rate);
- the console in a pseudo-terminal, with a child side (:func:`run_in_terminal`: the real App
  on the pty, a driver coroutine inside its loop that reports through a Beacon) and a parent
  side (:class:`ConsoleInPty`: the pty read from another process, keys timed to the screen);
- small figures helpers: RSS, peak RSS, the load line, a number formatted for a table.

Every latency figure comes from bench/latency.py's instruments (a ticker inside the loop,
keys timed from outside the app); nothing here times a key with Pilot.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import resource
import sys
import time
import traceback
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
for _path in (str(ROOT), str(BENCH)):
    if _path not in sys.path:
        sys.path.insert(0, _path)

CHUNK_S = 0.05  # the stream's chunks: what one websocket read hands over
CUSTOMERS = 500
CHANNELS = ("whatsapp", "viber", "sms")
TEXT = "Your parcel ships today. Track it at https://example.com/t/ABC123 — reply STOP to opt out"

Item = tuple[str, str, dict[str, Any]]  # (namespace, event type, payload)


# --- figures ------------------------------------------------------------------------------------


def rss_mb() -> float:
    """This process's resident memory now (Linux /proc)."""
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6  # KiB on Linux


def load_line() -> str:
    one, five, _ = os.getloadavg()
    return f"load: {one:.2f} {five:.2f} (1 and 5 min), {os.cpu_count()} cores"


def fmt(value: Any, unit: str = "", digits: int = 1) -> str:
    if value is None:
        return "—"
    if isinstance(value, list):
        return " ".join(f"{item:.0f}" for item in value) + unit
    return f"{value:,.{digits}f}{unit}"


def child_env(**extra: str) -> dict[str, str]:
    """A child console's environment: this checkout first on the path, bench/ importable."""
    path = os.pathsep.join([str(ROOT), str(BENCH), os.environ.get("PYTHONPATH", "")])
    return {**os.environ, "PYTHONPATH": path.rstrip(os.pathsep), **extra}


# --- the traffic --------------------------------------------------------------------------------


def sent_receipt(umid: str, n: int, batch: int, state: str, at: str, **status: Any) -> dict:
    """An SMS delivery receipt as 8x8 (and the sandbox) posts it."""
    return {
        "umid": umid,
        "batchId": f"b7a0c1d2-{batch:04d}-4e5f-8a9b-0c1d2e3f4a5b",
        "clientMessageId": f"ref-{batch}-{n}",
        "subAccountId": "bench_subaccount",
        "source": "BenchCo",
        "destination": f"+6591{n:07d}",
        "status": {"state": state, "timestamp": at, **status},
        "price": {"total": 0.037, "perSms": 0.037, "currency": "EUR"},
        "smsCount": 1,
    }


def batch_umid(batch: int, n: int) -> str:
    """A message's umid as 8x8 writes one (a UUID: lowercase, dashed), made from its place."""
    return f"{batch:08x}-9e8f-4a6b-8c4d-{n:012x}"


def receipt_items(batch: int, count: int) -> Iterator[Item]:
    """A batch's receipts: "sent" for each message, its final status trailing by a quarter of
    the batch (as 8x8's arrive, seconds apart); every tenth undelivered. Made lazily."""
    from console.live.events import utc_iso

    lag = max(count // 4, 1)
    for step in range(count + lag):
        at = utc_iso()
        if step < count:
            umid = batch_umid(batch, step)
            payload = sent_receipt(umid, step, batch, "sent", at, detail="sent_to_operator")
            yield "SMS", "outbound_message_status_changed", payload
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


def inbound_item(
    n: int, who: int | None = None, *, at: float | None = None, text: str | None = None
) -> Item:
    """A customer's message (customer `who`, by default one of 500; the channel by customer)."""
    from console.live.events import utc_iso

    who = n % CUSTOMERS if who is None else who
    channel = CHANNELS[who % 3]
    msisdn = f"+6590{who:06d}"
    text = text if text is not None else f"Hello, about my order {who}-{n}: when does it arrive?"
    if channel == "sms":
        payload: dict[str, Any] = {
            "umid": f"in-{n:07d}",
            "timestamp": utc_iso(at),
            "source": msisdn,
            "destination": "+6531580000",
            "body": text,
        }
        return "SMS", "inbound_message_received", payload
    payload = {
        "umid": f"in-{n:07d}",
        "timestamp": utc_iso(at),
        "user": {"msisdn": msisdn, "name": f"Customer {who}"},
        "recipient": {"channel": channel, "channelId": "bench"},
        "type": "text",
        "content": {"text": text},
    }
    return "ChatApps", "inbound_message_received", payload


def team_item(n: int) -> Item:
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


def as_events(items: Iterable[Item], seq: int) -> list[Any]:
    """Relay events (numbered from seq + 1) of `items`, built now (before a timed window)."""
    from console.live.events import Event, utc_iso

    return [
        Event(seq + number, utc_iso(), namespace, kind, payload)
        for number, (namespace, kind, payload) in enumerate(items, 1)
    ]


async def stream_at(app: Any, items: Iterator[Any], count: int, seconds: float, seq: int) -> int:
    """Post `count` items over `seconds`, in CHUNK_S chunks, as the websocket worker posts a
    relay's batches. Items (namespace, type, payload) become events as they are posted (as
    frames are parsed), never a whole batch at once; ready-made Events are posted as they
    are. Returns the last seq."""
    from console.live.events import Event, utc_iso
    from console.messages import EventsReceived

    started = time.perf_counter()
    per_chunk = max(int(count / max(seconds, 1e-6) * CHUNK_S), 1)
    posted = 0
    while True:
        chunk = []
        for item in itertools.islice(items, per_chunk):
            if isinstance(item, Event):
                chunk.append(item)
                seq = item.seq
                continue
            seq += 1
            chunk.append(Event(seq, utc_iso(), *item))
        if not chunk:
            return seq
        delay = started + posted / count * seconds - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        app.post_message(EventsReceived(tuple(chunk)))
        posted += len(chunk)


def sent_batch(batch: int, count: int) -> list[Any]:
    """A batch's answer: what the API accepted for `count` messages (umids batch_umid)."""
    from console.core import Accepted, SentSms

    return [
        SentSms(f"+6591{n:07d}", Accepted(batch_umid(batch, n), f"ref-{batch}-{n}"))
        for n in range(count)
    ]


async def record_batch(
    app: Any, batch: int, count: int, text: str = TEXT, sent: list[Any] | None = None
) -> float:
    """Record a batch's answer (`sent`, else made now) as the sending service does
    (journalled, then shown in slices); returns the seconds until it was shown. The
    answer's 10,000 objects are made in a thread, as the sending service pairs a batch's
    answer (core/sending.py): made in the loop they held it 33-63 ms, a stall of the
    bench's own making."""
    if sent is None:
        sent = await asyncio.to_thread(sent_batch, batch, count)
    started = time.perf_counter()
    await app.core.record_sent_durably(sent, text, batch_id=f"batch-{batch}")
    return time.perf_counter() - started


# --- the console, headless of a server --------------------------------------------------------


def quiet_console(folder: Path, **settings: Any) -> Any:
    """The real App on `folder`, never logged in (the bench posts the relay's events)."""
    from console.app import AgentConsole
    from console.config import Settings

    async def never_logged_in(settings: Settings) -> Any:
        await asyncio.Event().wait()

    return AgentConsole(Settings(data_dir=folder, **settings), connector=never_logged_in)


def run_as_the_console_does(main: Awaitable[Any]) -> Any:
    """`asyncio.run(main)` on the loop the console's command line runs the App on (a
    TurnLoop: the history's threads give way to its long turns; console/loop_turns.py)."""
    from console.loop_turns import console_loop

    with asyncio.Runner(loop_factory=console_loop) as runner:
        return runner.run(main)


async def until(predicate: Callable[[], bool], timeout: float = 60.0, every: float = 0.01) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"the console did not get there ({predicate})")
        await asyncio.sleep(every)


# --- the console in a pseudo-terminal: the child's side -----------------------------------------


async def run_in_terminal(
    app: Any, drive: Callable[[], Awaitable[None]], beacon_path: str | os.PathLike[str]
) -> None:
    """Run `app` on this process's terminal (the pty the parent reads) with `drive` inside
    its loop; a failure of `drive` is told to the parent at once ("failed")."""
    from latency import Beacon

    beacon = Beacon(beacon_path)

    async def drive_or_say() -> None:
        try:
            await drive()
        except Exception as error:  # the parent hears of it at once rather than timing out
            beacon.say("failed", error="".join(traceback.format_exception(error)))
            raise

    driver = asyncio.get_running_loop().create_task(drive_or_say())
    try:
        await app.run_async()
    finally:
        driver.cancel()


# --- the console in a pseudo-terminal: the parent's side ---------------------------------------


class ConsoleInPty:
    """A bench child (`argv`) in a pseudo-terminal, with its beacon file read: `terminal`
    (bench/latency.py's PtyTerminal) to press keys and time them, `wait(what)` for a beacon."""

    def __init__(
        self,
        argv: Sequence[str],
        beacon: Path,
        *,
        columns: int = 120,
        rows: int = 36,
        env: dict[str, str] | None = None,
    ) -> None:
        from latency import BeaconReader, PtyTerminal

        self.terminal = PtyTerminal(argv, columns=columns, rows=rows, env=child_env(**(env or {})))
        self.heard = BeaconReader(beacon)

    def __enter__(self) -> ConsoleInPty:
        self.terminal.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.terminal.close()

    def alive(self) -> bool:
        return not self.terminal.closed.is_set()

    def wait(self, what: str, timeout: float) -> dict[str, Any]:
        """The beacon `what`; SystemExit with the screen when it does not come."""
        try:
            return self.heard.wait(what, timeout, self.alive)
        except TimeoutError as error:
            raise SystemExit(f"{error}\n{self.terminal.text()}") from None

    def ended(self) -> bool:
        return self.heard.has("stream-end") or self.heard.has("failed") or not self.alive()

    def quit(self) -> None:
        self.terminal.write(b"\x11")  # ctrl+q
        self.terminal.closed.wait(10)
