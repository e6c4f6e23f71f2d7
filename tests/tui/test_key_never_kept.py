"""The API key is in neither the history files, the config file, nor any screenshot: after a
login from the login screen, a room with its invite, a log out and a log in again."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from textual.widgets import Input
from tui_helpers import DEMO_KEY, DEMO_SUBACCOUNT, connected, login_console, on_mode, wait_for

from console.ui.browser import Browser


@pytest.fixture(autouse=True)
def _headless(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, use_keyring: object) -> None:
    monkeypatch.setenv("AGENT_CONSOLE_CONFIG", str(tmp_path / "config.toml"))


def leaks(text: str) -> list[str]:
    """The key, or any part of it longer than the 6 characters the console may show."""
    return [part for part in (DEMO_KEY, DEMO_KEY[:-6], DEMO_KEY[:12]) if part in text]


async def test_the_key_is_in_no_history_file_and_no_screenshot(
    sandbox_url: str, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    app = login_console(sandbox_url, data)
    app.browser = Browser(
        lambda url: httpx.get(url, timeout=10).is_success, environ={"DISPLAY": ":0"}
    )
    shots: dict[str, str] = {}
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, on_mode(app, "login"))
        shots["login-empty"] = app.export_screenshot()
        screen = app.screen
        screen.query_one("#subaccount", Input).value = DEMO_SUBACCOUNT
        screen.query_one("#key", Input).value = DEMO_KEY
        shots["login-typed"] = app.export_screenshot()
        await pilot.press("ctrl+j")
        await wait_for(pilot, lambda: connected(app) and app.current_mode == "home")
        shots["home"] = app.export_screenshot()
        await pilot.press("f2")
        await wait_for(pilot, on_mode(app, "rooms"))
        rooms = app.screen
        rooms.query_one("#phone", Input).value = "+6591234567"
        await pilot.press("ctrl+j")
        await wait_for(pilot, lambda: len(app.core.rooms) == 1)
        await pilot.press("ctrl+o")
        await wait_for(pilot, lambda: app.core.rooms_newest()[0].invite.state is not None)
        await pilot.press("ctrl+y")
        assert not leaks(app.clipboard)
        shots["rooms"] = app.export_screenshot()
        await pilot.press("f5")
        await wait_for(pilot, on_mode(app, "compose"))
        shots["compose"] = app.export_screenshot()
        await pilot.press("f9")
        await wait_for(pilot, on_mode(app, "login"))
        shots["logged-out"] = app.export_screenshot()
        login = app.screen
        login.query_one("#key", Input).value = DEMO_KEY
        await pilot.press("ctrl+j")
        await wait_for(pilot, lambda: connected(app))
    assert app.wait_closed(10)
    for name, svg in shots.items():
        assert not leaks(svg), f"the {name} screenshot shows the key"
    files = [path for path in tmp_path.rglob("*") if path.is_file()]
    assert any(path.suffix == ".json" for path in files), "the history was written"
    for path in files:
        assert not leaks(path.read_text(errors="replace")), f"{path} holds the key"
