"""`--demo`: the embedded sandbox whatever the environment and config.toml say."""

from __future__ import annotations

import pytest

from console.cli import build_parser, console_flags
from console.config import START_LOGIN, SettingsError, load_settings

# A config.toml after a login to 8x8 (start = "login"), pointed at a relay and a server.
CONFIGURED = {
    "start": START_LOGIN,
    "api_key": "toml-key-0123456789",
    "subaccount": "acme_live",
    "account_id": "0f8fad5b-d9cb-469f-a165-70867728950e",
    "region": "europe",
    "server": "http://127.0.0.1:8800",
    "relay": "https://relay.example.com",
    "events_token": "toml-events-token",
    "keymap": {"compose": "f6"},
    "history": {"max_age_days": 9},
    "inbox": {"agent": "ana", "bell": True},
}
ENVIRONMENT = {
    "CPAAS_API_KEY": "env-key-0123456789",
    "CPAAS_SUBACCOUNT": "acme_env",
    "CPAAS_RELAY_URL": "https://relay.example.org",
    "CPAAS_EVENTS_TOKEN": "env-events-token",
}


def flags(*argv: str) -> dict[str, object]:
    return console_flags(build_parser().parse_args(argv))


def test_without_demo_the_file_decides_the_start() -> None:
    settings = load_settings(flags(), {}, {"start": START_LOGIN})
    assert settings.login_first and not settings.demo


def test_demo_starts_the_embedded_sandbox_whatever_the_file_and_environment_say() -> None:
    settings = load_settings(flags("--demo"), ENVIRONMENT, CONFIGURED)
    assert settings.demo
    assert settings.embedded_sandbox and not settings.login_first
    assert settings.api_key is None and settings.server is None and settings.relay is None
    assert settings.events_token is None and settings.account_id is None
    assert settings.subaccount is None and settings.region == "asia"
    # What is the agent's own, and not about where to connect, still applies.
    assert settings.keymap == {"compose": "f6"}
    assert settings.history_max_age_days == 9
    assert (settings.agent, settings.inbox_bell) == ("ana", True)


def test_demo_does_not_read_what_it_ignores() -> None:
    broken = {"start": "nowhere", "region": "mars", "server": "ftp://x", "subaccount": "!"}
    assert load_settings(flags("--demo"), {}, broken).embedded_sandbox
    with pytest.raises(SettingsError):
        load_settings(flags(), {}, broken)


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (("--api-key", "flag-key-0123456789"), "--api-key"),
        (("--server", "http://127.0.0.1:8800"), "--server"),
        (("--relay", "https://relay.example.com"), "--relay"),
    ],
)
def test_demo_with_a_flag_that_goes_elsewhere_is_refused(argv: tuple[str, ...], named: str) -> None:
    with pytest.raises(SettingsError, match=f"--demo starts the embedded sandbox.*{named}"):
        load_settings(flags("--demo", *argv), {}, {})


def test_demo_is_a_console_option_before_or_after_serve() -> None:
    assert flags("--demo")["demo"] is True
    assert flags("serve", "--demo")["demo"] is True
    assert flags("--demo", "serve")["demo"] is True
    assert not flags()["demo"] and not flags("serve")["demo"]
