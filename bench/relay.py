"""Relay benchmark: webhooks/s accepted, and fan-out latency to 10 subscribers at 2,000 events/s.

    python bench/relay.py [--rate 2000] [--duration 10] [--subscribers 10]
                          [--webhooks 5000] [--concurrency 32]

Three processes on loopback, as in a deployment where the relay has its own core:

1. the relay (``python -m console.live.command``, uvicorn, FileEventLog with fsync) in a
   temporary directory;
2. phase 1, in this process: ``--webhooks`` concurrent httpx POSTs as fast as the relay
   accepts them -> webhooks/s accepted;
3. phase 2: ``--subscribers`` EventStream consoles in this process, and a load generator in a
   child process offering ``--rate`` webhooks/s for ``--duration`` seconds over keep-alive
   HTTP/1.1 connections (a minimal client, so that the generator is not the bottleneck).
   Each webhook carries its send time; each subscriber records, per event,
   - end-to-end latency: webhook sent -> event received by the console, and
   - fan-out latency: relay received it (``receivedAt``) -> console received it
     (includes the fsync, since the relay fans out only what it has persisted).

4. memory: 3,000 webhooks of 60 KB (180 MB of events), then a replay of the whole log to a
   new subscriber; the relay's resident memory (VmRSS) is printed after each phase.

--baseline DIR measures the relay of the checkout in DIR too (run with DIR/.venv/bin/python
when it exists), in the same run, and prints both columns.

--redis URL measures, after the file log, the relay on that Redis (``--redis``): one relay
process, then two relay processes sharing one stream (the load generator's connections and
the subscribers split between them; CPU figures are the relays' total), and prints the three
columns side by side. Each run uses its own key prefix, deleted afterwards. The memory phase
runs on the file log only (on Redis, Redis holds the events).

Prints figures only; never fails on them. Target: fan-out p99 < 50 ms on a 2-core machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from figures import cpu_seconds, print_beside, print_columns, rss_mb  # bench/figures.py

SECRET = "bench-webhook-secret"
TOKEN = "bench-events-token"
WARMUP = 0.5  # seconds at the start of phase 2 left out of the latency figures


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def body(index: int, sent_at: float) -> bytes:
    return json.dumps(
        {
            "namespace": "SMS",
            "eventType": "outbound_message_status_changed",
            "description": "SMS delivery receipt",
            "payload": {
                "umid": f"bench-{index:08d}",
                "subAccountId": "bench",
                "source": "BENCH",
                "destination": "+6591234567",
                "status": {
                    "state": "delivered",
                    "detail": "delivered_to_recipient",
                    "timestamp": "2024-05-01T10:00:00.00Z",
                },
                "price": {"total": 0.05, "perSms": 0.05, "currency": "EUR"},
                "smsCount": 1,
                "index": index,
                "sentAt": sent_at,
            },
        }
    ).encode()


# ----------------------------------------------------------------------------- relay process


def start_relay(
    port: int, log: Path | None, code: Path | None, redis: tuple[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """A relay process on ``port``: its log in the file ``log``, or on Redis (url, prefix)."""
    env = {
        **os.environ,
        "AGENT_CONSOLE_WEBHOOK_SECRET": SECRET,
        "AGENT_CONSOLE_EVENTS_TOKEN": TOKEN,
    }
    python = sys.executable
    if code is not None:  # the baseline: its code, with its own dependencies when it has them
        env["PYTHONPATH"] = str(code)
        venv = code / ".venv" / "bin" / "python"
        python = str(venv) if venv.exists() else python
    where = ["--log", str(log)] if redis is None else ["--redis-prefix", redis[1]]
    if redis is not None:
        env["AGENT_CONSOLE_REDIS_URL"] = redis[0]
    return subprocess.Popen(
        [python, "-m", "console.live.command", "--port", str(port), *where],
        env=env,
        stdout=subprocess.DEVNULL,
        cwd=code or None,
    )


def relays_cpu(pids: list[int]) -> float:
    return sum(cpu_seconds(pid) for pid in pids)


async def wait_ready(base: str) -> None:
    import httpx

    async with httpx.AsyncClient(timeout=2) as client:
        for _ in range(100):
            try:
                response = await client.post(f"{base}/webhooks/sms", content=b"{}")
                if response.status_code in (400, 401):
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError("the relay did not start")


# ----------------------------------------------------------------------------- phase 1


async def phase_webhooks(
    bases: list[str], count: int, concurrency: int, relay_pids: list[int]
) -> dict[str, float]:
    import httpx

    clients = [
        httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=4))
        for _ in range(max(1, concurrency // 4))
    ]
    statuses: dict[int, int] = {}
    position = 0

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal position
        while position < count:
            index = position
            position += 1
            response = await client.post(
                f"{bases[index % len(bases)]}/webhooks/sms",
                headers={"Authorization": SECRET, "Content-Type": "application/json"},
                content=body(index, time.time()),
            )
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

    cpu_before = relays_cpu(relay_pids)
    started = time.perf_counter()
    await asyncio.gather(*(worker(clients[i % len(clients)]) for i in range(concurrency)))
    elapsed = time.perf_counter() - started
    cpu = relays_cpu(relay_pids) - cpu_before
    for client in clients:
        await client.aclose()
    accepted = statuses.get(200, 0)
    print(f"phase 1: {count} webhooks, {concurrency} concurrent httpx POSTs")
    print(f"  accepted: {accepted / elapsed:,.0f} webhooks/s  ({accepted} in {elapsed:.2f} s)")
    print(f"  statuses: {dict(sorted(statuses.items()))}")
    print(f"  relay CPU: {cpu / elapsed:.0%} of one core")
    return {
        "ingest, httpx clients: webhooks/s": accepted / elapsed,
        "  relay CPU µs per webhook (httpx)": cpu / max(1, accepted) * 1e6,
    }


# ----------------------------------------------------------------------------- phase 2


async def generate(ports: list[int], rate: float, total: int, connections: int) -> None:
    """Child process: offer ``total`` webhooks at ``rate``/s (0: flat out); print a summary."""
    start = time.perf_counter() + 0.2
    next_index = 0
    accepted = 0
    failed = 0
    latest_send = start

    async def worker(port: int) -> None:
        nonlocal next_index, accepted, failed, latest_send
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while next_index < total:
                index = next_index
                next_index += 1
                delay = start + index / rate - time.perf_counter() if rate else 0
                if delay > 0:
                    await asyncio.sleep(delay)
                payload = body(index, time.time())
                latest_send = time.perf_counter()
                writer.write(
                    b"POST /webhooks/sms HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    b"Authorization: " + SECRET.encode() + b"\r\n"
                    b"Content-Type: application/json\r\n"
                    b"Content-Length: " + str(len(payload)).encode() + b"\r\n\r\n" + payload
                )
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                await reader.readexactly(length)
                if head.startswith(b"HTTP/1.1 200"):
                    accepted += 1
                else:
                    failed += 1
        finally:
            writer.close()

    await asyncio.gather(*(worker(ports[i % len(ports)]) for i in range(connections)))
    elapsed = (time.perf_counter() if not rate else latest_send) - start
    print(
        json.dumps(
            {"offered": total, "accepted": accepted, "failed": failed, "send_seconds": elapsed}
        ),
        flush=True,
    )


async def run_generator(ports: list[int], rate: float, total: int) -> dict[str, float]:
    generator = await asyncio.create_subprocess_exec(
        sys.executable,
        __file__,
        "--generate",
        ",".join(map(str, ports)),
        "--rate",
        str(rate),
        "--count",
        str(total),
        stdout=asyncio.subprocess.PIPE,
    )
    output, _ = await generator.communicate()
    return json.loads(output.decode().strip().splitlines()[-1])


async def phase_capacity(ports: list[int], count: int, relay_pids: list[int]) -> dict[str, float]:
    cpu_before = relays_cpu(relay_pids)
    started = time.perf_counter()
    summary = await run_generator(ports, 0, count)
    elapsed = time.perf_counter() - started
    cpu = relays_cpu(relay_pids) - cpu_before
    rate = summary["accepted"] / summary["send_seconds"]
    print(f"phase 1b: {count} webhooks flat out, 48 keep-alive connections, minimal client")
    print(f"  accepted: {rate:,.0f} webhooks/s  ({summary['failed']:.0f} failed)")
    print(f"  relay CPU: {cpu / elapsed:.0%} of one core")
    return {
        "ingest, minimal client flat out: webhooks/s": rate,
        "  relay CPU µs per webhook (flat out)": cpu / max(1, summary["accepted"]) * 1e6,
        "  relay resident MB after ingest": rss_mb(relay_pids[0]),
    }


async def phase_fanout(
    ports: list[int], rate: float, duration: float, subscribers: int, relay_pids: list[int]
) -> dict[str, float]:
    from console.live.events import parse_iso
    from console.live.stream import EventBatch, EventStream

    urls = [f"ws://127.0.0.1:{port}/events" for port in ports]
    end_to_end: list[float] = []
    fan_out: list[float] = []
    counts = [0] * subscribers
    live = asyncio.Event()
    live_count = 0
    total = int(rate * duration)
    done = asyncio.Event()
    finished = 0
    measure_from = time.time() + 10**6  # set when the generator starts

    async def subscribe(slot: int) -> None:
        nonlocal live_count, finished
        stream = EventStream(urls[slot % len(urls)], TOKEN)
        async for item in stream.batches():
            if isinstance(item, EventBatch):
                now = time.time()
                for event in item.events:
                    payload = event.payload
                    sent_at = payload.get("sentAt", now)
                    if sent_at >= measure_from:
                        end_to_end.append(now - sent_at)
                        stored = parse_iso(event.received_at)
                        if stored is not None:
                            fan_out.append(now - stored)
                    counts[slot] += 1
                    if payload.get("index") == total - 1:
                        finished += 1
                        if finished == subscribers:
                            done.set()
                        await stream.close()
            elif item.state == "live":
                live_count += 1
                if live_count == subscribers:
                    live.set()

    tasks = [asyncio.create_task(subscribe(slot)) for slot in range(subscribers)]
    await asyncio.wait_for(live.wait(), 10)
    await asyncio.sleep(0.2)

    cpu_before = relays_cpu(relay_pids)
    own_cpu_before = time.process_time()
    started = time.perf_counter()
    measure_from = time.time() + WARMUP
    summary = await run_generator(ports, rate, total)
    try:
        await asyncio.wait_for(done.wait(), 30)
    except TimeoutError:
        print("  (some subscribers did not receive every event within 30 s)")
    elapsed = time.perf_counter() - started
    cpu = relays_cpu(relay_pids) - cpu_before
    own_cpu = time.process_time() - own_cpu_before
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)

    achieved = summary["accepted"] / summary["send_seconds"] if summary["send_seconds"] else 0
    print(f"phase 2: {subscribers} subscribers, offered {rate:,.0f} webhooks/s for {duration:g} s")
    print(
        f"  generator: {summary['accepted']} accepted, {summary['failed']} failed, "
        f"achieved {achieved:,.0f} webhooks/s"
    )
    print(f"  delivered per subscriber: min {min(counts)}, max {max(counts)}")
    print(
        f"  CPU: relay {cpu / elapsed:.0%} of one core, "
        f"the {subscribers} subscribers (one process) {own_cpu / elapsed:.0%}"
    )
    out = {
        "fan-out: achieved webhooks/s": achieved,
        "fan-out: relay CPU % of a core": cpu / elapsed * 100,
    }
    figures = (("end-to-end (POST sent)", end_to_end), ("fan-out (relay receipt)", fan_out))
    for name, values in figures:
        ms = [v * 1000 for v in values]
        print(
            f"  {name:<24} p50 {percentile(ms, 0.50):6.1f} ms   p90 {percentile(ms, 0.90):6.1f} ms"
            f"   p99 {percentile(ms, 0.99):6.1f} ms   max {max(ms, default=float('nan')):6.1f} ms"
            f"   (n={len(ms):,}, mean {statistics.fmean(ms) if ms else float('nan'):.1f} ms)"
        )
        out[f"{name.split(' ')[0]} p50 ms"] = percentile(ms, 0.50)
        out[f"{name.split(' ')[0]} p99 ms"] = percentile(ms, 0.99)
    out["  relay resident MB after fan-out"] = rss_mb(relay_pids[0])
    return out


async def phase_memory(base: str, port: int, relay_pid: int, count: int) -> dict[str, float]:
    """``count`` webhooks of 60 KB, then one subscriber replays the whole log."""
    import httpx
    import websockets

    before = rss_mb(relay_pid)
    padding = "x" * 60_000
    async with httpx.AsyncClient(timeout=30) as client:
        for index in range(count):
            envelope = json.loads(body(index, time.time()))
            envelope["payload"]["padding"] = padding
            response = await client.post(
                f"{base}/webhooks/sms",
                headers={"Authorization": SECRET},
                content=json.dumps(envelope).encode(),
            )
            assert response.status_code == 200, response.text
    after = rss_mb(relay_pid)
    replayed = 0
    started = time.perf_counter()
    async with (
        asyncio.timeout(120),
        websockets.connect(
            f"ws://127.0.0.1:{port}/events?since=0",
            additional_headers={"Authorization": f"Bearer {TOKEN}"},
            max_size=None,
        ) as ws,
    ):
        while True:  # the replay, then a heartbeat: the stream is live
            frames = json.loads(await ws.recv())
            replayed += sum(1 for frame in frames if "type" not in frame)
            if any(frame.get("type") == "heartbeat" for frame in frames):
                break
    elapsed = time.perf_counter() - started
    print(f"memory: {count} webhooks of 60 KB, then a replay of the whole log")
    print(f"  relay resident memory: {before:.0f} MB before, {after:.0f} MB after")
    print(f"  replay: {replayed:,} events in {elapsed:.1f} s; then {rss_mb(relay_pid):.0f} MB")
    return {
        f"memory: relay resident MB after {count} x 60 KB": after,
        "memory: MB added by them": after - before,
        "memory: events replayed from since=0": float(replayed),
        "memory: replay seconds": elapsed,
    }


# ----------------------------------------------------------------------------- main


async def measure(args: argparse.Namespace, code: Path | None) -> dict[str, float]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="relay-bench-") as directory:
        relay = start_relay(port, Path(directory) / "events.jsonl", code)
        try:
            await wait_ready(base)
            print(f"relay of {code or 'this checkout'} on {base} (pid {relay.pid}), "
                  f"{os.cpu_count()} CPUs, fsync on, load {os.getloadavg()[0]:.2f}")  # fmt: skip
            figures["  relay resident MB at start"] = rss_mb(relay.pid)
            figures |= await measure_pipeline(args, [port], [relay.pid])
            figures |= await phase_memory(base, port, relay.pid, args.big)
            print(f"load {os.getloadavg()[0]:.2f} after the run", flush=True)
        finally:
            relay.send_signal(signal.SIGINT)
            relay.wait(timeout=15)
    return figures


async def measure_pipeline(
    args: argparse.Namespace, ports: list[int], pids: list[int]
) -> dict[str, float]:
    """Ingest (httpx, then the minimal client flat out) and fan-out, on these relays."""
    bases = [f"http://127.0.0.1:{port}" for port in ports]
    figures = await phase_webhooks(bases, args.webhooks, args.concurrency, pids)
    figures |= await phase_capacity(ports, args.webhooks * 2, pids)
    await asyncio.sleep(0.5)
    figures |= await phase_fanout(ports, args.rate, args.duration, args.subscribers, pids)
    return figures


async def measure_redis(args: argparse.Namespace, url: str, count: int) -> dict[str, float]:
    """``count`` relay processes on one Redis stream (a key prefix of this run's own)."""
    prefix = f"relay-bench-{os.getpid()}-{count}-{int(time.time())}"
    ports = [free_port() for _ in range(count)]
    relays = [start_relay(port, None, None, (url, prefix)) for port in ports]
    try:
        for port in ports:
            await wait_ready(f"http://127.0.0.1:{port}")
        pids = ", ".join(str(relay.pid) for relay in relays)
        print(f"\n{count} relay process(es) on Redis {redact(url)}, prefix {prefix} "
              f"(pids {pids}), load {os.getloadavg()[0]:.2f}")  # fmt: skip
        figures = await measure_pipeline(args, ports, [relay.pid for relay in relays])
        print(f"load {os.getloadavg()[0]:.2f} after the run", flush=True)
    finally:
        for relay in relays:
            relay.send_signal(signal.SIGINT)
        for relay in relays:
            relay.wait(timeout=15)
        await forget(url, prefix)
    return figures


def redact(url: str) -> str:
    from console.live.redis_log import redact_url

    return redact_url(url)


async def forget(url: str, prefix: str) -> None:
    """Delete the run's keys."""
    import redis.asyncio as redis_asyncio

    from console.live.redis_log import stream_keys

    client = redis_asyncio.Redis.from_url(url)
    try:
        await client.delete(*stream_keys(prefix))
    finally:
        await client.aclose()


async def main(args: argparse.Namespace) -> None:
    baseline: dict[str, float] = {}
    if args.baseline is not None:
        baseline = await measure(args, args.baseline.resolve())
        print()
    figures = await measure(args, None)
    if baseline:
        print_beside(baseline, figures)
    if args.redis:
        one = await measure_redis(args, args.redis, 1)
        two = await measure_redis(args, args.redis, 2)
        print_columns({"file": figures, "redis x1": one, "redis x2": two})


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rate", type=float, default=2000)
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("--subscribers", type=int, default=10)
    parser.add_argument("--webhooks", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--connections", type=int, default=48, help="generator connections")
    parser.add_argument("--big", type=int, default=3000, help="60 KB webhooks in the memory phase")
    parser.add_argument("--baseline", type=Path, metavar="DIR", help="also measure this checkout")
    parser.add_argument(
        "--redis", metavar="URL", help="also measure 1 and 2 relays on this Redis (redis://…)"
    )
    parser.add_argument("--generate", metavar="PORTS", help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.generate:
        ports = [int(port) for port in arguments.generate.split(",")]
        asyncio.run(generate(ports, arguments.rate, arguments.count, arguments.connections))
    else:
        asyncio.run(main(arguments))
