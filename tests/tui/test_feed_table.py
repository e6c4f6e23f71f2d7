"""The feed's table on its own: following keeps the newest row in view even when many rows
arrive at once into a table that had no scrollbar yet (the window from the history, a
filter cleared), with nothing arriving after them to repaint it."""

from __future__ import annotations

from textual.app import App, ComposeResult
from tui_helpers import screen_text

from console.feed.query import parse_filter
from console.feed.rows import NO_FINAL, FeedRow, FeedStore
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


class ClockedApp(App[None]):
    """A table over a store whose clock the test moves (for "no final receipt")."""

    def __init__(self) -> None:
        super().__init__()
        self.now = NOW
        self.store = FeedStore(clock=lambda: self.now, stale_after=60.0)

    def compose(self) -> ComposeResult:
        yield FeedTable(FeedView(self.store))


def sent_rows(count: int) -> list[FeedRow]:
    """`count` rows, the newest ten still "sent" (no final receipt yet)."""
    made = rows(count)
    for row in made[-10:]:
        made[made.index(row)] = FeedRow(
            row.umid,
            row.at,
            "sent",
            destination=row.destination,
            channel="sms",
            client_message_id=row.client_message_id,
        )
    return made


async def test_a_status_change_on_screen_shows_while_following_and_while_paused() -> None:
    """The table repaints only the lines that changed: a change to rows on screen shows
    (the lines around them are not needed for it), following or paused, and rows arriving
    below a paused table leave what it shows in place."""
    app = ClockedApp()
    async with app.run_test(size=(100, 24)) as pilot:
        table = app.query_one(FeedTable)
        await pilot.pause()
        app.store.merge(sent_rows(300))
        table.sync()
        await pilot.pause()
        assert "ref-299" in screen_text(app) and NO_FINAL not in screen_text(app)

        app.now += 120  # the newest ten are now past stale_after
        app.store.expire()
        table.sync()
        await pilot.pause()
        assert screen_text(app).count(NO_FINAL) == 10

        await pilot.press("up")  # paused, one row up
        assert not table.following
        top_before = table.scroll_offset.y
        app.store.merge(rows_after(300, 20))
        table.sync()
        await pilot.pause()
        assert table.scroll_offset.y == top_before
        assert "ref-298" in screen_text(app) and "ref-319" not in screen_text(app)

        await pilot.press("end")  # following again: the newest in view
        await pilot.pause()
        assert table.following and "ref-319" in screen_text(app)


def rows_after(start: int, count: int) -> list[FeedRow]:
    return [
        FeedRow(
            f"umid-{n:04d}",
            NOW + 100 + n,
            "delivered",
            destination=f"+6591{n:06d}",
            channel="sms",
            client_message_id=f"ref-{n}",
        )
        for n in range(start, start + count)
    ]
