"""History benchmarks: prints figures only (budgets from DESIGN.md, never asserted).

    python bench/history.py            # the readable table
    python bench/history.py --json     # the table, then one JSON object on the last line
    python bench/history.py --repeat 5 # more runs per figure (default 3: about a minute)

The history it measures holds 100,000 messages spread over 30 days, 10,000 of them today:
two thirds sent (each with its receipts), one third received in 500 conversations, plus a
few rooms and logins a day. It is written once through the public API; every run then works
on a fresh copy of it, in a fresh interpreter, so no run inherits another's caches or memory.

Figures (budget in brackets):
- `open_s`: `History.open` until the first screens' queries have answered (< 0.3 s);
- `flush_2000_receipts_s`, `flush_1_receipt_s`: one `flush()` after 2,000 receipts for
  today's messages (< 50 ms), and after one (< 10 ms);
- `bytes_per_flush`: bytes written by the 2,000-receipt flush (`/proc/self/io`), beside the
  size of the files it replaced (never more than those);
- `rss_mb`: resident memory of the process after the open and the queries (< 150 MB);
- `appends_10k_s`: 10,000 `record_message` calls plus the final flush on a new history
  (< 0.2 s), and the same 10,000 appended to the 100,000-record history
  (`appends_10k_on_big_s`);
- `tinydb_fast_s` and `tinydb_ratio`: the peer as its users make it fast, on the same
  100,000 records: TinyDB with `CachingMiddleware(JSONStorage)`, the 10,000 added with one
  `insert_multiple` and written with one flush (the records, the same fields as ours, put
  in its file beforehand), against our appends into the 100,000-record history. Not
  TinyDB's default storage one insert at a time, which rewrites the whole file per insert
  and would flatter us by orders of magnitude.
Each figure is the median of `--repeat` runs.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

DAY = 86_400.0
TEXT = "Hello {name}, your appointment is confirmed for tomorrow at 10:00. Ref {ref}"
RECEIPTS = 2_000


# --- the history every run starts from ---------------------------------------------------------


def spread(records: int, days: int, today: int, now: float) -> list[float]:
    """Creation times, oldest first: `today` since midnight UTC, the rest over the days before."""
    midnight = now - now % DAY
    older = records - today
    first = midnight - (days - 1) * DAY
    times = [first + (midnight - first) * index / older for index in range(older)]
    span = max(now - midnight - 1.0, 1.0)
    times += [midnight + span * index / today for index in range(today)]
    return times


def build_history(folder: Path, records: int, days: int, today: int) -> dict[str, Any]:
    """Write the history through the public API; returns what the runs need to know."""
    from console.store import History

    now = time.time()
    times = spread(records, days, today, now)
    fresh: list[str] = []  # today's sent messages still waiting for "delivered"
    for age in range(days - 1, -1, -1):  # logins are stamped by the clock: one a day
        at = now - age * DAY
        with History.open(folder, flush_interval=3600, clock=lambda at=at: at) as history:
            history.record_login(f"sub-{age % 3}", "sandbox", None)
    with History.open(folder, flush_interval=3600, clock=lambda: now) as history:
        for index, at in enumerate(times):
            umid = f"umid-{index:07d}"
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
                continue
            history.record_message(
                umid,
                f"cid-{index:07d}",
                "SMS",
                "out",
                f"+6591{index:06d}",
                TEXT.format(name=f"customer {index}", ref=index),
                "queued",
                at,
            )
            history.apply_receipt(umid, "sent", at + 1, at + 1.2)
            if index >= records - 3 * RECEIPTS:
                fresh.append(umid)
            else:
                history.apply_receipt(umid, "delivered", at + 3, at + 3.3)
            if index % 500 == 0:
                history.record_room(f"ref-{index:012d}", f"https://g/{index}", None, at, at + 900)
    return {"fresh": fresh, "bytes": folder_bytes(folder), "now": now}


def folder_bytes(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def snapshot(folder: Path) -> dict[str, tuple[int, int, int]]:
    """Every file's identity (inode, mtime, size): a replaced file gets a new inode."""
    found = {}
    for path in folder.rglob("*"):
        if path.is_file():
            stat = path.stat()
            found[str(path)] = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
    return found


def written_bytes() -> int:
    """Bytes this process has passed to write() so far (Linux); -1 elsewhere."""
    try:
        for line in Path("/proc/self/io").read_text().splitlines():
            if line.startswith("wchar:"):
                return int(line.split()[1])
    except OSError:
        pass
    return -1


def rss_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource  # peak, not current, where /proc is missing

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- what runs in a fresh interpreter ----------------------------------------------------------


def first_screens(history: Any) -> None:
    """What the screens ask the history for as the console opens."""
    history.recent_logins(5)
    history.recent_messages(500, channel="sms")  # the composer's sent list
    history.recent_messages(200)
    history.conversations(50)
    history.rooms(20)
    history.resume_point("ws://127.0.0.1:8800/events")


def run_open_and_flush(folder: Path, fresh: list[str]) -> dict[str, float]:
    from console.store import History

    started = time.perf_counter()
    history = History.open(folder, flush_interval=3600)
    first_screens(history)
    opened = time.perf_counter() - started
    memory = rss_mb()

    # One receipt and a flush first: a storage may prepare its caches on its first flush.
    now = time.time()
    history.apply_receipt(fresh[-1], "delivered", now, now)
    history.flush()

    before, wrote = snapshot(folder), written_bytes()
    for umid in fresh[:RECEIPTS]:
        history.apply_receipt(umid, "delivered", now, now)
    started = time.perf_counter()
    history.flush()
    flush_many = time.perf_counter() - started
    wrote = written_bytes() - wrote
    after = snapshot(folder)
    touched = sum(after[p][2] for p in after if before.get(p) != after[p])

    history.apply_receipt(fresh[RECEIPTS], "delivered", now, now)
    wrote_one = written_bytes()
    started = time.perf_counter()
    history.flush()
    flush_one = time.perf_counter() - started
    wrote_one = written_bytes() - wrote_one
    history.close()
    return {
        "open_s": opened,
        "rss_mb": memory,
        "flush_2000_receipts_s": flush_many,
        "bytes_per_flush": wrote,
        "touched_bytes": touched,
        "flush_1_receipt_s": flush_one,
        "bytes_1_receipt": wrote_one,
    }


def batch(count: int, start: float) -> list[dict[str, Any]]:
    """One batch send: outbound SMS, each with a umid and a clientMessageId."""
    return [
        {
            "umid": f"batch-umid-{index:07d}",
            "client_message_id": f"batch-cid-{index:07d}",
            "channel": "SMS",
            "direction": "out",
            "peer": f"+6591{index:06d}",
            "text": TEXT.format(name=f"customer {index}", ref=index),
            "status": "queued",
            "created_at": start + index * 0.001,
            "batch_id": "batch-1",
        }
        for index in range(count)
    ]


def run_appends(folder: Path, count: int) -> dict[str, float]:
    from console.store import History

    messages = batch(count, time.time())
    history = History.open(folder, flush_interval=3600)
    started = time.perf_counter()
    for message in messages:
        history.record_message(**message)
    history.flush()
    elapsed = time.perf_counter() - started
    history.close()
    return {"appends_s": elapsed}


def tinydb_records(count: int, now: float) -> list[dict[str, Any]]:
    """The baseline's existing records: the same fields as ours, spread over 30 days."""
    times = spread(count, 30, count // 10, now)
    return [
        {
            "umid": f"umid-{index:07d}",
            "client_message_id": f"cid-{index:07d}",
            "channel": "SMS",
            "direction": "out",
            "peer": f"+6591{index % 100_000:06d}",
            "text": TEXT.format(name=f"agent {index}", ref=index),
            "status": "delivered",
            "created_at": at,
            "batch_id": None,
        }
        for index, at in enumerate(times)
    ]


def build_tinydb(folder: Path, records: int) -> None:
    """TinyDB's file holding `records` messages, written once (not timed)."""
    from tinydb import TinyDB
    from tinydb.middlewares import CachingMiddleware
    from tinydb.storages import JSONStorage

    with TinyDB(folder / "history.json", storage=CachingMiddleware(JSONStorage)) as database:
        database.table("messages").insert_multiple(tinydb_records(records, time.time()))


def run_tinydb_fast(folder: Path, count: int) -> dict[str, float]:
    """TinyDB made fast as its users would: the cache middleware, one insert_multiple, one
    flush, into the file of 100,000 records (opening it is timed too, as ours is)."""
    from tinydb import TinyDB
    from tinydb.middlewares import CachingMiddleware
    from tinydb.storages import JSONStorage

    messages = batch(count, time.time())
    started = time.perf_counter()
    database = TinyDB(folder / "history.json", storage=CachingMiddleware(JSONStorage))
    database.table("messages").insert_multiple(messages)
    database.storage.flush()
    elapsed = time.perf_counter() - started
    database.close()
    return {"appends_s": elapsed}


CHILDREN = {"open": run_open_and_flush, "appends": run_appends, "tinydb": run_tinydb_fast}


def child(kind: str, folder: Path, argument: Any) -> dict[str, float]:
    """Run one measurement in a fresh interpreter; returns its figures."""
    done = subprocess.run(
        [sys.executable, __file__, "--child", kind, str(folder), json.dumps(argument)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise SystemExit(f"{kind} run failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- the table ---------------------------------------------------------------------------------


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f} ms"


def median(runs: list[dict[str, float]], key: str) -> float:
    return statistics.median(run[key] for run in runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--today", type=int, default=10_000)
    parser.add_argument("--appends", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (median shown)")
    parser.add_argument("--json", action="store_true", help="also print one JSON object")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        kind, folder, argument = args.child
        print(json.dumps(CHILDREN[kind](Path(folder), json.loads(argument))))
        return

    with tempfile.TemporaryDirectory() as temp:
        root = Path(temp)
        built = root / "built"
        built.mkdir()
        started = time.perf_counter()
        info = build_history(built, args.records, args.days, args.today)
        build_s = time.perf_counter() - started

        opens: list[dict[str, float]] = []
        big_appends: list[dict[str, float]] = []
        appends: list[dict[str, float]] = []
        for run in range(args.repeat):
            copy = root / f"run-{run}"
            shutil.copytree(built, copy)
            opens.append(child("open", copy, info["fresh"]))
            shutil.rmtree(copy)
            shutil.copytree(built, copy)
            big_appends.append(child("appends", copy, args.appends))
            shutil.rmtree(copy)
            empty = root / f"empty-{run}"
            empty.mkdir()
            appends.append(child("appends", empty, args.appends))
            shutil.rmtree(empty)

        tinydb_built = root / "tinydb-built"
        tinydb_built.mkdir()
        build_tinydb(tinydb_built, args.records)
        tinydb_runs: list[dict[str, float]] = []
        for run in range(args.repeat):
            copy = root / f"tinydb-{run}"
            shutil.copytree(tinydb_built, copy)
            tinydb_runs.append(child("tinydb", copy, args.appends))
            shutil.rmtree(copy)

    figures = {
        "open_s": median(opens, "open_s"),
        "flush_2000_receipts_s": median(opens, "flush_2000_receipts_s"),
        "flush_1_receipt_s": median(opens, "flush_1_receipt_s"),
        "bytes_per_flush": int(median(opens, "bytes_per_flush")),
        "touched_bytes": int(median(opens, "touched_bytes")),
        "bytes_1_receipt": int(median(opens, "bytes_1_receipt")),
        "rss_mb": median(opens, "rss_mb"),
        "appends_10k_s": median(appends, "appends_s"),
        "appends_10k_on_big_s": median(big_appends, "appends_s"),
        "tinydb_fast_s": median(tinydb_runs, "appends_s"),
        "tinydb_ratio": median(tinydb_runs, "appends_s") / median(big_appends, "appends_s"),
    }
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"History of {args.records:,} messages over {args.days} days, {args.today:,} today: "
        f"{info['bytes'] / 1e6:.1f} MB on disk (built in {build_s:.1f} s); "
        f"median of {args.repeat} runs; load average {load:.2f}"
    )
    rows = [
        ("open to the first screens' queries", ms(figures["open_s"]), "< 300 ms"),
        (f"flush after {RECEIPTS:,} receipts", ms(figures["flush_2000_receipts_s"]), "< 50 ms"),
        ("flush after 1 receipt", ms(figures["flush_1_receipt_s"]), "< 10 ms"),
        (
            f"bytes written by the {RECEIPTS:,}-receipt flush",
            f"{figures['bytes_per_flush']:,}",
            f"<= {figures['touched_bytes']:,} (files replaced)",
        ),
        ("bytes written by the 1-receipt flush", f"{figures['bytes_1_receipt']:,}", ""),
        ("resident memory after open", f"{figures['rss_mb']:.0f} MB", "< 150 MB"),
        (
            f"{args.appends:,} appends + flush, new history",
            ms(figures["appends_10k_s"]),
            "< 200 ms",
        ),
        (
            f"{args.appends:,} appends + flush, into the big history",
            ms(figures["appends_10k_on_big_s"]),
            "",
        ),
        (
            f"TinyDB + CachingMiddleware, insert_multiple({args.appends:,}) + flush, "
            f"{args.records:,} records",
            ms(figures["tinydb_fast_s"]),
            f"{figures['tinydb_ratio']:,.1f}x ours (into the big history)",
        ),
    ]
    width = max(len(row[0]) for row in rows)
    for name, value, budget in rows:
        print(f"  {name:<{width}}  {value:>12}  {budget}")
    if args.json:
        print(json.dumps(figures))


if __name__ == "__main__":
    main()
