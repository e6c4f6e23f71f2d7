"""The login screen against a real sandbox: success, each refusal at its own field, the
service down, recent logins after a restart, log out and back in, the keyring (or none), and
the first-run choice remembered in config.toml."""

from __future__ import annotations

import socket
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest
from keyring_helpers import MemoryKeyring
from textual.command import CommandInput
from textual.widgets import Button, Checkbox, DataTable, Input, Label
from tui_helpers import (
    DEMO_KEY,
    DEMO_SUBACCOUNT,
    connected,
    console_for,
    login_console,
    on_mode,
    palette_offers,
    screen_text,
    wait_for,
)

from console.app import AgentConsole
from console.config import Settings
from console.screens.login import LoginScreen
from console.ui.state import LoginState
from console.widgets.secret_input import SecretInput


@pytest.fixture(autouse=True)
def _headless(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, use_keyring: object) -> None:
    """A headless machine (no keyring backend) unless a test installs one; and this test's
    own config.toml."""
    monkeypatch.setenv("AGENT_CONSOLE_CONFIG", str(tmp_path / "config.toml"))


async def on_login_screen(pilot, app: AgentConsole) -> LoginScreen:  # type: ignore[no-untyped-def]
    await wait_for(pilot, on_mode(app, "login"))
    await wait_for(pilot, lambda: app.keyring is not None)
    screen = app.screen
    assert isinstance(screen, LoginScreen)
    return screen


async def fill(pilot, screen: LoginScreen, key: str, subaccount: str) -> None:  # type: ignore[no-untyped-def]
    screen.query_one("#subaccount", Input).value = subaccount
    screen.query_one("#key", Input).value = ""
    screen.query_one("#key", Input).focus()
    await pilot.press(*key)


def hint(screen: LoginScreen, name: str) -> str:
    return str(screen.query_one(f"#{name}", Label).render())


async def test_a_good_key_logs_in_and_opens_home(sandbox_url: str, tmp_path: Path) -> None:
    app = login_console(sandbox_url, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await on_login_screen(pilot, app)
        assert screen.focused is screen.query_one("#key")
        await fill(pilot, screen, DEMO_KEY, DEMO_SUBACCOUNT)
        shown = screen_text(app)
        assert DEMO_KEY not in shown and "•" * 10 + DEMO_KEY[-6:] in shown
        await pilot.press("enter")
        await wait_for(pilot, lambda: connected(app) and app.current_mode == "home")
        text = screen_text(app)
        assert "Asia Pacific" in text and "••••••" + DEMO_KEY[-6:] in text
        assert "SANDBOX" in text  # it is still a sandbox behind the scenes
        assert screen.query_one("#key", Input).value == "", "no field keeps the key"


async def test_a_refused_key_is_said_at_the_key_and_nothing_typed_is_lost(
    sandbox_url: str, tmp_path: Path
) -> None:
    app = login_console(sandbox_url, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await on_login_screen(pilot, app)
        await fill(pilot, screen, "wrong-key-000000000000", DEMO_SUBACCOUNT)
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.connection.state is LoginState.FAILED)
        await pilot.pause()
        assert "API key was refused (8x8 code 1200)" in hint(screen, "key-hint")
        assert hint(screen, "subaccount-hint") == ""
        assert screen.focused is screen.query_one("#key")
        assert screen.query_one("#key", Input).value == "wrong-key-000000000000"
        assert screen.query_one("#subaccount", Input).value == DEMO_SUBACCOUNT
        assert "wrong-key" not in screen_text(app)
        # fix the key and log in: the same form, no retyping of the rest
        await fill(pilot, screen, DEMO_KEY, DEMO_SUBACCOUNT)
        await pilot.press("enter")
        await wait_for(pilot, lambda: connected(app))


async def test_a_refused_subaccount_is_said_at_the_subaccount(
    sandbox_url: str, tmp_path: Path
) -> None:
    app = login_console(sandbox_url, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await on_login_screen(pilot, app)
        await fill(pilot, screen, DEMO_KEY, "someone-else")
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.connection.state is LoginState.FAILED)
        await pilot.pause()
        assert "'someone-else' was refused (8x8 code 1001)" in hint(screen, "subaccount-hint")
        assert "refused" not in hint(screen, "key-hint")
        assert screen.focused is screen.query_one("#subaccount")
        assert screen.query_one("#key", Input).value == DEMO_KEY


async def test_fields_are_checked_before_anything_is_sent(sandbox_url: str, tmp_path: Path) -> None:
    attempts: list[Settings] = []
    app = login_console(sandbox_url, tmp_path, attempts=attempts)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await on_login_screen(pilot, app)
        await fill(pilot, screen, "two words", "x")
        await pilot.press("enter")
        await pilot.pause()
        assert "spaces" in hint(screen, "key-hint")
        assert "3–50 letters" in hint(screen, "subaccount-hint")
        assert screen.focused is screen.query_one("#key")
        assert attempts == []


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_a_service_down_is_said_and_retry_tries_again(tmp_path: Path) -> None:
    attempts: list[Settings] = []
    app = login_console(f"http://127.0.0.1:{_closed_port()}", tmp_path, attempts=attempts)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await on_login_screen(pilot, app)
        await fill(pilot, screen, DEMO_KEY, DEMO_SUBACCOUNT)
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.connection.state is LoginState.FAILED, timeout=60)
        await pilot.pause()
        status = hint(screen, "login-status")
        assert "could not be reached" in status and "Enter retries" in status
        button = screen.query_one("#login", Button)
        assert str(button.label) == "Retry" and screen.focused is button
        await pilot.press("enter")
        await wait_for(pilot, lambda: len(attempts) == 2)
        await wait_for(pilot, lambda: app.connection.state is LoginState.FAILED, timeout=60)
        assert screen.query_one("#key", Input).value == DEMO_KEY


async def test_recent_logins_after_a_restart_fill_everything_but_the_key(
    sandbox_url: str, tmp_path: Path
) -> None:
    first = login_console(sandbox_url, tmp_path)
    async with first.run_test(size=(100, 30)) as pilot:
        screen = await on_login_screen(pilot, first)
        screen.query_one("#region").value = "europe"  # type: ignore[attr-defined]
        await fill(pilot, screen, DEMO_KEY, DEMO_SUBACCOUNT)
        await pilot.press("enter")
        await wait_for(pilot, lambda: connected(first))
    assert first.wait_closed(10)

    again = login_console(sandbox_url, tmp_path)
    async with again.run_test(size=(100, 30)) as pilot:
        screen = await on_login_screen(pilot, again)
        table = screen.query_one("#recent", DataTable)
        await wait_for(pilot, lambda: table.row_count == 1)
        text = screen_text(again)
        assert "Europe" in text and "••••••" + DEMO_KEY[-6:] in text and "just now" in text
        assert DEMO_KEY not in text
        assert screen.query_one("#region").value == "asia"  # type: ignore[attr-defined]
        table.focus()
        await pilot.press("enter")
        await pilot.pause()
        assert screen.query_one("#subaccount", Input).value == DEMO_SUBACCOUNT
        assert screen.query_one("#region").value == "europe"  # type: ignore[attr-defined]
        assert screen.query_one("#key", Input).value == ""
        assert screen.focused is screen.query_one("#key")


async def test_log_out_closes_everything_and_forgets_the_key_then_log_in_again(
    sandbox_url: str, tmp_path: Path
) -> None:
    app = console_for(sandbox_url, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: connected(app) and app.stream is not None)
        stream = app.stream
        await pilot.press("f9")
        screen = await on_login_screen(pilot, app)
        assert app.connection.state is LoginState.LOGGED_OUT
        assert app.session is None and app.stream is None and app.sender is None
        assert stream is not None and stream.closed, "the event stream is stopped"
        assert app.settings.api_key is None and app.session_flow.configured_key == ""
        assert "logged out" in screen_text(app)
        assert "Logged out" in hint(screen, "login-status")
        # ctrl+r does not log back in on its own: only the agent does
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert app.connection.state is LoginState.LOGGED_OUT
        await fill(pilot, screen, DEMO_KEY, DEMO_SUBACCOUNT)
        await pilot.press("enter")
        await wait_for(pilot, lambda: connected(app) and app.current_mode == "home")


async def test_log_out_is_in_the_palette(sandbox_url: str, tmp_path: Path) -> None:
    app = console_for(sandbox_url, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: connected(app))
        titles = [command.title for command in app.get_system_commands(app.screen)]
        assert "Log out" in titles
        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: isinstance(app.focused, CommandInput))
        await pilot.press(*"log out")
        await wait_for(pilot, palette_offers(app, "Log out"))
        await pilot.press("enter")
        await wait_for(pilot, on_mode(app, "login"))
        assert app.session is None


async def test_no_keyring_backend_is_said_and_names_the_environment_variable(
    sandbox_url: str, tmp_path: Path
) -> None:
    app = login_console(sandbox_url, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await on_login_screen(pilot, app)
        await pilot.pause()
        box = screen.query_one("#save-key", Checkbox)
        assert box.disabled and not box.value
        message = hint(screen, "keyring-hint")
        assert "No OS keyring" in message and "CPAAS_API_KEY" in message
        assert "nothing is saved" in message


async def test_a_key_saved_in_the_keyring_logs_in_with_an_empty_field(
    sandbox_url: str, tmp_path: Path, use_keyring: Callable[..., object]
) -> None:
    memory = MemoryKeyring()
    use_keyring(memory)
    app = login_console(sandbox_url, tmp_path, subaccount=DEMO_SUBACCOUNT)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        screen = await on_login_screen(pilot, app)
        box = screen.query_one("#save-key", Checkbox)
        assert not box.disabled
        box.value = True
        await fill(pilot, screen, DEMO_KEY, DEMO_SUBACCOUNT)
        await pilot.press("enter")
        await wait_for(pilot, lambda: memory.saved != {})
        assert memory.saved == {("agent-console", f"{DEMO_SUBACCOUNT}@asia"): DEMO_KEY}
        await pilot.press("f9")
        screen = await on_login_screen(pilot, app)
        screen.query_one("#subaccount", Input).value = DEMO_SUBACCOUNT
        await wait_for(pilot, lambda: app.saved_key is not None)
        await pilot.pause()
        assert "saved in the keyring (••••••" + DEMO_KEY[-6:] in hint(screen, "key-hint")
        screen.query_one("#key", Input).focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: connected(app))
        assert app.settings.api_key == DEMO_KEY
    assert not [p for p in tmp_path.rglob("*") if p.is_file() and DEMO_KEY in _read(p)]


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except OSError:
        return ""


async def test_the_first_run_choice_is_remembered_in_config(
    sandbox_url: str, tmp_path: Path
) -> None:
    config = tmp_path / "config.toml"
    config.write_text('# mine\nstart = "login"  # chosen once\n\n[history]\nmax_age_days = 9\n')
    app = login_console(sandbox_url, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await on_login_screen(pilot, app)
        await pilot.click("#sandbox")
        await wait_for(pilot, lambda: connected(app) and app.current_mode == "home")
        await wait_for(pilot, lambda: 'start = "sandbox"' in config.read_text())
    text = config.read_text()
    assert text.startswith("# mine\n") and "# chosen once" in text
    assert tomllib.loads(text) == {"start": "sandbox", "history": {"max_age_days": 9}}
    assert app.connection.target == "sandbox"


async def test_a_configured_key_that_fails_opens_the_login_screen(
    sandbox_url: str, tmp_path: Path
) -> None:
    settings = Settings(
        api_key="configured-but-wrong-0000", subaccount=DEMO_SUBACCOUNT, server=sandbox_url
    )
    app = AgentConsole(dataclasses_replace(settings, data_dir=tmp_path))
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await on_login_screen(pilot, app)
        await wait_for(pilot, lambda: "refused" in hint(screen, "key-hint"))
        assert screen.query_one("#key", Input).value == ""
        assert screen.query_one("#subaccount", Input).value == DEMO_SUBACCOUNT
        await fill(pilot, screen, DEMO_KEY, DEMO_SUBACCOUNT)
        await pilot.press("enter")
        await wait_for(pilot, lambda: connected(app))


def dataclasses_replace(settings: Settings, **changes: object) -> Settings:
    import dataclasses

    return dataclasses.replace(settings, **changes)  # type: ignore[arg-type]


async def test_the_reveal_key_shows_the_key_and_hides_it_again(
    sandbox_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The field's own timer hides the key again: after 1 s here instead of 5 s.
    monkeypatch.setattr(SecretInput, "reveal_seconds", 1.0)
    app = login_console(sandbox_url, tmp_path)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        screen = await on_login_screen(pilot, app)
        await fill(pilot, screen, DEMO_KEY, DEMO_SUBACCOUNT)
        assert DEMO_KEY not in screen_text(app)
        await pilot.press("ctrl+t")
        await wait_for(pilot, lambda: DEMO_KEY in screen_text(app))
        await wait_for(pilot, lambda: DEMO_KEY not in screen_text(app), timeout=10)
        key = screen.query_one("#key")
        await pilot.press("ctrl+t")
        await pilot.pause()
        await pilot.press("tab")  # leaving the field hides it at once
        await pilot.pause()
        assert DEMO_KEY not in screen_text(app)
        key.focus()
        await pilot.press("ctrl+shift+a", "ctrl+c")
        await pilot.pause()
        assert app.clipboard != DEMO_KEY
        assert any("never copied" in n.message for n in app._notifications)
