"""The app shell: login to a real sandbox, the header, one key per section, failures."""

from __future__ import annotations

import socket
from pathlib import Path

from tui_helpers import screen_text, wait_for

from console.app import AgentConsole
from console.config import Settings, load_settings
from console.testing import DEMO_KEY, console_for


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
        for key, mode in (("f2", "rooms"), ("f3", "inbox"), ("f4", "feed"), ("f5", "compose")):
            await pilot.press(key)
            await wait_for(pilot, lambda mode=mode: app.current_mode == mode)
            assert "••••••" + DEMO_KEY[-6:] in screen_text(app)
        await pilot.press("f2")
        await wait_for(pilot, lambda: app.current_mode == "rooms")
        assert "Not built yet" in screen_text(app)
        await pilot.press("f1")
        await wait_for(pilot, lambda: app.current_mode == "home")


async def test_sections_are_in_the_command_palette(sandbox_url: str, tmp_path: Path) -> None:
    app = console_for(sandbox_url, data_dir=tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: app.connection.state == "connected")
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"open feed")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.current_mode == "feed")


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_unreachable_server_becomes_a_readable_notice_not_a_crash() -> None:
    settings = Settings(
        api_key="k" * 24, subaccount="sandbox", server=f"http://127.0.0.1:{_closed_port()}"
    )
    app = AgentConsole(settings)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await wait_for(pilot, lambda: app.connection.state == "failed", timeout=60)
        await pilot.pause()
        text = screen_text(app)
        assert "not connected" in text
        assert "ctrl+r" in text
        assert app._notifications, "a notice explains the failure"
        # ctrl+r tries again (and fails again, readably).
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: app.connection.state in {"connecting", "failed"})


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
    from console.config import Settings
    from console.testing import DEMO_SUBACCOUNT

    settings = Settings(
        api_key=DEMO_KEY,
        subaccount=DEMO_SUBACCOUNT,
        server=sandbox_url,
        data_dir=tmp_path,
        keymap={"section.feed": "ctrl+f", "compose.new_reference": "ctrl+g"},
    )
    app = AgentConsole(settings)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: app.connection.state == "connected")
        await pilot.press("ctrl+f")
        await wait_for(pilot, lambda: app.current_mode == "feed")
        await pilot.press("f5")
        await wait_for(pilot, lambda: app.current_mode == "compose")
        await pilot.pause()
        reference = app.screen.query_one("#reference")
        before = reference.value  # type: ignore[attr-defined]
        await pilot.press("ctrl+g")
        await pilot.pause()
        assert reference.value != before  # type: ignore[attr-defined]
