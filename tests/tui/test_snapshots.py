"""Snapshots of every screen (pytest-textual-snapshot). Regenerate deliberately with
`pytest tests/tui/test_snapshots.py --snapshot-update` and review the SVG diff."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot
from tui_helpers import console_for, wait_for

from console.app import AgentConsole
from console.screens.compose import ComposeScreen
from console.widgets.message_editor import MessageEditor

SIZE = (100, 30)


async def connected(pilot: Pilot) -> None:
    app = pilot.app
    assert isinstance(app, AgentConsole)
    await wait_for(pilot, lambda: app.connection.state == "connected" and app._history_settled)
    # The live-events label changes with timing; pin it so the snapshot is stable.
    await pilot.pause()


def compose_with(text: str, *, to: str = "+6591234567", sender: str = "ACME Care"):  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot) -> None:
        await connected(pilot)
        await pilot.press("f5")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, ComposeScreen))
        screen = pilot.app.screen
        screen.query_one("#from").value = sender  # type: ignore[attr-defined]
        screen.query_one("#to").value = to  # type: ignore[attr-defined]
        screen.query_one("#reference").value = "ac-snapshot01"  # type: ignore[attr-defined]
        if text:
            screen.query_one("#message", MessageEditor).insert(text)
        screen.query_one("#message", MessageEditor).focus()
        await pilot.pause()

    return run_before


@pytest.fixture
def app(sandbox_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AgentConsole:
    """A console on a fresh history in a temporary home: the home screen shows it as
    ~/agent-console whatever the machine's temp folder is."""
    monkeypatch.setenv("HOME", str(tmp_path))
    console = console_for(sandbox_url, data_dir=tmp_path / "agent-console")
    console.follow_events = lambda *args, **kwargs: None  # type: ignore[method-assign]
    return console


def test_home(snap_compare, app: AgentConsole) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(app, terminal_size=SIZE, run_before=connected)


def test_compose_empty(snap_compare, app: AgentConsole) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(app, terminal_size=SIZE, run_before=compose_with("", to="", sender=""))


def test_compose_gsm7_two_segments(snap_compare, app: AgentConsole) -> None:  # type: ignore[no-untyped-def]
    text = ("Your parcel is on its way. " * 12)[:292] + " Track: t/1182"
    assert snap_compare(app, terminal_size=SIZE, run_before=compose_with(text))


def test_compose_ucs2_culprit_highlighted(snap_compare, app: AgentConsole) -> None:  # type: ignore[no-untyped-def]
    text = "Hi Jane — your parcel “A-1182” arrives today"
    assert snap_compare(app, terminal_size=SIZE, run_before=compose_with(text))


def test_compose_over_long(snap_compare, app: AgentConsole) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(app, terminal_size=SIZE, run_before=compose_with("x" * 1600))
