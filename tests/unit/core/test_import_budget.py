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


def test_the_pure_core_needs_neither_the_ui_nor_the_api() -> None:
    """The console core (tracker, deliveries, inbound, ConsoleCore) is usable without Textual
    and without the API layer; only the sending service converts the API's answers."""
    modules = ("textual", "rich", "console.api", "httpx", "websockets")
    assert loaded_after("import console.core", modules) == []
    assert (
        loaded_after("import console.ui.state, console.ui.text, console.ui.clipboard", modules[2:])
        == []
    )
