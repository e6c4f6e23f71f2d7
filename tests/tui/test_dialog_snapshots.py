"""Every dialog at 80×24 fits or scrolls, with its first field focused and in view: the new
webhook, delete and relay dialogs (Tools), the suspension and OTP dialogs (Shield), the keys
(`?`), the GSM-7 lookalikes preview (Compose), the inbox's assign, snooze, labels and note
dialogs, and the palette's Team and Notifications panels (the message timeline is in
test_feed_snapshots.py). Regenerate with --snapshot-update and review."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import pytest
from inbox_helpers import JANE_ID, SNAPSHOT_NOW, seed_inbox
from textual.pilot import Pilot
from textual.widget import Widget
from tui_helpers import console_for, quiet_sandbox, wait_for

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
        in_view(pilot)

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


# -- the inbox's dialogs, the palette's panels: a seeded team inbox and a fixed clock -------


def in_view(pilot: Pilot) -> None:
    """The focused widget of the dialog is inside the terminal, whole rows of it visible."""
    focused = pilot.app.screen.focused
    assert isinstance(focused, Widget), "nothing focused in the dialog"
    region = focused.region
    assert region.height > 0 and region.width > 0, f"{focused!r} has no room"
    assert region.y >= 0 and region.y < SIZE[1] - 1, f"{focused!r} below the screen: {region}"
    assert region.x >= 0 and region.right <= SIZE[0], f"{focused!r} off the side: {region}"


def inbox_dialog(key: str, dialog: str) -> Callable[[Pilot], Awaitable[None]]:
    async def run_before(pilot: Pilot) -> None:
        app = await _connected(pilot)
        await pilot.press("f3")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "InboxScreen")
        screen = app.screen
        await wait_for(pilot, lambda: len(screen.conversations.rows) == 3)  # type: ignore[attr-defined]
        screen.conversations.move_to(JANE_ID)  # type: ignore[attr-defined]
        await pilot.pause()
        await pilot.press(key)
        await wait_for(pilot, lambda: type(app.screen).__name__ == dialog)
        await pilot.pause()
        in_view(pilot)

    return run_before


def panel(action: str, dialog: str) -> Callable[[Pilot], Awaitable[None]]:
    async def run_before(pilot: Pilot) -> None:
        app = await _connected(pilot)
        if action == "show_notices":
            for title, text in (
                ("New message", "Jane Tan on WhatsApp: Thanks! I'm home until 6pm."),
                ("Assigned to you", "Omar (+65…5432) was assigned to you by bob"),
                ("Webhook created", "SMS DR → https://relay.example.com/webhooks/sms"),
            ):
                app.notices.add(SNAPSHOT_NOW, title, text)
        await app.run_action(action)
        await wait_for(pilot, lambda: type(app.screen).__name__ == dialog)
        await pilot.pause()
        in_view(pilot)

    return run_before


INBOX_DIALOGS = {
    "inbox_assign": inbox_dialog("a", "AskDialog"),
    "inbox_snooze": inbox_dialog("s", "AskDialog"),
    "inbox_labels": inbox_dialog("l", "AskDialog"),
    "inbox_note": inbox_dialog("p", "NoteDialog"),
    "palette_team": panel("show_team", "TeamScreen"),
    "palette_notifications": panel("show_notices", "NoticesScreen"),
}


@pytest.mark.parametrize("name", list(INBOX_DIALOGS))
def test_inbox_dialog_at_80x24(  # type: ignore[no-untyped-def]
    snap_compare, fresh_sandbox: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    """A sandbox of its own: labels and colleagues other tests leave in a shared one would
    show in these dialogs."""
    monkeypatch.setenv("HOME", str(tmp_path))
    data = tmp_path / "agent-console"
    seed_inbox(data)
    app = console_for(fresh_sandbox, data_dir=data, clock=lambda: SNAPSHOT_NOW)
    app.settings = dataclasses.replace(app.settings, history_max_age_days=100_000)
    app.follow_events = lambda *args, **kwargs: None  # type: ignore[method-assign]
    assert snap_compare(app, terminal_size=SIZE, run_before=INBOX_DIALOGS[name])


# -- deleting a webhook the relay depends on: a sandbox whose webhooks have a fixed URL -----

RELAY = "https://relay.example.com"


@pytest.fixture(scope="module")
def relay_sandbox() -> Iterator[str]:
    yield from quiet_sandbox(7, webhook_url=f"{RELAY}/webhooks", webhook_secret="Bearer s3cret")


async def delete_a_webhook_the_relay_needs(pilot: Pilot) -> None:
    app = await _connected(pilot)
    assert app.session is not None
    app.session.events_url = f"{RELAY}/events"  # the console follows that relay
    await pilot.press("f8")
    await wait_for(pilot, lambda: type(app.screen).__name__ == "ToolsScreen")
    await wait_for(pilot, lambda: len(app.screen.hooks) == 4)  # type: ignore[attr-defined]
    await pilot.press("d")  # on the first row: SMS delivery receipts
    await wait_for(pilot, lambda: type(app.screen).__name__ == "ConfirmSendDialog")
    await pilot.pause()
    in_view(pilot)
    assert "What stops" in str(app.screen.query_one("#confirm-lines").render())


def test_delete_webhook_dialog_at_80x24(  # type: ignore[no-untyped-def]
    snap_compare, relay_sandbox: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    app = console_for(relay_sandbox, data_dir=tmp_path / "agent-console")
    app.follow_events = lambda *args, **kwargs: None  # type: ignore[method-assign]
    assert snap_compare(app, terminal_size=SIZE, run_before=delete_a_webhook_the_relay_needs)
