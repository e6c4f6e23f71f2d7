"""`agent-console serve` options: what each tab's console is started with, and the bind rules."""

from __future__ import annotations

import string
from pathlib import Path

import pytest

from console.cli import build_parser, console_flags
from console.config import START_LOGIN, load_settings
from console.serve.command import (
    bind_refusal,
    browser_url,
    child_command,
    child_environment,
    describe_target,
    public_warning,
    tab_flags,
)
from console.serve.server import holds_secret, new_secret

KEY = "live-key-abcdef123456"


def parse(*argv: str) -> dict[str, object]:
    args = build_parser().parse_args(argv)
    assert args.command == "serve"
    return {**console_flags(args), "host": args.host, "port": args.port, "public": args.public}


def test_defaults_are_loopback_port_8000_and_the_embedded_sandbox() -> None:
    options = parse("serve")
    assert (options["host"], options["port"], options["public"]) == ("127.0.0.1", 8000, False)
    assert child_command(options, python="py") == ["py", "-P", "-m", "console.serve.tab"]
    assert child_environment(options) == {}


def test_serve_without_a_key_serves_the_demo_whatever_config_toml_says() -> None:
    logged_in_once = {"start": START_LOGIN, "server": "http://127.0.0.1:8800"}
    options = tab_flags(parse("serve", "--seed", "7"), environ={})
    assert child_command(options, python="py") == [
        *("py", "-P", "-m", "console.serve.tab", "--demo", "--seed", "7"),
    ]
    settings = load_settings(options, {}, logged_in_once)
    assert settings.embedded_sandbox and not settings.login_first
    assert "embedded sandbox" in describe_target(settings)


@pytest.mark.parametrize(
    ("argv", "environ"),
    [
        (("serve", "--api-key", KEY, "--subaccount", "acme"), {}),
        (("serve",), {"CPAAS_API_KEY": KEY}),
        (("serve", "--server", "http://127.0.0.1:8800"), {}),
    ],
)
def test_serve_with_a_key_or_a_server_passes_them_on(
    argv: tuple[str, ...], environ: dict[str, str]
) -> None:
    options = tab_flags(parse(*argv), environ)
    assert "--demo" not in child_command(options, python="py")


def test_console_options_pass_to_each_console_before_or_after_serve(tmp_path: Path) -> None:
    after = parse("serve", "--seed", "7", "--speed", "2", "--data-dir", str(tmp_path))
    before = parse("--seed", "7", "--speed", "2", "--data-dir", str(tmp_path), "serve")
    expected = ["py", "-P", "-m", "console.serve.tab", "--data-dir", str(tmp_path.resolve())]
    expected += ["--seed", "7", "--speed", "2.0"]
    assert child_command(after, python="py") == expected
    assert child_command(before, python="py") == expected


def test_the_key_goes_to_the_environment_never_the_command_line() -> None:
    options = parse("serve", "--api-key", KEY, "--subaccount", "acme", "--region", "eu")
    command = child_command(options, python="py")
    assert KEY not in " ".join(command)
    assert command[4:] == ["--subaccount", "acme", "--region", "eu"]
    assert child_environment(options) == {"CPAAS_API_KEY": KEY}


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "localhost"])
def test_loopback_needs_no_flag_and_gets_no_warning(host: str) -> None:
    assert bind_refusal(host, public=False) is None
    assert public_warning(host, 8000, "the embedded sandbox") is None


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.10", "::", "demo.example"])
def test_any_other_address_needs_public_and_names_the_risk(host: str) -> None:
    refusal = bind_refusal(host, public=False)
    assert refusal is not None and "--public" in refusal and "API key" in refusal
    assert bind_refusal(host, public=True) is None
    warning = public_warning(host, 8000, "8x8 Europe")
    assert warning is not None
    assert "Anyone who gets the link" in warning and "8x8 Europe" in warning


def test_the_printed_link_opens_in_a_browser_and_carries_the_secret() -> None:
    assert browser_url("127.0.0.1", 8000, "s3cr3t") == "http://127.0.0.1:8000/s3cr3t/"
    assert browser_url("::1", 8000, "s3cr3t") == "http://[::1]:8000/s3cr3t/"
    assert "0.0.0.0" not in browser_url("0.0.0.0", 8000, "s3cr3t")


def test_each_run_draws_its_own_secret_and_only_it_opens_the_console() -> None:
    first, second = new_secret(), new_secret()
    assert first != second and len(first) >= 43  # 256 bits
    assert set(first) <= set(string.ascii_letters + string.digits + "-_")  # a path segment
    assert holds_secret(first, first)
    for given in ("", first[:-1], first + "x", second, first.upper(), "\ud800" + first[1:]):
        assert not holds_secret(given, first), given


def test_the_banner_names_the_target_with_the_key_masked() -> None:
    live = load_settings({"api_key": KEY, "subaccount": "acme", "region": "eu"}, {}, {})
    described = describe_target(live)
    assert KEY not in described and KEY[-6:] in described and "Europe" in described
    assert "embedded sandbox" in describe_target(load_settings({}, {}, {}))
