"""Snapshots of the Shield section: an attack on one operator against last week's traffic,
with a suspension; at 120×40 and 80×24. Regenerate with --snapshot-update and review."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot
from tui_helpers import console_for, wait_for

from console.app import AgentConsole
from console.core.shield import WEEK
from console.core.traffic import Observation
from console.screens import shield as shield_screen
from console.screens.shield import ShieldScreen

NOW = 1_900_000_000.0
NUMBERS = {
    "singtel": "+6591231111",
    "starhub": "+6591011111",
    "maxis": "+60123111111",
    "indosat": "+62857111111",
}


def traffic() -> list[Observation]:
    seen: list[Observation] = []
    usual = ("singtel", "singtel", "starhub", "maxis", "indosat")
    for n in range(100):  # last week, the same hour: the usual mix
        number = NUMBERS[usual[n % len(usual)]]
        seen.append(Observation(f"b{n}", number, NOW - WEEK - 3500 + n * 35, "delivered"))
    for n in range(60):  # this hour, before the attack
        number = NUMBERS[usual[n % len(usual)]]
        seen.append(Observation(f"w{n}", number, NOW - 3500 + n * 55, "delivered"))
    for n in range(240):  # the attack, in the last minutes
        state, code = ("rejected", 99) if n % 10 < 6 else ("sent", None)
        seen.append(Observation(f"a{n}", NUMBERS["indosat"], NOW - 200 + n * 0.8, state, code))
    return seen


def shield_with_attack(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot) -> None:
        app = pilot.app
        assert isinstance(app, AgentConsole)
        await wait_for(
            pilot, lambda: app.connection.state == "connected" and app.history_keeper.settled
        )
        monkeypatch.setattr(shield_screen, "now", lambda: NOW)
        app.core.traffic.observe_all(traffic())
        app.core.suspensions.clock = lambda: NOW
        app.core.suspensions.add("prefix", "+62857", None, 2 * 3600)
        await pilot.press("f7")
        await wait_for(pilot, lambda: isinstance(app.screen, ShieldScreen))
        await wait_for(pilot, lambda: app.screen.report is not None)  # type: ignore[attr-defined]
        await pilot.pause()

    return run_before


@pytest.fixture
def app(sandbox_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AgentConsole:
    monkeypatch.setenv("HOME", str(tmp_path))
    console = console_for(sandbox_url, data_dir=tmp_path / "agent-console")
    console.live.follow = lambda *args, **kwargs: None  # type: ignore[method-assign]
    return console


@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
def test_shield_under_attack(snap_compare, app, monkeypatch, size) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(app, terminal_size=size, run_before=shield_with_attack(monkeypatch))


@pytest.mark.parametrize(
    ("size", "shown"),
    [
        ((120, 40), ["operator", "msgs", "share", "usual", "move", "dlvd", "rejected", "trend"]),
        ((80, 24), ["operator", "msgs", "share", "move", "rejected", "trend"]),
    ],
    ids=["120x40", "80x24"],
)
async def test_at_80_columns_the_operators_drop_columns_by_importance_and_keep_the_trend(
    app: AgentConsole,
    monkeypatch: pytest.MonkeyPatch,
    size: tuple[int, int],
    shown: list[str],
) -> None:
    from textual.widgets import DataTable

    async with app.run_test(size=size) as pilot:
        await shield_with_attack(monkeypatch)(pilot)
        table = app.screen.query_one("#operators", DataTable)
        await wait_for(pilot, lambda: table.row_count == 4)
        assert [str(key.value) for key in table.columns] == shown
        names = [str(table.get_row_at(n)[0]) for n in range(table.row_count)]
        assert "SingTel (SG)" in names  # short names whole
        assert table.virtual_size.width <= table.size.width  # nothing runs off the screen
