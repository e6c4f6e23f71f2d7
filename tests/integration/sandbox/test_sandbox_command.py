"""The `sandbox` sub-command as a real child process: ready line, banner, clean stops."""

from __future__ import annotations

import json
import os
import select
import signal
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from sandbox_support import REPO_ROOT, SUB, Hook, Receiver

from console.sandbox.keyfile import key_file, shared_demo_key
from console.sandbox.server import bind_socket
from console.sandbox.world import CHANNEL_IDS

RUN = (
    "import argparse, sys\n"
    "from console.sandbox.command import configure_parser, run_from_args\n"
    "parser = argparse.ArgumentParser(prog='agent-console sandbox')\n"
    "configure_parser(parser)\n"
    "sys.exit(run_from_args(parser.parse_args(sys.argv[1:])))\n"
)


def _spawn(*args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [sys.executable, "-c", RUN, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=Path(REPO_ROOT),
    )


def _read_until(proc: subprocess.Popen[str], marker: str, timeout: float = 20) -> str:
    """Read stdout with os.read (no buffered read-ahead) until ``marker`` shows up."""
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    seen = b""
    while marker.encode() not in seen:
        ready, _, _ = select.select([fd], [], [], timeout)
        if not ready:
            proc.kill()
            raise AssertionError(f"no {marker!r} on stdout; got {seen!r}")
        chunk = os.read(fd, 65536)
        if not chunk:
            raise AssertionError(f"stdout closed; got {seen!r}")
        seen += chunk
    return seen.decode()


def _port(url: str) -> int:
    port = urlsplit(url).port
    assert port is not None
    return port


def _stop(proc: subprocess.Popen[str], sig: int) -> tuple[int, str, str]:
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=20)
    return proc.returncode, out, err


def test_ready_json_then_sigterm_exits_cleanly() -> None:
    proc = _spawn("--port", "0", "--ready-json", "--no-customers", "--seed", "3")
    line = _read_until(proc, "\n")
    ready = json.loads(line)
    assert set(ready) == {
        "url", "subaccount", "api_key", "account_id", "webhook_secret", "channels"
    }  # fmt: skip
    assert ready["channels"]["whatsapp"] == CHANNEL_IDS["whatsapp"]
    assert ready["subaccount"] == SUB and ready["url"].startswith("http://127.0.0.1:")
    url, key = ready["url"], ready["api_key"]
    assert httpx.get(url + "/healthz").json() == {"status": "ok"}
    info = httpx.get(url + "/sandbox/info").json()
    assert info["seed"] == 3 and info["customers"] is False
    assert key not in json.dumps(info)  # the key goes through the pipe only
    assert shared_demo_key(url) is None and not key_file(_port(url)).exists()
    sent = httpx.post(
        url + f"/sms/api/v1/subaccounts/{SUB}/messages",
        json={"destination": "+6591234567", "text": "hi"},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert sent.status_code == 200
    code, out, err = _stop(proc, signal.SIGTERM)
    assert code == 0
    assert out == ""  # the ready line was the only thing on stdout
    assert "Traceback" not in err


def test_scenario_ait_starts_with_the_sandbox(make_receiver: Callable[..., Receiver]) -> None:
    receiver = make_receiver()
    args = ("--port", "0", "--ready-json", "--no-customers", "--seed", "5", "--speed", "10")
    proc = _spawn(*args, "--scenario", "ait", "--webhook-url", receiver.url)
    try:
        ready = json.loads(_read_until(proc, "\n"))
        info = httpx.get(ready["url"] + "/sandbox/info").json()
        assert info["scenarios"] == ["ait"]

        def from_the_other_application(hooks: list[Hook]) -> bool:
            return any(h.body.get("payload", {}).get("source") == "VerifyApp" for h in hooks)

        receiver.wait_for(from_the_other_application, timeout=30)  # its OTPs' receipts
    finally:
        code, out, err = _stop(proc, signal.SIGTERM)
    assert code == 0 and out == "" and "Traceback" not in err


def test_banner_shows_the_key_and_shares_it_with_this_user_only_then_ctrl_c() -> None:
    proc = _spawn("--port", "0", "--subaccount", "demo-team", "--speed", "2", "--no-customers")
    banner = _read_until(proc, "Stop with Ctrl-C")
    url = next(word for word in banner.split() if word.startswith("http://127.0.0.1:"))
    assert "demo-team" in banner and "2x" in banner
    key = shared_demo_key(url)  # what a console started with --server URL reads
    assert key is not None and key in banner  # a generated demo key is printed in full
    assert key not in httpx.get(url + "/sandbox/info").text  # never handed out over HTTP
    path = key_file(_port(url))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    sent = httpx.post(
        url + "/video/api/v1/tokens", json={}, headers={"Authorization": f"Bearer {key}"}
    )
    assert sent.status_code == 200
    code, _, err = _stop(proc, signal.SIGINT)
    assert code == 0
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    assert not path.exists() and shared_demo_key(url) is None  # gone with the sandbox


def test_given_api_key_is_not_printed_and_not_shared() -> None:
    secret = "my-own-secret-key-123456"
    proc = _spawn("--port", "0", "--ready-json", "--api-key", secret, "--api-key", "second-key")
    ready = json.loads(_read_until(proc, "\n"))
    assert ready["api_key"] is None
    url = ready["url"]
    assert secret not in httpx.get(url + "/sandbox/info").text
    assert shared_demo_key(url) is None and not key_file(_port(url)).exists()
    for key in (secret, "second-key"):
        response = httpx.post(
            url + "/video/api/v1/tokens", json={}, headers={"Authorization": f"Bearer {key}"}
        )
        assert response.status_code == 200
    code, out, err = _stop(proc, signal.SIGTERM)
    assert code == 0 and secret not in out + err


def test_port_in_use_is_a_clear_error() -> None:
    taken = bind_socket("127.0.0.1", 0)
    taken.listen()
    try:
        proc = _spawn("--port", str(taken.getsockname()[1]))
        _, err = proc.communicate(timeout=20)
    finally:
        taken.close()
    assert proc.returncode == 1
    assert "cannot listen on 127.0.0.1" in err and "Traceback" not in err


@pytest.mark.parametrize(
    "args",
    [
        ["--speed", "0"],
        ["--rate-limit", "-1"],
        ["--subaccount", "x"],
        ["--port", "99999"],
        ["--webhook-url", "ftp://nope"],
    ],
)
def test_bad_options_are_usage_errors(args: list[str]) -> None:
    proc = _spawn(*args)
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == 2 and "usage:" in err


def test_help_and_import_stay_light() -> None:
    proc = _spawn("--help")
    out, _ = proc.communicate(timeout=20)
    assert proc.returncode == 0
    for option in (
        "--host",
        "--port",
        "--api-key",
        "--subaccount",
        "--webhook-url",
        "--webhook-secret",
        "--seed",
        "--speed",
        "--rate-limit",
        "--ready-json",
    ):
        assert option in out
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, console.sandbox.command\n"
            "heavy = ('starlette', 'uvicorn', 'textual', 'httpx')\n"
            "print(sorted(m for m in heavy if m in sys.modules))",
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        timeout=20,
        check=True,
    )
    assert probe.stdout.strip() == "[]"
