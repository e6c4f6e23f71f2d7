"""``agent-console events-token --relay URL``: keep this agent's relay token in the OS keyring.

The token is the one ``agent-console relay add-agent`` printed for this agent. It is read
without echo (or from standard input when that is not a terminal) and saved in the OS
keyring only, as the API key is: never in config.toml or any other file. The console then
finds it when it follows that relay (``--relay URL`` or ``CPAAS_RELAY_URL``, the same URL);
``CPAAS_EVENTS_TOKEN`` in the environment still wins. ``--forget`` removes it.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import TextIO

MAX_TOKEN = 1024


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--relay",
        metavar="URL",
        default=argparse.SUPPRESS,
        help="the relay the token is for, as the console is given it (default $CPAAS_RELAY_URL)",
    )
    parser.add_argument(
        "--forget", action="store_true", help="remove the token kept for this relay"
    )


def _read_token(out: TextIO) -> str:
    if sys.stdin.isatty():
        import getpass

        return getpass.getpass("Your agent token (not shown): ", stream=out)
    return sys.stdin.readline()


def run_from_args(ns: argparse.Namespace, *, out: TextIO | None = None) -> int:
    from console.api.keystore import KeyStoreError, forget_events_token, save_events_token

    out = out or sys.stdout
    err = sys.stderr
    relay = (getattr(ns, "relay", None) or os.environ.get("CPAAS_RELAY_URL") or "").rstrip("/")
    if not relay.startswith(("http://", "https://", "ws://", "wss://")):
        print("events-token: --relay URL (or CPAAS_RELAY_URL) is required", file=err)
        return 2
    if ns.forget:
        if forget_events_token(relay):
            print(f"The token for {relay} is no longer kept in the keyring.", file=out)
            return 0
        print(f"events-token: no token kept for {relay}", file=err)
        return 1
    token = _read_token(out).strip()
    if not token or len(token) > MAX_TOKEN or not (token.isascii() and token.isprintable()):
        print(f"events-token: a token is 1–{MAX_TOKEN} printable ASCII characters", file=err)
        return 2
    try:
        save_events_token(relay, token)
    except KeyStoreError as error:
        print(f"events-token: {error}", file=err)
        return 1
    print(f"Kept in the OS keyring for {relay}; the console uses it there.", file=out)
    return 0
