"""The inbox's list repaints only the lines whose drawing changed: what a row shows without
being compared (since when the customer waits, WhatsApp's window) still repaints it, and a new
theme redraws the rows in its colours."""

from __future__ import annotations

from dataclasses import replace

from textual.app import App, ComposeResult
from tui_helpers import screen_text

from console.core.inbox import Conversation
from console.widgets.conversation_list import ConversationList

NOW = 1_800_000_000.0


class ListApp(App[None]):
    def compose(self) -> ComposeResult:
        yield ConversationList()


def conversation(n: int, **changes: object) -> Conversation:
    made = Conversation(
        conversation_id=f"c{n}",
        channel="sms",
        peer=f"+659100000{n}",
        name=f"Customer {n}",
        last_activity=NOW - 60,
        last_text="Where is my parcel?",
        last_direction="in",
        waiting_since=NOW - 5 * 60,
    )
    return replace(made, **changes)


async def test_a_longer_wait_alone_repaints_its_row() -> None:
    app = ListApp()
    async with app.run_test(size=(80, 12)) as pilot:
        listing = app.query_one(ConversationList)
        listing.show([conversation(1), conversation(2)], NOW)
        await pilot.pause()
        assert screen_text(app).count("⏳ 5m") == 2
        waited = conversation(2, waiting_since=NOW - 7 * 60)
        assert waited == conversation(2)  # the wait is not compared: only the drawing tells
        listing.show([conversation(1), waited], NOW)
        await pilot.pause()
        text = screen_text(app)
        assert text.count("⏳ 5m") == 1 and "⏳ 7m" in text


async def test_a_new_theme_redraws_the_rows_in_its_colours() -> None:
    app = ListApp()
    async with app.run_test(size=(80, 12)) as pilot:
        app.theme = "textual-dark"
        listing = app.query_one(ConversationList)
        listing.show([conversation(1), conversation(2)], NOW)
        await pilot.pause()

        def second_row_background() -> object:
            strip = app.screen._compositor.render_strips()[2]
            return next(iter(strip)).style.bgcolor  # type: ignore[union-attr]

        dark = second_row_background()
        app.theme = "textual-light"
        await pilot.pause()
        assert second_row_background() != dark
