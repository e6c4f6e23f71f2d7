"""Command line: parse first, import the heavy parts (Textual, uvicorn) only when needed.

`agent-console --help` and `--version` must never import Textual (a test guards this).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from console import __version__

DESCRIPTION = (
    "A terminal console for support agents on 8x8 CPaaS. With no API key configured it "
    "starts an embedded sandbox that imitates the 8x8 APIs on loopback and logs into it."
)
EPILOG = (
    "Settings: flags > environment (CPAAS_API_KEY, CPAAS_SUBACCOUNT, CPAAS_ACCOUNT_ID, "
    "CPAAS_REGION, "
    "CPAAS_RELAY_URL, CPAAS_EVENTS_TOKEN) > "
    "config.toml in the user config folder > defaults. Regions: asia (default), europe, "
    "north-america, indonesia."
)
# The console options, by their argparse destination (what `load_settings` takes as flags).
CONSOLE_OPTIONS = (
    "demo",
    "api_key",
    "subaccount",
    "account_id",
    "region",
    "server",
    "relay",
    "data_dir",
    "seed",
    "speed",
    "agent",
)


# Each subcommand's module adds its own flags; it is imported only when that subcommand is
# the one run: `agent-console` itself (the console) imports none of them (~25 ms of start-up).
SUBCOMMANDS = {
    "sandbox": "console.sandbox.command",
    "relay": "console.live.command",
    "serve": "console.serve.command",
    "events-token": "console.events_token",
}
ALL = "all"


def build_parser(configure: str | None = ALL) -> argparse.ArgumentParser:
    """The command line. `configure` names the one subcommand whose module adds its flags
    (None: none, for a first look at which is run; "all", the default: every one)."""
    probe = configure is None  # subcommands without their flags: --help must not answer
    extra: dict[str, bool] = {"add_help": False} if probe else {}
    parser = argparse.ArgumentParser(
        prog="agent-console",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"agent-console {__version__}")
    add_console_options(parser)
    sub = parser.add_subparsers(dest="command", metavar="{sandbox,relay,serve,events-token}")
    sandbox = sub.add_parser(
        "sandbox",
        **extra,
        help="serve the 8x8-compatible sandbox alone, so several consoles can share it",
        description="Serve the 8x8-compatible sandbox API (SMS, Chat Apps, Video Interaction).",
    )
    relay = sub.add_parser(
        "relay",
        **extra,
        help="run the webhook relay for a live deployment",
        description="Receive 8x8 webhooks, number and keep them, fan them out over websockets.",
    )
    serve = sub.add_parser(
        "serve",
        **extra,
        help="serve the same console to a web browser, for demos",
        description="Serve the console to a web browser: each tab runs its own console.",
    )
    events_token = sub.add_parser(
        "events-token",
        **extra,
        help="keep your agent token for a relay in the OS keyring",
        description="Keep the agent token `relay add-agent` printed for you in the OS "
        "keyring (never a file); the console uses it when it follows that relay.",
    )
    add_console_options(serve, default=argparse.SUPPRESS)
    subparsers = {"sandbox": sandbox, "relay": relay, "serve": serve, "events-token": events_token}
    for name, module in SUBCOMMANDS.items():
        if configure in (ALL, name):
            _configure_lazily(subparsers[name], module)
    return parser


def command_in(argv: Sequence[str]) -> str | None:
    """The subcommand `argv` runs (None: the console), found before any subcommand's module
    is imported. Errors in the console's own options, --help and --version answer here."""
    known, _unknown = build_parser(configure=None).parse_known_args(argv)
    return getattr(known, "command", None)


def add_console_options(parser: argparse.ArgumentParser, default: object = None) -> None:
    """The options that choose what the console connects to and where it keeps its history.

    `serve` takes them too (with ``default=argparse.SUPPRESS``, so that a value given
    before the subcommand is not overwritten by the subcommand's default)."""
    parser.add_argument(
        "--demo",
        action="store_true",
        default=default,
        help="start the embedded sandbox (a demo, no account) whatever config.toml and the "
        "environment say",
    )
    parser.add_argument(
        "--server",
        metavar="URL",
        default=default,
        help="use a sandbox (or relay) already running at URL instead of the embedded one",
    )
    parser.add_argument(
        "--api-key",
        metavar="KEY",
        default=default,
        help="8x8 API key (prefer the CPAAS_API_KEY environment variable: flags show in ps)",
    )
    parser.add_argument("--subaccount", metavar="ID", default=default, help="8x8 sub-account id")
    parser.add_argument(
        "--account-id",
        metavar="UUID",
        default=default,
        help="8x8 account id, for webhooks, balance and prices (or CPAAS_ACCOUNT_ID)",
    )
    parser.add_argument(
        "--relay",
        metavar="URL",
        default=default,
        help="live events: the webhook relay (token in CPAAS_EVENTS_TOKEN)",
    )
    parser.add_argument(
        "--region",
        metavar="NAME",
        default=default,
        help="asia (default), europe, north-america or indonesia",
    )
    parser.add_argument(
        "--data-dir",
        metavar="DIR",
        default=default,
        help="where the session history is kept (default: user data dir)",
    )
    parser.add_argument(
        "--agent",
        metavar="NAME",
        default=default,
        help="your name in the team inbox (default: [inbox] agent in config.toml, else "
        "your OS user name)",
    )
    parser.add_argument(
        "--seed",
        type=int,
        metavar="N",
        default=default,
        help="embedded sandbox: make the demo world reproducible",
    )
    parser.add_argument(
        "--speed",
        type=float,
        metavar="X",
        default=default,
        help="embedded sandbox: time scale (2 = twice as fast)",
    )


def console_flags(args: argparse.Namespace) -> dict[str, object]:
    """The console options as `load_settings` takes them (None where not given)."""
    return {name: getattr(args, name, None) for name in CONSOLE_OPTIONS}


def _configure_lazily(parser: argparse.ArgumentParser, module: str) -> None:
    """Let the subcommand module add its own flags (it must not import Textual)."""
    import importlib

    try:
        mod = importlib.import_module(module)
    except ImportError:  # pragma: no cover - only while a part is being built
        parser.set_defaults(_runner=None)
        return
    mod.configure_parser(parser)
    parser.set_defaults(_runner=mod.run_from_args)


def main(argv: Sequence[str] | None = None) -> None:
    arguments = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(configure=command_in(arguments))
    args = parser.parse_args(arguments)
    if args.command is not None:
        runner = getattr(args, "_runner", None)
        if runner is None:
            parser.error(f"the {args.command} command is not available in this build")
        sys.exit(runner(args))
    sys.exit(run_console(args, parser))


def a_core_to_spare() -> bool:
    """Whether a core is idle for the embedded sandbox to boot on while the UI starts (the
    last minute's load average leaves one and a half cores free)."""
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):  # no load average here: start it after the frame
        return False
    return load <= (os.cpu_count() or 1) - 1.5


def run_console(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from console.config import SettingsError, load_settings, read_config_file
    from console.paths import config_file

    try:
        settings = load_settings(console_flags(args), os.environ, read_config_file(config_file()))
    except SettingsError as error:
        parser.exit(2, f"agent-console: {error}\n")
    import asyncio

    from console.loop_turns import console_loop

    with asyncio.Runner(loop_factory=console_loop) as runner:
        early = None
        if settings.embedded_sandbox and not settings.login_first and a_core_to_spare():
            # The sandbox starts up beside the UI (its own process, an idle core), not after
            # the first frame: the console is usable sooner. On a busy machine it would only
            # take CPU from the first frame; the login starts it after that frame then.
            from console.connecting import EarlySandbox

            early = runner.run(EarlySandbox.spawn(settings))
        from console.app import AgentConsole  # Textual is imported only from here on

        app = (
            AgentConsole(settings)
            if early is None
            else AgentConsole(settings, connector=early.connect)
        )
        app.run(loop=runner.get_loop())
    app.wait_closed()  # the terminal is back; the history's last flush finishes here
    return app.return_code or 0
