"""80×24 snapshots of WhatsApp's closed window: Sofia wrote 26 hours ago (the seeded inbox,
a fixed clock), so her thread's header says the window closed and a free-form reply is
refused at the box; and the template picker with a template highlighted and its first value
typed. Regenerate with --snapshot-update and review."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from inbox_helpers import SNAPSHOT_NOW, SOFIA_ID, seed_inbox
from textual.pilot import Pilot
from textual.widgets import OptionList, Static
from tui_helpers import connected, console_for, wait_for

from console.app import AgentConsole
from console.screens.inbox import InboxScreen
from console.screens.templates import TemplatePicker
from console.widgets.reply_box import ReplyBox
from console.widgets.text_input import TextInput

SIZE = (80, 24)


@pytest.fixture
def inbox_app(sandbox_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AgentConsole:
    monkeypatch.setenv("HOME", str(tmp_path))
    data = tmp_path / "agent-console"
    seed_inbox(data)
    console = console_for(sandbox_url, data_dir=data, clock=lambda: SNAPSHOT_NOW)
    console.settings = dataclasses.replace(console.settings, history_max_age_days=100_000)
    console.live.follow = lambda *args, **kwargs: None  # type: ignore[method-assign]
    return console


async def sofias_thread(pilot: Pilot) -> InboxScreen:
    app = pilot.app
    assert isinstance(app, AgentConsole)
    await wait_for(pilot, lambda: connected(app) and app.history_keeper.settled)
    await pilot.press("f3")
    await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen))
    screen = app.screen
    assert isinstance(screen, InboxScreen)
    await wait_for(pilot, lambda: app.core.inbox.get(SOFIA_ID) is not None)
    screen.open_conversation(SOFIA_ID)
    await wait_for(
        pilot, lambda: "WA window closed" in str(screen.query_one("#thread-header").render())
    )
    return screen


async def refused_reply(pilot: Pilot) -> None:
    screen = await sofias_thread(pilot)
    reply = screen.query_one(ReplyBox)
    reply.focus()
    reply.insert("Hi Sofia, anything else?")
    await pilot.pause()
    await pilot.press("ctrl+j")
    await wait_for(
        pilot, lambda: "window closed" in str(screen.query_one("#reply-hint", Static).render())
    )
    await pilot.pause()


async def picker(pilot: Pilot) -> None:
    await sofias_thread(pilot)
    app = pilot.app
    await pilot.press("ctrl+t")
    await wait_for(pilot, lambda: isinstance(app.screen, TemplatePicker))
    dialog = app.screen
    assert isinstance(dialog, TemplatePicker)
    await wait_for(pilot, lambda: bool(dialog.templates))
    names = [t.name for t in dialog.templates]
    dialog.query_one(OptionList).highlighted = names.index("ticket_update")
    await pilot.pause()
    await pilot.press("enter")
    await wait_for(pilot, lambda: isinstance(app.focused, TextInput))
    await pilot.press(*"Sofia")
    await pilot.pause()


def test_a_closed_window_refuses_free_form(snap_compare, inbox_app: AgentConsole) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(inbox_app, terminal_size=SIZE, run_before=refused_reply)


def test_the_template_picker(snap_compare, inbox_app: AgentConsole) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(inbox_app, terminal_size=SIZE, run_before=picker)
