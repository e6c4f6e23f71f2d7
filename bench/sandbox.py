"""Sandbox figures: single sends/s, a 10,000 batch and its receipts on the event stream,
webhooks delivered per second, a chat message's receipt after a batch, the rate limiter.

    python bench/sandbox.py [--seconds 5] [--client both|httpx|raw] [--baseline DIR]

The sandbox runs in its own process (SandboxServer: uvicorn in a thread with its own loop);
the load comes from client processes: a raw asyncio keep-alive client that costs little
per request (to tell the server's limit from the client's) and, with --client both or
httpx, concurrent httpx AsyncClients (what the console uses). Figures only.

1. Single sends: a huge rate limit, closed-loop sends for N seconds (webhooks to a
   discarding sink in another process); the sandbox's CPU per send beside the rate, as
   the machine may be shared.
2. Batch: a 10,000-message batch at speed 1 with the sandbox's own relay and a websocket
   subscriber: the answer's time, the time from the request to the batch's last final
   receipt on the event stream, and a Chat Apps message sent right after the answer: the
   time from its request to its first and its final receipt on the stream. Every receipt
   clock starts when the request is sent, not when it is answered: a sandbox that answered
   late would otherwise look as if its receipts came early.
3. Webhooks delivered per second: the same batch at speed 1000 (every receipt due at
   once), its 20,000 webhooks to the sink, then to the sandbox's own relay, counted from
   the batch's request.
4. Limiter: rate limit 1,800/s and an open-loop offered load of 2,500/s; the admissions the
   sandbox counted in each second of its clock (/sandbox/info), so the client's own
   pace does not enter the figure.

--baseline DIR runs every figure on the code in DIR too (with DIR/.venv/bin/python when
it exists: the dependencies of that version), in the same run, and prints both columns.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from figures import cpu_seconds, print_beside  # bench/figures.py (this script's folder)

# The code measured: this checkout, or the one --baseline names (set for the child run).
CODE_ENV = "AGENT_CONSOLE_BENCH_CODE"
sys.path.insert(0, os.environ.get(CODE_ENV) or str(Path(__file__).resolve().parents[1]))

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


def _sandbox(conn: Any, webhook_url: str | None, rate_limit: float, speed: float) -> None:
    from console.sandbox.server import SandboxServer
    from console.sandbox.settings import SandboxConfig

    config = SandboxConfig(
        api_keys=(KEY,),
        subaccount=SUB,
        webhook_url=webhook_url,  # None: to the sandbox's own relay (and its /events)
        customers=False,
        rate_limit=rate_limit,
        ip_rate_limit=1e9,
        seed=1,
        speed=speed,
    )
    server = SandboxServer(config)
    conn.send(server.start())
    conn.recv()
    server.stop()


class Sandbox:
    def __init__(self, webhook_url: str | None, rate_limit: float, speed: float = 1.0) -> None:
        self.conn, child = mp.Pipe()
        self.process = mp.Process(target=_sandbox, args=(child, webhook_url, rate_limit, speed))
        self.process.start()
        self.url: str = self.conn.recv()

    def info(self) -> dict[str, Any]:
        import httpx

        return httpx.get(self.url + "/sandbox/info", timeout=30).json()

    def cpu(self) -> float:
        """CPU seconds the sandbox process has used (Linux), or NaN."""
        return cpu_seconds(self.process.pid or 0)

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


# -- the measurements -------------------------------------------------------------------
# Each returns {figure name: value}; main() prints them, beside the baseline's when asked.


def throughput(
    sink: str, kind: str, seconds: float, processes: int, connections: int
) -> dict[str, float]:
    sandbox = Sandbox(sink, rate_limit=1e9)
    try:
        cpu_before = sandbox.cpu()
        results = run_clients("closed", sandbox.url, kind, seconds, processes, connections)
        cpu = sandbox.cpu() - cpu_before
    finally:
        sandbox.stop()
    latencies = sorted(x for r in results for x in r["latencies"])
    done = len(latencies)
    name = f"{kind} {processes}x{connections}"
    return {
        f"single sends/s ({name})": done / seconds,
        f"  p99 ms ({name})": latencies[int(done * 0.99)] * 1000,
        f"  sandbox CPU µs per send ({name})": cpu / done * 1e6,
    }


async def _batch_on_the_stream(url: str, cpu: Any) -> dict[str, float]:
    """A 10,000 batch then a chat message, watched on the sandbox's own /events."""
    import httpx
    import websockets

    auth = {"Authorization": f"Bearer {KEY}"}
    ws_url = url.replace("http", "ws", 1) + "/events"
    async with (
        websockets.connect(ws_url, additional_headers=auth, max_size=None) as ws,
        httpx.AsyncClient(base_url=url, headers=auth, timeout=60, trust_env=False) as http,
    ):
        await ws.recv()  # live
        body = {
            "destinations": [f"+6590{i:06d}" for i in range(10_000)],
            "template": {"text": "Flash sale: 20% off today only"},
        }
        content = json.dumps(body).encode()
        cpu_before = cpu()
        started = time.perf_counter()
        batch = await http.post(f"{PATH}/batch", content=content)
        answered = time.perf_counter()
        batch_cpu = cpu() - cpu_before
        assert batch.status_code == 200, batch.text
        batch_id = batch.json()["batchId"]
        chat_sent = time.perf_counter()
        chat = await http.post(
            f"/chatapps/api/v1/subaccounts/{SUB}/messages",
            json={
                "user": {"msisdn": "+6591234567"},
                "type": "text",
                "content": {"text": "Your table is ready"},
                "channels": [{"channel": "viber"}],
            },
        )
        chat_umid = chat.json()["umid"]
        finals = 0
        chat_first = chat_final = last_final = float("nan")
        deadline = time.perf_counter() + 180
        while (finals < 10_000 or chat_final != chat_final) and time.perf_counter() < deadline:
            try:
                message = await asyncio.wait_for(ws.recv(), deadline - time.perf_counter())
            except TimeoutError:
                break
            now = time.perf_counter()
            for frame in json.loads(message):
                payload = frame.get("payload")
                if frame.get("type") or not isinstance(payload, dict):
                    continue  # a heartbeat or a gap
                state = payload.get("status", {}).get("state")
                final = state in ("delivered", "undelivered", "rejected")
                if payload.get("umid") == chat_umid:
                    if chat_first != chat_first:
                        chat_first = now - chat_sent
                    if final:
                        chat_final = now - chat_sent
                elif final and payload.get("batchId") == batch_id:
                    finals += 1
                    if finals == 10_000:
                        last_final = now - started
    return {
        "batch of 10,000 answered in ms": (answered - started) * 1000,
        "  sandbox CPU ms for the batch's answer": batch_cpu * 1000,
        "request -> last final receipt on the stream, s": last_final,
        "chat after the batch: request -> first receipt, s": chat_first,
        "chat after the batch: request -> final receipt, s": chat_final,
    }


def batch_stream() -> dict[str, float]:
    sandbox = Sandbox(None, rate_limit=1e9, speed=1.0)
    try:
        return asyncio.run(_batch_on_the_stream(sandbox.url, sandbox.cpu))
    finally:
        sandbox.stop()


def delivery_rate(webhook_url: str | None, label: str) -> dict[str, float]:
    """20,000 webhooks all due at once (speed 1000): how fast the sandbox delivers them."""
    import httpx

    sandbox = Sandbox(webhook_url, rate_limit=1e9, speed=1000.0)
    try:
        body = {
            "destinations": [f"+6590{i:06d}" for i in range(10_000)],
            "template": {"text": "Flash sale: 20% off today only"},
        }
        requested = time.perf_counter()  # the webhooks' clock starts with the request
        response = httpx.post(
            sandbox.url + f"{PATH}/batch", json=body, headers={"Authorization": f"Bearer {KEY}"},
            timeout=60,
        )  # fmt: skip
        cpu_before = sandbox.cpu()
        assert response.status_code == 200, response.text
        while True:
            webhooks = sandbox.info()["webhooks"]
            if webhooks["delivered"] + webhooks["givenUp"] >= 20_000:
                break
            if time.perf_counter() - requested > 180:
                break
            time.sleep(0.02)
        elapsed = time.perf_counter() - requested
        cpu = sandbox.cpu() - cpu_before
    finally:
        sandbox.stop()
    return {
        f"webhooks delivered/s ({label})": webhooks["delivered"] / elapsed,
        f"  sandbox CPU µs per webhook ({label})": cpu / max(1, webhooks["delivered"]) * 1e6,
    }


def limiter(sink: str, kind: str, seconds: float, processes: int) -> dict[str, float]:
    limit, offered = 1800.0, 2500.0
    sandbox = Sandbox(sink, rate_limit=limit)
    try:
        results = run_clients("open", sandbox.url, kind, seconds, processes, offered / processes)
        admissions = sandbox.info().get("admissions")
    finally:
        sandbox.stop()
    span = max(r["span"] for r in results)
    achieved = sum(r["offered"] for r in results) / span
    ok = sum(r["statuses"].get(200, 0) for r in results)
    out = {
        f"limiter: offered/s achieved ({kind})": achieved,
        f"limiter: admitted/s over the client's span ({kind})": ok / span,
    }
    if admissions:  # whole seconds inside the run (the first and last are partial)
        full = [row["admitted"] for row in admissions[1:-1]] or [admissions[0]["admitted"]]
        refused = [row["refused"] for row in admissions[1:-1]]
        out[f"limiter: admitted per second, sandbox-counted median ({kind})"] = float(
            statistics.median(full)
        )
        out[f"limiter: admitted per second, sandbox-counted max ({kind})"] = float(max(full))
        out[f"limiter: refused per second, sandbox-counted median ({kind})"] = float(
            statistics.median(refused) if refused else 0
        )
    return out


def measure(args: argparse.Namespace, sink: str) -> dict[str, float]:
    kinds = ("raw", "httpx") if args.client == "both" else (args.client,)
    figures: dict[str, float] = {}

    def add(part: dict[str, float]) -> None:
        figures.update(part)
        if not args.json:
            for name, value in part.items():
                print(f"  {name:<62} {value:10.1f}", flush=True)

    for kind in kinds:
        connections = 32 if kind == "raw" else HTTPX_CONNECTIONS
        add(throughput(sink, kind, args.seconds, processes=1, connections=connections))
    add(batch_stream())
    add(delivery_rate(sink, "to a sink"))
    add(delivery_rate(None, "to its own relay"))
    for kind in kinds:
        add(limiter(sink, kind, max(args.seconds, 5.0), 1 if kind == "raw" else 2))
    return figures


def run_baseline(directory: Path, args: argparse.Namespace) -> dict[str, float]:
    python = directory / ".venv" / "bin" / "python"
    command = [str(python if python.exists() else sys.executable), __file__, "--json"]
    command += ["--seconds", str(args.seconds), "--client", args.client]
    env = {**os.environ, CODE_ENV: str(directory)}
    output = subprocess.run(command, env=env, check=True, capture_output=True, text=True)
    return json.loads(output.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--client", choices=("both", "httpx", "raw"), default="raw")
    parser.add_argument("--baseline", type=Path, metavar="DIR", help="also measure this checkout")
    parser.add_argument("--json", action="store_true", help="print one JSON object only")
    args = parser.parse_args()
    mp.set_start_method("spawn")
    ports: Any = mp.Queue()
    sink_process = mp.Process(target=_sink, args=(ports,), daemon=True)
    sink_process.start()
    sink = f"http://127.0.0.1:{ports.get()}"
    try:
        if args.json:
            print(json.dumps(measure(args, sink)))
            return
        baseline: dict[str, float] = {}
        if args.baseline is not None:
            print(f"baseline {args.baseline}: load {os.getloadavg()[0]:.2f}", flush=True)
            baseline = run_baseline(args.baseline.resolve(), args)
        print(f"{os.cpu_count()} CPU(s), load average {os.getloadavg()[0]:.2f} before the run")
        figures = measure(args, sink)
        print(f"load average {os.getloadavg()[0]:.2f} after the run")
        if baseline:
            print_beside(baseline, figures)
    finally:
        sink_process.terminate()
        ports.close()
        ports.join_thread()


if __name__ == "__main__":
    main()
