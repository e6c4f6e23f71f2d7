#!/usr/bin/env python3
"""Render deploy/haproxy/haproxy.cfg.template for N relays (standard library only).

    python deploy/render_haproxy.py --relay 10.0.0.11:8801@9801 --relay 10.0.0.12:8801@9801

Each ``--relay HOST:PORT[@ADMIN_PORT]`` is one relay: HAProxy sends webhooks and websockets
to PORT and checks ``/readyz`` on ADMIN_PORT (the relay's ``--admin-port``), or on PORT
when no admin port is given. ``--bind`` is the public address (default ``:8080``),
``--stats-bind`` HAProxy's own metrics and status page (default ``127.0.0.1:8404``).
``--maxconn`` bounds HAProxy's connections (default 20000; each takes two file
descriptors). ``--inter`` is the pace of health checks (default ``1s``: a relay that turns
not ready is out of rotation within about 2 s, inside the relay's default 5 s drain).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

TEMPLATE = Path(__file__).with_name("haproxy") / "haproxy.cfg.template"
RELAY = re.compile(
    r"^(?P<host>\[[0-9a-fA-F:]+\]|[A-Za-z0-9_.-]+):(?P<port>\d{1,5})(?:@(?P<admin>\d{1,5}))?$"
)
DURATION = re.compile(r"^\d+(ms|s)$")
BIND = re.compile(r"^[A-Za-z0-9_.:\[\]*-]*:\d{1,5}$")


def server_lines(relays: list[str]) -> list[str]:
    """One ``server`` line per ``HOST:PORT[@ADMIN_PORT]``."""
    lines = []
    for number, relay in enumerate(relays, start=1):
        match = RELAY.match(relay)
        if match is None:
            raise ValueError(f"not HOST:PORT[@ADMIN_PORT]: {relay!r}")
        line = f"    server relay{number} {match['host']}:{match['port']}"
        if match["admin"]:
            line += f" port {match['admin']}"
        lines.append(line)
    return lines


def render(
    relays: list[str],
    *,
    bind: str = ":8080",
    stats_bind: str = "127.0.0.1:8404",
    inter: str = "1s",
    fastinter: str = "250ms",
    maxconn: int = 20000,
    template: Path = TEMPLATE,
) -> str:
    """The HAProxy configuration for ``relays`` (at least one)."""
    if not relays:
        raise ValueError("at least one --relay")
    for name, duration in (("inter", inter), ("fastinter", fastinter)):
        if not DURATION.match(duration):
            raise ValueError(f"--{name} must look like 1s or 250ms, not {duration!r}")
    for name, address in (("bind", bind), ("stats-bind", stats_bind)):
        if not BIND.match(address):
            raise ValueError(f"--{name} must be [HOST]:PORT, not {address!r}")
    if not 1 <= maxconn <= 1_000_000:
        raise ValueError(f"--maxconn must be between 1 and 1000000, not {maxconn}")
    fields = {
        "maxconn": str(maxconn),
        "servers": "\n".join(server_lines(relays)),
        "bind": bind,
        "stats_bind": stats_bind,
        "inter": inter,
        "fastinter": fastinter,
    }
    text = template.read_text(encoding="utf-8")
    text = re.sub(r"\{\{(\w+)\}\}", lambda m: fields[m.group(1)], text)
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--relay", action="append", default=[], metavar="HOST:PORT[@ADMIN]")
    parser.add_argument("--bind", default=":8080")
    parser.add_argument("--stats-bind", default="127.0.0.1:8404")
    parser.add_argument("--inter", default="1s")
    parser.add_argument("--fastinter", default="250ms")
    parser.add_argument("--maxconn", type=int, default=20000)
    ns = parser.parse_args(argv)
    try:
        text = render(
            ns.relay,
            bind=ns.bind,
            stats_bind=ns.stats_bind,
            inter=ns.inter,
            fastinter=ns.fastinter,
            maxconn=ns.maxconn,
        )
    except ValueError as error:
        parser.error(str(error))
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
