"""The app shell: login to a real sandbox, the header, one key per section, failures."""

from __future__ import annotations

import socket
from pathlib import Path

from textual.command import CommandInput
from textual.widgets import Input
from tui_helpers import DEMO_KEY, console_for, palette_offers, screen_text, wait_for

from console.api.session import Session, connect
from console.app import AgentConsole
from console.config import Settings, load_settings
from console.ui.sections import SECTIONS


async def test_header_shows_target_subaccount_and_masked_key(
    sandbox_url: str, tmp_path: Path
) -> None:
    app = console_for(sandbox_url, data_dir=tmp_path)
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for(pilot, lambda: app.connection.state == "connected")
        await pilot.pause()
        text = screen_text(app)
        assert "● connected to sandbox" in text
        assert "sub-account sandbox" in text
        assert "••••••" + DEMO_KEY[-6:] in text
        assert DEMO_KEY not in text
        assert DEMO_KEY[:-6] not in text


async def test_every_section_is_a_key_away(sandbox_url: str, tmp_path: Path) -> None:
    app = console_for(sandbox_url, data_dir=tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: app.connection.state == "connected")
        for section in (*SECTIONS[1:], SECTIONS[0]):
            await pilot.press(section.key)
            await wait_for(pilot, lambda mode=section.mode: app.current_mode == mode)
            text = screen_text(app)
            assert "••••••" + DEMO_KEY[-6:] in text
            assert "coming" not in text.lower() and "not built" not in text.lower()


async def test_only_sections_that_exist_are_offered(sandbox_url: str, tmp_path: Path) -> None:
    app = console_for(sandbox_url, data_dir=tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: app.connection.state == "connected")
        home = screen_text(app)
        for section in SECTIONS[1:]:
            assert section.title in home and section.key.upper() in home
        await pilot.press("f6")  # a key no section has: nothing happens
        await pilot.pause()
        assert app.current_mode == "home"
        titles = [command.title for command in app.get_system_commands(app.screen)]
        assert {f"Open {section.title}" for section in SECTIONS[1:]} <= set(titles)


async def test_every_header_says_sandbox_on_a_sandbox(sandbox_url: str, tmp_path: Path) -> None:
    app = console_for(sandbox_url, data_dir=tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.connection.state == "connected")
        for mode in (*(section.mode for section in SECTIONS), "login"):
            await app.switch_mode(mode)
            await wait_for(pilot, lambda mode=mode: app.current_mode == mode)
            await pilot.pause()
            header = screen_text(app).splitlines()[0]
            assert "SANDBOX" in header, f"{mode}: {header}"


async def test_sections_are_in_the_command_palette(sandbox_url: str, tmp_path: Path) -> None:
    app = console_for(sandbox_url, data_dir=tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: app.connection.state == "connected")
        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: isinstance(app.focused, CommandInput))
        await pilot.press(*"open compose")
        await wait_for(pilot, palette_offers(app, "Open Compose"))
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.current_mode == "compose")


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_unreachable_server_becomes_a_readable_notice_not_a_crash(tmp_path: Path) -> None:
    settings = Settings(
        api_key="k" * 24,
        subaccount="sandbox",
        server=f"http://127.0.0.1:{_closed_port()}",
        data_dir=tmp_path,
    )
    attempts: list[int] = []

    async def counted_connect(settings: Settings) -> Session:
        attempts.append(len(attempts) + 1)
        return await connect(settings)

    app = AgentConsole(settings, connector=counted_connect)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await wait_for(pilot, lambda: app.connection.state == "failed", timeout=60)
        await pilot.pause()
        text = screen_text(app)
        assert "not connected" in text
        # a configured key that could not be checked: the login screen says why, offers retry
        assert app.current_mode == "login"
        assert "could not be reached" in text and "Retry" in text
        assert attempts == [1]
        # ctrl+r tries again too: a second login, which fails again, readably.
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: attempts == [1, 2])
        await wait_for(pilot, lambda: app.connection.state == "failed", timeout=60)
        assert "not connected" in screen_text(app)


async def test_wrong_key_is_refused_with_8x8s_reason(sandbox_url: str, tmp_path: Path) -> None:
    settings = Settings(api_key="wrong-key-000000", subaccount="sandbox", server=sandbox_url)
    app = AgentConsole(settings)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await wait_for(pilot, lambda: app.connection.state == "failed")
        assert "1200" in app.connection.detail or "key" in app.connection.detail.lower()
        assert "wrong-key" not in screen_text(app)


async def test_default_start_runs_the_embedded_sandbox_and_logs_in(tmp_path: Path) -> None:
    app = AgentConsole(load_settings({"seed": 1, "data_dir": str(tmp_path)}, {}, {}))
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await wait_for(pilot, lambda: app.connection.state == "connected", timeout=60)
        assert app.connection.target == "sandbox"
        assert app.session is not None and app.session.sandbox is not None
        first = app.session.sandbox.process

        # If the sandbox dies, the header says so (never a frozen "connected")...
        first.kill()
        await wait_for(pilot, lambda: app.connection.state == "failed")
        assert "embedded sandbox stopped" in app.connection.detail
        # ...and ctrl+r starts a new one.
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: app.connection.state == "connected", timeout=60)
        assert app.session is not None and app.session.sandbox is not None
        process = app.session.sandbox.process
        assert process is not first
    await process.wait()
    assert process.returncode is not None, "the sandbox process stops with the console"


async def test_keys_can_be_remapped_from_the_config(sandbox_url: str, tmp_path: Path) -> None:
    keymap = {"section.compose": "ctrl+f", "compose.new_reference": "ctrl+g"}
    app = console_for(sandbox_url, data_dir=tmp_path, keymap=keymap)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: app.connection.state == "connected")
        await pilot.press("ctrl+f")
        await wait_for(pilot, lambda: app.current_mode == "compose")
        await pilot.pause()
        reference = app.screen.query_one("#reference", Input)
        before = reference.value
        await pilot.press("ctrl+g")
        await pilot.pause()
        assert reference.value != before
