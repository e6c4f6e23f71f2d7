"""Regenerate screenshots/*.svg for every screen: `python scripts/screenshots.py`.

Runs a seeded sandbox on 127.0.0.1, drives the console with Pilot at 120x36, and saves one
SVG per screen. The API key shown is a fixed demo key, masked as the console always does.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
from textual.pilot import Pilot
from textual.widgets import Input, Select

from console.app import AgentConsole
from console.sandbox.app import SandboxConfig
from console.sandbox.server import SandboxServer
from console.screens.confirm_send_dialog import ConfirmSendDialog
from console.ui.browser import Browser
from console.widgets.message_editor import MessageEditor
from console.widgets.sent_table import SentTable

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "screenshots"
sys.path.insert(0, str(ROOT / "tests" / "tui"))  # the same console factory as the TUI tests
from inbox_helpers import JANE_ID, seed_inbox  # noqa: E402
from tui_helpers import DEMO_KEY, DEMO_SUBACCOUNT, console_for, login_console  # noqa: E402

Step = Callable[[AgentConsole, Pilot], Awaitable[None]]
Factory = Callable[[str], AgentConsole]


async def until(pilot: Pilot, predicate: Callable[[], bool], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise SystemExit("screenshots: the console did not reach the expected state")
        await pilot.pause(0.05)


async def open_mode(app: AgentConsole, pilot: Pilot, key: str, mode: str) -> None:
    await pilot.press(key)
    await until(pilot, lambda: app.current_mode == mode)
    await pilot.pause(0.2)


async def compose_ucs2(app: AgentConsole, pilot: Pilot) -> None:
    """A batch already sent (statuses arrived live), and a UCS-2 draft with its culprits."""
    await open_mode(app, pilot, "f5", "compose")
    screen = app.screen
    screen.query_one("#from", Input).value = "ACME Care"
    screen.query_one("#to", Input).value = "+6591234567, +6598765432, +12025550142"
    editor = screen.query_one("#message", MessageEditor)
    editor.insert("Your technician arrives between 2 and 4pm today. Reply 1 to confirm.")
    await pilot.press("ctrl+j")
    await until(pilot, lambda: isinstance(app.screen, ConfirmSendDialog))  # a batch asks first
    await pilot.click("#send")
    table = screen.query_one("#sent", SentTable)
    await until(pilot, lambda: table.row_count == 3)
    await until(
        pilot,
        lambda: all("queued" not in str(table.get_row_at(i)[2]) for i in range(3)),
    )
    screen.query_one("#to", Input).value = "+6591234567"
    editor.clear()
    editor.focus()
    editor.insert("Hi Jane — your parcel “A-1182” arrives today… Reply STOP to opt out")
    await pilot.pause(0.3)


def own_sandbox(url: str) -> AgentConsole:
    """A console on a sandbox of its own (stopped at the end): the other screens' sends would
    be most of the Shield's traffic."""
    config = SandboxConfig(
        api_keys=(DEMO_KEY,), subaccount=DEMO_SUBACCOUNT, seed=7, customers=False, speed=4
    )
    server = SandboxServer(config)
    OWN_SERVERS.append(server)
    return console_for(server.start())


async def shield_under_attack(app: AgentConsole, pilot: Pilot) -> None:
    """The sandbox's AIT scenario: last week's traffic, then a surge to one operator."""
    await open_mode(app, pilot, "f7", "shield")
    assert app.session is not None and app.session.server_url is None  # labelled sandbox
    started = httpx.post(
        f"{app.settings.server}/sandbox/scenarios",
        json={"name": "ait", "attackAfter": 2},
        headers={"Authorization": f"Bearer {DEMO_KEY}"},
    )
    started.raise_for_status()
    screen = app.screen

    def surged() -> bool:
        report = getattr(screen, "report", None)
        return report is not None and report.rejected_99 >= 150

    await until(pilot, surged, timeout=60)
    await pilot.pause(0.5)


async def tools_with_prices(app: AgentConsole, pilot: Pilot) -> None:
    """The account's webhooks, its balance, and Singapore's prices."""
    await open_mode(app, pilot, "f8", "tools")
    screen = app.screen
    await until(pilot, lambda: bool(getattr(screen, "hooks", None)))
    await pilot.click("#price-for")
    await pilot.press(*"+6591234567", "enter")
    await until(pilot, lambda: "SingTel" in str(screen.query_one("#prices").render()))
    await pilot.pause(0.3)


OWN_SERVERS: list[SandboxServer] = []


async def login_again(app: AgentConsole, pilot: Pilot) -> None:
    """Logged in once (Europe), logged out: the form, the keyring note, the recent login."""
    await until(pilot, lambda: app.current_mode == "login" and app.keyring is not None)
    screen = app.screen
    screen.query_one("#region", Select).value = "europe"
    screen.query_one("#subaccount", Input).value = DEMO_SUBACCOUNT
    screen.query_one("#key", Input).value = DEMO_KEY
    await pilot.press("ctrl+j")
    await until(pilot, lambda: app.connection.state == "connected")
    await pilot.press("f9")
    await until(pilot, lambda: app.current_mode == "login" and app.connection.state == "logged out")
    screen.query_one("#recent").focus()
    await pilot.press("enter")
    await pilot.pause(0.3)


def visiting_browser() -> Browser:
    """The agent's browser: it opens the agent link (the sandbox then texts the invite)."""

    def visit(url: str) -> bool:
        import httpx

        return httpx.get(url, timeout=10).is_success

    return Browser(visit, environ={"DISPLAY": ":0"}, platform="linux")


async def rooms(app: AgentConsole, pilot: Pilot) -> None:
    """A room sent by SMS (invite delivered, live), one without a phone, and call logs."""
    await open_mode(app, pilot, "f2", "rooms")
    screen = app.screen
    for phone, reference in (("", "CASE-10041"), ("+6598765432", "CASE-10042")):
        screen.query_one("#phone", Input).value = phone
        screen.query_one("#reference", Input).value = reference
        before = len(app.core.rooms)
        await pilot.press("ctrl+j")
        await until(pilot, lambda before=before: len(app.core.rooms) == before + 1)
    await pilot.press("ctrl+o")
    await until(pilot, lambda: "· to +65" in str(screen.query_one("#room-details").render()))
    screen.query_one("#rooms-history").focus()
    await pilot.press("up", "enter")
    await until(pilot, lambda: "call " in str(screen.query_one("#call-logs").render()))
    screen.query_one("#phone", Input).focus()
    await pilot.pause(0.3)


def seeded_inbox(url: str) -> AgentConsole:
    """A console on a history that holds a team's inbox (the snapshots' conversations)."""
    data = Path(tempfile.mkdtemp(prefix="agent-console-inbox-")) / "agent-console"
    seed_inbox(data, time.time())
    console = console_for(url, data_dir=data)
    console.settings = dataclasses.replace(console.settings, history_max_age_days=100_000)
    return console


async def inbox(app: AgentConsole, pilot: Pilot) -> None:
    """Jane's conversation open with a draft, while a colleague looks at it too."""
    from console.screens.inbox import InboxScreen
    from console.widgets.reply_box import ReplyBox

    await open_mode(app, pilot, "f3", "inbox")
    screen = app.screen
    assert isinstance(screen, InboxScreen)
    await until(pilot, lambda: app.connection.events.state == "live")
    await until(pilot, lambda: len(screen.conversations.rows) == 3)
    screen.conversations.move_to(JANE_ID)
    await pilot.press("enter")
    await until(pilot, lambda: "Where is it?" in str(screen.query_one("#thread-body").render()))
    httpx.post(
        f"{app.settings.server}/team/events",
        json={"type": "viewing", "conversationId": JANE_ID, "agent": "bob"},
        headers={"Authorization": f"Bearer {DEMO_KEY}"},
    )
    await until(pilot, lambda: "bob is viewing" in str(screen.query_one("#presence").render()))
    await pilot.press("enter")
    screen.query_one(ReplyBox).insert("Great, the courier will ring around 4pm.")
    await pilot.pause(0.3)


async def feed_batch(app: AgentConsole, pilot: Pilot, reference: str = "ac-7d41c2e0") -> None:
    """A batch of 500 sent as the composer sends it, its receipts arriving live."""
    from console.core.sending import SmsDraft

    await until(pilot, lambda: app.connection.events.state == "live" and app.sender is not None)
    await open_mode(app, pilot, "f4", "feed")
    assert app.sender is not None
    numbers = tuple(f"+6591{n:06d}" for n in range(500))
    async for _ in app.sender.send(SmsDraft(numbers, "Your parcel ships today", reference)):
        pass
    await until(pilot, lambda: app.feed.final >= 500, timeout=60)
    await pilot.pause(1.2)


async def feed_timeline(app: AgentConsole, pilot: Pilot) -> None:
    """An undelivered message's timeline, opened from the feed."""
    await feed_batch(app, pilot, "ac-5be09f13")  # another batch: 8x8 dedupes references
    screen = app.screen
    screen.action_use_filter("status:undelivered")  # type: ignore[attr-defined]
    await pilot.pause(0.3)
    await pilot.press("up", "enter")
    await pilot.pause(0.5)


# In this order: the seeded sandbox draws each SMS's outcome in turn (the composer's batch
# first, then the room's invite).
SHOTS: dict[str, tuple[Factory, Step]] = {
    "home": (console_for, lambda app, pilot: pilot.pause(0.2)),
    "compose": (console_for, compose_ucs2),
    "login": (login_console, login_again),
    "rooms": (lambda url: console_for(url, browser=visiting_browser()), rooms),
    "inbox": (seeded_inbox, inbox),
    "feed": (console_for, feed_batch),
    "feed-timeline": (console_for, feed_timeline),
    "tools": (console_for, tools_with_prices),
    "shield": (own_sandbox, shield_under_attack),
}


async def shoot(url: str, name: str, shot: tuple[Factory, Step], size: tuple[int, int]) -> Path:
    factory, step = shot
    app = factory(url)
    async with app.run_test(size=size) as pilot:
        if app.current_mode != "login" and not app.settings.login_first:
            await until(pilot, lambda: app.connection.state == "connected")
        await step(app, pilot)
        path = app.save_screenshot(filename=f"{name}.svg", path=str(OUT))
    svg = Path(path).read_text()
    assert DEMO_KEY not in svg, "the API key must never appear in a screenshot"
    assert DEMO_KEY[:-6] not in svg, "nor any part of it but its last 6 characters"
    return Path(path)


def main() -> None:
    # A fresh, throwaway home: the screenshots show ~/.local/share/agent-console, never the
    # real history of whoever runs this.
    home = Path(tempfile.mkdtemp(prefix="agent-console-shots-"))
    os.environ["HOME"] = str(home)
    os.environ["XDG_DATA_HOME"] = str(home / ".local" / "share")
    os.environ["XDG_CONFIG_HOME"] = str(home / ".config")
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("names", nargs="*", help=f"only these screens ({', '.join(SHOTS)})")
    parser.add_argument("--size", default="120x36", help="terminal size, e.g. 80x24")
    args = parser.parse_args()
    width, height = (int(n) for n in args.size.split("x"))
    OUT.mkdir(exist_ok=True)
    config = SandboxConfig(
        api_keys=(DEMO_KEY,), subaccount=DEMO_SUBACCOUNT, seed=7, customers=False, speed=4
    )
    server = SandboxServer(config)
    url = server.start()
    try:
        for name, shot in SHOTS.items():
            if args.names and name not in args.names:
                continue
            path = asyncio.run(shoot(url, name, shot, (width, height)))
            print(f"wrote {path.relative_to(ROOT)}")
    finally:
        server.stop()
        for own in OWN_SERVERS:
            own.stop()


if __name__ == "__main__":
    main()
