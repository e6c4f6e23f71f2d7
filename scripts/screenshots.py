"""Regenerate screenshots/*.svg for every screen: `python scripts/screenshots.py`.

Runs a seeded sandbox on 127.0.0.1, drives the console with Pilot at 120x36, and saves one
SVG per screen. The API key shown is a fixed demo key, masked as the console always does.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Input

from console.app import AgentConsole
from console.sandbox.app import SandboxConfig
from console.sandbox.server import SandboxServer
from console.widgets.message_editor import MessageEditor
from console.widgets.sent_table import SentTable

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "screenshots"
sys.path.insert(0, str(ROOT / "tests" / "tui"))  # the same console factory as the TUI tests
from tui_helpers import DEMO_KEY, DEMO_SUBACCOUNT, console_for  # noqa: E402

Step = Callable[[AgentConsole, Pilot], Awaitable[None]]


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


SHOTS: dict[str, Step] = {
    "home": lambda app, pilot: pilot.pause(0.2),
    "compose": compose_ucs2,
}


async def shoot(url: str, name: str, step: Step, size: tuple[int, int]) -> Path:
    app = console_for(url)
    async with app.run_test(size=size) as pilot:
        await until(pilot, lambda: app.connection.state == "connected")
        await step(app, pilot)
        path = app.save_screenshot(filename=f"{name}.svg", path=str(OUT))
    svg = Path(path).read_text()
    assert DEMO_KEY not in svg, "the API key must never appear in a screenshot"
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
        for name, step in SHOTS.items():
            if args.names and name not in args.names:
                continue
            path = asyncio.run(shoot(url, name, step, (width, height)))
            print(f"wrote {path.relative_to(ROOT)}")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
