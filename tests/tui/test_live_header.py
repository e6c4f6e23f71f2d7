"""The header never shows a frozen "connected": live, reconnecting (attempt n), or a gap."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import httpx
from tui_helpers import DEMO_KEY, DEMO_SUBACCOUNT, console_for, screen_text, wait_for

from console.sandbox.app import SandboxConfig
from console.sandbox.server import SandboxServer


def quiet_sandbox(port: int = 0) -> SandboxServer:
    config = SandboxConfig(
        api_keys=(DEMO_KEY,), subaccount=DEMO_SUBACCOUNT, customers=False, speed=5.0
    )
    return SandboxServer(config, port=port)


async def test_header_follows_the_event_stream_through_a_restart(tmp_path: Path) -> None:
    server = quiet_sandbox()
    url = server.start()
    port = urlsplit(url).port
    assert port is not None
    app = console_for(url, data_dir=tmp_path)
    try:
        async with app.run_test(size=(120, 30), notifications=True) as pilot:
            await wait_for(pilot, lambda: app.connection.events.state == "live")
            assert "events live" in screen_text(app)
            async with httpx.AsyncClient(headers={"Authorization": f"Bearer {DEMO_KEY}"}) as http:
                injected = await http.post(
                    f"{url}/sandbox/inbound",
                    json={"channel": "whatsapp", "from": "+6591234567", "text": "hello?"},
                )
            assert injected.status_code < 300, injected.text
            await wait_for(pilot, lambda: app.stream is not None and app.stream.last_seq)

            server.stop()
            await wait_for(pilot, lambda: app.connection.events.state == "reconnecting")
            await pilot.pause()
            assert "events reconnecting (attempt" in screen_text(app)

            # A new relay on the same address knows nothing of the old world's events: the
            # console resumes and says plainly, in the header and a notice, that some may be
            # missing (the relay's log restarted below the console's resume point).
            server = quiet_sandbox(port)
            server.start()
            await wait_for(pilot, lambda: app.connection.events.state == "gap", timeout=60)
            await pilot.pause()
            assert "events may be missing since" in screen_text(app)
            assert any(n.title == "Events may be missing" for n in app._notifications)
    finally:
        server.stop()


async def inject(url: str, text: str) -> None:
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {DEMO_KEY}"}) as http:
        answer = await http.post(
            f"{url}/sandbox/inbound",
            json={"channel": "viber", "from": "+6591234567", "name": "Ana", "text": text},
        )
    assert answer.status_code < 300, answer.text


def texts(app) -> set[str]:  # type: ignore[no-untyped-def]
    assert app.history is not None
    return {m.text for m in app.history.recent_messages(100)}


async def test_a_restarted_console_gets_what_it_missed(tmp_path: Path) -> None:
    server = quiet_sandbox()
    url = server.start()
    try:
        first = console_for(url, data_dir=tmp_path)
        async with first.run_test(size=(100, 30)) as pilot:
            await wait_for(pilot, lambda: first.connection.events.state == "live" and first.history)
            await inject(url, "before the restart")
            await wait_for(pilot, lambda: "before the restart" in texts(first))
        assert first.wait_closed(timeout=30), "the history's last flush completes"

        await inject(url, "while the console was closed")

        second = console_for(url, data_dir=tmp_path)
        async with second.run_test(size=(100, 30)) as pilot:
            await wait_for(pilot, lambda: second.history is not None)
            await wait_for(pilot, lambda: "while the console was closed" in texts(second))
            assert second.connection.events.state == "live"
    finally:
        server.stop()


async def test_a_sandbox_without_a_relay_says_how_to_get_live_events(tmp_path: Path) -> None:
    config = SandboxConfig(
        api_keys=(DEMO_KEY,),
        subaccount=DEMO_SUBACCOUNT,
        customers=False,
        webhook_url="http://127.0.0.1:9/elsewhere",
    )
    server = SandboxServer(config)
    url = server.start()
    try:
        app = console_for(url, data_dir=tmp_path)
        async with app.run_test(size=(120, 30)) as pilot:
            await wait_for(pilot, lambda: app.connection.state == "connected")
            await pilot.pause()
            assert app.connection.events.state == "off"
            assert "pass --relay" in screen_text(app)
            assert app.stream is None
    finally:
        server.stop()
