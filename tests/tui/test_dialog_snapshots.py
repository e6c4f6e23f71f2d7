"""Every dialog at 80×24 fits or scrolls, with its first field focused and in view: the new
webhook and relay dialogs (Tools), the suspension and OTP dialogs (Shield), the keys (`?`)
and the GSM-7 lookalikes preview (Compose). Regenerate with --snapshot-update and review."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot
from tui_helpers import console_for, wait_for

from console.app import AgentConsole
from console.widgets.message_editor import MessageEditor

SIZE = (80, 24)


async def _connected(pilot: Pilot) -> AgentConsole:
    app = pilot.app
    assert isinstance(app, AgentConsole)
    await wait_for(
        pilot, lambda: app.connection.state == "connected" and app.history_keeper.settled
    )
    return app


def opening(
    key: str, screen: str, dialog_key: str, dialog: str
) -> Callable[[Pilot], Awaitable[None]]:
    async def run_before(pilot: Pilot) -> None:
        app = await _connected(pilot)
        await pilot.press(key)
        await wait_for(pilot, lambda: type(app.screen).__name__ == screen)
        await pilot.pause()
        await pilot.press(dialog_key)
        await wait_for(pilot, lambda: type(app.screen).__name__ == dialog)
        await pilot.pause()

    return run_before


async def point_at_relay(pilot: Pilot) -> None:
    await opening("f8", "ToolsScreen", "p", "RelayDialog")(pilot)
    # the suggestion is the relay the console follows: the sandbox's, on a random port
    pilot.app.screen.query_one("#relay-url").value = "https://relay.example.com"  # type: ignore[attr-defined]
    await pilot.pause()


async def lookalikes(pilot: Pilot) -> None:
    app = await _connected(pilot)
    await pilot.press("f5")
    await wait_for(pilot, lambda: type(app.screen).__name__ == "ComposeScreen")
    app.screen.query_one("#message", MessageEditor).insert("“Hi” — your order’s ready…")
    await pilot.pause()
    await pilot.press("ctrl+l")
    await wait_for(pilot, lambda: type(app.screen).__name__ == "LookalikeDialog")
    await pilot.pause()


DIALOGS = {
    "tools_new_webhook": opening("f8", "ToolsScreen", "n", "WebhookDialog"),
    "tools_point_at_relay": point_at_relay,
    "shield_suspend": opening("f7", "ShieldScreen", "s", "SuspendDialog"),
    "shield_otp_outcome": opening("f7", "ShieldScreen", "o", "FeedbackDialog"),
    "keys_of_the_feed": opening("f4", "FeedScreen", "question_mark", "KeysScreen"),
    "compose_lookalikes": lookalikes,
}


@pytest.mark.parametrize("name", list(DIALOGS))
def test_dialog_at_80x24(snap_compare, sandbox_url: str, tmp_path: Path, name: str) -> None:  # type: ignore[no-untyped-def]
    app = console_for(sandbox_url, data_dir=tmp_path)
    app.live.follow = lambda *args, **kwargs: None  # type: ignore[method-assign]
    assert snap_compare(app, terminal_size=SIZE, run_before=DIALOGS[name])
