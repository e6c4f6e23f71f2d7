"""Start-up budget guards (DESIGN.md): what loads before the first frame and before --help.

Timings live in bench/startup.py; these tests only check which packages get imported, which
is what keeps the timings in budget and does not depend on the machine's speed.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

# Packages the console needs only after the first frame (login, live events, history,
# the sandbox): importing them from console.app would delay the first frame for everyone.
AFTER_FIRST_FRAME = ("httpx", "httpcore", "uvicorn", "starlette", "websockets", "tinydb")
# --help and --version need none of the heavy packages, Textual's included.
NOT_FOR_HELP = ("textual", "rich", *AFTER_FIRST_FRAME, "phonenumbers")

PROBE = """
import sys
{statement}
print("LOADED=" + ",".join(sorted(m for m in {names!r} if m in sys.modules)))
"""


def loaded_after(statement: str, names: tuple[str, ...]) -> list[str]:
    code = PROBE.format(statement=statement, names=names)
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "LOADED=" in result.stdout, result.stdout
    loaded = result.stdout.rsplit("LOADED=", 1)[1].strip()
    return [name for name in loaded.split(",") if name]


def test_console_app_defers_network_and_server_packages() -> None:
    assert loaded_after("import console.app", AFTER_FIRST_FRAME) == []


@pytest.mark.parametrize("flag", ["--help", "--version"])
def test_help_and_version_import_no_heavy_package(flag: str) -> None:
    statement = (
        f"from console.cli import main\ntry:\n    main([{flag!r}])\nexcept SystemExit:\n    pass"
    )
    assert loaded_after(statement, NOT_FOR_HELP) == []


FIRST_FRAME = """
import asyncio, sys, tempfile
from pathlib import Path
from console.app import AgentConsole
from console.config import Settings

async def never_connect(settings):
    await asyncio.Event().wait()

class FirstFrame(AgentConsole):
    def on_ready(self):  # the first frame is drawn: what has been imported by now?
        print("LOADED=" + ",".join(sorted(m for m in sys.modules if m.startswith({names!r}))))
        self.exit()

settings = Settings(data_dir=Path(tempfile.mkdtemp()))
FirstFrame(settings, connector=never_connect).run(headless=True, size=(120, 40))
"""
# What Home's first frame does without: the network and servers, the history, the console
# core (built at its first use, just after), the stream, the other sections, big widgets.
NOT_FOR_THE_FIRST_FRAME = (
    *AFTER_FIRST_FRAME,
    "orjson",
    "phonenumbers",
    "console.api.session",
    "console.core.service",
    "console.core.inbox",
    "console.core.model",
    "console.live.events",
    "console.live.stream",
    "console.feed.rows",
    "console.store",
    "console.sandbox.server",
    "console.sandbox.app",
    "console.screens.inbox",
    "console.screens.feed",
    "console.screens.compose",
    "console.screens.rooms",
    "console.screens.shield",
    "console.screens.tools",
    "console.screens.login",
    "textual.widgets._text_area",
    "textual.widgets._data_table",
)


def test_the_first_screen_imports_nothing_it_does_not_draw() -> None:
    """Home's first frame waits for every module imported before it (bench/startup.py: the
    budget is 1.3x a bare Textual app's): lazy imports must stay lazy."""
    code = FIRST_FRAME.format(names=NOT_FOR_THE_FIRST_FRAME)
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    lines = [line for line in result.stdout.splitlines() if line.startswith("LOADED=")]
    assert lines, result.stdout + result.stderr
    assert [name for name in lines[-1].removeprefix("LOADED=").split(",") if name] == []


def test_the_pure_core_needs_neither_the_ui_nor_the_api() -> None:
    """The console core (tracker, deliveries, inbound, ConsoleCore) is usable without Textual
    and without the API layer; only the sending service converts the API's answers."""
    modules = ("textual", "rich", "console.api", "httpx", "websockets")
    assert loaded_after("from console.core import ConsoleCore", modules) == []
    assert (
        loaded_after("import console.ui.state, console.ui.text, console.ui.clipboard", modules[2:])
        == []
    )


def test_settings_are_read_without_the_event_modules() -> None:
    """Settings are read at every start, before the first frame: checking the agent's name
    must not bring the team events and the event envelope with it."""
    statement = "from console.config import load_settings\nload_settings({}, {}, {})"
    assert loaded_after(statement, ("console.live.team", "console.live.events", "textual")) == []
