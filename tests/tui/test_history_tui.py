"""The console opens where the agent left off, and two consoles never clobber a history."""

from __future__ import annotations

from pathlib import Path

from tui_helpers import (
    DEMO_KEY,
    console_for,
    open_compose,
    screen_text,
    send_from_compose,
    wait_for,
)

from console.screens.compose import ComposeScreen
from console.store import History
from console.widgets.sent_table import SentTable


async def test_sends_survive_a_restart_and_the_key_is_never_stored(
    sandbox_url: str, tmp_path: Path
) -> None:
    app = console_for(sandbox_url, data_dir=tmp_path)
    async with app.run_test(size=(120, 32)) as pilot:
        screen = await open_compose(app, pilot)
        await wait_for(pilot, lambda: app.history is not None)
        umid = await send_from_compose(pilot, screen, "+6591234567", "Remember me")
    assert app.wait_closed(timeout=30), "the history's last flush completes"

    saved = [path for path in (tmp_path / "history").iterdir() if path.is_file()]
    assert any(umid.encode() in path.read_bytes() for path in saved)
    for path in saved:
        raw = path.read_bytes()
        assert DEMO_KEY.encode() not in raw
        assert DEMO_KEY[:-6].encode() not in raw

    again = console_for(sandbox_url, data_dir=tmp_path)
    async with again.run_test(size=(120, 32)) as pilot:
        await wait_for(pilot, lambda: again.history is not None)
        await pilot.press("f5")
        await wait_for(pilot, lambda: isinstance(again.screen, ComposeScreen))
        table = again.screen.query_one("#sent", SentTable)
        await wait_for(pilot, lambda: table.row_count == 1)
        assert str(table.get_row_at(0)[1]) == umid
        assert again.history is not None
        logins = again.history.recent_logins()
        assert logins and logins[0].key_tail == DEMO_KEY[-6:]


async def test_a_second_console_on_the_same_folder_says_it_does_not_save(
    sandbox_url: str, tmp_path: Path
) -> None:
    holder = History.open(tmp_path)
    try:
        app = console_for(sandbox_url, data_dir=tmp_path)
        async with app.run_test(size=(120, 32), notifications=True) as pilot:
            await wait_for(pilot, lambda: app.history_keeper.settled)
            await pilot.pause()
            assert app.history is None
            assert app.history_status.state == "not saved"
            assert "not saved" in screen_text(app)
            assert any("--data-dir" in n.message for n in app._notifications)
            await wait_for(pilot, lambda: app.connection.state == "connected")
    finally:
        holder.close()
