"""``agent-console serve``: the same console in a web browser, one console per tab.

Parsing, the child's command line and environment, and the bind rules are pure and live
here; the web server (aiohttp, textual-serve) is imported only when it runs, so
``agent-console --help`` stays fast.
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from console.config import DEMO_REFUSES
from console.net import is_loopback_host

if TYPE_CHECKING:
    from console.config import Settings

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


def _port(value: str) -> int:
    if not value.isdigit() or not 0 <= int(value) <= 65535:
        raise argparse.ArgumentTypeError(f"{value!r} is not a port (0-65535; 0 picks a free one)")
    return int(value)


def _count(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number of 1 or more")
    return int(value)


def configure_parser(p: argparse.ArgumentParser) -> None:
    """Add the serve options to ``p`` (the console options are already there)."""
    p.description = (
        "Serve the console to a web browser, for demos on a projector or a shared screen. "
        "Each browser tab runs its own console (on the embedded sandbox unless the console "
        "options say otherwise); closing the tab ends it. Only the printed link opens it: its "
        "secret is new each run. The API key reaches each console through its environment "
        "and never appears in the page. Stop with Ctrl-C."
    )
    p.add_argument(
        "--host",
        default=DEFAULT_HOST,
        help="address to bind (default 127.0.0.1: only this machine can open the page)",
    )
    p.add_argument(
        "--port",
        type=_port,
        default=DEFAULT_PORT,
        help=f"port to bind (default {DEFAULT_PORT}; 0 picks a free one)",
    )
    p.add_argument(
        "--max-consoles",
        type=_count,
        default=8,
        metavar="N",
        help="at most N tabs (consoles) at once; more are refused (default 8)",
    )
    p.add_argument(
        "--public",
        action="store_true",
        help="allow a non-loopback --host: the link crosses the network in plain HTTP, and "
        "whoever sees it drives a console logged in with the key",
    )


def tab_flags(flags: Mapping[str, object], environ: Mapping[str, str]) -> dict[str, object]:
    """The console options each tab runs with: ``serve`` given no key (no ``--api-key``,
    no ``CPAAS_API_KEY``) and no ``--server`` serves the demo (``--demo``), whatever
    config.toml says (a login page in a demo because someone once logged in is no demo)."""
    told = any(flags.get(name) for name in DEMO_REFUSES) or environ.get("CPAAS_API_KEY")
    return dict(flags) if told else {**flags, "demo": True}


def child_command(flags: Mapping[str, object], python: str = sys.executable) -> list[str]:
    """The command line of one browser tab's console: the console options, never the key.

    `console.serve.tab` is the console, ended with its sandbox if the server dies."""
    command = [python, "-P", "-m", "console.serve.tab"]
    if flags.get("demo"):
        command.append("--demo")
    for name in ("server", "subaccount", "relay", "region", "data_dir", "seed", "speed", "agent"):
        value = flags.get(name)
        if value is None:
            continue
        if name == "data_dir":
            value = Path(str(value)).expanduser().resolve()
        command += ["--" + name.replace("_", "-"), str(value)]
    return command


def child_environment(flags: Mapping[str, object]) -> dict[str, str]:
    """What each console gets in its environment on top of ours: the key given as a flag.

    A child's environment is readable only by its user; its command line is in `ps`."""
    key = flags.get("api_key")
    return {"CPAAS_API_KEY": str(key)} if key else {}


def bind_refusal(host: str, public: bool) -> str | None:
    """Why binding ``host`` is refused, or None when it is allowed."""
    if public or is_loopback_host(host):
        return None
    return (
        f"{host} is not a loopback address: the link would cross the network in plain HTTP, "
        "and anyone who sees it would drive a console logged in with your API key. Add "
        "--public if that is what you want."
    )


def public_warning(host: str, port: int, target: str) -> str | None:
    """The warning printed when the page can be opened from other machines."""
    if is_loopback_host(host):
        return None
    return (
        f"Warning: serving on {host}:{port}, not loopback, over plain HTTP. Anyone who gets "
        "the link, or sees it pass on this network, gets a console logged in to "
        f"{target} with this API key, with no login: they can send SMS, open rooms and "
        "read conversations. Use it only on a network you trust, and stop it (Ctrl-C) "
        "after the demo."
    )


def browser_url(host: str, port: int, secret: str) -> str:
    """The link to open in a browser for a server bound to ``host``: the only way in, as
    its path carries this run's secret."""
    if host in ("", "0.0.0.0", "::"):
        host = socket.gethostname()
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}/{secret}/"


def describe_target(settings: Settings) -> str:
    """What each tab's console connects to, in the words of the banner."""
    from console.config import mask_key

    if settings.embedded_sandbox:
        return "the embedded sandbox (a new one for each tab)"
    if settings.server is not None:
        return f"the sandbox at {settings.server}"
    return (
        f"8x8 {settings.mode_label}, sub-account {settings.subaccount}, "
        f"key {mask_key(settings.api_key)}"
    )


def banner(url: str, target: str) -> str:
    return "\n".join(
        [
            "agent-console serve: the console in a web browser",
            "",
            f"  Open       {url}",
            f"  Console    {target}",
            "",
            "  The link is the only way in: its secret is new each run, kept nowhere else.",
            "  Give it only to whoever may drive the console.",
            "  Each browser tab runs its own console; closing the tab ends it.",
            "  Stop with Ctrl-C.",
        ]
    )


def run_from_args(ns: argparse.Namespace) -> int:
    """Serve until Ctrl-C or SIGTERM; returns the exit code."""
    from console.cli import console_flags
    from console.config import SettingsError, load_settings, read_config_file
    from console.paths import config_file

    flags = tab_flags(console_flags(ns), os.environ)
    try:
        settings = load_settings(flags, os.environ, read_config_file(config_file()))
    except SettingsError as error:
        print(f"agent-console serve: {error}", file=sys.stderr)
        return 2
    refusal = bind_refusal(ns.host, ns.public)
    if refusal is not None:
        print(f"agent-console serve: {refusal}", file=sys.stderr)
        return 2
    from console.serve.server import ConsoleServer, new_secret

    target = describe_target(settings)
    # Drawn here, printed once in the banner: never in a log, a file or a command line.
    # Not handed to a browser either: a browser's command line is readable by every
    # user of this machine (/proc/PID/cmdline), the very people the secret keeps out.
    secret = new_secret()
    server = ConsoleServer(
        child_command(flags),
        child_environment(flags),
        host=ns.host,
        port=ns.port,
        max_consoles=ns.max_consoles,
        secret=secret,
    )

    def ready(port: int) -> None:
        print(banner(browser_url(ns.host, port, secret), target), flush=True)
        warning = public_warning(ns.host, port, target)
        if warning is not None:
            print(warning, file=sys.stderr, flush=True)

    try:
        server.run(ready)
    except OSError as error:
        reason = os.strerror(error.errno) if error.errno else str(error)
        print(
            f"agent-console serve: cannot listen on {ns.host}:{ns.port}: {reason}", file=sys.stderr
        )
        return 1
    return 0
