"""``agent-console relay``: run the webhook relay alone, under uvicorn.

``console/cli.py`` calls :func:`configure_parser` on the subcommand's parser and
:func:`run_from_args` with the parsed namespace. ``python -m console.live.command`` runs it
standalone (the benchmark uses this).

Secrets can come from the environment instead of the command line (which other users of
the machine can read in ``ps``): ``AGENT_CONSOLE_WEBHOOK_SECRET``, ``AGENT_CONSOLE_EVENTS_TOKEN``,
and ``AGENT_CONSOLE_REDIS_URL`` (its password). They are never printed or logged.

``--agents FILE`` gives each agent their own token (console/live/agents.py): the relay then
knows who acts, and a team event naming someone else is refused. ``agent-console relay
add-agent NAME --agents FILE`` adds an agent and prints their token once (``--rotate`` gives
an agent a new one; ``remove-agent`` takes one away). Without ``--agents``, one shared
``--events-token`` opens the event stream for everyone (the embedded demo does this).

Operations (deploy/ and the README's "Running the floor"): ``/healthz``, ``/readyz`` and
``/metrics`` are served on the relay's port, or only on ``--admin-host/--admin-port``; on
SIGTERM the relay drains (``/readyz`` 503 for ``--drain-seconds``, then consoles closed with
1012, then it stops; a second SIGTERM or Ctrl-C stops at once); ``--log-format json`` writes
the operator log (console/live/oplog.py) as one JSON object per line on stderr.

``--redis URL`` puts the event log on Redis Streams (console/live/redis_log.py) so that
several relays serve one team; it needs the optional ``redis`` package
(``pip install 'agent-console[redis]'``), and the relay says so when it is missing.
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from console.net import is_loopback_host

WEBHOOK_SECRET_ENV = "AGENT_CONSOLE_WEBHOOK_SECRET"
EVENTS_TOKEN_ENV = "AGENT_CONSOLE_EVENTS_TOKEN"
REDIS_URL_ENV = "AGENT_CONSOLE_REDIS_URL"
DEFAULT_PORT = 8801
LOG_FILE_NAME = "relay-events.jsonl"
#: SIGTERM: seconds of "not ready" before the relay lets consoles go (HAProxy's check in
#: deploy/ marks a relay down after 2 failed checks 1 s apart).
DEFAULT_DRAIN = 5.0


def configure_parser(parser: argparse.ArgumentParser) -> None:
    """Add the relay's options to ``parser``."""
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to bind (default 127.0.0.1: loopback only; put the relay behind "
        "your HTTPS reverse proxy rather than binding a public address)",
    )
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT}; 0: any)"
    )
    parser.add_argument(
        "--webhook-secret",
        metavar="S",
        help="the exact Authorization header 8x8 sends with each webhook (the webhook's "
        f"httpAuthorization); default ${WEBHOOK_SECRET_ENV}",
    )
    parser.add_argument(
        "--events-token",
        metavar="T",
        help="one bearer token shared by every console (no agents file); default "
        f"${EVENTS_TOKEN_ENV}",
    )
    parser.add_argument(
        "--agents",
        type=Path,
        metavar="FILE",
        help="serve the agents in FILE, each with their own token (see add-agent); instead of "
        "--events-token. Re-read when it changes, or on SIGHUP",
    )
    actions = parser.add_subparsers(
        dest="relay_action", metavar="{add-agent,remove-agent}", required=False
    )
    add = actions.add_parser(
        "add-agent",
        help="add an agent to the agents file and print their token once",
        description="Add an agent to the agents file (created 0600) and print their new "
        "token once: the file keeps only its salted hash.",
    )
    add.add_argument("name", metavar="NAME", help="the agent's name in the team inbox")
    add.add_argument(
        "--agents", type=Path, metavar="FILE", default=argparse.SUPPRESS, help="the agents file"
    )
    add.add_argument(
        "--rotate",
        action="store_true",
        help="the agent is there already: give them a new token (the old one stops working)",
    )
    remove = actions.add_parser(
        "remove-agent",
        help="remove an agent from the agents file (their token stops working)",
        description="Remove an agent from the agents file: their token stops working.",
    )
    remove.add_argument("name", metavar="NAME")
    remove.add_argument(
        "--agents", type=Path, metavar="FILE", default=argparse.SUPPRESS, help="the agents file"
    )
    parser.add_argument(
        "--log",
        type=Path,
        metavar="PATH",
        help=f"the replay log file (default: <data dir>/{LOG_FILE_NAME})",
    )
    parser.add_argument(
        "--redis",
        metavar="URL",
        help="keep the event log on Redis Streams (redis://[:password@]host:port/db, rediss:// "
        "for TLS), shared by every relay given the same URL and --redis-prefix, instead of a "
        f"file; default ${REDIS_URL_ENV}",
    )
    parser.add_argument(
        "--redis-prefix",
        metavar="NAME",
        default="agent-console",
        help="the Redis keys' prefix: relays with the same one share a stream (default "
        "agent-console)",
    )
    parser.add_argument(
        "--max-events",
        type=int,
        default=100_000,
        metavar="N",
        help="events kept for replay (default 100000)",
    )
    parser.add_argument(
        "--max-memory",
        type=float,
        default=64,
        metavar="MB",
        help="memory for the newest events' text (default 64); older kept events are read "
        "back from the log file when a console replays them (the file log only)",
    )
    parser.add_argument(
        "--max-age",
        type=float,
        default=7 * 86400,
        metavar="SECONDS",
        help="how long events are kept for replay (default 604800: 7 days)",
    )
    parser.add_argument(
        "--admin-host",
        metavar="HOST",
        help="serve /healthz, /readyz and /metrics on this address instead of the relay's "
        "own port (they need no secret: keep them off the public side; default: --host)",
    )
    parser.add_argument(
        "--admin-port",
        type=int,
        metavar="PORT",
        help="port of /healthz, /readyz and /metrics; given, they are no longer served on --port",
    )
    parser.add_argument(
        "--drain-seconds",
        type=float,
        default=DEFAULT_DRAIN,
        metavar="SECONDS",
        help="on SIGTERM, how long /readyz answers 503 before consoles are let go (1012) and "
        "the relay stops, so the load balancer takes it out of rotation first (default "
        f"{DEFAULT_DRAIN:g}; 0: stop at once); a second SIGTERM or Ctrl-C stops at once",
    )
    parser.add_argument(
        "--log-format",
        choices=("text", "json"),
        default="text",
        help="the operator log on stderr: text lines, or one JSON object per line (default text)",
    )
    parser.add_argument(
        "--heartbeat",
        type=float,
        default=15.0,
        metavar="SECONDS",
        help="heartbeat interval on idle event streams (default 15)",
    )


def _default_log_path(ns: argparse.Namespace) -> Path:
    data_dir = getattr(ns, "data_dir", None)
    if data_dir:
        return Path(data_dir) / LOG_FILE_NAME
    from console.paths import data_dir as default_data_dir

    return default_data_dir() / LOG_FILE_NAME


def listen_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket for uvicorn's ``serve(sockets=...)``.

    Created with ``proto=IPPROTO_TCP`` on purpose: asyncio only sets TCP_NODELAY on accepted
    sockets whose proto is IPPROTO_TCP, and ``socket.socket()``/``socket.create_server()``
    leave it 0. Without TCP_NODELAY every response waits ~40 ms for a delayed ACK.
    """
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto)
    try:
        if os.name != "nt":
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(2048)
    except BaseException:
        sock.close()
        raise
    return sock


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def run_agent_action(ns: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``add-agent`` / ``remove-agent``: change the agents file; print a new token once."""
    from console.live.agents import AgentsError, add_agent, remove_agent

    path: Path | None = getattr(ns, "agents", None)
    if path is None:
        print(f"relay {ns.relay_action}: --agents FILE is required", file=err)
        return 2
    try:
        if ns.relay_action == "remove-agent":
            if not remove_agent(path, ns.name):
                print(f"relay: no agent {ns.name.strip()!r} in {path}", file=err)
                return 1
            name = ns.name.strip()
            print(f"Removed {name!r} from {path}: their token no longer works.", file=out)
            return 0
        token = add_agent(path, ns.name, rotate=ns.rotate)
    except (AgentsError, OSError) as error:
        print(f"relay: {error}", file=err)
        return 1
    name = ns.name.strip()
    done = "New token for" if ns.rotate else "Added"
    print(f"{done} {name!r} in {path}. Their token, shown this once (the file keeps", file=out)
    print("only a salted hash of it):", file=out)
    print(f"\n  {token}\n", file=out)
    print(
        "Give it to them privately. On their machine: CPAAS_EVENTS_TOKEN=<token> in the\n"
        "environment, or `agent-console events-token --relay URL` to keep it in the OS "
        "keyring;\n"
        f"their console's agent name (--agent, or [inbox] agent) must be {name!r}.",
        file=out,
        flush=True,
    )
    return 0


def run_from_args(ns: argparse.Namespace, *, out: TextIO | None = None) -> int:
    """Run the relay until Ctrl-C or SIGTERM; return the process exit code."""
    out = out or sys.stdout
    err = sys.stderr
    if getattr(ns, "relay_action", None):
        return run_agent_action(ns, out, err)
    secret = ns.webhook_secret or os.environ.get(WEBHOOK_SECRET_ENV)
    agents_path: Path | None = getattr(ns, "agents", None)
    token = ns.events_token or (None if agents_path else os.environ.get(EVENTS_TOKEN_ENV))
    if not secret:
        print(f"relay: --webhook-secret (or ${WEBHOOK_SECRET_ENV}) is required", file=err)
        return 2
    if agents_path is not None and token:
        print(
            "relay: --agents and --events-token exclude each other: with an agents file, "
            "each console uses its agent's own token",
            file=err,
        )
        return 2
    if agents_path is None and not token:
        print(
            f"relay: --agents FILE or --events-token (or ${EVENTS_TOKEN_ENV}) is required",
            file=err,
        )
        return 2
    agents = None
    if agents_path is not None:
        from console.live.agents import AgentDirectory, AgentsError

        try:
            agents = AgentDirectory(agents_path)
        except AgentsError as error:
            print(f"relay: {error}", file=err)
            return 2
        if not len(agents):
            print(
                f"relay: no agents in {agents_path}: add one with "
                f"`agent-console relay add-agent NAME --agents {agents_path}`",
                file=err,
            )
            return 2
    if ns.max_events < 1 or ns.max_age <= 0 or ns.heartbeat <= 0 or not ns.max_memory > 0:
        print(
            "relay: --max-events, --max-memory, --max-age and --heartbeat must be positive",
            file=err,
        )
        return 2
    if not 0 <= ns.port <= 65535:
        print("relay: --port must be between 0 and 65535", file=err)
        return 2
    admin_port = getattr(ns, "admin_port", None)
    if admin_port is not None and not 0 <= admin_port <= 65535:
        print("relay: --admin-port must be between 0 and 65535", file=err)
        return 2
    if getattr(ns, "admin_host", None) and admin_port is None:
        print("relay: --admin-host needs --admin-port", file=err)
        return 2
    drain = getattr(ns, "drain_seconds", DEFAULT_DRAIN)
    if not 0 <= drain <= 3600:
        print("relay: --drain-seconds must be between 0 and 3600", file=err)
        return 2
    redis_url = getattr(ns, "redis", None) or os.environ.get(REDIS_URL_ENV)
    if redis_url and ns.log is not None:
        print("relay: --log and --redis exclude each other: one event log", file=err)
        return 2

    from console.live.fanout import events_deflate
    from console.live.log import EventLog, FileEventLog, LogError
    from console.live.relay import create_relay_app
    from console.serving import server_stack, uvicorn_config

    log: EventLog
    if redis_url:
        from console.live.redis_log import RedisEventLog, load_redis

        try:
            load_redis()
            log = RedisEventLog(
                redis_url,
                prefix=ns.redis_prefix,
                max_events=ns.max_events,
                max_age_seconds=ns.max_age,
            )
        except (LogError, ValueError) as error:
            print(f"relay: {error}", file=err)
            return 2
        where = log.description
        memory = ""
    else:
        log_path = ns.log if ns.log is not None else _default_log_path(ns)
        log = FileEventLog(
            log_path,
            max_events=ns.max_events,
            max_age_seconds=ns.max_age,
            max_bytes=max(1, int(ns.max_memory * 1024 * 1024)),
        )
        where = str(log_path)
        memory = f"; the newest {ns.max_memory:g} MB in memory"

    admin_host: str = getattr(ns, "admin_host", None) or ns.host
    _QuietServer, _AdminServer = _make_server_classes()
    listeners: list[socket.socket] = []
    try:
        listeners.append(listen_socket(ns.host, ns.port))
        if admin_port is not None:
            listeners.append(listen_socket(admin_host, admin_port))
    except OSError as error:
        for sock in listeners:
            sock.close()
        where_ = f"{admin_host}:{admin_port}" if listeners else f"{ns.host}:{ns.port}"
        print(f"relay: cannot listen on {where_}: {error.strerror or error}", file=err)
        return 1
    app = create_relay_app(
        log,
        webhook_secret=secret,
        events_token=token,
        agents=agents,
        heartbeat=ns.heartbeat,
        admin=admin_port is None,
    )
    stack = server_stack()
    config = uvicorn_config(
        app,
        stack,
        log_level="warning",
        lifespan="on",
        access_log=False,
        timeout_graceful_shutdown=5,
        ws_per_message_deflate=events_deflate(),  # one message for every console: fanout.py
    )
    server = _QuietServer(config)
    admin_server = None
    if admin_port is not None:
        from console.live.admin import create_admin_app

        admin_config = uvicorn_config(
            create_admin_app(app.state.relay), stack, log_level="warning", lifespan="off",
            access_log=False,
        )  # fmt: skip
        admin_server = _AdminServer(admin_config)

    from console.live import oplog

    log_format = getattr(ns, "log_format", "text")
    handler = oplog.configure(log_format, err)
    try:
        return _serve(
            ns, log, where, memory, agents, app, stack, server, admin_server, listeners,
            out, err, json_log=log_format == "json",
        )  # fmt: skip
    finally:
        oplog.remove(handler)
        for sock in listeners:
            sock.close()


def _serve(
    ns: argparse.Namespace,
    log: Any,
    where: str,
    memory: str,
    agents: Any,
    app: Any,
    stack: Any,
    server: Any,
    admin_server: Any,
    listeners: list[socket.socket],
    out: TextIO,
    err: TextIO,
    *,
    json_log: bool,
) -> int:
    """Serve until stopped (SIGTERM: drain first), and say so."""
    import asyncio
    import logging

    from console.live.log import LogError
    from console.serving import run

    logger = logging.getLogger("console.live.relay")
    relay = app.state.relay
    drain: float = getattr(ns, "drain_seconds", DEFAULT_DRAIN)
    port = listeners[0].getsockname()[1]
    admin_host: str = getattr(ns, "admin_host", None) or ns.host

    base = f"{_url_host(ns.host)}:{port}"
    admin_base = base
    if len(listeners) > 1:
        admin_base = f"{_url_host(admin_host)}:{listeners[1].getsockname()[1]}"

    async def serve() -> int:
        try:
            await log.open()  # here, not in the app's startup: a clear message if it fails
            bounds = await log.bounds()
        except (LogError, OSError) as error:
            print(f"relay: cannot open the event log: {error}", file=err)
            await log.close()
            return 1
        if json_log:
            logger.info(
                "relay: listening on http://%s", base,
                extra={"event": "start", "listen": f"http://{base}", "admin": f"http://{admin_base}",
                       "log": where, "last_seq": bounds.last_seq, "drain_seconds": drain},
            )  # fmt: skip
        else:
            _print_banner(out, err, ns, base, admin_base, agents, where, memory, bounds, stack)
        if agents is not None:
            _reload_on_hangup(agents)
        loop = asyncio.get_running_loop()
        draining: list[asyncio.Task[None]] = []

        async def graceful() -> None:
            relay.begin_drain()  # /readyz 503: the load balancer takes the relay out
            await asyncio.sleep(drain)
            await relay.drain()  # consoles get what was queued, then 1012
            server.should_exit = True  # in-flight webhooks finish; the log is closed

        def on_term() -> None:
            if draining or drain <= 0 or not relay.started:
                server.should_exit = True
                server.force_exit = bool(draining)
                return
            draining.append(loop.create_task(graceful(), name="relay-drain"))

        server.on_term = lambda: loop.call_soon_threadsafe(on_term)
        admin_task = None
        if admin_server is not None:
            admin_task = loop.create_task(admin_server.serve(sockets=[listeners[1]]))
        try:
            await server.serve(sockets=[listeners[0]])
        except SystemExit:  # uvicorn exits this way when the app fails to start
            pass
        finally:
            await log.close()
            if admin_server is not None and admin_task is not None:
                admin_server.should_exit = True
                await admin_task
        logger.info("relay: stopped", extra={"event": "stopped"})
        return 0 if server.started else 1

    try:
        code = run(serve(), stack)
    except KeyboardInterrupt:  # Ctrl-C before the server took over the signal
        code = 0
    if code == 0 and not json_log:
        print("Relay stopped.", file=out)
    return code


def _print_banner(
    out: TextIO,
    err: TextIO,
    ns: argparse.Namespace,
    base: str,
    admin_base: str,
    agents: Any,
    where: str,
    memory: str,
    bounds: Any,
    stack: Any,
) -> None:
    print(f"Relay listening on http://{base}", file=out)
    print(f"  webhooks: http://{base}/webhooks/sms", file=out)
    print(f"            http://{base}/webhooks/chatapps", file=out)
    print(f"  events:   ws://{base}/events", file=out)
    print(f"  team:     http://{base}/team/events", file=out)
    print(f"  health:   http://{admin_base}/healthz  /readyz  /metrics", file=out)
    if agents is not None:
        print(
            f"  agents:   {agents.path} ({len(agents)}; each console uses its agent's "
            "own token; re-read when it changes or on SIGHUP)",
            file=out,
        )
    print(
        f"  log:      {where} (last seq {bounds.last_seq}; keeps up to "
        f"{ns.max_events} events, {ns.max_age:g} s{memory})",
        file=out,
    )
    if not is_loopback_host(ns.host):
        print(
            f"Warning: {ns.host} is not loopback; serve the relay through an HTTPS proxy.",
            file=err,
        )
    print(f"  server:   uvicorn on {stack.describe()}", file=out)
    print("Press Ctrl-C to stop (SIGTERM: drain, then stop).", file=out, flush=True)


def _reload_on_hangup(agents: Any) -> None:
    """``kill -HUP`` re-reads the agents file now (it is also re-read when it changes)."""
    import asyncio
    import contextlib
    import signal

    hangup = getattr(signal, "SIGHUP", None)
    if hangup is None:  # Windows
        return
    with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
        asyncio.get_running_loop().add_signal_handler(hangup, agents.reload)


def _make_server_classes() -> tuple[type, type]:
    import contextlib
    import signal
    import threading

    import uvicorn

    class RelayServer(uvicorn.Server):
        """uvicorn's Server, except that Ctrl-C is a normal stop (not re-raised) and SIGTERM
        calls ``on_term`` (the relay drains first) when it is set."""

        on_term: Any = None

        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            if threading.current_thread() is not threading.main_thread():
                yield
                return
            originals = {
                signal.SIGINT: signal.signal(signal.SIGINT, self.handle_exit),
                signal.SIGTERM: signal.signal(signal.SIGTERM, self._terminate),
            }
            try:
                yield
            finally:
                for sig, handler in originals.items():
                    signal.signal(sig, handler)

        def _terminate(self, sig: int, frame: Any) -> None:
            if self.on_term is None:
                self.handle_exit(sig, frame)
            else:
                self.on_term()

    class AdminServer(uvicorn.Server):
        """The operator endpoints' server: stopped by the relay's, never by a signal."""

        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            yield

    return RelayServer, AdminServer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="agent-console relay", description="Run the 8x8 webhook relay."
    )
    configure_parser(parser)
    return run_from_args(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
