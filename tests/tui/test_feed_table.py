"""The feed's table on its own: following keeps the newest row in view even when many rows
arrive at once into a table that had no scrollbar yet (the window from the history, a
filter cleared), with nothing arriving after them to repaint it."""

from __future__ import annotations

from textual.app import App, ComposeResult
from tui_helpers import screen_text

from console.feed.query import parse_filter
from console.feed.rows import FeedRow, FeedStore
from console.feed.view import FeedView
from console.widgets.feed_table import FeedTable

NOW = 1_800_000_000.0


def rows(count: int) -> list[FeedRow]:
    return [
        FeedRow(
            f"umid-{n:04d}",
            NOW - (count - n),
            "undelivered" if n % 50 == 7 else "delivered",
            destination=f"+6591{n:06d}",
            channel="sms",
            client_message_id=f"ref-{n}",
        )
        for n in range(count)
    ]


class TableApp(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.store = FeedStore(clock=lambda: NOW)

    def compose(self) -> ComposeResult:
        yield FeedTable(FeedView(self.store))


async def test_rows_arriving_at_once_into_an_empty_table_show_the_newest() -> None:
    app = TableApp()
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one(FeedTable)
        await pilot.pause()
        app.store.merge(rows(300))
        table.sync()
        await pilot.pause()
        assert table.following and table.cursor == 299
        assert table.scroll_offset.y == table.max_scroll_y > 0
        assert "ref-299" in screen_text(app)
        assert "ref-0 " not in screen_text(app)


async def test_clearing_a_narrow_filter_shows_the_newest_again() -> None:
    app = TableApp()
    app.store.merge(rows(300))
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one(FeedTable)
        await pilot.pause()
        table.show(FeedView(app.store, parse_filter("umid-0007", now=NOW)))
        await pilot.pause()
        assert len(table.view) == 1 and table.scroll_offset.y == 0
        table.show(FeedView(app.store))
        await pilot.pause()
        assert table.scroll_offset.y == table.max_scroll_y > 0
        assert "ref-299" in screen_text(app)
