"""The login form's rules and the recent logins it offers (pure)."""

from __future__ import annotations

import pytest

from console.core.login import (
    LoginRequest,
    ago,
    check_login_form,
    key_problem,
    recent_logins,
    subaccount_problem,
)
from console.store import Login

KEY = "k3y-0f-thirty-two-characters-x9"


def test_a_complete_form_is_a_request_and_its_repr_hides_the_key() -> None:
    form = check_login_form(f"  {KEY} ", " acme_support ", "europe", save_key=True)
    assert form.problems == {}
    assert form.request == LoginRequest(KEY, "acme_support", "europe", True)
    assert KEY not in repr(form.request) and KEY not in repr(form)


@pytest.mark.parametrize(
    ("key", "problem"),
    [
        ("", "Paste the API key (8x8 Connect portal → API keys)."),
        ("abc def", "The key has spaces in it: paste it again, without spaces."),
        ("abc\u00e9def", "The key has characters an API key never has: paste it again."),
        (KEY, None),
    ],
)
def test_key_problems_never_echo_the_key(key: str, problem: str | None) -> None:
    assert key_problem(key) == problem
    if problem and key:
        assert key not in problem


@pytest.mark.parametrize(
    ("subaccount", "problem"),
    [
        ("", "Enter the sub-account (8x8 Connect portal → sub-accounts)."),
        ("ab", "A sub-account has 3–50 letters, digits or - . _ &."),
        ("acme support", "A sub-account has 3–50 letters, digits or - . _ &."),
        ("a" * 51, "A sub-account has 3–50 letters, digits or - . _ &."),
        ("acme-support_1.&", None),
    ],
)
def test_subaccount_rules(subaccount: str, problem: str | None) -> None:
    assert subaccount_problem(subaccount) == problem


def test_every_problem_is_named_at_its_field_in_form_order() -> None:
    form = check_login_form("", "x", "mars")
    assert form.request is None
    assert list(form.problems) == ["key", "subaccount", "region"]


def test_an_empty_key_field_stands_for_a_configured_or_saved_key() -> None:
    form = check_login_form("", "acme", "asia", fallback_key=KEY)
    assert form.request is not None and form.request.api_key == KEY
    typed = check_login_form("typed-key-123456", "acme", "asia", fallback_key=KEY)
    assert typed.request is not None and typed.request.api_key == "typed-key-123456"


def test_recent_logins_newest_first_without_the_embedded_sandbox() -> None:
    logins = [
        Login("acme", "Europe", "abc123", 100.0, 2),
        Login("sandbox", "sandbox", "zz9999", 300.0, 9),
        Login("demo", "sandbox 127.0.0.1:8800", "qq1111", 200.0, 1),
    ]
    rows = recent_logins(logins)
    assert [(r.subaccount, r.region, r.masked_key) for r in rows] == [
        ("demo", None, "••••••qq1111"),
        ("acme", "europe", "••••••abc123"),
    ]


@pytest.mark.parametrize(
    ("seconds", "label"),
    [
        (5, "just now"),
        (125, "2 min ago"),
        (3 * 3600 + 5, "3 h ago"),
        (30 * 3600, "yesterday"),
    ],
)
def test_when_reads_like_an_agent_says_it(seconds: float, label: str) -> None:
    assert ago(1_800_000_000.0 - seconds, 1_800_000_000.0) == label
    assert ago(0.0, 5 * 86400) == "01 Jan 1970"
