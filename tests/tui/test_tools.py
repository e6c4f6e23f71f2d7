"""The Tools section against real servers: the account's webhooks listed, created, toggled
and deleted; "point 8x8's webhooks at my relay" against a sandbox whose webhooks point
elsewhere, ending with a receipt that arrived through the relay; balance and prices."""

from __future__ import annotations

import asyncio
import dataclasses
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from textual.widgets import DataTable
from tui_helpers import (
    DEMO_KEY,
    DEMO_SUBACCOUNT,
    confirm_send,
    console_for,
    open_section,
    press,
    quiet_sandbox,
    screen_text,
    wait_for,
)

from console.api.session import Session, connect
from console.app import AgentConsole
from console.config import Settings
from console.live.log import MemoryEventLog
from console.live.relay import create_relay_app
from console.sandbox.server import bind_socket
from console.screens.tools import ToolsScreen
from console.ui.state import EventsState

RELAY_SECRET = "Bearer relay-secret-for-tools"
EVENTS_TOKEN = "events-token-for-tools"


class Served:
    """An ASGI app under uvicorn on a free loopback port, in a thread."""

    def __init__(self, app: Any) -> None:
        self.sock = bind_socket("127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
        self.thread = threading.Thread(
            target=lambda: asyncio.run(self.server.serve(sockets=[self.sock])), daemon=True
        )

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.01)
        return self.url

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.sock.close()


@pytest.fixture
def relay_url() -> Iterator[str]:
    app = create_relay_app(MemoryEventLog(), webhook_secret=RELAY_SECRET, events_token=EVENTS_TOKEN)
    with Served(app) as url:
        yield url


@pytest.fixture
def elsewhere_sandbox() -> Iterator[str]:
    """A sandbox started with --webhook-url pointing elsewhere (a port nobody listens on)."""
    dead = bind_socket("127.0.0.1", 0)
    port = dead.getsockname()[1]
    dead.close()
    yield from quiet_sandbox(
        3,
        webhook_url=f"http://127.0.0.1:{port}/hooks",
        webhook_secret="Bearer not-the-relay",
        retry_schedule=(0.1,),
    )


def console_with_relay(server: str, relay: str, data_dir: Path) -> AgentConsole:
    settings = Settings(
        api_key=DEMO_KEY,
        subaccount=DEMO_SUBACCOUNT,
        server=server,
        relay=relay,
        events_token=EVENTS_TOKEN,
        data_dir=data_dir,
    )

    async def labelled(settings: Settings) -> Session:
        return dataclasses.replace(await connect(settings), target="sandbox")

    return AgentConsole(settings, connector=labelled)


async def open_tools(app: AgentConsole, pilot) -> ToolsScreen:  # type: ignore[no-untyped-def]
    screen = await open_section(app, pilot, "f8", ToolsScreen)
    await wait_for(pilot, lambda: bool(screen.hooks))
    return screen


def rows(screen: ToolsScreen) -> list[dict[str, str]]:
    """The webhooks' rows, each cell by its column ("product", "auth", "state", "url"…): at
    80 columns the least important columns are not shown."""
    table = screen.query_one("#webhooks", DataTable)
    names = [str(key.value) for key in table.columns]
    return [
        dict(zip(names, (str(cell) for cell in table.get_row_at(i)), strict=True))
        for i in range(table.row_count)
    ]


async def test_webhooks_are_listed_created_toggled_and_deleted(
    sandbox_url: str, tmp_path: Path
) -> None:
    app = console_for(sandbox_url, data_dir=tmp_path)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        screen = await open_tools(app, pilot)
        listed = rows(screen)
        assert [row["product"] for row in listed] == ["SMS", "SMS", "Chat Apps", "Chat Apps"]
        assert all(row["auth"] == "set" for row in listed)  # an Authorization, never its value
        assert "tui-webhook-secret" not in screen_text(app)
        assert "Balance" in screen_text(app) and "EUR" in screen_text(app)

        await pilot.press("n")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "WebhookDialog")
        dialog = app.screen
        dialog.query_one("#url").value = "ftp://nope"
        press(app, "#create")
        await pilot.pause()
        assert "A webhook URL" in screen_text(app)  # at the field, nothing sent
        dialog.query_one("#url").value = "https://hooks.example.com/dr"
        dialog.query_one("#authorization").value = "Basic c2VjcmV0"
        press(app, "#create")
        await wait_for(pilot, lambda: len(rows(screen)) == 5)
        mine = next(row for row in rows(screen) if row["url"] == "https://hooks.example.com/dr")
        assert (
            mine["subaccount"] == DEMO_SUBACCOUNT
            and mine["auth"] == "set"
            and mine["state"] == "● on"
        )
        assert "c2VjcmV0" not in screen_text(app)

        table = screen.query_one("#webhooks", DataTable)
        table.focus()
        table.move_cursor(row=table.get_row_index(f"sms|{DEMO_SUBACCOUNT}|DR"))
        await pilot.press("e")
        await wait_for(
            pilot,
            lambda: any(
                row["url"].endswith("/dr") and row["state"] == "○ off" for row in rows(screen)
            ),
        )
        await pilot.press("d")
        await wait_for(pilot, lambda: "Delete this SMS webhook?" in screen_text(app))
        assert "relay depends on it" not in screen_text(app), "it points elsewhere"
        await pilot.press("escape")  # Cancel: nothing deleted
        await wait_for(pilot, lambda: app.screen is screen)
        assert len(rows(screen)) == 5
        await pilot.press("d")
        await confirm_send(pilot, app)
        await wait_for(pilot, lambda: len(rows(screen)) == 4)
        assert all(not row["url"].endswith("/dr") for row in rows(screen))

        await pilot.press("n")  # without an Authorization: the table says so
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "WebhookDialog")
        app.screen.query_one("#url").value = "https://open.example.com/dr"
        press(app, "#create")
        await wait_for(
            pilot, lambda: any(row["url"].endswith("open.example.com/dr") for row in rows(screen))
        )
        (open_hook,) = [row for row in rows(screen) if row["url"].endswith("open.example.com/dr")]
        assert open_hook["auth"] == "not set"
        table.move_cursor(row=table.get_row_index(f"sms|{DEMO_SUBACCOUNT}|DR"))
        await pilot.press("d")  # the shared sandbox's receipts go where they went before
        await confirm_send(pilot, app)
        await wait_for(pilot, lambda: len(rows(screen)) == 4)


async def test_point_at_my_relay_ends_with_a_receipt_through_the_relay(
    elsewhere_sandbox: str, relay_url: str, tmp_path: Path
) -> None:
    app = console_with_relay(elsewhere_sandbox, relay_url, tmp_path)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        screen = await open_tools(app, pilot)
        await wait_for(pilot, lambda: app.connection.events.state is EventsState.LIVE)
        assert "/hooks/sms" in screen_text(app)  # where the command line pointed them
        await pilot.press("p")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "RelayDialog")
        dialog = app.screen
        assert dialog.query_one("#relay-url").value == relay_url  # suggested: the one followed
        press(app, "#point")
        await pilot.pause()
        assert "Give the relay's webhook secret" in screen_text(app)
        dialog.query_one("#relay-secret").value = RELAY_SECRET
        press(app, "#point")
        await wait_for(pilot, lambda: len(screen.hops) == 5 or any(not h.ok for h in screen.hops))
        assert [hop.ok for hop in screen.hops] == [True] * 5, [h.line for h in screen.hops]
        assert screen.hops[-1].name == "its receipt came back through the relay"
        await wait_for(pilot, lambda: f"{relay_url}/webhooks/sms" in screen_text(app))
        assert RELAY_SECRET not in screen_text(app)


async def test_a_relay_that_does_not_answer_is_named_as_the_failed_hop(
    elsewhere_sandbox: str, relay_url: str, tmp_path: Path
) -> None:
    app = console_with_relay(elsewhere_sandbox, relay_url, tmp_path)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        screen = await open_tools(app, pilot)
        await pilot.press("p")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "RelayDialog")
        dialog = app.screen
        dead = bind_socket("127.0.0.1", 0)
        dialog.query_one("#relay-url").value = f"http://127.0.0.1:{dead.getsockname()[1]}"
        dead.close()
        dialog.query_one("#relay-secret").value = RELAY_SECRET
        press(app, "#point")
        await wait_for(pilot, lambda: bool(screen.hops))
        (hop,) = screen.hops
        assert not hop.ok and hop.name == "the relay answers at its public URL"
        await wait_for(pilot, lambda: "✗ the relay answers at its public URL" in screen_text(app))
        assert all("/hooks/" in row["url"] for row in rows(screen))  # nothing was changed


async def test_prices_for_a_number(sandbox_url: str, tmp_path: Path) -> None:
    app = console_for(sandbox_url, data_dir=tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_tools(app, pilot)
        await pilot.click("#price-for")
        await pilot.press(*"+6281112345678", "enter")
        await wait_for(pilot, lambda: "Telkomsel: 0.0290 EUR per SMS part" in screen_text(app))


async def test_balance_on_home_and_the_price_in_the_composer(
    sandbox_url: str, tmp_path: Path
) -> None:
    from tui_helpers import open_compose

    from console.widgets.message_editor import MessageEditor

    app = console_for(sandbox_url, data_dir=tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: "Balance" in screen_text(app))
        assert "EUR" in screen_text(app)
        screen = await open_compose(app, pilot)
        await pilot.click("#to")
        await pilot.press(*"+6281112345678")
        screen.query_one(MessageEditor).insert("x" * 200)  # 2 segments
        await wait_for(pilot, lambda: "≈ 0.0580 EUR (2 × 0.0290)" in screen_text(app))
        await pilot.press(*", +6591231111")
        await wait_for(pilot, lambda: "≈ 0.13 EUR for 2 numbers" in screen_text(app))


async def test_an_account_without_webhooks_says_so_at_80_columns(
    sandbox_url: str, tmp_path: Path
) -> None:
    app = console_for(sandbox_url, data_dir=tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_section(app, pilot, "f8", ToolsScreen)
        await wait_for(pilot, lambda: bool(screen.hooks))
        screen.post_message(ToolsScreen.Loaded([], None, []))
        table = screen.query_one("#webhooks", DataTable)
        await wait_for(pilot, lambda: not screen.hooks and table.row_count == 1)
        assert "8x8 sends this account's events nowhere" in rows(screen)[0]["url"]
        assert app.is_running


async def test_in_the_demo_point_at_my_relay_completes_without_a_secret_to_find(
    tmp_path: Path,
) -> None:
    """The embedded sandbox tells the console its relay's secret (over its pipe): the
    dialog comes filled in, masked, and Enter proves the whole path."""
    from console.config import load_settings

    app = AgentConsole(load_settings({"seed": 3, "data_dir": str(tmp_path)}, {}, {}))
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await wait_for(pilot, lambda: app.connection.state == "connected", timeout=60)
        await wait_for(pilot, lambda: app.connection.events.state is EventsState.LIVE)
        screen = await open_section(app, pilot, "f8", ToolsScreen)
        session = app.session
        assert session is not None and session.sandbox is not None
        secret = session.sandbox.webhook_secret
        assert secret
        await pilot.press("p")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "RelayDialog")
        assert app.screen.query_one("#relay-secret").value == secret  # type: ignore[attr-defined]
        assert secret not in screen_text(app), "masked"
        await pilot.press("enter")  # the focused button: Point and prove
        await wait_for(
            pilot, lambda: len(screen.hops) == 5 or any(not h.ok for h in screen.hops), timeout=30
        )
        assert [hop.ok for hop in screen.hops] == [True] * 5, [h.line for h in screen.hops]
        assert secret not in screen_text(app)


async def test_stopping_a_webhook_the_relay_depends_on_asks_and_says_what_stops(
    fresh_sandbox: str, tmp_path: Path
) -> None:
    app = console_for(fresh_sandbox, data_dir=tmp_path)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        screen = await open_tools(app, pilot)
        await wait_for(pilot, lambda: app.connection.events.state is EventsState.LIVE)
        table = screen.query_one("#webhooks", DataTable)
        table.focus()
        table.move_cursor(row=table.get_row_index("sms|*|DR"))  # to the sandbox's own relay
        await pilot.press("e")
        await wait_for(
            pilot, lambda: "Disable a webhook your relay depends on?" in screen_text(app)
        )
        said = str(app.screen.query_one("#confirm-lines").render())
        assert "What stops: SMS delivery receipts: the Feed, Compose's statuses" in said
        await pilot.press("enter")  # Cancel is focused
        await wait_for(pilot, lambda: app.screen is screen)
        assert all(row["state"] == "● on" for row in rows(screen)), "nothing changed"
        table.move_cursor(row=table.get_row_index("chatapps|*|MSG"))
        await pilot.press("d")
        await wait_for(pilot, lambda: "relay depends on it" in screen_text(app))
        said = str(app.screen.query_one("#confirm-lines").render())
        assert "What stops: customers' WhatsApp, Viber and other Chat Apps messages" in said
        await confirm_send(pilot, app)
        await wait_for(pilot, lambda: len(rows(screen)) == 3)
