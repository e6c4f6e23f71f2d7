"""Text the console did not write is shown as text: typed into every field, sent back by a
server, raised by an exception or carried by a receipt, it is never parsed as markup (a `[/`
must not end the console, a `[@click=…]` must not become an action) and never reaches the
terminal as a control sequence."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import httpx
from textual import events
from textual.app import App
from tui_helpers import (
    WEBHOOK_SECRET,
    console_for,
    open_compose,
    open_section,
    screen_text,
    send_from_compose,
    wait_for,
)

from console.api.session import Session
from console.app import AgentConsole
from console.config import Settings, load_settings
from console.screens.compose import ComposeScreen
from console.screens.home import HomeScreen
from console.widgets.message_editor import MessageEditor
from console.widgets.sent_table import SentTable

OSC52 = "\x1b]52;c;ZWNobyBwd25lZA==\x07"
TITLE = "\x1b]0;root@bank\x07"
MARKUP = ("[/", "[@click=app.quit]x[/]", "AB[reverse]CD[/]")


def raw_controls(app: App[object]) -> list[str]:
    """Segments about to be written to the terminal that carry control characters."""
    found = []
    for strip in app.screen._compositor.render_strips():
        for segment in strip:
            text = segment.text
            if any(ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 for c in text):
                found.append(text)
    return found


def toasts(app: AgentConsole) -> list[str]:
    return [f"{n.title}: {n.message}" for n in app._notifications]


async def test_markup_typed_into_every_field_shows_as_text(
    sandbox_url: str, tmp_path: Path
) -> None:
    app = console_for(sandbox_url, data_dir=tmp_path)
    async with app.run_test(size=(120, 32), notifications=True) as pilot:
        screen = await open_compose(app, pilot)
        for text in MARKUP:
            for field in ("#to", "#country", "#from", "#reference"):
                await pilot.click(field)
                screen.query_one(field).clear()  # type: ignore[attr-defined]
                await pilot.press(*text)
                await pilot.pause()
                assert app.is_running
            shown = screen_text(app)
            assert f"✗ {text}" in shown, "the To hint quotes the number as typed"
            assert text in shown
        screen.query_one(MessageEditor).insert("[/ [@click=app.quit]x[/]")
        await pilot.press("ctrl+j")  # refused at the fields: the hints say why, as text
        await pilot.pause()
        assert app.is_running
        assert screen.query_one(SentTable).row_count == 0


async def test_pasted_control_sequences_never_reach_the_terminal(
    sandbox_url: str, tmp_path: Path
) -> None:
    app = console_for(sandbox_url, data_dir=tmp_path)
    async with app.run_test(size=(120, 32)) as pilot:
        screen = await open_compose(app, pilot)
        for field in ("#to", "#from", "#reference", "#message"):
            await pilot.click(field)
            screen.query_one(field).post_message(events.Paste(f"+65{OSC52}{TITLE}9"))
            await pilot.pause()
        assert not raw_controls(app)
        assert screen.query_one("#to").value.startswith("+65]52;c;")  # type: ignore[attr-defined]
        assert "\x1b" not in screen.query_one(MessageEditor).text


async def test_a_server_url_with_markup_fails_readably(tmp_path: Path) -> None:
    # `agent-console --server 'http://127.0.0.1:9/[/x]'`: no key, so it asks the server for one
    flags = {"server": "http://127.0.0.1:9/[/x]", "data_dir": str(tmp_path)}
    settings = load_settings(flags, {}, {})
    app = AgentConsole(settings)
    async with app.run_test(size=(120, 30), notifications=True) as pilot:
        await wait_for(pilot, lambda: app.connection.state == "failed", timeout=60)
        # No key for a --server: the login form opens, saying which server, as typed.
        await wait_for(pilot, lambda: app.current_mode == "login")
        await wait_for(pilot, lambda: "[/x]" in screen_text(app))
        assert app.is_running
        assert not raw_controls(app)


async def test_exception_text_shows_as_text_in_toast_and_header(tmp_path: Path) -> None:
    async def hostile_connect(settings: Settings) -> Session:
        raise RuntimeError(f"[@click=app.quit]boom[/] {TITLE}{OSC52}")

    settings = Settings(api_key="k" * 24, subaccount="sandbox", server="http://127.0.0.1:9")
    app = AgentConsole(dataclasses.replace(settings, data_dir=tmp_path), connector=hostile_connect)
    async with app.run_test(size=(120, 30), notifications=True) as pilot:
        await wait_for(pilot, lambda: app.connection.state == "failed")
        await wait_for(pilot, lambda: bool(app._notifications))
        await pilot.pause()
        assert app.is_running
        assert "[@click=app.quit]boom[/] ␛]0;root@bank␇" in screen_text(app)
        assert not raw_controls(app)


async def test_a_history_folder_with_markup_shows_on_home(sandbox_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "[b]x[@click=app.quit]y[/]"
    app = console_for(sandbox_url, data_dir=folder)
    async with app.run_test(size=(160, 30), notifications=True) as pilot:
        await wait_for(pilot, lambda: app.connection.state == "connected" and app.history)
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        assert "[b]x[@click=app.quit]y[/]" in screen_text(app)


async def test_receipt_error_text_shows_as_text_in_the_sent_table(
    sandbox_url: str, tmp_path: Path
) -> None:
    app = console_for(sandbox_url, data_dir=tmp_path)
    async with app.run_test(size=(160, 32), notifications=True) as pilot:
        screen = await open_compose(app, pilot)
        await wait_for(pilot, lambda: app.connection.events.state == "live")
        umid = await send_from_compose(pilot, screen, "+6591234567", "hello")
        table = screen.query_one(SentTable)
        hostile = f"[/ [@click=app.quit]x[/] {OSC52}"
        receipt = {
            "namespace": "SMS",
            "eventType": "outbound_message_status_changed",
            "description": "x",
            "payload": {
                "umid": umid,
                "status": {  # "read" outranks every receipt the sandbox will still send
                    "state": "read",
                    "timestamp": "2099-01-01T00:00:00.00Z",
                    "errorCode": 777,
                    "errorMessage": hostile,
                },
            },
        }
        async with httpx.AsyncClient(headers={"Authorization": WEBHOOK_SECRET}) as http:
            answer = await http.post(f"{sandbox_url}/webhooks/sms", json=receipt)
        assert answer.status_code == 200, answer.text
        await wait_for(pilot, lambda: "[@click=app.quit]x[/]" in str(table.get_row_at(0)[2]))
        await pilot.pause()
        assert app.is_running
        assert "␛]52;c;" in str(table.get_row_at(0)[2])
        assert not raw_controls(app)


async def test_a_send_failure_with_markup_shows_once_as_text(
    sandbox_url: str, tmp_path: Path
) -> None:
    app = console_for(sandbox_url, data_dir=tmp_path)
    async with app.run_test(size=(140, 32), notifications=True) as pilot:
        screen = await open_compose(app, pilot)
        reason = f"[/x] [@click=app.quit]q[/] {TITLE}"
        screen.post_message(ComposeScreen.Failed(reason, ["+6591234567"], 0))
        await wait_for(pilot, lambda: bool(app._notifications))
        await pilot.pause()
        assert app.is_running
        assert "✗ Not sent: [/x] [@click=app.quit]q[/] ␛]0;root@bank␇" in screen_text(app)
        assert not raw_controls(app)


HOSTILE = f"[/x] [@click=app.quit]q[/] {TITLE}"


async def test_webhooks_balance_and_prices_from_a_server_show_as_text(
    sandbox_url: str, tmp_path: Path
) -> None:
    from textual.widgets import DataTable

    from console.api.account import Balance, OperatorPrice, PriceList, WebhookConfig
    from console.screens.tools import ToolsScreen

    app = console_for(sandbox_url, data_dir=tmp_path)
    async with app.run_test(size=(200, 40), notifications=True) as pilot:
        screen = await open_section(app, pilot, "f8", ToolsScreen)
        await wait_for(pilot, lambda: bool(screen.hooks))
        hook = WebhookConfig("sms", HOSTILE, HOSTILE, f"https://x.example/{HOSTILE}", True, "s")
        balance = Balance(1.5, HOSTILE)
        screen.post_message(ToolsScreen.Loaded([hook], balance, [HOSTILE]))
        price = OperatorPrice("SG", HOSTILE, HOSTILE, 0.01, HOSTILE)
        screen.post_message(ToolsScreen.PricesLoaded("SG", PriceList((price,)), None))
        await wait_for(pilot, lambda: "https://x.example/[/" in screen_text(app))
        await pilot.pause()
        assert app.is_running
        row = [str(cell) for cell in screen.query_one("#webhooks", DataTable).get_row_at(0)]
        assert row[1] == "[/x] [@click=app.quit]q[/] ␛]0;root@bank␇"
        # the URL takes what the long hostile columns leave: cut in the middle, as text
        assert row[5].startswith("https://x.example/[/") and row[5].endswith("root@bank␇")
        shown = screen_text(app)
        assert "1.50 [/x] [@click=app.quit]q[/] ␛]0;root@bank␇" in shown  # the balance
        assert "✗ [/x] [@click=app.quit]q[/]" in shown  # an error 8x8 gave
        assert "0.0100 [/x] [@click=app.quit]q[/]" in shown  # a price's currency
        assert not raw_controls(app)


async def test_a_suspension_and_a_price_with_markup_show_as_text(
    sandbox_url: str, tmp_path: Path
) -> None:
    from textual.widgets import DataTable

    from console.api.account import OperatorPrice, PriceList
    from console.screens.shield import ShieldScreen

    app = console_for(sandbox_url, data_dir=tmp_path)
    async with app.run_test(size=(160, 40), notifications=True) as pilot:
        await wait_for(pilot, lambda: app.connection.state == "connected")
        app.core.suspensions.add("prefix", HOSTILE, None, 600)  # as a tampered history keeps it
        await pilot.press("f7")
        await wait_for(pilot, lambda: isinstance(app.screen, ShieldScreen))
        table = app.screen.query_one("#suspensions", DataTable)
        await wait_for(pilot, lambda: "[@click=app.quit]" in str(table.get_row_at(0)[0]))
        assert str(table.get_row_at(0)[0]).endswith("[/x] [@click=app.quit]q[/] ␛]0;root@bank␇")
        assert not raw_controls(app)

        compose = await open_compose(app, pilot)
        await pilot.click("#to")
        await pilot.press(*"+6591234567")
        compose.query_one(MessageEditor).insert("hello")
        price = OperatorPrice("SG", "Singapore", "SingTel", 0.02, HOSTILE)
        compose.post_message(ComposeScreen.PricesKnown("SG", PriceList((price,))))
        await wait_for(pilot, lambda: "≈ 0.0200 [/x] [@click=app.quit]q[/]" in screen_text(app))
        assert app.is_running and not raw_controls(app)
