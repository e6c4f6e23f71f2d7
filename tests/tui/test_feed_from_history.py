"""The feed's rows from the history are built in the thread that opens it, never merged on the
UI loop: after a restart, the day's messages are in the feed before it is first opened, and
F4 shows them at once. A feed that has rows before the history opened still gets the
history's rows (merged when the feed opens, as before)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from tui_helpers import wait_for

from console.app import AgentConsole
from console.config import Settings
from console.feed.rows import FeedRow, FeedStore, StoreDelta
from console.screens.feed import FeedScreen
from console.store import History

SIZE = (120, 36)


def quiet_console(tmp_path: Path) -> AgentConsole:
    """A console on its own history that never logs in."""

    async def never(_settings: Settings) -> Any:
        await asyncio.Event().wait()

    return AgentConsole(Settings(data_dir=tmp_path), connector=never)


def a_day_recorded(folder: Path, count: int) -> float:
    now = time.time()
    with History.open(folder) as history:
        for n in range(count):
            history.record_message(
                f"day-{n:04d}", f"ref-{n}", "sms", "out", "+6590000000", "hi",
                "undelivered" if n % 10 == 0 else "delivered", now - count + n,
            )  # fmt: skip
    return now


@pytest.fixture
def loop_merges(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many rows each merge run on the UI loop's thread took."""
    merged: list[int] = []
    merge = FeedStore.merge
    main = threading.main_thread()

    def counted(store: FeedStore, rows: Iterable[FeedRow]) -> StoreDelta:
        rows = list(rows)
        if threading.current_thread() is main:
            merged.append(len(rows))
        return merge(store, rows)

    monkeypatch.setattr(FeedStore, "merge", counted)
    return merged


async def feed_opened(app: AgentConsole, pilot: Pilot) -> FeedScreen:
    await pilot.press("f4")
    await wait_for(pilot, lambda: isinstance(app.screen, FeedScreen))
    screen = app.screen
    assert isinstance(screen, FeedScreen)
    return screen


async def test_the_days_messages_are_in_the_feed_before_it_opens_and_never_merged_on_the_loop(
    tmp_path: Path, loop_merges: list[int]
) -> None:
    a_day_recorded(tmp_path, 300)
    app = quiet_console(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.history_keeper.settled)
        assert app.feed.history_loaded, "the feed's rows came with the history"
        assert len(app.feed) == 300
        screen = await feed_opened(app, pilot)
        view = screen.table.view
        assert [row.umid for row in view.rows][-3:] == ["day-0297", "day-0298", "day-0299"]
        assert view.counts["undelivered"] == 30
        await pilot.press("slash", *"status:undelivered", "enter")
        await wait_for(pilot, lambda: len(screen.table.view) == 30)
    assert loop_merges == [], "no history row was merged on the UI loop"


async def test_a_feed_with_a_row_before_the_history_opened_gets_the_historys_rows_too(
    tmp_path: Path, loop_merges: list[int]
) -> None:
    now = a_day_recorded(tmp_path, 40)
    app = quiet_console(tmp_path)
    early = FeedRow("early", now, "queued", destination="+6591000001")
    app.feed.merge([early])  # e.g. a send recorded before the history was open
    loop_merges.clear()
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.history_keeper.settled)
        assert not app.feed.history_loaded, "the feed's own row is never replaced"
        screen = await feed_opened(app, pilot)
        await wait_for(pilot, lambda: app.feed.history_loaded)
        umids = [row.umid for row in screen.table.view.rows]
        assert len(umids) == 41 and umids[-1] == "early" and umids[0] == "day-0000"
    assert loop_merges == [40], "merged when the feed opened, as before"


@pytest.mark.parametrize(
    ("key", "field_id", "what"),
    [("f4", "#feed-filter", "The filter"), ("f3", "#search", "The search")],
)
async def test_a_huge_paste_into_a_filter_keeps_what_fits_and_says_so(
    tmp_path: Path, key: str, field_id: str, what: str
) -> None:
    """100,000 characters pasted into the feed's filter made every later key take seconds;
    a filter or a search keeps QUERY_MAX of them and says the rest was left out."""
    from textual import events

    from console.widgets.text_input import QUERY_MAX, TextInput

    app = quiet_console(tmp_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_for(pilot, lambda: app.history_keeper.settled)
        await pilot.press(key)
        await wait_for(pilot, lambda: bool(app.screen.query(field_id)))
        field = app.screen.query_one(field_id, TextInput)
        field.focus()
        field.post_message(events.Paste("9" * 100_000))
        await wait_for(pilot, lambda: len(field.value) == QUERY_MAX)
        left_out = f"{100_000 - QUERY_MAX:,}"
        said = [n.message for n in app._notifications]
        assert (
            f"{what} takes at most {QUERY_MAX} characters: the paste was cut ({left_out} left out)."
            in said
        )
        await pilot.press("end", "backspace")  # the keys act again at once
        await wait_for(pilot, lambda: len(field.value) == QUERY_MAX - 1)
