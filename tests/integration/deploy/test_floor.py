"""The floor's deployment as shipped in deploy/, run for real on 127.0.0.1.

Debian's HAProxy, with the configuration rendered from deploy/haproxy's template, in front of
two ``agent-console relay --redis`` processes on one redis-server. 8x8's webhooks and two
consoles (the project's EventStream) go through HAProxy only. Mid-stream one relay gets
SIGTERM (it drains: not ready, consoles closed with 1012, exit) and comes back; then the
other is killed outright (SIGKILL). The consoles lose nothing, see no seq twice and no gap.
The systemd unit passes ``systemd-analyze verify`` and the compose file uses the shipped
HAProxy configuration.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from haproxy_server import DEPLOY, HAProxy, render_module
from prometheus_client.parser import text_string_to_metric_families
from redis_server import RedisServer

from console.live.events import Event, GapNotice
from console.live.state import StreamPhase, StreamState
from console.live.stream import EventStream

SECRET = "Bearer floor-webhook-secret-1"
TOKEN = "floor-events-token-2"
DRAIN = 1.5  # the relays' --drain-seconds here (5 s in the shipped unit)
CHECK = "200ms"  # HAProxy's check pace here (1 s shipped): down after 2 failed checks


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class RelayProcess:
    """``agent-console relay`` on fixed ports (HAProxy's configuration names them)."""

    name: str
    directory: Path
    redis_url: str
    prefix: str
    port: int = field(default_factory=free_port)
    admin_port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    runs: int = 0

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}@{self.admin_port}"

    @property
    def admin_url(self) -> str:
        return f"http://127.0.0.1:{self.admin_port}"

    def log_path(self, run: int) -> Path:
        return self.directory / f"{self.name}-{run}.log"

    def start(self) -> None:
        self.runs += 1
        env = {
            **os.environ,
            "AGENT_CONSOLE_WEBHOOK_SECRET": SECRET,
            "AGENT_CONSOLE_EVENTS_TOKEN": TOKEN,
            "AGENT_CONSOLE_REDIS_URL": self.redis_url,
        }
        # fmt: off
        command = [
            sys.executable, "-m", "console.live.command",
            "--host", "127.0.0.1", "--port", str(self.port),
            "--admin-host", "127.0.0.1", "--admin-port", str(self.admin_port),
            "--redis-prefix", self.prefix, "--drain-seconds", str(DRAIN),
            "--log-format", "json", "--heartbeat", "2",
        ]
        # fmt: on
        with self.log_path(self.runs).open("wb") as log:
            self.process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=self.directory
            )

    async def wait_ready(self, http: httpx.AsyncClient) -> None:
        async with asyncio.timeout(20):
            while True:
                assert self.process is not None and self.process.poll() is None, self.log()
                with contextlib.suppress(httpx.TransportError):
                    if (await http.get(f"{self.admin_url}/readyz")).status_code == 200:
                        return
                await asyncio.sleep(0.05)

    def log(self, run: int | None = None) -> str:
        return self.log_path(run or self.runs).read_text(errors="replace")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


@pytest.fixture
def redis(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path / "redis", durable=True)
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def floor(
    tmp_path: Path, redis: RedisServer
) -> AsyncIterator[tuple[HAProxy, RelayProcess, RelayProcess]]:
    prefix = f"floor-{uuid.uuid4().hex[:8]}"
    relays = [RelayProcess(name, tmp_path, redis.url, prefix) for name in ("relay1", "relay2")]
    proxy = HAProxy(tmp_path, [r.address for r in relays], free_port(), free_port(), inter=CHECK)
    try:
        checked = proxy.check()
        assert checked.returncode == 0, checked.stdout + checked.stderr
        async with httpx.AsyncClient(timeout=10) as http:
            for relay in relays:
                relay.start()
            for relay in relays:
                await relay.wait_ready(http)
        proxy.start()
        await asyncio.to_thread(proxy.wait_for, {"relay1": "UP", "relay2": "UP"})
        yield proxy, relays[0], relays[1]
    finally:
        proxy.stop()
        for relay in relays:
            relay.stop()


async def subscribers(http: httpx.AsyncClient, relay: RelayProcess) -> int:
    """How many consoles ``relay`` holds now, from its /metrics."""
    response = await http.get(f"{relay.admin_url}/metrics")
    for family in text_string_to_metric_families(response.text):
        if family.name == "agent_console_relay_subscribers":
            return int(family.samples[0].value)
    raise AssertionError("no subscribers gauge")


class Webhooks:
    """8x8 posting through HAProxy: each webhook until it is answered 200 (8x8 retries on
    errors and 5xx), recording its seq and whether it needed more than one try."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.acked: dict[int, int] = {}  # index -> seq
        self.retried: set[int] = set()
        self.next_index = 0
        self.stopping = False
        self.progress = asyncio.Event()

    async def run(self, http: httpx.AsyncClient, workers: int = 4) -> None:
        await asyncio.gather(*(self._worker(http) for _ in range(workers)))

    async def _worker(self, http: httpx.AsyncClient) -> None:
        while not self.stopping:
            index = self.next_index
            self.next_index += 1
            self.acked[index] = await self._post(http, index)
            self.progress.set()
            await asyncio.sleep(0.005)  # a steady stream, not a flood, on 2 shared cores

    async def _post(self, http: httpx.AsyncClient, index: int) -> int:
        body = {
            "namespace": "SMS",
            "eventType": "outbound_message_status_changed",
            "payload": {"umid": f"umid-{index}", "index": index, "status": {"state": "sent"}},
        }
        async with asyncio.timeout(30):
            while True:
                try:
                    response = await http.post(
                        f"{self.url}/webhooks/sms", headers={"Authorization": SECRET}, json=body
                    )
                except httpx.TransportError:
                    response = None
                if response is not None and response.status_code == 200:
                    return int(response.json()["seq"])
                assert response is None or response.status_code in (502, 503, 504), (
                    response.status_code,
                    response.text,
                )
                self.retried.add(index)
                await asyncio.sleep(0.05)

    async def wait_acked(self, count: int) -> None:
        async with asyncio.timeout(30):
            while len(self.acked) < count:
                self.progress.clear()
                await self.progress.wait()


class Console:
    """A console's EventStream through HAProxy, recording every item."""

    def __init__(self, url: str) -> None:
        self.stream = EventStream(
            url, TOKEN, since=0, backoff_initial=0.05, backoff_max=0.5, heartbeat_timeout=6
        )
        self.events: list[Event] = []
        self.gaps: list[GapNotice] = []
        self.errors: list[str] = []
        self.live = False
        self.restarts: list[StreamState] = []  # closed by a draining relay (1012)
        self.task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        async for item in self.stream:
            if isinstance(item, Event):
                self.events.append(item)
            elif isinstance(item, GapNotice):
                self.gaps.append(item)
            elif isinstance(item, StreamState):
                self.live = self.live or item.state is StreamPhase.LIVE
                if item.error:
                    self.errors.append(item.error)
                    if "1012" in item.error:
                        self.restarts.append(item)

    async def wait_for_seq(self, seq: int, timeout: float = 30) -> None:
        async with asyncio.timeout(timeout):
            while not self.events or self.events[-1].seq < seq:
                assert not self.task.done(), "the stream ended"
                await asyncio.sleep(0.02)

    async def close(self) -> None:
        await self.stream.close()
        async with asyncio.timeout(5):
            await self.task


async def test_a_floor_behind_haproxy_loses_nothing_through_a_drain_and_a_kill(
    floor: tuple[HAProxy, RelayProcess, RelayProcess],
) -> None:
    proxy, first, second = floor
    limits = httpx.Limits(max_connections=16, max_keepalive_connections=16)
    async with httpx.AsyncClient(timeout=10, limits=limits) as http:
        # The public side serves no operator endpoint (they are on the admin ports).
        assert (await http.get(f"{proxy.url}/metrics")).status_code == 404
        assert (await http.get(f"{proxy.url}/readyz")).status_code == 404
        exporter = await http.get(f"http://127.0.0.1:{proxy.stats_port}/metrics")
        assert "haproxy_server_status" in exporter.text  # HAProxy's own, on its private port

        consoles = [Console(proxy.url), Console(proxy.url)]
        async with asyncio.timeout(20):
            while not all(console.live for console in consoles):
                await asyncio.sleep(0.02)
        # Drain the relay holding more consoles (HAProxy spreads them, but either may hold
        # both), so that at least one console lives through the drain's 1012.
        held = [await subscribers(http, relay) for relay in (first, second)]
        assert sum(held) == 2, held
        if held[1] > held[0]:
            first, second = second, first
        webhooks = Webhooks(proxy.url)
        sender = asyncio.create_task(webhooks.run(http))
        try:
            await webhooks.wait_acked(100)

            # A restart: SIGTERM. The relay turns not ready, HAProxy takes it out, its
            # consoles are let go with 1012 and resume on the other relay, it exits 0.
            assert first.process is not None
            first.process.send_signal(signal.SIGTERM)
            await asyncio.to_thread(proxy.wait_for, {first.name: "DOWN", second.name: "UP"})
            code = await asyncio.to_thread(first.process.wait, 20)
            assert code == 0, first.log()
            await webhooks.wait_acked(len(webhooks.acked) + 100)

            first.start()  # back
            await first.wait_ready(http)
            await asyncio.to_thread(proxy.wait_for, {first.name: "UP", second.name: "UP"})
            await webhooks.wait_acked(len(webhooks.acked) + 100)

            # A crash: SIGKILL the other. Its consoles and webhooks move to the first.
            second.stop()
            await asyncio.to_thread(proxy.wait_for, {first.name: "UP", second.name: "DOWN"})
            await webhooks.wait_acked(len(webhooks.acked) + 100)
        finally:
            webhooks.stopping = True
            await sender
        last = max(webhooks.acked.values())
        try:
            for console in consoles:
                await console.wait_for_seq(last)
        finally:
            for console in consoles:
                await console.close()

    drained = [json.loads(line) for line in first.log(1).splitlines() if line.startswith("{")]
    events = [line["event"] for line in drained]
    assert "drain" in events and events[-1] == "stopped", events
    assert SECRET not in first.log(1) and TOKEN not in first.log(1)

    for console in consoles:
        seqs = [event.seq for event in console.events]
        assert seqs == list(range(1, seqs[-1] + 1)), "a seq was missed or repeated"
        assert not console.gaps
        seen: dict[int, int] = {}
        for event in console.events:
            index = event.payload["index"]
            seen[index] = seen.get(index, 0) + 1
        assert set(webhooks.acked) <= set(seen), "an acknowledged webhook never arrived"
        for index, seq in webhooks.acked.items():
            assert console.events[seq - 1].payload["index"] == index
        # The same webhook twice only when 8x8 (here: the test) had to send it again.
        assert {index for index, n in seen.items() if n > 1} <= webhooks.retried
        assert console.errors  # it lived through at least one relay going away
    # The drain was lived through by at least one console, which came back through HAProxy
    # at once (its backoff skipped) with since=.
    restarts = [state for console in consoles for state in console.restarts]
    assert restarts and all(state.retry_in == 0 for state in restarts)


def test_the_shipped_haproxy_configuration_is_the_template_rendered_for_compose() -> None:
    """deploy/haproxy/haproxy.cfg (what compose.yaml mounts) is the template rendered for
    relay1 and relay2: the configuration the test above runs is the one that ships."""
    render = render_module().render
    shipped = (DEPLOY / "haproxy" / "haproxy.cfg").read_text()
    expected = render(["relay1:8801@9801", "relay2:8801@9801"], stats_bind=":8404")
    assert shipped.endswith(expected)
    compose = (DEPLOY / "compose.yaml").read_text()
    assert "./haproxy/haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg" in compose
    assert '--admin-port", "9801"' in (DEPLOY / "Containerfile").read_text()
    with pytest.raises(ValueError):
        render(["relay1:8801; bind evil"])


def test_the_systemd_unit_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    """The hardened unit as systemd reads it (its install prefix pointed at this machine's
    agent-console so that verify finds the program); no secret in it."""
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    unit = (DEPLOY / "systemd" / "agent-console-relay@.service").read_text()
    for setting in ("DynamicUser=yes", "ProtectSystem=strict", "NoNewPrivileges=yes"):
        assert setting in unit
    assert "SECRET=" not in unit and "TOKEN=" not in unit and "redis://" not in unit
    program = shutil.which("agent-console") or sys.executable
    instance = tmp_path / "agent-console-relay@8801.service"
    instance.write_text(unit.replace("/opt/agent-console/bin/agent-console", program))
    result = subprocess.run(
        [analyze, "verify", str(instance)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "agent-console-relay" not in result.stdout + result.stderr, result.stderr
