"""Helpers shared by the TUI tests."""

from __future__ import annotations

import time
from collections.abc import Callable

from textual.app import App
from textual.pilot import Pilot

WEBHOOK_SECRET = "tui-webhook-secret"  # the test sandbox's webhook Authorization


async def wait_for(pilot: Pilot, predicate: Callable[[], bool], timeout: float = 15.0) -> None:
    """Let the app run until `predicate()` holds, or fail with the timeout."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        await pilot.pause(0.05)


def screen_text(app: App[object]) -> str:
    """Everything the terminal shows right now, as plain text."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())
