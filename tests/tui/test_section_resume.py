"""Switching back to a section (F3, F4…) shows it as it was left, without restyling every
widget of it (that took 20–40 ms of the UI loop at each switch during a shift), and still
restyled when something app-wide changed while it was hidden (the theme)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from textual.dom import DOMNode
from tui_helpers import wait_for

from console.app import AgentConsole
from console.config import Settings
from console.screens.feed import FeedScreen
from console.screens.inbox import InboxScreen
from console.widgets.feed_table import FeedTable

SIZE = (120, 36)


def quiet_console(tmp_path: Path) -> AgentConsole:
    async def never(_settings: Settings) -> Any:
        await asyncio.Event().wait()

    return AgentConsole(Settings(data_dir=tmp_path), connector=never)


def count_restyled(app: AgentConsole) -> list[int]:
    """How many nodes each restyle of the stylesheet went through, from now on."""
    counts: list[int] = []
    original = app.stylesheet.update_nodes

    def update_nodes(nodes: Iterable[DOMNode], animate: bool = False) -> None:
        nodes = list(nodes)
        counts.append(len(nodes))
        original(nodes, animate=animate)

    app.stylesheet.update_nodes = update_nodes  # type: ignore[method-assign]
    return counts


async def test_a_section_opened_again_is_not_restyled_whole(tmp_path: Path) -> None:
    app = quiet_console(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        for key, screen in (("f4", FeedScreen), ("f3", InboxScreen)):
            await pilot.press(key)
            await wait_for(pilot, lambda screen=screen: isinstance(app.screen, screen))
        await pilot.pause()
        widgets = len(list(app.screen.walk_children()))
        counts = count_restyled(app)
        await pilot.press("f4")
        await wait_for(pilot, lambda: isinstance(app.screen, FeedScreen))
        await pilot.pause()
        feed_widgets = len(list(app.screen.walk_children()))
        assert all(count < min(widgets, feed_widgets) // 2 for count in counts), counts
        assert app.screen.query_one(FeedTable).has_focus  # as it was left


async def test_a_section_hidden_while_the_theme_changed_shows_the_new_theme(
    tmp_path: Path,
) -> None:
    app = quiet_console(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f4")
        await wait_for(pilot, lambda: isinstance(app.screen, FeedScreen))
        await pilot.pause()
        table = app.screen.query_one(FeedTable)
        dark = table.rich_style
        await pilot.press("f3")
        await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen))
        app.theme = "textual-light"
        await pilot.pause()
        await pilot.press("f4")
        await wait_for(pilot, lambda: isinstance(app.screen, FeedScreen))
        await pilot.pause()
        shown = table.rich_style
        assert shown != dark
        app.screen.update_node_styles(animate=False)  # what a full restyle gives: the same
        assert table.rich_style == shown


async def test_a_new_message_toast_of_the_feed_is_never_drawn_over_the_inbox(
    tmp_path: Path,
) -> None:
    from textual.widgets._toast import ToastRack

    from console.live.events import Event
    from console.messages import EventsReceived

    payload = {
        "umid": "in-1",
        "timestamp": "2026-11-27T05:00:00.000Z",
        "user": {"msisdn": "+6590000001", "name": "Jane Tan"},
        "recipient": {"channel": "whatsapp", "channelId": "x"},
        "type": "text",
        "content": {"text": "Is my parcel coming today?"},
    }
    app = quiet_console(tmp_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("f4")
        await wait_for(pilot, lambda: isinstance(app.screen, FeedScreen))
        event = Event(
            1, "2026-11-27T05:00:01.000Z", "ChatApps", "inbound_message_received", payload
        )
        app.post_message(EventsReceived((event,)))
        await wait_for(pilot, lambda: any(n.title == "New message" for n in app._notifications))
        shown_on: list[str] = []
        original = ToastRack.mount_all

        def mount_all(rack: ToastRack, *args: Any, **kwargs: Any) -> Any:
            shown_on.append(type(rack.screen).__name__)
            return original(rack, *args, **kwargs)

        ToastRack.mount_all = mount_all  # type: ignore[method-assign]
        try:
            app.notify("Customer 2 on Viber: Hello", title="New message")  # decided now,
            app.switch_mode("inbox")  # shown after the switch (Textual posts it)
            await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen))
            for _ in range(3):
                await pilot.pause()
        finally:
            ToastRack.mount_all = original  # type: ignore[method-assign]
        assert "InboxScreen" not in shown_on
        assert not any(n.title == "New message" for n in app._notifications)


def customer_says(seq: int, who: int) -> Any:
    from console.live.events import Event

    payload = {
        "umid": f"in-{seq}",
        "timestamp": "2026-11-27T05:00:00.000Z",
        "user": {"msisdn": f"+65900000{who:02d}", "name": f"Customer {who}"},
        "recipient": {"channel": "whatsapp", "channelId": "x"},
        "type": "text",
        "content": {"text": f"Hello {seq}"},
    }
    return Event(seq, "2026-11-27T05:00:01.000Z", "ChatApps", "inbound_message_received", payload)


async def test_what_came_while_a_section_was_hidden_shows_as_it_comes_back(
    tmp_path: Path,
) -> None:
    """A hidden section does not redraw for nobody; the first frame after F3 or F4 shows
    everything that came meanwhile, without waiting for a timer."""
    from console.core import Accepted, SentSms
    from console.messages import EventsReceived
    from console.widgets.conversation_list import ConversationList

    app = quiet_console(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        for key, screen in (("f3", InboxScreen), ("f4", FeedScreen)):
            await pilot.press(key)
            await wait_for(pilot, lambda screen=screen: isinstance(app.screen, screen))
        app.post_message(EventsReceived(tuple(customer_says(n, n) for n in range(1, 4))))
        await wait_for(pilot, lambda: len(app.core.inbox) == 3)
        app.switch_mode("inbox")
        await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen))
        inbox = app.screen
        await pilot.pause()  # the resume handled, no 50 ms timer waited for
        assert len(inbox.query_one(ConversationList).rows) == 3
        sent = [SentSms(f"+6591{n:07d}", Accepted(f"u-{n}", f"r-{n}")) for n in range(25)]
        app.core.record_sent(sent, "Your parcel ships today")
        app.post_message(EventsReceived((customer_says(4, 4),)))
        await wait_for(pilot, lambda: len(app.core.inbox) == 4)
        app.switch_mode("feed")
        await wait_for(pilot, lambda: isinstance(app.screen, FeedScreen))
        await pilot.pause()
        table = app.screen.query_one(FeedTable)
        assert table.virtual_size.height == len(app.feed) == 25
        assert table.cursor == 24  # following: the newest row
        await pilot.press("f3")
        await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen))
        await pilot.pause()
        assert len(inbox.query_one(ConversationList).rows) == 4


async def test_a_section_hidden_while_the_terminal_was_resized_comes_back_at_the_new_size(
    tmp_path: Path,
) -> None:
    app = quiet_console(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        for key, screen in (("f4", FeedScreen), ("f3", InboxScreen)):
            await pilot.press(key)
            await wait_for(pilot, lambda screen=screen: isinstance(app.screen, screen))
            await pilot.pause()
        await pilot.resize_terminal(100, 30)
        await pilot.pause()
        await pilot.press("f4")
        await wait_for(pilot, lambda: isinstance(app.screen, FeedScreen))
        await pilot.pause()
        table = app.screen.query_one(FeedTable)
        assert app.screen.size == (100, 30)
        assert table.region.width == 100
        assert table.region.bottom < 30
