"""The Shield section against a real sandbox: the AIT scenario raises the operator deviation
and the code-99 rejections; a suspension blocks a composer send to that operator and
expires (clock injected); OTP feedback is sent, recorded and shown as conversion."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tui_helpers import (
    DEMO_KEY,
    console_for,
    open_compose,
    open_section,
    press,
    quiet_sandbox,
    screen_text,
    send_from_compose,
    wait_for,
)

from console.screens.shield import ShieldScreen
from console.widgets.message_editor import MessageEditor

INDOSAT = "+62857111111"
TELKOMSEL = "+62811111111"


@pytest.fixture
def ait_sandbox() -> Iterator[str]:
    """A sandbox of its own: the scenario's traffic must not reach other tests' consoles."""
    yield from quiet_sandbox(11, speed=10.0)


async def open_shield(app, pilot) -> ShieldScreen:  # type: ignore[no-untyped-def]
    return await open_section(app, pilot, "f7", ShieldScreen)


async def test_the_ait_scenario_shows_the_operator_deviation_and_99s(
    ait_sandbox: str, tmp_path: Path
) -> None:
    app = console_for(ait_sandbox, data_dir=tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_shield(app, pilot)
        await wait_for(pilot, lambda: screen.report is not None)
        assert screen.report is not None and screen.report.total == 0
        response = httpx.post(
            ait_sandbox + "/sandbox/scenarios",
            json={"name": "ait", "attackAfter": 1},
            headers={"Authorization": f"Bearer {DEMO_KEY}"},
        )
        assert response.status_code == 200, response.text

        def surged() -> bool:
            report = screen.report
            return (
                report is not None
                and report.rejected_99 >= 50
                and any(row.name.startswith("Indosat") for row in report.deviations)
            )

        await wait_for(pilot, surged, timeout=60)
        report = screen.report
        assert report is not None and report.baseline_total > 0
        indosat = next(row for row in report.operators if row.name.startswith("Indosat"))
        assert indosat.points > 30
        assert dict(report.rejections_by_country).get("ID", 0) >= 50
        spiking = [row.network.label for row in report.spikes]
        assert spiking == ["Indosat Ooredoo Hutchison (ID)"]  # the usual traffic keeps its pace
        await pilot.pause()
        text = screen_text(app)
        assert "Indosat Ooredoo Hutchison (ID)" in text
        assert "▲ +" in text and "rejected by Omni Shield (99)" in text
        assert "deviation" in text


async def test_a_suspension_blocks_a_composer_send_and_expires(
    sandbox_url: str, tmp_path: Path
) -> None:
    app = console_for(sandbox_url, data_dir=tmp_path)
    clock = [1_900_000_000.0]
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        core = app.core
        core.suspensions.clock = lambda: clock[0]
        screen = await open_shield(app, pilot)
        await pilot.press("s")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "SuspendDialog")
        dialog = app.screen
        dialog.query_one("#target").value = "Indosat Ooredoo Hutchison (ID)"
        dialog.query_one("#duration").value = ""
        press(app, "#suspend")
        await pilot.pause()
        assert "expiry is required" in screen_text(app)  # no expiry, no suspension
        assert core.suspensions.active() == []
        dialog.query_one("#duration").value = "30m"
        press(app, "#suspend")
        await wait_for(pilot, lambda: app.screen is screen)
        (item,) = core.suspensions.active()
        assert "operator Indosat Ooredoo Hutchison (ID)" in screen_text(app)

        compose = await open_compose(app, pilot)
        await pilot.click("#to")
        await pilot.press(*INDOSAT)
        to_hint = compose.query_one("#to-hint")
        await wait_for(pilot, lambda: "suspended until" in str(to_hint.render()))  # as typed
        assert not str(to_hint.render()).startswith("✓")
        compose.query_one(MessageEditor).insert("Your code is 123456")
        await pilot.press("ctrl+j")
        await wait_for(pilot, lambda: "suspended until" in screen_text(app))
        assert item.until() in screen_text(app)
        assert len(core.recent_sent(10)) == 0  # nothing was sent

        clock[0] += 30 * 60  # the suspension expires by itself
        umid = await send_from_compose(pilot, compose, "", "Your code is 654321")
        assert umid and core.suspensions.active() == []
        await pilot.press("f7")
        await wait_for(pilot, lambda: "expired" in screen_text(app))


async def test_otp_feedback_is_sent_recorded_and_the_conversion_shown(
    sandbox_url: str, tmp_path: Path
) -> None:
    app = console_for(sandbox_url, data_dir=tmp_path)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        compose = await open_compose(app, pilot)
        umid = await send_from_compose(pilot, compose, TELKOMSEL, "Your code is 123456")
        screen = await open_shield(app, pilot)
        await wait_for(pilot, lambda: "no feedback" in screen_text(app))
        await pilot.press("o")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "FeedbackDialog")
        assert app.screen.query_one("#umid").value == umid  # the newest send, ready
        press(app, "#success")
        await wait_for(pilot, lambda: "1 of 1 entered (100 %)" in screen_text(app))
        assert app.core.feedback == {umid: "success"}
        assert screen.report is not None and screen.report.conversion is not None


async def test_a_suspension_is_lifted_with_one_key_and_kept_in_the_history(
    sandbox_url: str, tmp_path: Path
) -> None:
    app = console_for(sandbox_url, data_dir=tmp_path)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await wait_for(pilot, lambda: app.history is not None)
        item = app.core.suspensions.add("prefix", "+62857", None, 3600)
        screen = await open_shield(app, pilot)
        await wait_for(pilot, lambda: "● active" in screen_text(app))
        await pilot.press("l")
        await wait_for(pilot, lambda: "lifted" in screen_text(app))
        assert app.core.suspensions.active() == []
        assert app.core.refusal([INDOSAT]) is None  # sending to it again
        assert screen.is_current

    again = console_for(sandbox_url, data_dir=tmp_path)
    async with again.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: again.history is not None)
        await open_shield(again, pilot)
        await wait_for(pilot, lambda: "numbers starting +62857" in screen_text(again))
        assert "lifted" in screen_text(again)
        (kept,) = again.core.suspensions.all()
        assert kept.id == item.id and kept.lifted_at is not None


async def test_f7_opens_the_shield_from_a_message_being_written(
    sandbox_url: str, tmp_path: Path
) -> None:
    app = console_for(sandbox_url, data_dir=tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        compose = await open_compose(app, pilot)
        editor = compose.query_one(MessageEditor)
        editor.focus()
        editor.insert("Your code is 123456")
        await pilot.pause()
        await open_shield(app, pilot)  # F7, not the text area's "select all"
        assert editor.selected_text == ""
