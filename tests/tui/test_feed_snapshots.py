"""Snapshots of the delivery feed and a message's timeline at 80×24 and 160×48. Regenerate
deliberately with `pytest tests/tui/test_feed_snapshots.py --snapshot-update`."""

from __future__ import annotations

from pathlib import Path

import pytest
from feed_data import seed_feed
from textual.pilot import Pilot
from tui_helpers import console_for, wait_for

from console.app import AgentConsole
from console.screens.feed import FeedScreen
from console.screens.message_timeline import MessageTimelineScreen


@pytest.fixture
def app(sandbox_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AgentConsole:
    monkeypatch.setenv("HOME", str(tmp_path))
    console = console_for(sandbox_url, data_dir=tmp_path / "agent-console")
    console.live.follow = lambda *args, **kwargs: None  # type: ignore[method-assign]
    return console


async def feed_shown(pilot: Pilot) -> FeedScreen:
    app = pilot.app
    assert isinstance(app, AgentConsole)
    await wait_for(
        pilot, lambda: app.connection.state == "connected" and app.history_keeper.settled
    )
    seed_feed(app)
    await pilot.press("f4")
    await wait_for(pilot, lambda: isinstance(app.screen, FeedScreen))
    screen = app.screen
    assert isinstance(screen, FeedScreen)
    await wait_for(pilot, lambda: app.feed.history_loaded)
    await wait_for(pilot, lambda: settled(screen))
    return screen


def settled(screen: FeedScreen) -> bool:
    """The rows are drawn and no throttled summary update is pending."""
    return not screen.table.view.settle() and screen._summary_timer is None


async def paused_with_failures(pilot: Pilot) -> None:
    screen = await feed_shown(pilot)
    await pilot.press("slash", *"status:undelivered,rejected,nofinal", "enter")
    await wait_for(pilot, lambda: screen.table.has_focus and len(screen.table.view) == 8)
    await pilot.press("up", "up", "up")
    await wait_for(pilot, lambda: not screen.table.following and settled(screen))


async def timeline_open(pilot: Pilot) -> None:
    screen = await feed_shown(pilot)
    await pilot.press("up", "up", "up", "up", "up", "up", "up")
    await pilot.press("enter")
    app = pilot.app
    await wait_for(
        pilot, lambda: isinstance(app.screen, MessageTimelineScreen) and app.screen.is_mounted
    )
    # the stored receipts are read from the history by a worker
    await wait_for(pilot, lambda: not [w for w in app.workers if w.group == "timeline-history"])
    await pilot.pause()
    assert screen is not None


@pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=["80x24", "160x48"])
def test_feed_following(snap_compare, app: AgentConsole, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(app, terminal_size=size, run_before=feed_shown)


@pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=["80x24", "160x48"])
def test_feed_filtered_and_paused(snap_compare, app: AgentConsole, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(app, terminal_size=size, run_before=paused_with_failures)


@pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=["80x24", "160x48"])
def test_feed_timeline(snap_compare, app: AgentConsole, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(app, terminal_size=size, run_before=timeline_open)
