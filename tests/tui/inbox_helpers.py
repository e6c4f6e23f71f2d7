"""Helpers for the inbox's TUI tests: customers writing in through the sandbox, and the
inbox screen of a console."""

from __future__ import annotations

from pathlib import Path

import httpx
from textual.pilot import Pilot
from tui_helpers import DEMO_KEY, connected, events_live, wait_for

from console.app import AgentConsole
from console.core.inbox import Conversation
from console.screens.inbox import InboxScreen

JANE = ("whatsapp", "+6591234567", "Jane Tan")
OMAR = ("sms", "+6598765432", None)
LI = ("viber", "+6581112222", "Li Wei")


def customer_writes(url: str, who: tuple[str, str, str | None], text: str) -> str:
    """The customer sends a message (the sandbox's control route); returns its umid."""
    channel, number, name = who
    body = {"channel": channel, "from": number, "text": text}
    if name:
        body["name"] = name
    answer = httpx.post(
        f"{url}/sandbox/inbound", json=body, headers={"Authorization": f"Bearer {DEMO_KEY}"}
    )
    assert answer.status_code == 200, answer.text
    return str(answer.json()["umid"])


def conversation_id(who: tuple[str, str, str | None]) -> str:
    return f"{who[0]}:{who[1]}"


async def open_inbox(app: AgentConsole, pilot: Pilot) -> InboxScreen:
    """Wait for the login and the live stream, open the inbox (F3) and return its screen."""
    await wait_for(pilot, lambda: connected(app) and app.history is not None)
    if app.session is not None and app.session.events_url:
        await wait_for(pilot, lambda: events_live(app))
    await pilot.press("f3")
    await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen))
    screen = app.screen
    assert isinstance(screen, InboxScreen)
    return screen


def conversation(app: AgentConsole, who: tuple[str, str, str | None]) -> Conversation | None:
    return app.core.inbox.get(conversation_id(who))


def listed(screen: InboxScreen) -> list[str]:
    return [row.conversation_id for row in screen.conversations.rows]


SNAPSHOT_NOW = 1_795_771_800.0  # 2026-11-27 09:30 UTC: the clock of snapshots and screenshots
MINUTE = 60.0
JANE_ID, OMAR_ID, LI_ID = "whatsapp:+6591234567", "sms:+6598765432", "viber:+6581112222"
SOFIA_ID, ANON_ID = "whatsapp:+6590001111", "sms:+6587776666"
# (umid, conversation, direction, text, minutes ago, status); read up to "s-7"
SEED_MESSAGES = [
    ("s-1", SOFIA_ID, "in", "Thank you, all sorted!", 26 * 60, "received"),
    ("s-2", ANON_ID, "in", "STOP", 5 * 60, "received"),
    ("s-3", LI_ID, "in", "The app keeps logging me out since the update", 130, "received"),
    ("s-4", LI_ID, "out", "Which version do you have? Settings > About.", 120, "delivered"),
    ("s-5", OMAR_ID, "in", "Can I move my appointment to Friday?", 42, "received"),
    ("s-6", JANE_ID, "in", "Hi, my parcel A-1182 was due yesterday.\nWhere is it?", 25, "received"),
    ("s-7", JANE_ID, "out", "Hi Jane, let me check with the courier.", 20, "read"),
    ("s-8", JANE_ID, "in", "Thanks! I'm home until 6pm.", 3, "received"),
]


def seed_inbox(data_dir: Path, now: float = SNAPSHOT_NOW) -> None:
    """A team inbox with a few conversations, saved in a history at `data_dir`: what the
    snapshots and screenshots show (fixed times, fixed team state)."""
    from console.store import History

    with History.open(data_dir, max_age_days=100_000) as history:
        for umid, who, direction, text, ago, status in SEED_MESSAGES:
            channel, _, peer = who.partition(":")
            at = now - ago * MINUTE
            history.record_message(
                umid, None, channel, direction, peer, text, status, at, conversation_id=who
            )
            if umid == "s-7":
                for conversation in (JANE_ID, LI_ID, SOFIA_ID, ANON_ID):
                    history.mark_conversation_read(conversation)
        for who, name in ((JANE_ID, "Jane Tan"), (LI_ID, "Li Wei"), (SOFIA_ID, "Sofia Reyes")):
            channel, _, peer = who.partition(":")
            history.upsert_conversation(who, channel, peer, name)
        note = {
            "agent": "bob",
            "text": "Courier says: out for delivery today.",
            "at": now - 10 * MINUTE,
            "seq": 4,
        }
        history.update_conversation(
            JANE_ID, assignee="ana", labels=["delivery", "vip"], notes=[note], team_seq=4
        )
        history.update_conversation(
            LI_ID, assignee="bob", status="pending", labels=["app"], team_seq=2
        )
        history.update_conversation(SOFIA_ID, assignee="ana", status="resolved", team_seq=1)
