"""Logging in with an API key: the form's rules and the recent logins it offers. Pure.

The key itself is checked by 8x8 (`CpaasClient.verify`, in a worker); here are only the
checks that need no server: a key an HTTP header can carry, a sub-account 8x8 accepts, a
known region. Recent logins come from the history, which never holds the key: only its last
six characters, as the 8x8 portal shows it.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from console.config import DEFAULT_REGION, REGIONS

if TYPE_CHECKING:
    from console.store import Login

SUBACCOUNT = re.compile(r"[A-Za-z0-9\-._&]{3,50}")
EMBEDDED_SANDBOX_LABEL = "sandbox"  # the target of a login to the embedded sandbox
_REGION_BY_LABEL = {region.label: name for name, region in REGIONS.items()}


@dataclass(frozen=True, slots=True)
class LoginRequest:
    """What the agent asked to log in with (the key never shows in a repr)."""

    api_key: str = field(repr=False)
    subaccount: str
    region: str = DEFAULT_REGION
    save_key: bool = False


@dataclass(frozen=True, slots=True)
class LoginForm:
    """The verdict on the login form: a request, or one message per field (in form order)."""

    request: LoginRequest | None
    problems: dict[str, str]


def key_problem(key: str) -> str | None:
    """Why this can't be an API key (before asking 8x8), or None. Never echoes the key."""
    if not key:
        return "Paste the API key (8x8 Connect portal → API keys)."
    if any(char.isspace() for char in key):
        return "The key has spaces in it: paste it again, without spaces."
    if not all(33 <= ord(char) <= 126 for char in key):
        return "The key has characters an API key never has: paste it again."
    return None


def subaccount_problem(subaccount: str) -> str | None:
    if not subaccount:
        return "Enter the sub-account (8x8 Connect portal → sub-accounts)."
    if not SUBACCOUNT.fullmatch(subaccount):
        return "A sub-account has 3–50 letters, digits or - . _ &."
    return None


def check_login_form(
    key: str, subaccount: str, region: str, *, save_key: bool = False, fallback_key: str = ""
) -> LoginForm:
    """Check the form; an empty key field uses `fallback_key` (a configured or saved key)."""
    problems: dict[str, str] = {}
    key = key.strip() or fallback_key
    if issue := key_problem(key):
        problems["key"] = issue
    subaccount = subaccount.strip()
    if issue := subaccount_problem(subaccount):
        problems["subaccount"] = issue
    if region not in REGIONS:
        problems["region"] = f"Choose a region: {', '.join(REGIONS)}."
    if problems:
        return LoginForm(None, problems)
    return LoginForm(LoginRequest(key, subaccount, region, save_key), {})


@dataclass(frozen=True, slots=True)
class RecentLogin:
    """A login the agent can pick again: everything but the key."""

    subaccount: str
    target: str  # "Europe", "sandbox 127.0.0.1:8800", …
    region: str | None  # the region name when the target is one of 8x8's regions
    key_tail: str
    at: float

    @property
    def masked_key(self) -> str:
        return "•" * 6 + self.key_tail if self.key_tail else "—"


def recent_logins(logins: Iterable[Login]) -> list[RecentLogin]:
    """The history's logins worth offering, newest first: not the embedded sandbox (a new
    demo key each run, nothing to fill in), one row per sub-account, target and key."""
    rows = [
        RecentLogin(
            login.subaccount,
            login.mode_label,
            _REGION_BY_LABEL.get(login.mode_label),
            login.key_tail,
            login.at,
        )
        for login in logins
        if login.mode_label != EMBEDDED_SANDBOX_LABEL
    ]
    rows.sort(key=lambda row: row.at, reverse=True)
    return rows


def ago(at: float, now: float | None = None) -> str:
    """When, as an agent says it: 'just now', '5 min ago', '3 h ago', 'yesterday', '12 Mar'."""
    now = time.time() if now is None else now
    seconds = max(0.0, now - at)
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    if seconds < 86400:
        return f"{int(seconds // 3600)} h ago"
    if seconds < 2 * 86400:
        return "yesterday"
    return time.strftime("%d %b %Y", time.gmtime(at))
