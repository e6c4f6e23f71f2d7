"""Snapshots of the Tools section: the account's webhooks, balance and a price lookup, at
120×40 and 80×24. Regenerate with --snapshot-update and review the SVG."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.pilot import Pilot
from tui_helpers import console_for, quiet_sandbox, wait_for

from console.app import AgentConsole
from console.screens.tools import ToolsScreen


@pytest.fixture(scope="module")
def relay_sandbox() -> Iterator[str]:
    """A sandbox whose webhooks start at a fixed relay URL, so the listing is stable."""
    yield from quiet_sandbox(
        7, webhook_url="https://relay.example.com/webhooks", webhook_secret="Bearer s3cret"
    )


async def tools_with_prices(pilot: Pilot) -> None:
    app = pilot.app
    assert isinstance(app, AgentConsole)
    await wait_for(
        pilot, lambda: app.connection.state == "connected" and app.history_keeper.settled
    )
    await pilot.press("f8")
    await wait_for(pilot, lambda: isinstance(app.screen, ToolsScreen))
    screen = app.screen
    assert isinstance(screen, ToolsScreen)
    await wait_for(pilot, lambda: len(screen.hooks) == 4)
    await pilot.click("#price-for")
    await pilot.press(*"SG", "enter")
    await wait_for(pilot, lambda: "SingTel" in str(screen.query_one("#prices").render()))
    await pilot.pause()


@pytest.fixture
def app(relay_sandbox: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AgentConsole:
    monkeypatch.setenv("HOME", str(tmp_path))
    console = console_for(relay_sandbox, data_dir=tmp_path / "agent-console")
    console.live.follow = lambda *args, **kwargs: None  # type: ignore[method-assign]
    return console


@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
def test_tools(snap_compare, app, size) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(app, terminal_size=size, run_before=tools_with_prices)


@pytest.mark.parametrize(
    ("size", "shown"),
    [
        ((120, 40), ["product", "subaccount", "events", "auth", "state", "url"]),
        ((80, 24), ["product", "events", "state", "url"]),
    ],
    ids=["120x40", "80x24"],
)
async def test_at_80_columns_the_webhooks_drop_columns_so_the_url_reads(
    app: AgentConsole, size: tuple[int, int], shown: list[str]
) -> None:
    from textual.widgets import DataTable

    async with app.run_test(size=size) as pilot:
        await tools_with_prices(pilot)
        table = app.screen.query_one("#webhooks", DataTable)
        assert [str(key.value) for key in table.columns] == shown
        urls = [str(table.get_row_at(n)[-1]) for n in range(table.row_count)]
        assert all(len(url) >= 32 and url.startswith("https://relay.exam") for url in urls)
        assert table.virtual_size.width <= table.size.width  # nothing runs off the screen
