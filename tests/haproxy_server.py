"""Debian's ``haproxy`` for the tests: the shipped configuration (deploy/haproxy), rendered
for relays on loopback, checked with ``haproxy -c`` and run in the foreground. Tests that need
it skip with the reason when it is not installed, except under CI (``CI`` set), where they
fail: ``.ci/run`` installs it."""

from __future__ import annotations

import csv
import importlib.util
import io
import os
import shutil
import subprocess
import time
from pathlib import Path
from types import ModuleType

import httpx
import pytest

INSTALL = "apt-get install -y haproxy"
DEPLOY = Path(__file__).resolve().parents[1] / "deploy"


def haproxy_binary() -> str:
    """The path of ``haproxy``; skips the test (fails it under CI) when there is none."""
    found = shutil.which("haproxy") or next(
        (p for p in ("/usr/sbin/haproxy", "/usr/bin/haproxy") if os.path.exists(p)), None
    )
    if found is None:
        message = f"haproxy is not installed ({INSTALL})"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return found


def render_module() -> ModuleType:
    """deploy/render_haproxy.py, the script an operator runs."""
    spec = importlib.util.spec_from_file_location("render_haproxy", DEPLOY / "render_haproxy.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class HAProxy:
    """HAProxy in front of ``relays`` (``HOST:PORT@ADMIN_PORT``), from deploy's template."""

    def __init__(
        self, directory: Path, relays: list[str], port: int, stats_port: int, inter: str
    ) -> None:
        self.binary = haproxy_binary()
        self.directory = directory
        self.port = port
        self.stats_port = stats_port
        self.config = directory / "haproxy.cfg"
        self.config.write_text(
            render_module().render(
                relays,
                bind=f"127.0.0.1:{port}",
                stats_bind=f"127.0.0.1:{stats_port}",
                inter=inter,
                fastinter=inter,
                maxconn=2000,  # the test machine's file limit may be low
            )
        )
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def check(self) -> subprocess.CompletedProcess[str]:
        """``haproxy -c``: the configuration as HAProxy reads it."""
        return subprocess.run(
            [self.binary, "-c", "-f", str(self.config)], capture_output=True, text=True, timeout=30
        )

    def start(self) -> None:
        log = (self.directory / "haproxy.log").open("wb")
        self.process = subprocess.Popen(
            [self.binary, "-db", "-f", str(self.config)], stdout=log, stderr=subprocess.STDOUT
        )
        log.close()

    def statuses(self) -> dict[str, str]:
        """Each relay's status as HAProxy sees it (``UP``, ``DOWN`` …), from its stats CSV."""
        response = httpx.get(f"http://127.0.0.1:{self.stats_port}/stats;csv", timeout=5)
        rows = csv.DictReader(io.StringIO(response.text.lstrip("# ")))
        return {
            row["svname"]: row["status"].split()[0]
            for row in rows
            if row["pxname"] == "relays" and row["svname"].startswith("relay")
        }

    def wait_for(self, wanted: dict[str, str], timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        seen: dict[str, str] = {}
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"haproxy exited:\n{self.log()}")
            try:
                seen = self.statuses()
            except httpx.TransportError:
                seen = {}
            if all(seen.get(name) == status for name, status in wanted.items()):
                return
            time.sleep(0.05)
        raise AssertionError(f"HAProxy saw {seen}, not {wanted}")

    def log(self) -> str:
        return (self.directory / "haproxy.log").read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
