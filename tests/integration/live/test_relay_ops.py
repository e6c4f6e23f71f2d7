"""What the on-call engineer and the load balancer see of a relay: /healthz, /readyz and
/metrics, a drain for restarts (consoles resume elsewhere at once on 1012), and the relay
command's SIGTERM, admin port and JSON log. Real relays on 127.0.0.1, a real redis-server."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import shutil
import signal
import subprocess
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from live_helpers import (
    SECRET,
    TOKEN,
    StreamRecorder,
    envelope,
    free_port,
    post_webhooks,
    start_relay_process,
)
from prometheus_client.parser import text_string_to_metric_families
from redis_server import RedisServer

from console.live.log import FileEventLog
from console.live.redis_log import RedisEventLog
from console.live.state import StreamPhase
from console.live.stream import EventStream


class LongestWait(random.Random):
    """Backoff jitter that always picks the longest wait: a stream that reconnects at once
    did so because it skipped the backoff, not by luck."""

    def uniform(self, a: float, b: float) -> float:
        return b


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a /metrics answer, parsed by prometheus_client's own parser."""
    found: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[sample.name, tuple(sorted(sample.labels.items()))] = sample.value
    return found


def value(metrics: dict[Any, float], name: str, **labels: str) -> float:
    return metrics[f"agent_console_relay_{name}", tuple(sorted(labels.items()))]


async def scrape(http: httpx.AsyncClient, base: str) -> dict[Any, float]:
    response = await http.get(f"{base}/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return samples(response.text)


@contextlib.contextmanager
def unwritable(folder: Path) -> Iterator[None]:
    """``folder`` takes no new file, even for root (who ignores permission bits): the
    immutable attribute then, a read-only mode otherwise."""
    if os.geteuid() == 0:
        chattr = shutil.which("chattr")
        if chattr is None:
            pytest.skip("root without chattr: cannot make a folder unwritable")
        subprocess.run([chattr, "+i", str(folder)], check=True)
        try:
            yield
        finally:
            subprocess.run([chattr, "-i", str(folder)], check=True)
    else:
        mode = folder.stat().st_mode
        folder.chmod(0o500)
        try:
            yield
        finally:
            folder.chmod(mode)


async def test_health_and_metrics_of_a_file_relay_follow_what_it_takes(
    relay_factory: Callable[..., Any], tmp_path: Path, http: httpx.AsyncClient
) -> None:
    relay = await relay_factory(lambda: FileEventLog(tmp_path / "log" / "events.jsonl"))
    base = relay.http_url
    healthz = await http.get(f"{base}/healthz")
    assert (healthz.status_code, healthz.json()) == (200, {"status": "ok"})
    readyz = await http.get(f"{base}/readyz")
    assert (readyz.status_code, readyz.json()) == (200, {"status": "ready"})

    before = await scrape(http, base)
    assert value(before, "webhooks_accepted_total", product="SMS") == 0
    assert value(before, "subscribers") == 0
    assert value(before, "ready") == 1

    recorder = StreamRecorder(EventStream(relay.ws_url, TOKEN, since=0))
    try:
        await post_webhooks(http, base, range(3))
        await recorder.wait_for_seq(3)
        wrong = await http.post(
            f"{base}/webhooks/sms", headers={"Authorization": "nope"}, json=envelope(9)
        )
        bad = await http.post(
            f"{base}/webhooks/chatapps", headers={"Authorization": SECRET}, content=b"{"
        )
        assert (wrong.status_code, bad.status_code) == (401, 400)
        after = await scrape(http, base)
        assert value(after, "webhooks_accepted_total", product="SMS") == 3
        assert value(after, "webhooks_refused_total", product="SMS", reason="unauthenticated") == 1
        assert value(after, "webhooks_refused_total", product="ChatApps", reason="invalid") == 1
        assert value(after, "events_appended_total", namespace="SMS") == 3
        assert value(after, "subscribers") == 1
        assert value(after, "fanout_lag_seconds_count") >= 1
        assert value(after, "log_errors_total", log="file") == 0
    finally:
        await recorder.stop()

    folder = tmp_path / "log"
    with unwritable(folder):
        readyz = await http.get(f"{base}/readyz")
        assert readyz.status_code == 503
        assert "cannot store" in readyz.json()["reason"]
        assert value(await scrape(http, base), "ready") == 0
        assert (await http.get(f"{base}/healthz")).status_code == 200  # alive, not ready
    assert (await http.get(f"{base}/readyz")).status_code == 200


async def test_two_relays_in_one_process_count_apart(
    relay_factory: Callable[..., Any], http: httpx.AsyncClient
) -> None:
    first = await relay_factory()
    second = await relay_factory()
    await post_webhooks(http, first.http_url, range(2))
    assert value(await scrape(http, first.http_url), "webhooks_accepted_total", product="SMS") == 2
    assert value(await scrape(http, second.http_url), "webhooks_accepted_total", product="SMS") == 0


async def test_readyz_says_503_while_redis_is_down_and_the_errors_are_counted(
    relay_factory: Callable[..., Any], tmp_path: Path, http: httpx.AsyncClient
) -> None:
    server = RedisServer(tmp_path / "redis", durable=True)
    server.start()
    try:
        prefix = f"ops-{uuid.uuid4().hex[:8]}"
        relay = await relay_factory(
            lambda: RedisEventLog(server.url, prefix=prefix, block_ms=200), health_interval=0.2
        )
        base = relay.http_url
        await post_webhooks(http, base, range(2))
        assert (await http.get(f"{base}/readyz")).status_code == 200
        server.stop()
        async with asyncio.timeout(10):
            while (readyz := await http.get(f"{base}/readyz")).status_code != 503:
                await asyncio.sleep(0.05)
        assert readyz.json()["status"] == "not ready"
        async with asyncio.timeout(10):  # the health watch sees it too (every 0.2 s here)
            while value(down := await scrape(http, base), "log_up") != 0:
                await asyncio.sleep(0.05)
        assert value(down, "log_up") == 0 and value(down, "ready") == 0
        assert value(down, "log_errors_total", log="redis") >= 1
        refused = await http.post(
            f"{base}/webhooks/sms", headers={"Authorization": SECRET}, json=envelope(5)
        )
        assert refused.status_code == 503
        assert value(
            await scrape(http, base), "webhooks_refused_total", product="SMS", reason="unavailable"
        ) == 1  # fmt: skip
        server.start()
        async with asyncio.timeout(20):
            while (await http.get(f"{base}/readyz")).status_code != 200:
                await asyncio.sleep(0.1)
        back = await scrape(http, base)
        assert value(back, "log_up") == 1 and value(back, "log_last_seq") >= 2
    finally:
        server.stop()


async def test_a_draining_relay_lets_consoles_go_with_1012_and_they_resume_elsewhere_at_once(
    relay_factory: Callable[..., Any], redis_server: RedisServer, http: httpx.AsyncClient
) -> None:
    """Two relays on one Redis; a console on the first. The first drains (a SIGTERM): it
    stops being ready, sends what it had queued, closes with 1012; the console is on the
    second relay at once (its backoff would have waited a minute) with nothing lost or
    repeated, and the drained relay turns new consoles away."""
    prefix = f"drain-{uuid.uuid4().hex[:8]}"
    first, second = [
        await relay_factory(lambda: RedisEventLog(redis_server.url, prefix=prefix, block_ms=200))
        for _ in range(2)
    ]
    stream = EventStream(
        [first.ws_url, second.ws_url], TOKEN, since=0, backoff_initial=60, rng=LongestWait()
    )
    recorder = StreamRecorder(stream)
    try:
        await post_webhooks(http, first.http_url, range(50))
        await recorder.wait_for_seq(50)
        first.relay.begin_drain()
        readyz = await http.get(f"{first.http_url}/readyz")
        assert (readyz.status_code, readyz.json()["reason"]) == (503, "draining for a restart")
        assert (await http.get(f"{second.http_url}/readyz")).status_code == 200
        await post_webhooks(http, first.http_url, range(50, 60))  # still taken while draining
        async with asyncio.timeout(5):
            await first.relay.drain()
            await post_webhooks(http, second.http_url, range(60, 80))
            await recorder.wait_for_seq(80)
        restart = [s for s in recorder.states if s.state is StreamPhase.RECONNECTING]
        assert len(restart) == 1 and "1012" in (restart[0].error or "")
        assert restart[0].retry_in == 0
        assert stream.url == second.ws_url and stream.connections == 2
        seqs = [event.seq for event in recorder.events]
        assert seqs == list(range(1, 81))
        assert sorted(e.payload["index"] for e in recorder.events) == list(range(80))
        assert value(await scrape(http, first.http_url), "subscribers") == 0
    finally:
        await recorder.stop()

    # A console that reaches the drained relay is turned away (1012) before it went live:
    # that is backed off like any failure, so it never spins against a relay going away.
    late = StreamRecorder(
        EventStream(first.ws_url, TOKEN, since=0, backoff_initial=60, rng=LongestWait())
    )
    try:
        await late.wait_for(lambda r: any(s.state is StreamPhase.RECONNECTING for s in r.states))
        refused = next(s for s in late.states if s.state is StreamPhase.RECONNECTING)
        assert "1012" in (refused.error or "") and refused.retry_in == 30  # backoff_max
    finally:
        await late.stop()


def _json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


async def test_the_relay_command_drains_on_sigterm_with_admin_port_and_json_log(
    tmp_path: Path, http: httpx.AsyncClient
) -> None:
    """SIGTERM: /readyz (on the admin port only) turns 503 while the relay still serves,
    then the console is closed with 1012, then the process exits 0; every log line is JSON
    and none holds a secret."""
    port, admin = free_port(), free_port()
    process = start_relay_process(
        tmp_path,
        "--port", str(port),  # after the helper's --port 0: the last one counts
        "--log", str(tmp_path / "events.jsonl"), "--admin-port", str(admin),
        "--drain-seconds", "1.5", "--log-format", "json",
        env={"AGENT_CONSOLE_WEBHOOK_SECRET": SECRET, "AGENT_CONSOLE_EVENTS_TOKEN": TOKEN},
    )  # fmt: skip
    base, admin_base = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{admin}"
    recorder: StreamRecorder | None = None
    try:
        async with asyncio.timeout(15):
            while True:
                with contextlib.suppress(httpx.TransportError):
                    if (await http.get(f"{admin_base}/readyz")).status_code == 200:
                        break
                await asyncio.sleep(0.05)
        assert (await http.get(f"{base}/readyz")).status_code == 404  # not on the public port
        recorder = StreamRecorder(
            EventStream(base, TOKEN, since=0, backoff_initial=60, rng=LongestWait())
        )
        await post_webhooks(http, base, range(5))
        await recorder.wait_for_seq(5)

        process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(5):
            while (await http.get(f"{admin_base}/readyz")).status_code != 503:
                await asyncio.sleep(0.02)
        await post_webhooks(http, base, range(5, 8))  # still served while not ready
        await recorder.wait_for_seq(8)
        await recorder.wait_for(
            lambda r: any("1012" in (s.error or "") for s in r.states), timeout=10
        )
        out, err = await asyncio.to_thread(process.communicate, timeout=15)
    finally:
        if recorder is not None:
            await recorder.stop()
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, err
    lines = _json_lines(err)
    events = [line["event"] for line in lines]
    assert events[0] == "start" and events[-1] == "stopped"
    assert {"ready", "drain"} <= set(events)
    assert events.index("drain") < events.index("stopped")
    assert SECRET not in out + err and TOKEN not in out + err
    assert "Traceback" not in err
