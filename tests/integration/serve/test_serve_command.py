"""`agent-console serve` from outside, without a browser: the key stays out of everything
a browser or `ps` can see, the server answers only its own page, and no console outlives
its page or the server."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pyte
import pytest
from serve_helpers import (
    Served,
    command_line,
    consoles_and_sandboxes,
    environment,
    kill_leftovers,
    serve,
    wait_until_gone,
)
from websockets.exceptions import InvalidStatus
from websockets.sync.client import ClientConnection, connect

from console.sandbox.app import SandboxConfig
from console.sandbox.server import SandboxServer

KEY = "serve-test-key-Xq81mZ"  # a key that must never leave the console's environment
SUBACCOUNT = "acme_demo"


@pytest.fixture(scope="module")
def sandbox_url() -> Iterator[str]:
    config = SandboxConfig(api_keys=(KEY,), subaccount=SUBACCOUNT, customers=False, seed=3)
    server = SandboxServer(config)
    yield server.start()
    server.stop()


def open_console(
    served: Served, origin: str | None = None, *, secret: str | None = None, page: bool = True
) -> ClientConnection:
    """Connect as the page does (its websocket, with the page's origin); ``page=False``
    sends no Origin, as a program that is not a browser."""
    ws_url = served.websocket(secret) + "?width=120&height=30"
    return connect(
        ws_url,
        origin=(origin or served.origin) if page else None,  # type: ignore[arg-type]
        open_timeout=10,
        proxy=None,  # loopback: never through a proxy the environment names
    )


def read_screen_until(socket: ClientConnection, text: str, timeout: float = 30) -> str:
    """Everything the console sent until its screen shows ``text``."""
    screen = pyte.Screen(200, 60)
    stream = pyte.Stream(screen)
    received: list[str] = []
    deadline = time.monotonic() + timeout
    while True:
        frame = socket.recv(timeout=max(0.1, deadline - time.monotonic()))
        if isinstance(frame, bytes):
            received.append(frame.decode("utf-8", errors="replace"))
            stream.feed(received[-1])
            if any(text in line for line in screen.display):
                return "".join(received)
        if time.monotonic() > deadline:
            raise AssertionError(f"never saw {text!r}:\n" + "\n".join(screen.display))


def test_the_key_reaches_the_console_only_through_its_environment(
    sandbox_url: str, tmp_path: Path
) -> None:
    args = ("--server", sandbox_url, "--subaccount", SUBACCOUNT, "--api-key", KEY)
    with serve(*args, "--data-dir", str(tmp_path)) as served, open_console(served) as socket:
        stream = read_screen_until(socket, f"key ••••••{KEY[-6:]}")
        page = httpx.get(served.url, timeout=10, trust_env=False)
        (console,), sandboxes = consoles_and_sandboxes(served.pid)
        argv, env = command_line(console), environment(console)
    assert sandboxes == set(), "--server: no embedded sandbox"
    assert page.status_code == 200
    for seen in (stream, page.text, served.url, *argv, *served.output):
        assert KEY not in seen
    assert served.secret not in " ".join([*argv, *env.values()]), "the link stays with serve"
    assert "--server" in argv and sandbox_url in argv  # the other options do pass
    assert env["CPAAS_API_KEY"] == KEY


def test_a_page_addressed_to_another_name_or_another_sites_script_is_refused(
    tmp_path: Path,
) -> None:
    with serve("--data-dir", str(tmp_path)) as served:
        rebound = httpx.get(served.url, headers={"Host": "attacker.example:80"}, trust_env=False)
        assert rebound.status_code == 421
        with pytest.raises(InvalidStatus) as refused:
            open_console(served, origin="http://attacker.example")
        assert refused.value.response.status_code == 403
        assert consoles_and_sandboxes(served.pid) == (set(), set()), "nothing was started"
        own = httpx.get(served.url.replace("127.0.0.1", "localhost"), trust_env=False)
        assert own.status_code == 200
        assert "fonts.googleapis" not in own.text


def test_without_a_key_each_tab_is_the_demo_whatever_config_toml_says(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"  # after a login to 8x8, and a sandbox gone since
    config.write_text('start = "login"\nserver = "http://127.0.0.1:9"\n')
    env = {**os.environ, "AGENT_CONSOLE_CONFIG": str(config)}
    env.pop("CPAAS_API_KEY", None)
    with (
        serve("--data-dir", str(tmp_path), env=env) as served,
        open_console(served) as socket,
    ):
        read_screen_until(socket, "•" * 6)  # logged in to its embedded sandbox
        (console,), sandboxes = consoles_and_sandboxes(served.pid)
        assert len(sandboxes) == 1
        assert "--demo" in command_line(console)
    assert "Console    the embedded sandbox" in "".join(served.output)
    assert config.read_text() == 'start = "login"\nserver = "http://127.0.0.1:9"\n'


def test_stopping_the_server_ends_every_console_and_sandbox(tmp_path: Path) -> None:
    started: set[int] = set()
    try:
        with serve("--data-dir", str(tmp_path)) as served, open_console(served) as socket:
            read_screen_until(socket, "•" * 6)  # logged in to its embedded sandbox
            consoles, sandboxes = consoles_and_sandboxes(served.pid)
            started = consoles | sandboxes
            assert len(consoles) == 1 and len(sandboxes) == 1
            served.process.terminate()
            assert served.process.wait(30) == 0
        wait_until_gone(started, timeout=10)
    finally:
        kill_leftovers(started)


def test_a_server_killed_outright_leaves_no_console_or_sandbox(tmp_path: Path) -> None:
    started: set[int] = set()
    try:
        with serve("--data-dir", str(tmp_path)) as served, open_console(served) as socket:
            read_screen_until(socket, "•" * 6)
            consoles, sandboxes = consoles_and_sandboxes(served.pid)
            started = consoles | sandboxes
            assert len(consoles) == 1 and len(sandboxes) == 1
            served.process.kill()  # SIGKILL: the server cannot end anything itself
            served.process.wait(30)
        wait_until_gone(started, timeout=20)
    finally:
        kill_leftovers(started)


def test_without_the_links_secret_nothing_opens_whatever_the_headers(tmp_path: Path) -> None:
    with serve("--data-dir", str(tmp_path)) as served:
        wrong = served.secret[:-1] + ("A" if served.secret[-1] != "A" else "B")
        as_the_page = {"Origin": served.origin, "Referer": served.origin + "/"}
        for path in ("/", "/ws", f"/{wrong}/", f"/{wrong}/ws", f"/{served.secret[:20]}/"):
            for headers in ({}, as_the_page):
                refused = httpx.get(served.origin + path, headers=headers, trust_env=False)
                assert refused.status_code == 403, (path, headers)
                assert "link that agent-console serve printed" in refused.text
                assert refused.headers["Referrer-Policy"] == "no-referrer"
        assert httpx.get(served.origin + "/download/x", trust_env=False).status_code == 403
        for secret, page in ((wrong, True), (wrong, False), ("", True), ("", False)):
            with pytest.raises(InvalidStatus) as closed:
                open_console(served, secret=secret, page=page)
            assert closed.value.response.status_code == 403
        assert consoles_and_sandboxes(served.pid) == (set(), set()), "nothing was started"

        page = httpx.get(served.url, trust_env=False)
        assert page.status_code == 200 and "<title>agent-console</title>" in page.text
        assert page.headers["Referrer-Policy"] == "no-referrer"
        assert page.headers["Cache-Control"] == "no-store"
        typed = httpx.get(served.url.rstrip("/") + "?fontsize=20", trust_env=False)
        assert typed.status_code == 302
        assert typed.headers["Location"] == f"/{served.secret}/?fontsize=20"
        # The files the page loads start nothing: they need no secret.
        font_url = served.origin + "/static/fonts/RobotoMono-VariableFont_wght.ttf"
        font = httpx.get(font_url, trust_env=False)
        assert font.status_code == 200
        # A program that is no browser (no Origin) gets a console with the link.
        with open_console(served, page=False) as socket:
            read_screen_until(socket, "•" * 6)
    # The secret was printed once, in the link, and nowhere else: not in the history either.
    assert "".join(served.output).count(served.secret) == 1
    written = [path for path in tmp_path.rglob("*") if path.is_file()]
    assert written, "the console kept its history here"
    assert not [path for path in written if served.secret.encode() in path.read_bytes()]


def test_half_an_emoji_or_a_broken_key_does_not_end_the_session(tmp_path: Path) -> None:
    with serve("--data-dir", str(tmp_path)) as served, open_console(served) as socket:
        read_screen_until(socket, "•" * 6)
        # As JSON.stringify sends each half of U+1F600 when a terminal splits it, then
        # a low half alone, then a high half that no low half follows.
        for half in ("\ud83d", "\ude00", "\ude00", "\ud83d"):
            socket.send(json.dumps(["stdin", half]))
        # A key sequence the console's input parser cannot read (no browser sends one).
        socket.send(json.dumps(["stdin", "\x1b[97;5:3u"]))
        socket.send(json.dumps(["stdin", "\x1b[15~"]))  # F5: the composer
        read_screen_until(socket, "GSM-7 · 0 segments")
    assert not any("UnicodeEncodeError" in line for line in served.output)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--host", "0.0.0.0"), "anyone who sees it would drive a console"),
        (("--region", "mars"), "Unknown region 'mars'"),
        (("--port", "70000"), "is not a port"),
    ],
)
def test_bad_options_are_refused_before_anything_listens(
    args: tuple[str, ...], message: str
) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "console", "serve", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_tabs_beyond_the_limit_are_refused_until_one_closes(
    sandbox_url: str, tmp_path: Path
) -> None:
    args = ("--server", sandbox_url, "--subaccount", SUBACCOUNT, "--max-consoles", "1")
    env = {**os.environ, "CPAAS_API_KEY": KEY}
    with serve(*args, "--data-dir", str(tmp_path), env=env) as served:
        with open_console(served) as first:
            read_screen_until(first, "••••••")
            with pytest.raises(InvalidStatus) as refused:
                open_console(served)
            assert refused.value.response.status_code == 503
        # Once the first tab's console has ended, its place is free again.
        again = open_console_when_free(served, timeout=20)
        with again:
            read_screen_until(again, "••••••")


def open_console_when_free(served: Served, timeout: float) -> ClientConnection:
    deadline = time.monotonic() + timeout
    while True:
        try:
            return open_console(served)
        except InvalidStatus as refused:
            if refused.response.status_code != 503 or time.monotonic() > deadline:
                raise
        time.sleep(0.1)


def test_a_port_in_use_is_said_plainly() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "console", "serve", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}: Address already in use" in result.stderr
    assert "Traceback" not in result.stderr
