"""Relay benchmark: webhooks/s accepted, and fan-out latency to 10 subscribers at 2,000 events/s,
for the file log, Redis with one relay and Redis with two relays, in the same run.

    python bench/relay.py [--quick] [--json] [--rate 2000] [--duration 10] [--subscribers 10]
                          [--ingest 10000] [--redis URL | --no-redis] [--profile DIR]

For each configuration (``file``, ``redis x1``, ``redis x2``) the relays run as their own
processes (``python -m console.live.command``, uvicorn, fsync on for the file log), and:

1. **ingest**: a load generator *in its own process* (a raw keep-alive HTTP/1.1 client,
   :mod:`console.sandbox.poster`, on uvloop, ``--ingest-connections`` connections) posts
   ``--ingest`` webhooks flat out -> webhooks/s accepted, relay CPU µs per webhook;
2. **fan-out**: ``--subscribers`` websocket subscribers (in this process, split between the
   relays: raw websockets read with orjson by default, or the console's own
   :class:`console.live.stream.EventStream` with ``--consoles stream``, whose parsing of
   every event in each of them, on one Python thread, then counts in the figures) and the
   generator offering ``--rate`` webhooks/s for ``--duration`` s. It reports the rate it
   *achieved* (accepted / time), how late its sends were against the schedule (so an
   under-offering generator shows) and the webhooks' answer times, beside the fan-out
   latency p50/p99/max: the relay received the webhook (``receivedAt``, stamped before it
   is stored) -> a subscriber has the message holding the event. The first ``WARMUP`` s
   are left out of the figures.
3. **memory** (file log only, skipped by ``--quick``): ``--big`` webhooks of 60 KB, then a
   replay of the whole log to a new subscriber; the relay's resident memory.

Redis: ``--redis URL`` uses that server (each configuration under a key prefix of its own,
deleted afterwards); without it the bench starts its own ``redis-server`` (no persistence) on
a free loopback port when one is installed; ``--no-redis`` skips those columns.

``--deflate`` has the relays offer permessage-deflate on ``/events`` (the consoles ask for
it): every console's messages are then compressed separately, as before the shared fan-out;
compare with the default (off) to see what it costs.

``--baseline DIR`` also runs the relays of another checkout (say, main's), configuration
by configuration beside this one's, as columns ``base file``, ``base redis x1``...

``--profile DIR`` records each relay with py-spy (``pip install py-spy``) during the fan-out
phase: DIR/<config>-<n>.txt (collapsed stacks; the top frames are printed).

The machine's load (1-minute average) is printed before and after each configuration and is
in the ``--json`` output. Prints figures only; never fails on them. Targets (2-core machine):
file log ingest >= 5,000/s, fan-out p99 < 50 ms at 2,000 events/s to 10 subscribers, Redis
one and two relays within 1.5x the file log's p99.

``--quick``: ingest 5,000, 4 s of fan-out, no memory phase (about a minute in all).
``--rounds N`` measures every configuration N times, interleaved (file, redis x1, redis x2,
file, ...), and prints each figure's median: on a shared machine the three then see the same
load, and the ratios hold better than any one figure. ``--only file,redis1,redis2`` picks.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from figures import cpu_seconds, print_columns, rss_mb

SECRET = "bench-webhook-secret"
TOKEN = "bench-events-token"
WARMUP = 0.5  # seconds at the start of the fan-out phase left out of the latency figures
ROOT = Path(__file__).resolve().parent.parent


def say(*parts: Any) -> None:
    print(*parts, file=sys.stderr if ARGS_JSON else sys.stdout, flush=True)


ARGS_JSON = False
DEFLATE = False  # --deflate: the relays compress each console's messages (permessage-deflate)


def load() -> float:
    return round(os.getloadavg()[0], 2)


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


# ----------------------------------------------------------------------------- generator


async def generate(ports: list[int], rate: float, total: int, connections: int, first: int) -> None:
    """The generator's process: offer ``total`` webhooks at ``rate``/s (0: flat out) over
    ``connections`` keep-alive connections; print a JSON summary on stdout."""
    from console.sandbox.poster import Connection, PostError, Target

    targets = [Target.parse(f"http://127.0.0.1:{port}/webhooks/sms", SECRET) for port in ports]
    opened = [await Connection.open(targets[i % len(targets)], 5.0) for i in range(connections)]
    start = time.perf_counter() + 0.05
    next_index = 0
    accepted = failed = 0
    late: list[float] = []
    answers: list[float] = []
    last_answer = start

    async def worker(slot: int) -> None:
        nonlocal next_index, accepted, failed, last_answer
        connection, target = opened[slot], targets[slot % len(targets)]
        while next_index < total:
            index = next_index
            next_index += 1
            if rate:
                delay = start + index / rate - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                elif delay < -0.002:  # later than the loop's timer resolution
                    late.append(-delay)
            try:
                posted = time.perf_counter()
                status = await connection.post(target.request(body(first + index, time.time())))
                answers.append(time.perf_counter() - posted)
            except PostError:
                failed += 1
                connection = opened[slot] = await Connection.open(target, 5.0)
                continue
            if status == 200:
                accepted += 1
            else:
                failed += 1
            last_answer = time.perf_counter()

    await asyncio.gather(*(worker(slot) for slot in range(connections)))
    for connection in opened:
        connection.close()
    elapsed = max(1e-9, last_answer - start)
    summary = {
        "offered": total,
        "accepted": accepted,
        "failed": failed,
        "seconds": elapsed,
        "late_p99_ms": percentile(late, 0.99) * 1000 if late else 0.0,
        "late_count": len(late),
        "answer_p50_ms": percentile(answers, 0.5) * 1000,
        "answer_p99_ms": percentile(answers, 0.99) * 1000,
    }
    print(json.dumps(summary), flush=True)


async def run_generator(
    ports: list[int], rate: float, total: int, connections: int, first: int
) -> dict[str, float]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        __file__,
        "--generate",
        ",".join(map(str, ports)),
        "--rate",
        str(rate),
        "--count",
        str(total),
        "--connections",
        str(connections),
        "--first",
        str(first),
        stdout=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    output, _ = await process.communicate()
    return json.loads(output.decode().strip().splitlines()[-1])


def generator_main(args: argparse.Namespace) -> None:
    ports = [int(port) for port in args.generate.split(",")]
    coroutine = generate(ports, args.rate, args.count, args.connections, args.first)
    try:
        import uvloop
    except ImportError:
        asyncio.run(coroutine)
    else:
        uvloop.run(coroutine)


# ----------------------------------------------------------------------------- relays


def start_relay(
    port: int, log: Path | None, redis: tuple[str, str] | None, code: Path = ROOT
) -> subprocess.Popen[bytes]:
    """A relay process on ``port``: its log in the file ``log``, or on Redis (url, prefix)."""
    env = {
        **os.environ,
        "PYTHONPATH": str(code),
        "AGENT_CONSOLE_WEBHOOK_SECRET": SECRET,
        "AGENT_CONSOLE_EVENTS_TOKEN": TOKEN,
    }
    if DEFLATE:
        env["AGENT_CONSOLE_EVENTS_DEFLATE"] = "1"
    if redis is not None:
        env["AGENT_CONSOLE_REDIS_URL"] = redis[0]
        where = ["--redis-prefix", redis[1]]
    else:
        where = ["--log", str(log)]
    return subprocess.Popen(
        [sys.executable, "-m", "console.live.command", "--port", str(port), *where],
        env=env,
        stdout=subprocess.DEVNULL,
    )


def relays_cpu(pids: list[int]) -> float:
    return sum(cpu_seconds(pid) for pid in pids)


async def wait_ready(port: int) -> None:
    from console.sandbox.poster import Connection, PostError, Target

    target = Target.parse(f"http://127.0.0.1:{port}/webhooks/sms", None)
    for _ in range(200):
        try:
            connection = await Connection.open(target, 1.0)
            status = await connection.post(target.request(b"{}"))
            connection.close()
            if status in (400, 401):
                return
        except PostError:
            pass
        await asyncio.sleep(0.05)
    raise RuntimeError("the relay did not start")


@contextlib.contextmanager
def profiling(directory: Path | None, name: str, pids: list[int]) -> Iterator[None]:
    """py-spy recording each relay while the block runs (when ``directory`` is given)."""
    if directory is None:
        yield
        return
    directory.mkdir(parents=True, exist_ok=True)
    spies = [
        subprocess.Popen(
            ["py-spy", "record", "--pid", str(pid), "--format", "raw", "--rate", "200",
             "--nonblocking", "--output", str(directory / f"{name}-{n}.txt")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for n, pid in enumerate(pids)
    ]  # fmt: skip
    try:
        yield
    finally:
        for spy in spies:
            spy.send_signal(signal.SIGINT)
        for spy in spies:
            with contextlib.suppress(subprocess.TimeoutExpired):
                spy.wait(timeout=20)
        for n in range(len(pids)):
            top_frames(directory / f"{name}-{n}.txt")


def top_frames(path: Path, count: int = 15) -> None:
    """The functions most often on the stack (inclusive), from py-spy's collapsed output."""
    if not path.exists():
        say(f"  (no profile at {path})")
        return
    inclusive: dict[str, int] = {}
    total = 0
    for line in path.read_text().splitlines():
        stack, _, samples = line.rpartition(" ")
        if not samples.isdigit():
            continue
        total += int(samples)
        for frame in set(stack.split(";")):
            inclusive[frame] = inclusive.get(frame, 0) + int(samples)
    say(f"  profile {path.name}: {total} samples; most often on the stack:")
    for frame, samples in sorted(inclusive.items(), key=lambda kv: -kv[1])[:count]:
        say(f"    {samples / max(1, total):5.1%}  {frame[:110]}")


# ----------------------------------------------------------------------------- phases


async def phase_ingest(
    ports: list[int], count: int, connections: int, pids: list[int]
) -> dict[str, float]:
    cpu_before = relays_cpu(pids)
    summary = await run_generator(ports, 0, count, connections, 10_000_000)
    cpu = relays_cpu(pids) - cpu_before
    rate = summary["accepted"] / summary["seconds"]
    say(
        f"  ingest: {rate:,.0f} webhooks/s accepted flat out ({summary['accepted']:.0f} of "
        f"{count}, {summary['failed']:.0f} failed, {connections} connections); relay CPU "
        f"{cpu / max(1, summary['accepted']) * 1e6:.0f} µs per webhook"
    )
    return {
        "ingest webhooks/s": rate,
        "ingest failed": summary["failed"],
        "relay CPU µs per webhook (ingest)": cpu / max(1, summary["accepted"]) * 1e6,
    }


async def phase_fanout(
    ports: list[int],
    args: argparse.Namespace,
    pids: list[int],
    profile: tuple[Path, str] | None,
) -> dict[str, float]:
    from console.live.events import parse_iso
    from console.live.stream import EventBatch, EventStream

    subscribers, rate = args.subscribers, args.rate
    urls = [f"ws://127.0.0.1:{port}/events" for port in ports]
    fan_out: list[float] = []
    counts = [0] * subscribers
    messages = [0] * subscribers  # websocket messages with events (batches)
    seqs_ok = [True] * subscribers
    lasts: list[int | None] = [None] * subscribers
    live = asyncio.Event()
    live_count = 0
    total = int(rate * args.duration)
    done = asyncio.Event()
    finished = 0
    measure_from = float("inf")

    def record(slot: int, seq: int, received_at: str, sent_at: float, now: float) -> bool:
        """One event reached a console; True once that console has every one."""
        nonlocal finished
        last = lasts[slot]
        if last is not None and seq != last + 1:
            seqs_ok[slot] = False
        lasts[slot] = seq
        if sent_at >= measure_from:
            stored = parse_iso(received_at)
            if stored is not None:
                fan_out.append(now - stored)
        counts[slot] += 1
        if counts[slot] == total:  # every one
            finished += 1
            if finished == subscribers:
                done.set()
            return True
        return False

    def went_live() -> None:
        nonlocal live_count
        live_count += 1
        if live_count == subscribers:
            live.set()

    async def subscribe_stream(slot: int) -> None:
        """A console's own EventStream (its parser included in the figures)."""
        stream = EventStream(urls[slot % len(urls)], TOKEN)  # asks for deflate, as consoles do
        async for item in stream.batches():
            if isinstance(item, EventBatch):
                now = time.time()
                messages[slot] += 1
                for event in item.events:
                    sent_at = event.payload.get("sentAt", 0)
                    if record(slot, event.seq, event.received_at, sent_at, now):
                        await stream.close()
            elif getattr(item, "state", None) == "live":
                went_live()

    async def subscribe_raw(slot: int) -> None:
        """A websocket that reads each message as it comes (orjson): the relay's fan-out
        latency, without a Python console's parsing of 2,000 events/s in each of ten."""
        import orjson
        import websockets

        async with websockets.connect(
            urls[slot % len(urls)],
            additional_headers={"Authorization": f"Bearer {TOKEN}"},
            compression="deflate",  # asked for, as consoles do (the relay may decline)
            max_size=None,
        ) as ws:
            went_live()
            async for message in ws:
                now = time.time()
                frames = orjson.loads(message)
                if any("type" not in frame for frame in frames):
                    messages[slot] += 1
                for frame in frames:
                    if "type" in frame:
                        continue
                    sent_at = frame["payload"].get("sentAt", 0)
                    if record(slot, frame["seq"], frame["receivedAt"], sent_at, now):
                        return

    subscribe = subscribe_stream if args.consoles == "stream" else subscribe_raw

    tasks = [asyncio.create_task(subscribe(slot)) for slot in range(subscribers)]
    await asyncio.wait_for(live.wait(), 15)
    await asyncio.sleep(0.2)

    load_before = load()
    cpu_before = relays_cpu(pids)
    own_before = time.process_time()
    started = time.perf_counter()
    measure_from = time.time() + WARMUP
    with profiling(profile[0] if profile else None, profile[1] if profile else "", pids):
        summary = await run_generator(ports, rate, total, args.connections, 0)
        try:
            await asyncio.wait_for(done.wait(), 30)
        except TimeoutError:
            say("  (some subscribers did not receive every event within 30 s)")
    elapsed = time.perf_counter() - started
    cpu = relays_cpu(pids) - cpu_before
    own = time.process_time() - own_before
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)

    achieved = summary["accepted"] / summary["seconds"]
    ms = [value * 1000 for value in fan_out]
    figures = {
        "fan-out offered webhooks/s": rate,
        "fan-out achieved webhooks/s": achieved,
        "generator late sends": summary["late_count"],
        "generator late p99 ms": summary["late_p99_ms"],
        "webhook answer p50 ms": summary["answer_p50_ms"],
        "webhook answer p99 ms": summary["answer_p99_ms"],
        "fan-out p50 ms": percentile(ms, 0.50),
        "fan-out p90 ms": percentile(ms, 0.90),
        "fan-out p99 ms": percentile(ms, 0.99),
        "fan-out max ms": max(ms, default=float("nan")),
        "delivered min per subscriber": min(counts),
        "events per message": sum(counts) / max(1, sum(messages)),
        "subscribers with a gap": float(seqs_ok.count(False)),
        "relay CPU % of a core (fan-out)": cpu / elapsed * 100,
        "relay CPU µs per webhook (fan-out)": cpu / max(1, summary["accepted"]) * 1e6,
        "subscribers CPU % of a core": own / elapsed * 100,
        "relay resident MB": rss_mb(pids[0]),
    }
    say(
        f"  fan-out: offered {rate:,.0f}/s for {args.duration:g} s, achieved {achieved:,.0f}/s "
        f"({summary['failed']:.0f} failed, {summary['late_count']:.0f} sends late, p99 "
        f"{summary['late_p99_ms']:.1f} ms), load {load_before} -> {load()}"
    )
    say(
        f"    {subscribers} subscribers: p50 {figures['fan-out p50 ms']:.1f} ms, p90 "
        f"{figures['fan-out p90 ms']:.1f} ms, p99 {figures['fan-out p99 ms']:.1f} ms, max "
        f"{figures['fan-out max ms']:.1f} ms (n={len(ms):,}); each got >= {min(counts)} of "
        f"{total}, {seqs_ok.count(False)} saw a gap; CPU relays {cpu / elapsed:.0%}, "
        f"subscribers {own / elapsed:.0%} of a core"
    )
    return figures


async def phase_memory(port: int, pid: int, count: int) -> dict[str, float]:
    """``count`` webhooks of 60 KB, then one subscriber replays the whole log."""
    import websockets

    from console.sandbox.poster import Connection, Target

    before = rss_mb(pid)
    padding = "x" * 60_000
    target = Target.parse(f"http://127.0.0.1:{port}/webhooks/sms", SECRET)
    connection = await Connection.open(target, 5.0)
    for index in range(count):
        envelope = json.loads(body(index, time.time()))
        envelope["payload"]["padding"] = padding
        status = await connection.post(target.request(json.dumps(envelope).encode()))
        assert status == 200, status
    connection.close()
    after = rss_mb(pid)
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
    say(
        f"  memory: {count} webhooks of 60 KB: relay {before:.0f} -> {after:.0f} MB; replay of "
        f"{replayed:,} events in {elapsed:.1f} s, then {rss_mb(pid):.0f} MB"
    )
    return {
        f"memory: relay MB after {count} x 60 KB": after,
        "memory: replay seconds": elapsed,
    }


# ----------------------------------------------------------------------------- configurations


async def measure(
    args: argparse.Namespace, name: str, relays: int, redis_url: str | None, code: Path = ROOT
) -> dict[str, float]:
    ports = [free_port() for _ in range(relays)]
    prefix = f"relay-bench-{os.getpid()}-{relays}-{int(time.time())}"
    with tempfile.TemporaryDirectory(prefix="relay-bench-") as directory:
        processes = [
            start_relay(
                port,
                Path(directory) / "events.jsonl",
                (redis_url, prefix) if redis_url else None,
                code,
            )
            for port in ports
        ]
        pids = [process.pid for process in processes]
        try:
            for port in ports:
                await wait_ready(port)
            figures: dict[str, float] = {"load before": load()}
            say(f"\n{name}: {relays} relay process(es), pids {pids}, load {load()}")
            figures |= await phase_ingest(ports, args.ingest, args.ingest_connections, pids)
            await asyncio.sleep(0.3)
            profile = (args.profile, name.replace(" ", "")) if args.profile else None
            figures |= await phase_fanout(ports, args, pids, profile)
            if redis_url is None and args.big:
                figures |= await phase_memory(ports[0], pids[0], args.big)
            figures["load after"] = load()
        finally:
            for process in processes:
                process.send_signal(signal.SIGINT)
            for process in processes:
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
            if redis_url:
                await forget(redis_url, prefix)
    return figures


async def forget(url: str, prefix: str) -> None:
    """Delete the run's keys."""
    import redis.asyncio as redis_asyncio

    from console.live.redis_log import stream_keys

    client = redis_asyncio.Redis.from_url(url)
    try:
        await client.delete(*stream_keys(prefix))
    finally:
        await client.aclose()


@contextlib.contextmanager
def own_redis(args: argparse.Namespace) -> Iterator[str | None]:
    """The Redis URL to measure on: ``--redis``, or a redis-server of our own, or None."""
    if args.no_redis:
        yield None
        return
    if args.redis:
        yield args.redis
        return
    binary = shutil.which("redis-server")
    if binary is None:
        say("(no redis-server installed: the Redis columns are skipped)")
        yield None
        return
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="relay-bench-redis-") as directory:
        process = subprocess.Popen(
            [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", directory, "--logfile", ""],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            for _ in range(100):
                with (
                    contextlib.suppress(OSError),
                    socket.create_connection(("127.0.0.1", port), timeout=0.2),
                ):
                    break
                time.sleep(0.05)
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            process.terminate()
            process.wait(timeout=10)


def median_figures(runs: list[dict[str, float]]) -> dict[str, float]:
    """Each figure's median over the rounds (the figure itself for one round)."""
    return {name: statistics.median(run[name] for run in runs if name in run) for name in runs[0]}


async def main(args: argparse.Namespace) -> None:
    columns: dict[str, dict[str, float]] = {}
    say(
        f"relay bench: {os.cpu_count()} CPUs, load {load()}; offered {args.rate:,.0f}/s for "
        f"{args.duration:g} s to {args.subscribers} subscribers; ingest {args.ingest:,} flat "
        f"out; permessage-deflate on /events: {'on' if args.deflate else 'off'}"
    )
    chosen = set(args.only.split(",")) if args.only else {"file", "redis1", "redis2"}
    rounds: dict[str, list[dict[str, float]]] = {}
    with own_redis(args) as url:
        configs = [("file", 1, None)] if "file" in chosen else []
        configs += [
            (f"redis x{relays}", relays, url)
            for relays in (1, 2)
            if url is not None and f"redis{relays}" in chosen
        ]
        codes = [("", ROOT)]
        if args.baseline is not None:
            codes.insert(0, ("base ", args.baseline.resolve()))
        for number in range(args.rounds):  # interleaved: each round sees the same load
            for name, relays, where in configs:
                for label, code in codes:
                    title = label + name
                    if args.rounds > 1:
                        title += f", round {number + 1}"
                    figures = await measure(args, title, relays, where, code)
                    rounds.setdefault(label + name, []).append(figures)
    columns = {name: median_figures(runs) for name, runs in rounds.items()}
    for label in ("", "base "):
        file = columns.get(label + "file", {})
        for name in (label + "redis x1", label + "redis x2"):
            if name in columns and file:
                ratio = columns[name]["fan-out p99 ms"] / file["fan-out p99 ms"]
                columns[name]["p99 / file's p99"] = ratio
    if args.json:
        machine = {"cpus": os.cpu_count(), "rounds": args.rounds, "load after": load()}
        print(json.dumps({"machine": machine, "columns": columns, "rounds": rounds}, indent=2))
    else:
        print_columns(columns)
        print(
            "\ntargets: file ingest >= 5,000/s; fan-out p99 < 50 ms at 2,000/s to 10 "
            "subscribers; Redis p99 <= 1.5x the file log's (figures are noisy: note the load)"
        )


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="short run (about a minute)")
    parser.add_argument("--json", action="store_true", help="figures as JSON on stdout")
    parser.add_argument("--rate", type=float, default=2000)
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("--subscribers", type=int, default=10)
    parser.add_argument(
        "--rounds", type=int, default=1, help="measure each configuration N times, interleaved"
    )
    parser.add_argument("--ingest", type=int, default=10_000, help="webhooks posted flat out")
    parser.add_argument(
        "--connections", type=int, default=64, help="generator connections (fan-out phase)"
    )
    parser.add_argument(
        "--ingest-connections",
        type=int,
        default=128,
        help="generator connections posting flat out (a webhook waits for its group's fsync: "
        "with 32, the file log's ingest is bound by the commit cycle, not by the relay)",
    )
    parser.add_argument("--big", type=int, default=1000, help="60 KB webhooks (memory phase)")
    parser.add_argument(
        "--consoles",
        choices=("raw", "stream"),
        default="raw",
        help="subscribers: raw websockets read with orjson (the relay's fan-out; default) or "
        "the console's EventStream (its parser included)",
    )
    parser.add_argument("--redis", metavar="URL", help="measure on this Redis (redis://…)")
    parser.add_argument("--no-redis", action="store_true", help="the file log only")
    parser.add_argument(
        "--only", metavar="LIST", help="some of file,redis1,redis2 (default: all three)"
    )
    parser.add_argument(
        "--baseline",
        type=Path,
        metavar="DIR",
        help="also measure the relays of the checkout in DIR (e.g. main), interleaved",
    )
    parser.add_argument("--profile", type=Path, metavar="DIR", help="py-spy the relays")
    parser.add_argument(
        "--deflate",
        action="store_true",
        help="relays offer permessage-deflate on /events (AGENT_CONSOLE_EVENTS_DEFLATE=1): "
        "each console's messages compressed separately, as before the shared fan-out",
    )
    parser.add_argument("--generate", metavar="PORTS", help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--first", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.quick:
        args.duration = min(args.duration, 4)
        args.ingest = min(args.ingest, 5000)
        args.big = 0
    return args


if __name__ == "__main__":
    arguments = parse_args()
    if arguments.generate:
        generator_main(arguments)
    else:
        ARGS_JSON = arguments.json
        DEFLATE = arguments.deflate
        asyncio.run(main(arguments))
