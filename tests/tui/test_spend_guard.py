"""Money asks first: a batch shows its recipients, parts, cost and the balance with Cancel
focused; a send above the balance is refused before anything leaves, with both figures; the
balance on Home follows the sends."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from textual.widgets import Button, Input
from tui_helpers import (
    DEMO_KEY,
    confirm_send,
    console_for,
    open_compose,
    quiet_sandbox,
    screen_text,
    wait_for,
)

from console.screens.confirm_send_dialog import ConfirmSendDialog
from console.screens.home import HomeScreen
from console.widgets.message_editor import MessageEditor
from console.widgets.sent_table import SentTable

SG = 0.037  # the sandbox's price of one SMS part to Singapore, EUR


@pytest.fixture
def poor_sandbox() -> Iterator[str]:
    """A sandbox whose prepaid balance covers five SMS parts to Singapore, not six."""
    yield from quiet_sandbox(13, balance=5.5 * SG)


def sandbox_balance(url: str) -> float:
    """What the sandbox's account holds now (8x8's balance endpoint)."""
    auth = {"Authorization": f"Bearer {DEMO_KEY}"}
    account = httpx.get(f"{url}/sandbox/info", headers=auth).json()["accountId"]
    answer = httpx.get(f"{url}/sms/api/v1/accounts/{account}/balance", headers=auth)
    return float(answer.json()["balance"])


def numbers(count: int) -> str:
    return ", ".join(f"+659123{n:04d}" for n in range(count))


async def draft_when_the_balance_is_known(app, pilot, to: str, text: str):  # type: ignore[no-untyped-def]
    """Open the composer once the balance is known, fill To and the text; return it."""
    screen = await open_compose(app, pilot)
    await wait_for(pilot, lambda: app.balance.amount is not None)
    screen.query_one("#to", Input).value = to
    screen.query_one(MessageEditor).insert(text)
    return screen


async def test_a_batch_above_the_balance_is_refused_with_both_figures(
    poor_sandbox: str, tmp_path: Path
) -> None:
    app = console_for(poor_sandbox, data_dir=tmp_path)
    async with app.run_test(size=(120, 32)) as pilot:
        screen = await draft_when_the_balance_is_known(
            app, pilot, numbers(6), "Your parcel is on its way."
        )
        await pilot.press("ctrl+j")
        await wait_for(pilot, lambda: "Not sent: it costs" in screen_text(app))
        assert "it costs ≈ 0.22 EUR and the balance is 0.20 EUR" in screen_text(app)
        assert not isinstance(app.screen, ConfirmSendDialog)
        assert screen.query_one(SentTable).row_count == 0
        assert not screen.sending, "the agent can fix the list and send again"
    assert sandbox_balance(poor_sandbox) == pytest.approx(5.5 * SG), "nothing was charged"


async def test_a_batch_asks_first_and_cancel_sends_nothing(
    poor_sandbox: str, tmp_path: Path
) -> None:
    app = console_for(poor_sandbox, data_dir=tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await draft_when_the_balance_is_known(
            app, pilot, numbers(4), "Your parcel is on its way."
        )
        await pilot.press("ctrl+j")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmSendDialog))
        shown = screen_text(app)
        assert "Send to 4 numbers?" in shown
        assert "Recipients: 4 numbers × 1 part = 4 SMS parts" in shown
        assert "Cost: ≈ 0.15 EUR" in shown and "Balance: 0.20 EUR → 0.06 EUR after" in shown
        assert app.focused is not None and app.focused.id == "cancel"
        assert isinstance(app.focused, Button)
        await pilot.press("enter")  # out of habit: the focused button is Cancel
        await wait_for(pilot, lambda: "Not sent: cancelled" in screen_text(app))
        assert screen.query_one(SentTable).row_count == 0
        await pilot.press("ctrl+j")
        await confirm_send(pilot, app)
        await wait_for(pilot, lambda: screen.query_one(SentTable).row_count == 4)
    assert sandbox_balance(poor_sandbox) == pytest.approx(1.5 * SG), "four parts, once"


async def test_one_cheap_sms_goes_at_once_and_home_shows_the_balance_after(
    poor_sandbox: str, tmp_path: Path
) -> None:
    app = console_for(poor_sandbox, data_dir=tmp_path)
    async with app.run_test(size=(120, 32)) as pilot:
        screen = await draft_when_the_balance_is_known(
            app, pilot, "+6591230000", "One SMS, no question."
        )
        assert app.balance.label == "0.20 EUR"
        await pilot.press("ctrl+j")
        await wait_for(pilot, lambda: screen.query_one(SentTable).row_count == 1)
        await wait_for(pilot, lambda: app.balance.label == "0.17 EUR")
        await pilot.press("f1")
        await wait_for(pilot, lambda: isinstance(app.screen, HomeScreen))
        await wait_for(pilot, lambda: "0.17 EUR" in screen_text(app))
