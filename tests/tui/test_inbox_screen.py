"""The inbox against a real sandbox: customers write in, the agent replies and sees the
receipts, takes, resolves, reopens, snoozes (and the snooze comes back), labels, notes,
searches; a restart shows the same inbox; hostile text stays text."""

from __future__ import annotations

import dataclasses
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from inbox_helpers import (
    JANE,
    LI,
    OMAR,
    conversation,
    conversation_id,
    customer_writes,
    listed,
    open_inbox,
)
from test_hostile_text import OSC52, TITLE, raw_controls, toasts
from textual.pilot import Pilot
from textual.widgets import OptionList, Static
from tui_helpers import console_for, screen_text, wait_for

from console.api.session import Session, connect
from console.app import AgentConsole
from console.config import Settings
from console.screens.ask_dialog import AskDialog
from console.screens.inbox import InboxScreen
from console.store import History
from console.widgets.key_bar import KeyBar
from console.widgets.reply_box import ReplyBox
from console.widgets.segment_meter import SegmentMeter

DAY = 86_400.0
SUNDAY = 1_796_551_200.0  # 2026-12-06 10:00 UTC, a Sunday (the tests run in UTC)


def next_sunday_at_ten(now: float) -> float:
    """10:00 UTC on the first Sunday after `now`'s day."""
    day = datetime.fromtimestamp(now, UTC).date() + timedelta(days=1)
    while day.weekday() != 6:
        day += timedelta(days=1)
    return datetime(day.year, day.month, day.day, 10, tzinfo=UTC).timestamp()


async def jane_and_li_write(url: str, pilot: Pilot, screen: InboxScreen) -> None:
    """Two customers write in; the list's cursor goes to Jane."""
    customer_writes(url, JANE, "Hi")
    customer_writes(url, LI, "Hello")
    await wait_for(pilot, lambda: len(listed(screen)) == 2)
    screen.conversations.move_to(conversation_id(JANE))


def tabs(screen: object) -> str:
    return str(screen.query_one("#tabs", Static).render())  # type: ignore[attr-defined]


async def test_a_customers_message_appears_at_once_in_unassigned_with_its_counts(
    fresh_sandbox: str, tmp_path: Path
) -> None:
    app = console_for(fresh_sandbox, data_dir=tmp_path)
    async with app.run_test(size=(160, 40), notifications=True) as pilot:
        screen = await open_inbox(app, pilot)
        customer_writes(fresh_sandbox, JANE, "Where is my parcel?\nOrder A-1182")
        await wait_for(pilot, lambda: listed(screen) == [conversation_id(JANE)])
        await pilot.pause()
        assert "Mine 0" in tabs(screen)
        assert "Unassigned 1 · 1 unread" in tabs(screen)
        assert "All 1 · 1 unread" in tabs(screen)
        text = screen_text(app)
        assert "Jane Tan" in text and "WhatsApp" in text and "Where is my parcel?" in text
        assert "Order A-1182" not in text.split("Where is my parcel?")[0]  # the first line only
        said = [n.text for n in app.notices.recent() if n.title == "New message"]
        assert said == ["Jane Tan on WhatsApp: Where is my parcel?"], "once, in Notifications"
        assert not any("Where is my parcel" in t for t in toasts(app)), "no toast on the thread"

        customer_writes(fresh_sandbox, OMAR, "STOP")
        await wait_for(pilot, lambda: len(listed(screen)) == 2)
        assert listed(screen)[0] == conversation_id(OMAR), "the newest message raises its row"
        assert "+65••••5432" in screen_text(app), "no name: the number, masked"
        assert "All 2 · 2 unread" in tabs(screen)


async def test_a_reply_goes_out_on_the_channel_and_its_receipts_move_it_forward(
    fresh_sandbox: str, tmp_path: Path
) -> None:
    app = console_for(fresh_sandbox, data_dir=tmp_path)
    async with app.run_test(size=(160, 40)) as pilot:
        screen = await open_inbox(app, pilot)
        customer_writes(fresh_sandbox, JANE, "Hello?")
        await wait_for(pilot, lambda: bool(listed(screen)))
        await pilot.press("enter")  # open it: its messages are read
        await wait_for(pilot, lambda: "Hello?" in screen_text(app))
        await wait_for(pilot, lambda: conversation(app, JANE).unread == 0)  # type: ignore[union-attr]
        assert "All 1" in tabs(screen) and "unread" not in tabs(screen)

        await pilot.press("enter")  # from the thread to the reply box
        for key in "/hi":
            await pilot.press(key)
        await pilot.press("tab")  # the canned response, with the customer's first name
        reply = screen.query_one("#reply", ReplyBox)
        assert reply.text == "Hi Jane, thanks for writing to us. How can I help?"
        await pilot.press("ctrl+j")
        await wait_for(pilot, lambda: "▶ you" in screen_text(app))
        assert reply.text == ""
        await wait_for(pilot, lambda: "read" in screen_text(app).split("▶ you")[1])

        # SMS conversations reply through the SMS API, with the composer's segment meter.
        customer_writes(fresh_sandbox, OMAR, "Is the shop open?")
        await wait_for(pilot, lambda: len(listed(screen)) == 2)
        await pilot.press("escape", "escape")
        screen.conversations.move_to(conversation_id(OMAR))
        await pilot.press("enter", "enter")
        meter = screen.query_one("#meter", SegmentMeter)
        assert meter.display
        reply.insert("Yes, until 6pm — see you soon")
        await pilot.pause()
        assert "UCS-2" in str(meter.render())
        await pilot.press("ctrl+j")
        await wait_for(pilot, lambda: "delivered" in screen_text(app).split("▶ you")[-1])


async def test_take_resolve_reopen_label_and_note(fresh_sandbox: str, tmp_path: Path) -> None:
    app = console_for(fresh_sandbox, data_dir=tmp_path)
    async with app.run_test(size=(160, 40)) as pilot:
        screen = await open_inbox(app, pilot)
        await jane_and_li_write(fresh_sandbox, pilot, screen)

        await pilot.press("t")
        await wait_for(pilot, lambda: conversation(app, JANE).assignee == "ana")  # type: ignore[union-attr]
        await pilot.pause()
        assert "Mine 1" in tabs(screen) and "Unassigned 1" in tabs(screen)
        await pilot.press("1")  # Mine
        await wait_for(pilot, lambda: listed(screen) == [conversation_id(JANE)])

        await pilot.press("r")
        await wait_for(pilot, lambda: listed(screen) == [])
        await pilot.press("v", "v", "v")  # open → pending → snoozed → resolved
        await wait_for(pilot, lambda: listed(screen) == [conversation_id(JANE)])
        assert "resolved" in screen_text(app)
        await pilot.press("o")
        await wait_for(pilot, lambda: conversation(app, JANE).status == "open")  # type: ignore[union-attr]
        await pilot.press("v")  # any status
        await pilot.press("l")
        await wait_for(pilot, lambda: isinstance(app.screen, AskDialog))
        for key in "VIP, billing":
            await pilot.press(key)
        await pilot.press("enter")
        await wait_for(pilot, lambda: conversation(app, JANE).labels == ("billing", "vip"))  # type: ignore[union-attr]
        await pilot.press("l")
        await wait_for(pilot, lambda: isinstance(app.screen, AskDialog))
        for key in "no way!":
            await pilot.press(key)
        await pilot.press("enter")
        assert isinstance(app.screen, AskDialog), "a bad label is refused at the field"
        assert "letters, digits" in screen_text(app)
        await pilot.press("escape")

        await pilot.press("enter")  # open Jane
        await pilot.press("p")
        await wait_for(pilot, lambda: isinstance(app.screen, AskDialog))
        app.screen.query_one("#answer").insert("Called the courier.\nBack tomorrow.")  # type: ignore[attr-defined]
        await pilot.press("ctrl+j")
        await wait_for(pilot, lambda: "✎ note by ana" in screen_text(app))
        assert "Back tomorrow." in screen_text(app)
        header = str(screen.query_one("#thread-header", Static).render())
        assert "@ana" in header and "#billing #vip" in header


async def test_a_snooze_hides_the_conversation_until_it_comes_back_by_itself(
    fresh_sandbox: str, tmp_path: Path
) -> None:
    # Whatever day the suite runs: a Sunday, whose "next week" is tomorrow; one to come, as
    # the relay bounds a snooze by its own clock (never more than 5 minutes in the past).
    now = [next_sunday_at_ten(time.time())]
    app = console_for(fresh_sandbox, data_dir=tmp_path, clock=lambda: now[0])
    async with app.run_test(size=(160, 40), notifications=True) as pilot:
        screen = await open_inbox(app, pilot)
        customer_writes(fresh_sandbox, JANE, "Call me back in an hour")
        await wait_for(pilot, lambda: bool(listed(screen)))
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, AskDialog))
        offered = [str(o.prompt) for o in app.screen.query_one(OptionList).options]
        monday = datetime.fromtimestamp(now[0] + 86_400, UTC)
        assert offered == [
            "1 hour (11:00)",
            "3 hours (13:00)",
            f"tomorrow ({monday:%a %d %b} 09:00)",
        ]
        await pilot.press("enter")  # the first choice: 1 hour
        await wait_for(pilot, lambda: conversation(app, JANE).status == "snoozed")  # type: ignore[union-attr]
        await wait_for(pilot, lambda: listed(screen) == [])
        await pilot.press("f1")  # the agent works elsewhere meanwhile
        now[0] += 3601  # an hour later
        await wait_for(pilot, lambda: any("Jane Tan is back" in t for t in toasts(app)))
        assert conversation(app, JANE).status_at(now[0]) == "open"  # type: ignore[union-attr]
        await pilot.press("f3")
        await wait_for(pilot, lambda: listed(screen) == [conversation_id(JANE)])


async def test_search_and_the_thread_reach_a_message_from_an_older_day(
    fresh_sandbox: str, tmp_path: Path
) -> None:
    old = time.time() - 20 * DAY
    with History.open(tmp_path, hot_messages=1) as history:
        history.record_message(
            "old-1", None, "viber", "in", "+6581112222", "Refund for order 4471 please", "received",
            old, conversation_id="viber:+6581112222",
        )  # fmt: skip
        for n in range(1_200):  # newer days: the old one is not in memory when the inbox opens
            peer = f"+65900000{n % 30:02d}"
            history.record_message(
                f"new-{n}", None, "sms", "in", peer, "hello", "received",
                time.time() - (n % 48) * 3600, conversation_id=f"sms:{peer}",
            )  # fmt: skip
    app = console_for(fresh_sandbox, data_dir=tmp_path)
    async with app.run_test(size=(160, 40)) as pilot:
        screen = await open_inbox(app, pilot)
        await wait_for(pilot, lambda: len(listed(screen)) == 31)
        assert app.history is not None
        assert [d.loaded for d in app.history.days()][-1] is False, "the old day is on disk"
        await pilot.press("slash")
        for key in "4471":
            await pilot.press(key)
        await wait_for(pilot, lambda: listed(screen) == ["viber:+6581112222"])
        await wait_for(pilot, lambda: "in the messages of 1 conversation" in screen_text(app))
        screen.conversations.focus()
        await pilot.press("enter")  # its thread reaches back to that day, read from disk
        await wait_for(pilot, lambda: "Refund for order 4471 please" in screen_text(app))


async def test_a_restart_shows_the_same_inbox(fresh_sandbox: str, tmp_path: Path) -> None:
    app = console_for(fresh_sandbox, data_dir=tmp_path)
    async with app.run_test(size=(160, 40)) as pilot:
        screen = await open_inbox(app, pilot)
        await jane_and_li_write(fresh_sandbox, pilot, screen)
        await pilot.press("t", "r")
        await wait_for(pilot, lambda: conversation(app, JANE).status == "resolved")  # type: ignore[union-attr]
        before = dict(app.core.inbox.conversations)
    assert app.wait_closed(timeout=30)

    again = console_for(fresh_sandbox, data_dir=tmp_path)
    async with again.run_test(size=(160, 40)) as pilot:
        screen = await open_inbox(again, pilot)
        await wait_for(pilot, lambda: len(again.core.inbox) == 2)
        # The relay replays from the resume point: nothing moves. Events arrive in order, so
        # once a message Omar writes now has arrived, whatever came before it has been applied.
        customer_writes(fresh_sandbox, OMAR, "Still there?")
        await wait_for(pilot, lambda: len(again.core.inbox) == 3)
        assert {key: again.core.inbox.conversations[key] for key in before} == before
        await pilot.press("v")
        await wait_for(pilot, lambda: conversation_id(JANE) not in listed(screen))


async def test_a_hostile_message_is_shown_as_text(fresh_sandbox: str, tmp_path: Path) -> None:
    hostile = f"{OSC52}\x1b[2J{TITLE}[@click=app.quit]free money[/] [/ end"
    app = console_for(fresh_sandbox, data_dir=tmp_path)
    async with app.run_test(size=(160, 40), notifications=True) as pilot:
        screen = await open_inbox(app, pilot)
        customer_writes(fresh_sandbox, ("whatsapp", "+6591234567", f"Eve{TITLE}[b]"), hostile)
        await wait_for(pilot, lambda: bool(listed(screen)))
        await pilot.press("enter")
        await wait_for(pilot, lambda: "free money" in screen_text(app).split("◀")[-1])
        text = screen_text(app)
        assert "␛]52;c;ZWNobyBwd25lZA==␇" in text and "␛[2J" in text and "␛]0;root@bank␇" in text
        thread = str(screen.query_one("#thread-body", Static).render())
        assert "[@click=app.quit]free money[/] [/ end" in " ".join(thread.split())
        assert "Eve␛]0;root@bank␇[b]" in text
        assert not raw_controls(app)
        await pilot.click("#thread", offset=(5, 3))  # a click on the "link" is only a click
        await pilot.pause()
        assert app.is_running
        assert not any("\x1b" in t for t in toasts(app))


async def test_without_a_relay_the_inbox_is_one_agents_and_says_so(
    fresh_sandbox: str, tmp_path: Path
) -> None:
    async def no_relay(settings: Settings) -> Session:
        session = await connect(settings)
        return dataclasses.replace(session, events_url=None, events_token=None)

    settings = console_for(fresh_sandbox, data_dir=tmp_path).settings
    with History.open(tmp_path) as history:
        history.record_message(
            "in-1", None, "whatsapp", "in", "+6591234567", "Hi", "received", time.time(),
            conversation_id=conversation_id(JANE),
        )  # fmt: skip
    app = AgentConsole(settings, connector=no_relay)
    async with app.run_test(size=(160, 40)) as pilot:
        screen = await open_inbox(app, pilot)
        await wait_for(pilot, lambda: bool(listed(screen)))
        assert "need the relay: this inbox is yours alone" in screen_text(app)
        await pilot.press("t")  # applied here at once
        assert conversation(app, JANE).assignee == "ana"  # type: ignore[union-attr]


async def test_every_action_is_in_the_palette_and_runs_from_there(
    fresh_sandbox: str, tmp_path: Path
) -> None:
    app = console_for(fresh_sandbox, data_dir=tmp_path)
    async with app.run_test(size=(160, 40)) as pilot:
        screen = await open_inbox(app, pilot)
        titles = [command.title for command in app.get_system_commands(screen)]
        for action in ("take", "assign", "unassign", "resolve", "reopen", "snooze", "label"):
            assert f"Inbox: {action}" in titles
        for action in ("private note", "next conversation with activity", "search"):
            assert f"Inbox: {action}" in titles
        assert "Inbox: edit canned responses" in titles
        customer_writes(fresh_sandbox, JANE, "Hi")
        await wait_for(pilot, lambda: bool(listed(screen)))
        await pilot.press("f1")
        take = next(c for c in app.get_system_commands(app.screen) if c.title == "Inbox: take")
        await take.callback()  # type: ignore[misc]
        await wait_for(pilot, lambda: conversation(app, JANE).assignee == "ana")  # type: ignore[union-attr]


async def test_a_click_on_a_key_in_the_key_bar_presses_it(
    fresh_sandbox: str, tmp_path: Path
) -> None:
    app = console_for(fresh_sandbox, data_dir=tmp_path)
    async with app.run_test(size=(160, 40)) as pilot:
        screen = await open_inbox(app, pilot)
        customer_writes(fresh_sandbox, JANE, "Hi")
        await wait_for(pilot, lambda: bool(listed(screen)))
        bar = screen.query_one(KeyBar)
        assert str(bar.render()).startswith(" t Take  a Assign  u Unassign  r Resolve")
        await pilot.click(KeyBar, offset=(2, 0))  # " t Take"
        await wait_for(pilot, lambda: conversation(app, JANE).assignee == "ana")  # type: ignore[union-attr]


async def test_a_burst_is_applied_in_steps_in_order_and_announced_once(
    fresh_sandbox: str, tmp_path: Path
) -> None:
    from console.live.events import Event, GapNotice
    from console.messages import EventsMissed, EventsReceived

    def said(n: int) -> Event:
        payload = {
            "umid": f"burst-{n}",
            "timestamp": "2026-11-27T05:00:00.000Z",
            "user": {"msisdn": f"+659{n:07d}", "name": f"C{n}"},
            "recipient": {"channel": "whatsapp", "channelId": "x"},
            "type": "text",
            "content": {"text": f"Hello {n}"},
        }
        return Event(500_000 + n, "2026-11-27T05:00:00.000Z", "ChatApps",
                     "inbound_message_received", payload)  # fmt: skip

    app = console_for(fresh_sandbox, data_dir=tmp_path)
    async with app.run_test(size=(160, 40), notifications=True) as pilot:
        screen = await open_inbox(app, pilot)
        app.post_message(EventsReceived(tuple(said(n) for n in range(600))))
        app.post_message(EventsMissed(GapNotice.describe(500_599, 500_700)))
        await wait_for(pilot, lambda: len(listed(screen)) == 600)
        await wait_for(pilot, lambda: any("Events may be missing" in t for t in toasts(app)))
        news = [n.text for n in app.notices.recent() if n.title == "New message"]
        assert news == ["600 new messages from 600 customer(s)"], "announced once"
        await wait_for(pilot, lambda: app.core.resume_point() == 500_699)  # the gap came last


async def test_a_note_or_reply_too_long_for_the_team_log_or_8x8_is_refused_at_the_field(
    fresh_sandbox: str, tmp_path: Path
) -> None:
    app = console_for(fresh_sandbox, data_dir=tmp_path)
    async with app.run_test(size=(160, 40)) as pilot:
        screen = await open_inbox(app, pilot)
        customer_writes(fresh_sandbox, JANE, "Hello?")
        await wait_for(pilot, lambda: bool(listed(screen)))
        await pilot.press("enter")  # open Jane
        await pilot.press("p")
        await wait_for(pilot, lambda: isinstance(app.screen, AskDialog))
        app.screen.query_one("#answer").insert("n" * 5_000)  # type: ignore[attr-defined]
        await pilot.press("ctrl+j")
        await pilot.pause()
        assert isinstance(app.screen, AskDialog), "the note is kept in the dialog"
        assert "5,000 characters: a note holds at most 4,000." in screen_text(app)
        await pilot.press("escape")
        assert conversation(app, JANE).notes == ()  # type: ignore[union-attr]

        reply = screen.query_one("#reply", ReplyBox)
        reply.focus()
        reply.insert("r" * 35_001)
        await pilot.press("ctrl+j")
        await pilot.pause()
        assert "35,001 characters: a reply holds at most 35,000." in screen_text(app)
        assert reply.text == "r" * 35_001, "nothing typed is lost"
        assert "▶ you" not in screen_text(app), "nothing was sent"


HOSTILE_NAMES = (
    ("whatsapp", "+6591230001", "Eve[/x]"),
    ("whatsapp", "+6591230002", "Eve [@click=app.quit]x[/]"),
    ("viber", "+6591230003", f"Eve{TITLE}\x1b[2J"),
    ("whatsapp", "+6591230004", "Eve " + "[/x]" * 499),  # 2,000 characters
)


async def test_every_dialog_shows_a_hostile_customer_name_as_text(
    fresh_sandbox: str, tmp_path: Path
) -> None:
    """Assign, snooze, labels and note name the customer in their title: a name that looks
    like markup or carries an escape sequence is shown as it is and ends nothing."""
    app = console_for(fresh_sandbox, data_dir=tmp_path, clock=lambda: SUNDAY)
    async with app.run_test(size=(160, 40), notifications=True) as pilot:
        screen = await open_inbox(app, pilot)
        for who in HOSTILE_NAMES:
            customer_writes(fresh_sandbox, who, "hello")
        await wait_for(pilot, lambda: len(listed(screen)) == len(HOSTILE_NAMES))
        for who in HOSTILE_NAMES:
            shown = who[2].replace("\x1b", "␛").replace("\x07", "␇")[:30]
            for key in "aslp":
                screen.conversations.move_to(conversation_id(who))
                await pilot.press(key)
                await wait_for(pilot, lambda: isinstance(app.screen, AskDialog))
                assert app.is_running
                assert shown in screen_text(app), f"{key}: the name is in the title as typed"
                assert not raw_controls(app)
                await pilot.press("escape")
                await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen))
        assert app.is_running


async def test_at_80_columns_the_search_box_keeps_room_to_type(
    fresh_sandbox: str, tmp_path: Path
) -> None:
    from textual.widgets import Input

    app = console_for(fresh_sandbox, data_dir=tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_inbox(app, pilot)
        await pilot.press("slash")
        await pilot.press(*"parcel")
        await wait_for(pilot, lambda: "messages of" in screen_text(app))  # its hint shows
        await pilot.pause()
        assert screen.query_one("#search", Input).size.width >= 20
        assert "parcel" in screen_text(app)


async def test_the_customer_shows_beside_the_thread_and_gives_way_at_80_columns(
    fresh_sandbox: str, tmp_path: Path
) -> None:
    app = console_for(fresh_sandbox, data_dir=tmp_path)
    async with app.run_test(size=(160, 40)) as pilot:
        screen = await open_inbox(app, pilot)
        customer_writes(fresh_sandbox, JANE, "Hi on WhatsApp")
        customer_writes(fresh_sandbox, ("sms", JANE[1], None), "And by SMS")
        await wait_for(pilot, lambda: len(listed(screen)) == 2)
        screen.conversations.move_to(conversation_id(JANE))
        await pilot.press("enter")
        panel = screen.query_one("#context", Static)
        await wait_for(pilot, lambda: "Also on" in str(panel.render()))
        assert "SMS · open, 1 unread" in str(panel.render())
        assert panel.display and panel.region.width > 0
        screen.conversations.focus()  # the list, the conversation still open beside it
        await pilot.press("i")  # the agent hides it
        await wait_for(pilot, lambda: panel.region.width == 0)
        await pilot.press("i")
        await wait_for(pilot, lambda: panel.region.width > 0)
        await pilot.resize_terminal(80, 24)
        await wait_for(pilot, lambda: panel.region.width == 0)  # 80 columns: the thread only
        await pilot.resize_terminal(160, 40)
        await wait_for(pilot, lambda: panel.region.width > 0)
        await pilot.press("escape")  # closed: nothing beside the list
        await wait_for(pilot, lambda: panel.region.width == 0)
