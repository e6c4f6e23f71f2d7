"""The command line: --help and --version answer fast and never import Textual."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from console import __version__

PROBE = """
import sys, json
sys.argv = ["agent-console", *json.loads(sys.argv[1])]
from console.cli import main
try:
    main()
except SystemExit:
    pass
heavy = sorted(m for m in ("textual", "uvicorn", "starlette", "tinydb") if m in sys.modules)
print("LOADED=" + ",".join(heavy), file=sys.stderr)
"""


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(list(args))],
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    "args",
    [("--help",), ("--version",), ("sandbox", "--help"), ("relay", "--help"), ("serve", "--help")],
)
def test_help_and_version_do_not_import_textual(args: tuple[str, ...]) -> None:
    result = run_cli(*args)
    loaded = result.stderr.rsplit("LOADED=", 1)[-1].strip().split(",")
    assert "textual" not in loaded, result.stderr
    assert result.stdout.strip(), "nothing printed"


def test_version_prints_the_package_version() -> None:
    result = run_cli("--version")
    assert result.stdout.strip() == f"agent-console {__version__}"


def test_help_names_the_subcommands_and_settings() -> None:
    out = run_cli("--help").stdout
    for word in ("sandbox", "relay", "serve", "--server", "CPAAS_API_KEY", "--data-dir"):
        assert word in out


def test_python_dash_m_console_is_the_same_program() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "console", "--version"], capture_output=True, text=True, timeout=60
    )
    assert result.stdout.strip() == f"agent-console {__version__}"


def test_bad_settings_exit_with_a_readable_message() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "console", "--region", "mars"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "Unknown region 'mars'" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("load", "cpus", "spare"),
    [(0.2, 2, True), (1.0, 2, False), (3.0, 2, False), (5.0, 8, True), (7.0, 8, False)],
)
def test_the_sandbox_starts_beside_the_ui_only_with_a_core_to_spare(
    monkeypatch: pytest.MonkeyPatch, load: float, cpus: int, spare: bool
) -> None:
    """On a busy machine the early sandbox would only take CPU from the first frame."""
    from console import cli

    monkeypatch.setattr(cli.os, "getloadavg", lambda: (load, load, load))
    monkeypatch.setattr(cli.os, "cpu_count", lambda: cpus)
    assert cli.a_core_to_spare() is spare


def test_without_a_load_average_the_sandbox_starts_after_the_first_frame(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from console import cli

    monkeypatch.delattr(cli.os, "getloadavg")
    assert cli.a_core_to_spare() is False


def test_the_console_imports_no_subcommand_module() -> None:
    """`agent-console` (the console) parses its options without the subcommands' modules
    (sandbox, relay, serve, events-token): they load only for the subcommand that runs."""
    code = (
        "import sys\n"
        "from console import cli\n"
        "argv = ['--data-dir', 'x']\n"
        "args = cli.build_parser(cli.command_in(argv)).parse_args(argv)\n"
        "assert args.command is None and args.data_dir == 'x'\n"
        "mods = ('console.sandbox.command', 'console.live.command', 'console.serve.command',"
        " 'console.events_token')\n"
        "print('LOADED=' + ','.join(m for m in mods if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "LOADED="


@pytest.mark.parametrize("command", ["sandbox", "relay", "serve", "events-token"])
def test_a_subcommand_is_found_before_its_module_loads(command: str) -> None:
    from console import cli

    assert cli.command_in(["--seed", "3", command, "--port", "0"]) == command
    assert cli.command_in(["--data-dir", "sandbox"]) is None  # a value, not the subcommand
