"""Small network predicates shared by the console, the relay and the sandbox (pure)."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit


def is_loopback_host(host: str | None) -> bool:
    """True for `localhost` and any loopback address (127.0.0.0/8, ::1)."""
    if not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def is_loopback_url(url: str) -> bool:
    """True when the URL's host is loopback (such URLs never go through a proxy)."""
    return is_loopback_host(urlsplit(url).hostname)
