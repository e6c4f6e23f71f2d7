"""``agent-console sandbox``: serve the 8x8-compatible sandbox on its own.

Imports nothing heavy until it runs, so ``agent-console --help`` stays fast.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import secrets
import signal
import sys
from pathlib import Path
from typing import Any

from .settings import (
    ACCOUNT_PATTERN,
    SCENARIOS,
    SUBACCOUNT_PATTERN,
    SandboxConfig,
    generate_demo_key,
)


def _positive(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number") from None
    if not number > 0:
        raise argparse.ArgumentTypeError(f"{value!r} must be greater than 0")
    return number


def _port(value: str) -> int:
    if not value.isdigit() or not 0 <= int(value) <= 65535:
        raise argparse.ArgumentTypeError(f"{value!r} is not a port (0-65535; 0 picks a free one)")
    return int(value)


def _subaccount(value: str) -> str:
    if not SUBACCOUNT_PATTERN.match(value):
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a valid sub-account: 3-50 letters, digits or - . _ &"
        )
    return value


def _account(value: str) -> str:
    if not ACCOUNT_PATTERN.match(value):
        raise argparse.ArgumentTypeError(f"{value!r} is not an account id (a UUID)")
    return value


def _url(value: str) -> str:
    if not value.startswith(("http://", "https://")):
        raise argparse.ArgumentTypeError(f"{value!r}: give a URL such as http://127.0.0.1:8801")
    return value.rstrip("/")


def _key(value: str) -> str:
    if not value.strip():
        raise argparse.ArgumentTypeError("an API key cannot be empty")
    return value.strip()


def configure_parser(p: argparse.ArgumentParser) -> None:
    """Add the sandbox options to ``p`` (the ``sandbox`` sub-command's parser)."""
    p.description = (
        "Serve the 8x8-compatible sandbox (SMS, Chat Apps, Video Interaction) on its own, "
        "so several consoles can share one demo world. Stop with Ctrl-C."
    )
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument(
        "--port", type=_port, default=8800, help="port to bind (default 8800; 0 picks a free one)"
    )
    p.add_argument(
        "--api-key",
        dest="api_keys",
        action="append",
        type=_key,
        metavar="KEY",
        help="API key the sandbox accepts (repeatable; default: a generated demo key, printed)",
    )
    p.add_argument(
        "--subaccount", type=_subaccount, default="sandbox", help="sub-account (default sandbox)"
    )
    p.add_argument(
        "--webhook-url",
        type=_url,
        metavar="URL",
        help="base URL for webhooks: SMS events go to URL/sms, Chat Apps events to "
        "URL/chatapps (default: this server's /webhooks relay routes)",
    )
    p.add_argument(
        "--webhook-secret",
        metavar="S",
        help="sent verbatim as the Authorization header of every webhook",
    )
    p.add_argument("--seed", type=int, metavar="N", help="make receipts and customers reproducible")
    p.add_argument(
        "--speed",
        type=_positive,
        default=1.0,
        metavar="X",
        help="time scale of receipts, customers and retries (2 = twice as fast; default 1)",
    )
    p.add_argument(
        "--rate-limit",
        type=_positive,
        default=1800.0,
        metavar="N",
        help="requests per second per sub-account before 429 (default 1800)",
    )
    p.add_argument(
        "--no-customers",
        dest="customers",
        action="store_false",
        help="no scripted customers writing in (quiet demo or tests)",
    )
    p.add_argument(
        "--scenario",
        choices=SCENARIOS,
        help="start a scenario with the sandbox: ait = another application's OTP traffic, "
        "then a surge to one operator (artificially inflated traffic), for the Shield view",
    )
    p.add_argument(
        "--account-id",
        type=_account,
        metavar="UUID",
        help="the account id of the configuration API, balance and prices "
        "(default: one derived from the sub-account)",
    )
    p.add_argument(
        "--balance",
        type=float,
        default=500.0,
        metavar="EUR",
        help="the prepaid balance at start (default 500); each SMS sent lowers it",
    )
    p.add_argument(
        "--no-whatsapp-window",
        action="store_true",
        help="deliver free-form WhatsApp messages whenever the customer last wrote (by "
        "default one sent 24 hours after it ends undelivered, errorCode 61, as on 8x8)",
    )
    p.add_argument(
        "--ready-json",
        action="store_true",
        help='print one JSON line {"url", "subaccount", "api_key", "account_id"} once '
        "listening, nothing else on stdout (for a parent process)",
    )
    p.add_argument(
        "--exit-with-stdin",
        action="store_true",
        help="stop when standard input closes (the embedded sandbox dies with its console)",
    )
    p.add_argument(
        "--nice",
        type=int,
        default=0,
        metavar="N",
        help="lower its CPU priority by N: the embedded sandbox gives way to its console's "
        "screen when the cores are busy (it still takes an idle core whole)",
    )


def _banner(
    url: str, subaccount: str, key_line: str, config: SandboxConfig, *, shared: bool
) -> str:
    join = f"agent-console --server {url}"
    if not shared:
        join = "CPAAS_API_KEY=<key> " + join
    lines = [
        "agent-console sandbox is running",
        "",
        f"  URL          {url}",
        f"  Sub-account  {subaccount}",
        f"  API key      {key_line}",
        f"  Webhooks     {config.webhook_url or url + '/webhooks'}  (/sms, /chatapps)",
        f"  Account      {config.account}",
        *([f"  Scenario     {config.scenario}"] if config.scenario else []),
        f"  Speed        {config.speed:g}x"
        + (f"   seed {config.seed}" if config.seed is not None else ""),
        "",
        f"  Join from another terminal:  {join}",
        *(["  (your consoles on this machine find the key; other users cannot)"] if shared else []),
        "  Stop with Ctrl-C.",
    ]
    width = max(len(line) for line in lines) + 2
    rule = "─" * width
    return "\n".join([f"┌{rule}┐", *(f"│ {line:<{width - 1}}│" for line in lines), f"└{rule}┘"])


def run_from_args(ns: argparse.Namespace) -> int:
    """Serve until Ctrl-C or SIGTERM; returns the exit code (0 on a clean stop)."""
    nice = getattr(ns, "nice", 0)
    if nice > 0 and hasattr(os, "nice"):
        os.nice(nice)  # before the server's imports, the bulk of its start-up
    from .server import bind_socket, public_base_url, url_for

    keys: list[str] | None = getattr(ns, "api_keys", None)
    generated = not keys
    api_keys = (generate_demo_key(),) if generated else tuple(keys or ())
    host: str = ns.host
    try:
        sock = bind_socket(host, ns.port)
    except OSError as error:
        print(
            f"agent-console sandbox: cannot listen on {host}:{ns.port}: {error.strerror}",
            file=sys.stderr,
        )
        return 1
    port = sock.getsockname()[1]
    url = url_for(host, port)
    try:
        config = SandboxConfig(
            api_keys=api_keys,
            subaccount=ns.subaccount,
            webhook_url=ns.webhook_url,
            webhook_secret=ns.webhook_secret,
            seed=ns.seed,
            speed=ns.speed,
            rate_limit=ns.rate_limit,
            customers=getattr(ns, "customers", True),
            base_url=public_base_url(host, port),
            scenario=getattr(ns, "scenario", None),
            account_id=getattr(ns, "account_id", None),
            balance=getattr(ns, "balance", 500.0),
            whatsapp_window=not getattr(ns, "no_whatsapp_window", False),
        )
    except ValueError as error:
        sock.close()
        print(f"agent-console sandbox: {error}", file=sys.stderr)
        return 2
    shared: tuple[str, str, str] | None = None
    if ns.ready_json:
        if config.webhook_secret is None and config.webhook_url is None:
            # Its own relay's secret, made here so the console that started it knows it
            # (Tools' "point at my relay" in the demo); it travels on the pipe only.
            config = dataclasses.replace(config, webhook_secret=secrets.token_urlsafe(24))
        from .world import CHANNEL_IDS

        ready = json.dumps(
            {
                "url": url,
                "subaccount": config.subaccount,
                "api_key": api_keys[0] if generated else None,
                "account_id": config.account,
                "channels": CHANNEL_IDS,  # WhatsApp's for its templates
                "webhook_secret": config.webhook_secret if generated else None,
            }
        )
    else:
        from console.config import mask_key

        key_line = api_keys[0] if generated else f"{mask_key(api_keys[0])} (given with --api-key)"
        ready = _banner(url, config.subaccount, key_line, config, shared=generated)
        if generated:  # your consoles on this machine find it; nobody else does
            shared = (url, config.subaccount, api_keys[0])
    return _serve(
        config,
        sock,
        ready,
        exit_with_stdin=getattr(ns, "exit_with_stdin", False),
        shared=shared,
    )


def _serve(
    config: SandboxConfig,
    sock: Any,
    ready: str,
    *,
    exit_with_stdin: bool = False,
    shared: tuple[str, str, str] | None = None,
) -> int:
    """Serve until stopped. ``shared`` (url, sub-account, key): written to the user's key
    file once listening (see keyfile.py), removed on the way out."""
    import asyncio

    import uvicorn

    from console.serving import run, server_stack, uvicorn_config

    from .app import create_sandbox_app
    from .keyfile import remove_shared_key, write_shared_key

    stack = server_stack()
    app = create_sandbox_app(config)
    app.state.world.http_parser = stack.http
    server = uvicorn.Server(
        uvicorn_config(
            app,
            stack,
            log_level="warning",
            access_log=False,
            lifespan="on",
            timeout_graceful_shutdown=3,
        )
    )

    def watch_stdin() -> None:
        # The parent console holds our stdin open; EOF means it has gone, even if killed.
        try:
            while sys.stdin.buffer.read(4096):
                pass
        except (OSError, ValueError):
            pass
        server.should_exit = True

    key_file: list[Path] = []

    async def main() -> None:
        if exit_with_stdin:
            import threading

            threading.Thread(target=watch_stdin, name="stdin-watch", daemon=True).start()
        serving = asyncio.ensure_future(server.serve(sockets=[sock]))
        while not server.started and not serving.done():
            await asyncio.sleep(0.02)
        if server.started:
            if shared is not None:
                try:
                    key_file.append(write_shared_key(*shared))
                except OSError as error:
                    print(f"agent-console sandbox: the key file was not written: {error}",
                          file=sys.stderr)  # fmt: skip
            print(ready, flush=True)
        await serving

    # uvicorn re-raises the signal that stopped it once it has shut down; make that a no-op
    # so Ctrl-C and SIGTERM end with exit code 0 and no traceback.
    import threading

    previous: dict[int, Any] = {}
    if threading.current_thread() is threading.main_thread():
        previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
        for sig in previous:
            signal.signal(sig, lambda *_: None)
    try:
        run(main(), stack)
    except KeyboardInterrupt:
        pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        sock.close()
        for path in key_file:
            remove_shared_key(path)
    if not server.started:
        print("agent-console sandbox: the server did not start", file=sys.stderr)
        return 1
    print("agent-console sandbox stopped.", file=sys.stderr)
    return 0
