"""History benchmarks: prints figures only (budgets from DESIGN.md, never asserted).

    python bench/history.py            # everything; TinyDB's default storage takes minutes
    python bench/history.py --quick    # TinyDB's default storage on 1,000 inserts instead

Figures:
- 10,000 `record_message` calls (one 10,000-message batch) plus the final `flush()`
  (budget < 1 s), and 20,000 delivery receipts applied to them;
- opening a 100,000-record history: 100,000 messages, two thirds sent with two receipts each,
  one third received in 500 conversations (budget < 1 s);
- the same inserts on TinyDB's default `JSONStorage`, and the ratio.
The first two run with each JSON codec available (orjson is optional).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from tinydb import TinyDB

from console.store import History
from console.store import storage as storage_module

TEXT = "Hello {name}, your appointment is confirmed for tomorrow at 10:00. Ref {ref}"


def batch_messages(count: int, start: float) -> list[dict[str, Any]]:
    """One batch send: outbound SMS, each with a umid and a clientMessageId."""
    batch_id = str(uuid.uuid4())
    return [
        {
            "umid": str(uuid.uuid4()),
            "client_message_id": str(uuid.uuid4()),
            "channel": "SMS",
            "direction": "out",
            "peer": f"+6591{index:06d}",
            "text": TEXT.format(name=f"customer {index}", ref=index),
            "status": "queued",
            "created_at": start + index * 0.001,
            "batch_id": batch_id,
        }
        for index in range(count)
    ]


def bench_appends(count: int) -> tuple[float, float]:
    """Seconds for `count` record_message + flush, and for 2 receipts each + flush."""
    now = time.time()
    messages = batch_messages(count, now)
    with tempfile.TemporaryDirectory() as folder:
        history = History.open(Path(folder))
        started = time.perf_counter()
        for message in messages:
            history.record_message(**message)
        history.flush()
        appends = time.perf_counter() - started
        started = time.perf_counter()
        for message in messages:
            history.apply_receipt(message["umid"], "sent", now + 1, now + 1.1)
        for message in messages:
            history.apply_receipt(message["umid"], "delivered", now + 3, now + 3.2)
        history.flush()
        receipts = time.perf_counter() - started
        history.close()
    return appends, receipts


def build_history(folder: Path, count: int) -> int:
    """Write a `count`-message history through the public API; returns the file size."""
    start = time.time() - count
    history = History.open(folder, flush_interval=3600)
    for index in range(count):
        at = start + index
        umid = str(uuid.uuid4())
        if index % 3 == 0:
            history.record_message(
                umid,
                None,
                "WhatsApp",
                "in",
                f"+6590{index % 500:06d}",
                TEXT.format(name=f"agent {index}", ref=index),
                "delivered",
                at,
                conversation_id=f"conversation-{index % 500}",
            )
        else:
            history.record_message(
                umid,
                str(uuid.uuid4()),
                "SMS",
                "out",
                f"+6591{index:06d}",
                TEXT.format(name=f"customer {index}", ref=index),
                "queued",
                at,
            )
            history.apply_receipt(umid, "sent", at + 1, at + 1.2)
            history.apply_receipt(umid, "delivered", at + 3, at + 3.3)
    history.close()
    return (folder / "history.json").stat().st_size


def bench_open(folder: Path, repeat: int) -> tuple[list[float], float]:
    """Seconds to open (lock, load, retention, indexes) each time; first screen queries."""
    opens = []
    queries = 0.0
    for _ in range(repeat):
        started = time.perf_counter()
        history = History.open(folder)
        opens.append(time.perf_counter() - started)
        started = time.perf_counter()
        history.recent_messages(200)
        history.conversations(50)
        history.rooms(20)
        history.recent_logins(5)
        queries = time.perf_counter() - started
        history.close()
        del history
    return opens, queries


def bench_tinydb_default(count: int) -> float:
    """The same inserts through TinyDB's default JSONStorage (one file rewrite per insert)."""
    messages = batch_messages(count, time.time())
    with tempfile.TemporaryDirectory() as folder:
        database = TinyDB(Path(folder) / "history.json")
        table = database.table("messages")
        started = time.perf_counter()
        for message in messages:
            table.insert(message)
        elapsed = time.perf_counter() - started
        database.close()
    return elapsed


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--appends", type=int, default=10_000)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5, help="opens to time (median shown)")
    parser.add_argument(
        "--quick", action="store_true", help="TinyDB's default storage on 1,000 inserts only"
    )
    args = parser.parse_args()

    codecs = [storage_module.STDLIB_CODEC]
    if storage_module.ORJSON_CODEC is not None:
        codecs.append(storage_module.ORJSON_CODEC)
    ours: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as folder:
        big = Path(folder)
        size = build_history(big, args.records)
        for codec in codecs:
            storage_module.DEFAULT_CODEC = codec
            appends, receipts = bench_appends(args.appends)
            ours[codec.name] = appends
            opens, queries = bench_open(big, args.repeat)
            print(f"[codec {codec.name}]")
            print(f"  {args.appends:,} record_message + final flush: {ms(appends)} (budget < 1 s)")
            print(f"  {2 * args.appends:,} apply_receipt + final flush: {ms(receipts)}")
            print(
                f"  open {args.records:,}-record history ({size / 1e6:.1f} MB): "
                f"median {ms(statistics.median(opens))}, best {ms(min(opens))} (budget < 1 s)"
            )
            print(f"  first screen queries after open: {ms(queries)}")

    baseline_count = 1_000 if args.quick else args.appends
    baseline = bench_tinydb_default(baseline_count)
    print(f"[TinyDB default JSONStorage] {baseline_count:,} inserts: {ms(baseline)}")
    for codec in codecs:
        if baseline_count == args.appends:
            comparable = ours[codec.name]
        else:
            storage_module.DEFAULT_CODEC = codec
            comparable, _ = bench_appends(baseline_count)
        print(f"  ratio TinyDB default / ours ({codec.name}): {baseline / comparable:,.0f}x")


if __name__ == "__main__":
    main()
