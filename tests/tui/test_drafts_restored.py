"""Drafts survive a restart: a reply half-written in the Inbox, the composer's fields and an
unsent note are saved as the agent types and back at the next start, in the section and the
conversation the agent left; once sent (or discarded) they are gone."""

from __future__ import annotations

import asyncio
import json
import threading
from pathlib import Path
from typing import Any

from inbox_helpers import JANE, conversation_id, customer_writes, listed, open_inbox
from textual.widgets import Input
from tui_helpers import DEMO_KEY, connected, console_for, screen_text, wait_for

from console.app import AgentConsole
from console.config import Settings
from console.core.drafts import REPLY
from console.messages import TextDrafted
from console.screens.compose import ComposeScreen
from console.screens.inbox import InboxScreen
from console.screens.note_dialog import NoteDialog
from console.widgets.message_editor import MessageEditor
from console.widgets.reply_box import ReplyBox

JANE_ID = conversation_id(JANE)


def saved(data_dir: Path) -> dict[str, Any]:
    """What the drafts file holds now ({} before the first save)."""
    path = data_dir / "drafts.json"
    return json.loads(path.read_bytes()) if path.exists() else {}


async def test_a_reply_a_compose_draft_and_a_note_come_back_after_a_restart(
    fresh_sandbox: str, tmp_path: Path
) -> None:
    app = console_for(fresh_sandbox, data_dir=tmp_path)
    async with app.run_test(size=(160, 40)) as pilot:
        await wait_for(pilot, lambda: connected(app))
        await pilot.press("f5")
        await wait_for(pilot, lambda: isinstance(app.screen, ComposeScreen))
        compose = app.screen
        await pilot.click("#to")
        await pilot.press(*"+6591110000")
        compose.query_one("#message", MessageEditor).insert("Your parcel is on its way")
        await wait_for(pilot, lambda: saved(tmp_path).get("compose", {}).get("to") == "+6591110000")

        screen = await open_inbox(app, pilot)
        customer_writes(fresh_sandbox, JANE, "Where is my parcel?")
        await wait_for(pilot, lambda: bool(listed(screen)))
        await pilot.press("enter", "enter")  # open Jane's conversation, then its reply box
        await pilot.press(*"Let me check")
        await pilot.press("escape")  # back to the thread
        await pilot.press("p")  # a private note, left unsaved
        await wait_for(pilot, lambda: isinstance(app.screen, NoteDialog))
        await pilot.press(*"VIP: call back")
        await wait_for(
            pilot,
            lambda: (
                saved(tmp_path).get("notes", {}).get(JANE_ID) == "VIP: call back"
                and saved(tmp_path).get("replies", {}).get(JANE_ID) == "Let me check"
            ),
        )
        assert saved(tmp_path)["section"] == "inbox"
        assert saved(tmp_path)["conversation"] == JANE_ID
        assert DEMO_KEY not in (tmp_path / "drafts.json").read_text()

    again = console_for(fresh_sandbox, data_dir=tmp_path)
    async with again.run_test(size=(160, 40), notifications=True) as pilot:
        # Back where the agent was: the Inbox, Jane's conversation, the reply as typed.
        await wait_for(pilot, lambda: isinstance(again.screen, InboxScreen))
        inbox = again.screen
        assert isinstance(inbox, InboxScreen)
        await wait_for(pilot, lambda: inbox.opened == JANE_ID)
        reply = inbox.query_one("#reply", ReplyBox)
        assert reply.text == "Let me check"
        assert any("Restored" in n.message for n in again._notifications)
        await pilot.press("escape")  # to the thread
        await pilot.press("p")
        await wait_for(pilot, lambda: isinstance(again.screen, NoteDialog))
        assert again.screen.query_one("#answer", MessageEditor).text == "VIP: call back"
        await pilot.press("escape")  # discarded: gone
        await wait_for(pilot, lambda: JANE_ID not in saved(tmp_path).get("notes", {}))

        await wait_for(pilot, lambda: connected(again))
        reply.focus()
        await pilot.press("ctrl+j")  # sent: gone
        await wait_for(pilot, lambda: "▶ you" in screen_text(again))
        await wait_for(pilot, lambda: JANE_ID not in saved(tmp_path).get("replies", {}))
        assert reply.text == ""

        await pilot.press("f5")
        await wait_for(pilot, lambda: isinstance(again.screen, ComposeScreen))
        compose = again.screen
        assert compose.query_one("#to", Input).value == "+6591110000"
        assert compose.query_one("#message", MessageEditor).text == "Your parcel is on its way"
        await pilot.press("ctrl+j")
        await wait_for(pilot, lambda: "✓ Sent 1 message" in screen_text(again))
        await wait_for(pilot, lambda: "compose" not in saved(tmp_path))
        assert compose.query_one("#to", Input).value == "+6591110000", "still on screen"

    third = console_for(fresh_sandbox, data_dir=tmp_path)
    async with third.run_test(size=(160, 40)) as pilot:
        await pilot.press("f5")
        await wait_for(pilot, lambda: isinstance(third.screen, ComposeScreen))
        await wait_for(pilot, lambda: third.drafts_keeper.file is not None)
        await pilot.pause()
        assert third.screen.query_one("#to", Input).value == "", "a sent draft never returns"


async def test_saves_go_in_order_on_one_thread_and_the_last_keys_are_on_disk_at_quit(
    tmp_path: Path,
) -> None:
    """What the agent types is saved as typed, by one thread of its own (not a new worker and
    thread each time), and what was typed just before ctrl+q is on disk when the console has
    closed."""

    async def never(_settings: Settings) -> Any:
        await asyncio.Event().wait()

    app = AgentConsole(Settings(data_dir=tmp_path), connector=never)
    conversation = "sms:+6591000001"
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(
            pilot, lambda: app.drafts_keeper.file is not None and app.history is not None
        )
        for n in range(4):
            app.post_message(TextDrafted(REPLY, conversation, f"draft {n}"))
            await wait_for(
                pilot,
                lambda n=n: saved(tmp_path).get("replies", {}).get(conversation) == f"draft {n}",
            )
        savers = [t for t in threading.enumerate() if t.name.startswith("drafts-save")]
        assert len(savers) == 1
        assert not [worker for worker in app.workers if worker.group == "drafts-save"]
        app.post_message(TextDrafted(REPLY, conversation, "typed just before ctrl+q"))
        await pilot.pause()
        await app.action_quit()
    assert app.wait_closed(10)
    assert saved(tmp_path)["replies"][conversation] == "typed just before ctrl+q"
    assert not [t for t in threading.enumerate() if t.name.startswith("drafts-save")]
