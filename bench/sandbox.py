"""Sandbox figures: single-send requests/s on loopback, and the rate limiter's admitted share.

    python bench/sandbox.py [--seconds 5] [--client both|httpx|raw]

The sandbox runs in its own process (SandboxServer: uvicorn in a thread with its own loop),
its webhooks go to a discarding receiver in another process, and the load comes from
client processes: concurrent httpx AsyncClients (what the console uses), and a raw asyncio
keep-alive client that costs far less per request, to tell the server's limit from the
client's. Figures only; nothing here passes or fails.

1. Throughput: a huge rate limit, closed-loop single sends for N seconds.
2. Limiter: rate limit 1,800/s and an open-loop offered load of 2,500/s; the admitted rate
   should be the limit ±5%. If the box cannot offer that much, also 500/s at 800 offered.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

KEY = "bench-key"
SUB = "sandbox"
PATH = f"/sms/api/v1/subaccounts/{SUB}/messages"
BODY = json.dumps({"destination": "+6591234567", "text": "Bench message"}).encode()
# httpx's pool gets slower with many connections in one client (4: ~1,900 req/s here,
# 64: ~180 req/s), so its clients keep a few connections and run in several processes.
HTTPX_CONNECTIONS = 4


# -- processes: webhook sink and sandbox ---------------------------------------------------


async def _sink_main(port_queue: Any) -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line[:15].lower() == b"content-length:":
                        length = int(line[15:])
                if length:
                    await reader.readexactly(length)
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port_queue.put(server.sockets[0].getsockname()[1])
    await asyncio.Event().wait()


def _sink(port_queue: Any) -> None:
    asyncio.run(_sink_main(port_queue))


def _sandbox(conn: Any, webhook_url: str, rate_limit: float) -> None:
    from console.sandbox.server import SandboxServer
    from console.sandbox.settings import SandboxConfig

    config = SandboxConfig(
        api_keys=(KEY,),
        subaccount=SUB,
        webhook_url=webhook_url,
        customers=False,
        rate_limit=rate_limit,
        ip_rate_limit=1e9,
        seed=1,
    )
    server = SandboxServer(config)
    conn.send(server.start())
    conn.recv()
    server.stop()


class Sandbox:
    def __init__(self, webhook_url: str, rate_limit: float) -> None:
        self.conn, child = mp.Pipe()
        self.process = mp.Process(target=_sandbox, args=(child, webhook_url, rate_limit))
        self.process.start()
        self.url: str = self.conn.recv()

    def info(self) -> dict[str, Any]:
        import httpx

        return httpx.get(self.url + "/sandbox/info", timeout=30).json()

    def stop(self) -> None:
        self.conn.send("stop")
        self.process.join(30)


# -- load generators -------------------------------------------------------------------------


def _raw_request(host: str, port: int) -> bytes:
    return (
        f"POST {PATH} HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Bearer {KEY}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(BODY)}\r\n\r\n"
    ).encode() + BODY


async def _raw_exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> int:
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    if length:
        await reader.readexactly(length)
    return int(head[9:12])


async def _closed_loop(url: str, kind: str, seconds: float, connections: int) -> dict[str, Any]:
    """Each connection sends, waits for the answer, sends again, for `seconds`."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    end = time.monotonic() + seconds

    if kind == "raw":
        request = _raw_request(host, port)

        async def worker() -> None:
            reader, writer = await asyncio.open_connection(host, port)
            while time.monotonic() < end:
                started = time.perf_counter()
                status = await _raw_exchange(reader, writer, request)
                latencies.append(time.perf_counter() - started)
                statuses[status] = statuses.get(status, 0) + 1
            writer.close()

        await asyncio.gather(*(worker() for _ in range(connections)))
    else:
        import httpx

        async with httpx.AsyncClient(
            base_url=url,
            headers={"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"},
            limits=httpx.Limits(max_connections=connections),
            timeout=30,
            trust_env=False,
        ) as client:

            async def worker() -> None:
                while time.monotonic() < end:
                    started = time.perf_counter()
                    response = await client.post(PATH, content=BODY)
                    latencies.append(time.perf_counter() - started)
                    statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

            await asyncio.gather(*(worker() for _ in range(connections)))
    return {"latencies": latencies, "statuses": statuses}


async def _open_loop(url: str, kind: str, seconds: float, rate: float) -> dict[str, Any]:
    """Requests start on a fixed schedule (`rate` per second) whatever the answers do."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    statuses: dict[int, int] = {}
    total = int(seconds * rate)
    start = time.monotonic() + 0.2
    sent_at: list[float] = []

    if kind == "raw":
        request = _raw_request(host, port)
        pool: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = asyncio.Queue()
        for _ in range(64):
            pool.put_nowait(await asyncio.open_connection(host, port))

        async def one() -> None:
            reader, writer = await pool.get()
            try:
                status = await _raw_exchange(reader, writer, request)
            finally:
                pool.put_nowait((reader, writer))
            statuses[status] = statuses.get(status, 0) + 1

        client = None
    else:
        import httpx

        client = httpx.AsyncClient(
            base_url=url,
            headers={"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"},
            limits=httpx.Limits(max_connections=HTTPX_CONNECTIONS),
            timeout=30,
            trust_env=False,
        )
        in_flight = asyncio.Semaphore(HTTPX_CONNECTIONS)  # httpx slows down with deep queues

        async def one() -> None:
            try:
                response = await client.post(PATH, content=BODY)
            finally:
                in_flight.release()
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

    tasks = []
    for i in range(total):
        due = start + i / rate
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        if client is not None:
            await in_flight.acquire()  # behind schedule: the achieved rate will say so
        sent_at.append(time.monotonic())
        tasks.append(asyncio.ensure_future(one()))
    await asyncio.gather(*tasks)
    if client is not None:
        await client.aclose()
    if kind == "raw":
        while not pool.empty():
            pool.get_nowait()[1].close()
    span = (sent_at[-1] - sent_at[0]) if len(sent_at) > 1 else seconds
    return {"statuses": statuses, "offered": total, "span": span}


def _client(queue: Any, mode: str, url: str, kind: str, seconds: float, arg: float) -> None:
    if mode == "closed":
        result = asyncio.run(_closed_loop(url, kind, seconds, int(arg)))
    else:
        result = asyncio.run(_open_loop(url, kind, seconds, arg))
    queue.put(result)


def run_clients(
    mode: str, url: str, kind: str, seconds: float, processes: int, arg: float
) -> list[dict[str, Any]]:
    queue: Any = mp.Queue()
    workers = [
        mp.Process(target=_client, args=(queue, mode, url, kind, seconds, arg))
        for _ in range(processes)
    ]
    for worker in workers:
        worker.start()
    results = [queue.get() for _ in workers]
    for worker in workers:
        worker.join()
    queue.close()
    queue.join_thread()
    return results


# -- the two measurements ----------------------------------------------------------------


def throughput(sink: str, kind: str, seconds: float, processes: int, connections: int) -> None:
    sandbox = Sandbox(sink, rate_limit=1e9)
    try:
        results = run_clients("closed", sandbox.url, kind, seconds, processes, connections)
        time.sleep(0.5)
        webhooks = sandbox.info()["webhooks"]
    finally:
        sandbox.stop()
    latencies = sorted(x for r in results for x in r["latencies"])
    statuses: dict[int, int] = {}
    for r in results:
        for status, count in r["statuses"].items():
            statuses[status] = statuses.get(status, 0) + count
    done = len(latencies)
    print(
        f"  {kind:5} client, {processes} process(es) x {connections} connections: "
        f"{done / seconds:7.0f} sends/s  p50 {statistics.median(latencies) * 1000:5.1f} ms  "
        f"p99 {latencies[int(done * 0.99)] * 1000:6.1f} ms  statuses {statuses}"
    )
    print(
        f"        webhooks: {webhooks['posted']} posted, {webhooks['delivered']} delivered "
        f"({webhooks['delivered'] / (seconds + 0.5):.0f}/s), {webhooks['pending']} still "
        "queued 0.5 s after the load stopped"
    )


def limiter(
    sink: str, kind: str, seconds: float, processes: int, limit: float, offered: float
) -> float:
    sandbox = Sandbox(sink, rate_limit=limit)
    try:
        results = run_clients("open", sandbox.url, kind, seconds, processes, offered / processes)
    finally:
        sandbox.stop()
    ok = sum(r["statuses"].get(200, 0) for r in results)
    limited = sum(r["statuses"].get(429, 0) for r in results)
    other = sum(sum(r["statuses"].values()) for r in results) - ok - limited
    span = max(r["span"] for r in results)
    achieved = sum(r["offered"] for r in results) / span
    admitted = ok / span
    print(
        f"  {kind:5} client: limit {limit:5.0f}/s, offered {offered:5.0f}/s "
        f"(achieved {achieved:5.0f}/s over {span:4.1f} s): admitted {admitted:6.0f}/s = "
        f"{admitted / limit:6.1%} of the limit; {limited} answered 429, {other} other"
    )
    return achieved


def batch_drain(sink: str) -> None:
    import httpx

    sandbox = Sandbox(sink, rate_limit=1e9)
    try:
        body = {
            "destinations": [f"+6590{i:06d}" for i in range(10_000)],
            "template": {"text": "Flash sale: 20% off today only"},
        }
        started = time.perf_counter()
        response = httpx.post(
            sandbox.url + f"{PATH}/batch",
            json=body,
            headers={"Authorization": f"Bearer {KEY}"},
            timeout=60,
        )
        accepted_in = time.perf_counter() - started
        assert response.status_code == 200, response.text
        first_seen = None
        while True:
            webhooks = sandbox.info()["webhooks"]
            if first_seen is None and webhooks["delivered"] > 0:
                first_seen = time.perf_counter() - started
            if webhooks["delivered"] + webhooks["givenUp"] >= 20_000:
                break
            if time.perf_counter() - started > 120:
                break
            time.sleep(0.05)
        drained_in = time.perf_counter() - started
    finally:
        sandbox.stop()
    print(
        f"  10,000-message batch: answered in {accepted_in * 1000:.0f} ms "
        f"({response.json()['acceptedCount']} accepted); first receipt after "
        f"{(first_seen or 0) * 1000:.0f} ms; {webhooks['delivered']:,} receipts delivered in "
        f"{drained_in:.1f} s ({webhooks['delivered'] / drained_in:.0f}/s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--client", choices=("both", "httpx", "raw"), default="both")
    args = parser.parse_args()
    mp.set_start_method("spawn")
    ports: Any = mp.Queue()
    sink_process = mp.Process(target=_sink, args=(ports,), daemon=True)
    sink_process.start()
    sink = f"http://127.0.0.1:{ports.get()}"
    kinds = ("raw", "httpx") if args.client == "both" else (args.client,)
    import os

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{os.cpu_count()} CPU(s), load average {load:.2f} before the run")
    try:
        print(f"Single-send throughput on loopback ({args.seconds:g} s each, 2 webhooks per send):")
        for kind in kinds:
            if kind == "raw":
                throughput(sink, kind, args.seconds, processes=1, connections=32)
            else:
                throughput(sink, kind, args.seconds, processes=1, connections=HTTPX_CONNECTIONS)
                throughput(sink, kind, args.seconds, processes=2, connections=HTTPX_CONNECTIONS)
        print("Batch and its receipts (speed 1: sent after ~0.2 s, final after 0.5-3 s):")
        batch_drain(sink)
        print("Rate limiter under an offered load above the limit:")
        for kind in kinds:
            processes = 1 if kind == "raw" else 2
            seconds = max(args.seconds, 5.0)
            achieved = limiter(sink, kind, seconds, processes, limit=1800, offered=2500)
            if achieved < 1800 * 1.1:
                print("        (this client cannot offer more than the limit; scaled down:)")
                limiter(sink, kind, seconds, processes, limit=500, offered=800)
    finally:
        sink_process.terminate()
        ports.close()
        ports.join_thread()


if __name__ == "__main__":
    main()
