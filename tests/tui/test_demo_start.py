"""Where the console starts when no key is configured: `--server URL` with no key opens the
login form at once; `--demo` never changes what config.toml says about the start."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input, Label
from tui_helpers import (
    DEMO_KEY,
    DEMO_SUBACCOUNT,
    NO_BROWSER,
    connected,
    login_console,
    on_mode,
    screen_text,
    wait_for,
)

from console.app import AgentConsole
from console.config import Settings
from console.screens.login import LoginScreen


@pytest.fixture(autouse=True)
def _own_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, use_keyring: object) -> None:
    """This test's own config.toml, and a headless machine (no keyring backend)."""
    monkeypatch.setenv("AGENT_CONSOLE_CONFIG", str(tmp_path / "config.toml"))


async def test_a_server_without_a_key_opens_the_login_form(
    sandbox_url: str, tmp_path: Path
) -> None:
    # A sandbox started with its own --api-key shares no key: there is nothing to try.
    app = AgentConsole(Settings(server=sandbox_url, data_dir=tmp_path), browser=NO_BROWSER)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, on_mode(app, "login"))
        screen = app.screen
        assert isinstance(screen, LoginScreen)
        await wait_for(pilot, lambda: f"No API key for {sandbox_url}: type it" in screen_text(app))
        assert f"the server is {sandbox_url}" in str(screen.query_one("#server", Label).render())
        assert screen.focused is screen.query_one("#key", Input)
        screen.query_one("#subaccount", Input).value = DEMO_SUBACCOUNT
        await pilot.press(*DEMO_KEY, "enter")
        await wait_for(pilot, lambda: connected(app) and app.current_mode == "home")
        assert DEMO_KEY[-6:] in screen_text(app)


async def test_a_login_in_a_demo_is_not_remembered_as_the_start(
    sandbox_url: str, tmp_path: Path
) -> None:
    config = tmp_path / "config.toml"
    app = login_console(sandbox_url, tmp_path, demo=True, start="sandbox")
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: connected(app))
        await pilot.press("f9")  # log out: the login form
        await wait_for(pilot, on_mode(app, "login"))
        screen = app.screen
        assert isinstance(screen, LoginScreen)
        screen.query_one("#subaccount", Input).value = DEMO_SUBACCOUNT
        screen.query_one("#key", Input).focus()
        await pilot.press(*DEMO_KEY, "enter")
        await wait_for(pilot, lambda: connected(app) and app.current_mode == "home")
    # Someone trying the demo (a browser tab of `serve`) does not decide how this
    # machine's `agent-console` starts next time.
    assert not config.exists()
