"""The delivery feed against the real sandbox: a batch fills it, counters agree with the
receipts, out-of-order and duplicated receipts, filters (older days from the history), the
timeline and asking 8x8, CSV export, and the event stream's state through a disconnect."""

from __future__ import annotations

import asyncio
import csv
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from textual.command import CommandInput
from textual.pilot import Pilot
from textual.widgets import Label
from tui_helpers import (
    DEMO_KEY,
    DEMO_SUBACCOUNT,
    WEBHOOK_SECRET,
    connected,
    console_for,
    events_live,
    palette_offers,
    quiet_sandbox,
    screen_text,
    shows,
    wait_for,
)

from console.app import AgentConsole
from console.core.sending import SmsDraft
from console.live.events import Event, MessageTimeline, receipt_from_event
from console.live.stream import EventBatch, EventStream
from console.screens.feed import FeedScreen
from console.screens.message_timeline import MessageTimelineScreen
from console.store import History
from console.widgets.feed_table import FeedTable

SIZE = (120, 36)


async def open_feed(app: AgentConsole, pilot: Pilot) -> FeedScreen:
    await wait_for(pilot, lambda: connected(app) and app.history_keeper.settled)
    await pilot.press("f4")
    await wait_for(pilot, lambda: isinstance(app.screen, FeedScreen))
    screen = app.screen
    assert isinstance(screen, FeedScreen)
    return screen


async def send(app: AgentConsole, count: int, reference: str, start: int = 0) -> None:
    """What the composer does: the sending service, in the app's loop."""
    assert app.sender is not None
    numbers = tuple(f"+6591{n:06d}" for n in range(start, start + count))
    async for _ in app.sender.send(SmsDraft(numbers, "Your parcel ships today", reference)):
        pass


def shown(screen: FeedScreen) -> list[str]:
    view = screen.table.view
    view.settle()
    return [row.umid for row in view.rows]


@pytest.fixture
def feed_sandbox() -> Iterator[str]:
    """A sandbox of the test's own: its receipts never wait behind another test's batch in a
    shared sandbox's webhook queue, and its relay replays no other test's events."""
    yield from quiet_sandbox(5)


# --- a batch of 1,000 ---------------------------------------------------------------------------


@pytest.fixture
def mixed_sandbox() -> Iterator[str]:
    yield from quiet_sandbox(11, undelivered_share=0.2)


def fold(events: list[Event]) -> dict[str, MessageTimeline]:
    """Receipts folded into one timeline per message, independently of the console."""
    timelines: dict[str, MessageTimeline] = {}
    for event in events:
        receipt = receipt_from_event(event)
        if receipt is not None:
            timelines.setdefault(receipt.umid, MessageTimeline(receipt.umid)).apply(receipt)
    return timelines


async def listen(stream: EventStream, events: list[Event]) -> None:
    """An independent listener on the relay: the receipts as they were sent."""
    async for item in stream.batches():
        if isinstance(item, EventBatch):
            events.extend(item.events)


async def test_a_batch_of_1000_fills_the_feed_and_the_counters_agree_with_the_receipts(
    mixed_sandbox: str, tmp_path: Path
) -> None:
    app = console_for(mixed_sandbox, data_dir=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_feed(app, pilot)
        await wait_for(pilot, lambda: events_live(app))
        session = app.session
        assert session is not None and session.events_url and session.events_token
        heard: list[Event] = []
        stream = EventStream(session.events_url, session.events_token, since=0)
        listener = asyncio.create_task(listen(stream, heard))
        await send(app, 1000, "ac-feed-1000")
        await wait_for(pilot, lambda: app.feed.final == 1000, timeout=60)
        await wait_for(pilot, lambda: screen.table.view.final == 1000)
        await wait_for(
            pilot, lambda: sum(t.terminal for t in fold(heard).values()) == 1000, timeout=30
        )
        await stream.close()
        await asyncio.wait_for(listener, 30)

        # The receipts the relay sent, folded independently: one status per message.
        expected = Counter(timeline.state for timeline in fold(heard).values())
        assert sum(expected.values()) == 1000
        assert {"delivered", "undelivered"} <= set(expected)
        assert +screen.table.view.counts == expected
        assert len(shown(screen)) == 1000, "one row per message, not per receipt"

        summary = [f"{status} {count:,}" for status, count in expected.items()]
        await wait_for(pilot, shows(app, *summary, "1,000 messages"))  # the summary is throttled
        text = screen_text(app)
        for status, count in expected.items():
            assert f"{status} {count:,}" in text
        assert "1,000 messages" in text
        assert "ac-feed-1000-1000" in text, "following: the newest row is in view"


# --- out of order and duplicated -----------------------------------------------------------------


def receipt_body(umid: str, state: str, second: int, **status: object) -> dict[str, object]:
    return {
        "namespace": "SMS",
        "eventType": "outbound_message_status_changed",
        "description": "SMS status changed",
        "payload": {
            "umid": umid,
            "clientMessageId": "from-another-console",
            "batchId": "b-elsewhere",
            "subAccountId": DEMO_SUBACCOUNT,
            "source": "ACME",
            "destination": "+6598765432",
            "status": {
                "state": state,
                "timestamp": f"2026-11-27T05:00:{second:02d}.00Z",
                **status,
            },
            "smsCount": 1,
        },
    }


async def post_receipts(url: str, bodies: list[dict[str, object]]) -> None:
    async with httpx.AsyncClient(headers={"Authorization": WEBHOOK_SECRET}) as http:
        for body in bodies:
            answer = await http.post(f"{url}/webhooks/sms", json=body)
            assert answer.status_code == 200, answer.text


async def test_out_of_order_and_duplicated_receipts_leave_the_right_status(
    feed_sandbox: str, tmp_path: Path
) -> None:
    app = console_for(feed_sandbox, data_dir=tmp_path)
    async with app.run_test(size=(160, 40)) as pilot:
        screen = await open_feed(app, pilot)
        await wait_for(pilot, lambda: events_live(app))
        before = Counter(app.feed.counts)
        undelivered = {"errorCode": 46, "errorMessage": "Subscriber not reachable"}
        await post_receipts(
            feed_sandbox,
            [
                receipt_body("ooo-1", "delivered", 3),
                receipt_body("ooo-1", "sent", 1),
                receipt_body("ooo-1", "delivered", 3),  # 8x8 sending it twice
                receipt_body("ooo-1", "queued", 0),
                receipt_body("ooo-2", "undelivered", 4, **undelivered),
                receipt_body("ooo-2", "sent", 1),
                receipt_body("ooo-2", "undelivered", 4, **undelivered),
            ],
        )
        await wait_for(pilot, lambda: app.feed.rate.total >= 7 and app.feed.get("ooo-2"))
        await wait_for(pilot, lambda: app.core.timeline("ooo-1") is not None)
        timeline = app.core.timeline("ooo-2")
        await wait_for(pilot, lambda: timeline is not None and len(timeline.receipts) == 3)
        one, two = app.feed.get("ooo-1"), app.feed.get("ooo-2")
        assert one is not None and two is not None
        assert (one.status, two.status, two.error_code) == ("delivered", "undelivered", 46)
        assert Counter(app.feed.counts) - before == Counter(delivered=1, undelivered=1)
        assert shown(screen).count("ooo-1") == 1
        await wait_for(pilot, shows(app, "from-another-console", "46 subscriber not reachable"))
        text = screen_text(app)
        assert "from-another-console" in text, "a message sent elsewhere reads from its receipt"
        assert "46 subscriber not reachable" in text
        assert "+65••••5432" in text and "+6598765432" not in text, "numbers masked"
        await pilot.press("v")
        await wait_for(pilot, shows(app, "+6598765432"))  # a key reveals them


# --- filters ------------------------------------------------------------------------------------


async def test_filters_narrow_the_rows_and_a_bad_one_is_named_at_the_field(
    feed_sandbox: str, tmp_path: Path
) -> None:
    app = console_for(feed_sandbox, data_dir=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_feed(app, pilot)
        await wait_for(pilot, lambda: events_live(app))
        await send(app, 5, "ac-filter-a")
        await send(app, 3, "ac-filter-b", start=100)
        await post_receipts(
            feed_sandbox,
            [receipt_body("elsewhere-1", "undelivered", 2, errorCode=36, errorMessage="x")],
        )
        await wait_for(pilot, lambda: app.feed.final == 9, timeout=30)

        async def type_filter(text: str, refused: str = "") -> None:
            await pilot.press("slash")
            assert not screen.table.has_focus
            field = screen.query_one("#feed-filter")
            field.value = ""  # type: ignore[attr-defined]
            await pilot.press(*text, "enter")
            if refused:  # named at the field, which keeps the focus
                await wait_for(pilot, shows(app, refused))
                assert not screen.table.has_focus
            else:  # enter goes back to the rows
                await wait_for(pilot, lambda: screen.table.has_focus)

        # The rows follow the filter as it is typed (once the typing pauses), before Enter;
        # Enter then only goes back to the rows.
        await pilot.press("slash", *"ac-filter-b")
        await wait_for(pilot, lambda: len(shown(screen)) == 3)
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen.table.has_focus)
        assert len(shown(screen)) == 3
        await type_filter("status:undelivered")
        assert shown(screen) == ["elsewhere-1"]
        await type_filter("ac-filter-b")
        filtered = shown(screen)
        assert len(filtered) == 3
        # A filter that cannot be read is named at the field and leaves the rows as they were:
        # three of nine, so neither "all rows back" nor "every row hidden" passes for it.
        await type_filter("status:bogus", refused="✗ status: 'bogus' is not a status")
        assert shown(screen) == filtered
        await type_filter("to:+6591000003")
        assert len(shown(screen)) == 1
        await type_filter("batch:b-elsewhere")
        assert shown(screen) == ["elsewhere-1"]
        await type_filter("channel:whatsapp")
        assert shown(screen) == []
        await type_filter("")
        assert len(shown(screen)) == 9
        app.action_command_palette()
        await wait_for(pilot, lambda: isinstance(app.focused, CommandInput))
        await pilot.press(*"Feed: show failures")
        await wait_for(pilot, palette_offers(app, "Feed: show failures"))
        await pilot.press("enter")
        await wait_for(pilot, lambda: shown(screen) == ["elsewhere-1"])


async def test_a_time_range_reads_older_days_from_the_history(
    feed_sandbox: str, tmp_path: Path
) -> None:
    day = 86_400.0
    now = time.time()
    with History.open(tmp_path) as history:
        for n in range(6):
            history.record_message(
                f"old-{n}", f"ref-old-{n}", "sms", "out", "+6590000000", "hi",
                "delivered" if n % 2 else "sent", now - 5 * day + n * 60,
            )  # fmt: skip
        for n in range(1100):  # today's messages: the window in memory holds them, not those
            history.record_message(
                f"today-{n}", None, "sms", "out", "+6590000001", "hi", "delivered", now - n
            )
    app = console_for(feed_sandbox, data_dir=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_feed(app, pilot)
        await wait_for(pilot, lambda: len(shown(screen)) >= 1100)
        assert "old-0" not in shown(screen), "older days are read only when asked"
        await pilot.press("slash", *"since:6d until:4d", "enter")
        await wait_for(pilot, lambda: screen.range_store is not None, timeout=20)
        assert sorted(shown(screen)) == [f"old-{n}" for n in range(6)]
        await wait_for(pilot, shows(app, "from the history", "no final receipt 3"))
        text = screen_text(app)
        assert "from the history" in text
        assert "no final receipt 3" in text, "sent five days ago and nothing since: late"
        await pilot.press("slash", *"status:nofinal since:6d until:4d", "enter")
        await wait_for(pilot, lambda: len(shown(screen)) == 3)
        screen.action_clear_filter()
        await wait_for(pilot, lambda: screen.range_store is None)
        assert "old-0" not in shown(screen), "back to the live rows"


# --- the timeline and asking 8x8 ----------------------------------------------------------------


async def test_the_timeline_shows_every_receipt_and_asking_8x8_moves_a_silent_message(
    feed_sandbox: str, tmp_path: Path
) -> None:
    app = console_for(feed_sandbox, data_dir=tmp_path)
    app.live.follow = lambda *args, **kwargs: None  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_feed(app, pilot)
        await send(app, 1, "ac-silent-1")
        await wait_for(pilot, lambda: len(shown(screen)) == 1)
        row = app.feed.get(shown(screen)[0])
        assert row is not None and row.status == "queued", "no receipts reach this console"

        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, MessageTimelineScreen))
        await wait_for(pilot, shows(app, f"Message {row.umid}", "send answer"))
        text = screen_text(app)
        assert f"Message {row.umid}" in text
        assert "send answer" in text and "ac-silent-1" in text

        async def delivered_at_8x8() -> bool:
            assert app.session is not None
            details = await app.session.client.sms_details(row.umid)
            return details.status.state == "delivered"

        deadline = time.monotonic() + 20
        while not await delivered_at_8x8():
            assert time.monotonic() < deadline
            await pilot.pause(0.2)
        await pilot.press("a")
        await wait_for(pilot, lambda: row.status == "delivered")
        await wait_for(pilot, shows(app, "8x8 says: ✓ delivered", "the feed now shows delivered"))
        text = screen_text(app)
        assert "8x8 says: ✓ delivered" in text
        assert "the feed now shows delivered" in text
        assert "asked 8x8" in text, "the answer is a receipt in the timeline"
        assert '"body": "**MASKED**"' in text, "its raw payload is shown"
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, FeedScreen))
        assert app.feed.counts["delivered"] == 1


async def test_the_timeline_of_a_message_in_the_history_has_its_stored_receipts(
    feed_sandbox: str, tmp_path: Path
) -> None:
    now = time.time()
    with History.open(tmp_path) as history:
        history.record_message(
            "kept-1", "ref-kept", "sms", "out", "+6590000000", "hi", "queued", now - 60
        )
        history.apply_receipt("kept-1", "sent", now - 59, now - 58)
        history.apply_receipt("kept-1", "undelivered", now - 30, now - 29, error_code=46)
    app = console_for(feed_sandbox, data_dir=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_feed(app, pilot)
        await wait_for(pilot, lambda: "kept-1" in shown(screen))
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, MessageTimelineScreen))
        await wait_for(pilot, lambda: len(app.screen.entries) == 2)  # type: ignore[attr-defined]
        await wait_for(pilot, shows(app, "46 subscriber not reachable"))
        text = screen_text(app)
        assert "46 subscriber not reachable" in text and "history" in text
        assert "No payload was kept" in text, "a receipt written without one says so"


# --- CSV ----------------------------------------------------------------------------------------


async def test_export_writes_the_filters_rows_masked_unless_asked(
    feed_sandbox: str, tmp_path: Path
) -> None:
    app = console_for(feed_sandbox, data_dir=tmp_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await open_feed(app, pilot)
        await wait_for(pilot, lambda: events_live(app))
        await send(app, 4, "ac-csv-a")
        await send(app, 2, "ac-csv-b", start=50)
        await wait_for(pilot, lambda: app.feed.final == 6, timeout=30)
        await pilot.press("slash", *"ac-csv-a", "enter")
        await wait_for(pilot, lambda: len(shown(screen)) == 4)
        await pilot.press("x")
        await wait_for(pilot, lambda: any(n.title == "Feed exported" for n in app._notifications))
        toast = next(n for n in app._notifications if n.title == "Feed exported")
        path = Path(toast.message.rsplit(" in ", 1)[1])
        assert path.parent == tmp_path / "exports" and path.name in toast.message
        with path.open(newline="", encoding="utf-8") as file:
            rows = list(csv.DictReader(file))
        assert sorted(row["client_message_id"] for row in rows) == [
            f"ac-csv-a-{n}" for n in range(1, 5)
        ]
        assert {row["status"] for row in rows} == {"delivered"}
        assert all(row["destination"].startswith("'+65••••") for row in rows)
        assert all(row["segments"] == "1" and row["price"] for row in rows)
        text = path.read_text(encoding="utf-8")
        assert DEMO_KEY not in text and "+659100000" not in text

        app._notifications.clear()
        await pilot.press("X")
        await wait_for(pilot, lambda: any(n.title == "Feed exported" for n in app._notifications))
        toast = next(n for n in app._notifications if n.title == "Feed exported")
        assert "numbers in full" in toast.message
        full = Path(toast.message.rsplit(" in ", 1)[1])
        with full.open(newline="", encoding="utf-8") as file:
            numbers = sorted(row["destination"] for row in csv.DictReader(file))
        assert numbers == [f"+659100000{n}" for n in range(4)]


# --- the event stream's state ---------------------------------------------------------------------


class Blip:
    """A TCP proxy in front of the sandbox that can drop every connection and come back on
    the same port: a network blip, with the relay (and its log) untouched."""

    def __init__(self, target: str) -> None:
        parts = urlsplit(target)
        self.host, self.target_port = parts.hostname or "127.0.0.1", parts.port or 80
        self.port = 0
        self.server: asyncio.Server | None = None
        self.writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> str:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = self.server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{self.port}"

    async def cut(self) -> None:
        assert self.server is not None
        self.server.close()
        for writer in list(self.writers):
            writer.transport.abort()
        await self.server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(self.host, self.target_port)
        except OSError:
            writer.close()
            return
        self.writers |= {writer, up_writer}

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            try:
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                dst.transport.abort()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        self.writers -= {writer, up_writer}


async def test_a_stream_disconnect_shows_in_the_feed_and_clears(
    feed_sandbox: str, tmp_path: Path
) -> None:
    blip = Blip(feed_sandbox)
    url = await blip.start()
    app = console_for(url, data_dir=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_feed(app, pilot)
        feed_state = screen.query_one("#feed-state")

        def state_says(text: str) -> Callable[[], bool]:
            return lambda: text in str(feed_state.render())

        await wait_for(pilot, lambda: events_live(app))
        await wait_for(pilot, state_says("● events live"))

        await blip.cut()
        await wait_for(pilot, lambda: app.connection.events.state == "reconnecting")
        await wait_for(pilot, state_says("↻ events reconnecting (attempt"))
        assert feed_state.has_class("-warning")

        await blip.start()
        await wait_for(pilot, lambda: events_live(app), timeout=30)
        await wait_for(pilot, state_says("● events live"))
        assert not feed_state.has_class("-warning")
        await send(app, 1, "ac-after-blip")
        await wait_for(pilot, lambda: app.feed.final >= 1, timeout=30)
        await blip.cut()


async def test_scrolling_up_pauses_and_end_follows_again(feed_sandbox: str, tmp_path: Path) -> None:
    app = console_for(feed_sandbox, data_dir=tmp_path)
    async with app.run_test(size=(100, 24)) as pilot:
        screen = await open_feed(app, pilot)
        await send(app, 200, "ac-follow")
        table = screen.query_one(FeedTable)
        await wait_for(pilot, lambda: len(shown(screen)) == 200 and table.cursor == 199)
        await pilot.press("up", "up")
        assert not table.following and table.cursor == 197
        await send(app, 20, "ac-follow-more", start=500)
        await wait_for(pilot, lambda: len(shown(screen)) == 220)
        await wait_for(pilot, shows(app, "paused: 22 newer below"))
        assert (
            table.cursor_row is not None and table.cursor_row.client_message_id == "ac-follow-198"
        )
        assert "paused: 22 newer below" in screen_text(app)
        await pilot.press("end")
        await wait_for(pilot, lambda: table.following and table.cursor == 219)
        assert table.cursor_row is not None
        assert table.cursor_row.client_message_id == "ac-follow-more-20"
        assert table.scroll_offset.y == table.max_scroll_y, "the newest row is in view"

        # space pauses, and the footer then offers to resume (and back)
        assert "space Pause" in screen_text(app) and "Resume" not in screen_text(app)
        await pilot.press("space")
        await pilot.pause()
        assert not table.following
        assert "space Resume" in screen_text(app) and "space Pause" not in screen_text(app)
        await pilot.press("space")
        await pilot.pause()
        assert table.following and "space Pause" in screen_text(app)


async def test_text_from_a_receipt_is_shown_as_text(feed_sandbox: str, tmp_path: Path) -> None:
    """A umid, reference, batch or error message that looks like markup or terminal control
    is shown as it is (controls as visible symbols) in the row, the filter hint, the timeline
    and the toasts, and the console keeps running."""
    app = console_for(feed_sandbox, data_dir=tmp_path)
    umid = "hostile-[/x]-1"
    async with app.run_test(size=(160, 40), notifications=True) as pilot:
        screen = await open_feed(app, pilot)
        await wait_for(pilot, lambda: events_live(app))
        body = receipt_body(umid, "rejected", 2, errorMessage="[/x]\x1b[2J\x1b]52;c;QUFB\x07[b]x")
        payload = body["payload"]
        assert isinstance(payload, dict)
        payload["clientMessageId"] = "[@click=app.quit]"
        payload["batchId"] = "[b]b\x1b[2J"
        await post_receipts(feed_sandbox, [body])
        await wait_for(pilot, lambda: app.feed.get(umid) is not None)
        await wait_for(pilot, shows(app, "[@click=app.quit]"))
        text = screen_text(app)
        assert "[@click=app.quit]" in text
        assert "[/x]␛[2J␛]52;c;QUFB␇[b]x" in text
        assert "[b]b␛[2J" in text
        await pilot.press("slash", *"[/x]", "enter")
        await wait_for(pilot, lambda: shown(screen) == [umid])
        assert "[/x]" in str(screen.query_one("#feed-filter-hint", Label).render())
        assert app.clipboard != umid
        await pilot.press("c")  # copies the umid, and the toast names it as text
        await wait_for(pilot, lambda: any(n.title == "Clipboard" for n in app._notifications))
        assert app.clipboard == umid
        toast = next(n for n in app._notifications if n.title == "Clipboard")
        assert toast.message == f"Copied the umid {umid}."
        assert not toast.markup, "the umid is not read as markup"
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, MessageTimelineScreen))
        await wait_for(pilot, shows(app, "␛]52;c;QUFB␇"))
        assert "\x1b" not in screen_text(app)
        assert app.is_running
