"""Shown means durable: what the send journal costs. Prints figures only (never asserted).

    python bench/journal.py

For sends of 1, 100, 2,000 and 10,000 messages on a fresh history (in a temp folder on the
machine's disk):
- `record_sent_ms`: `History.record_sent`, the history's writer-thread job that keeps the send
  in memory and journals it (one line, one fsync) — how long after 8x8's answer the console
  may say "Sent";
- `of_which_fsync_ms`: the journal's append alone (write + fsync);
- `journal_bytes`: the size of its line;
- `flush_ms`: the next flush, which writes the day part and drops the journal.
Each figure is the median of 5 runs. The UI loop waits for none of it (the job runs in the
history's writer thread; the loop awaits its future).
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from console.store import History
from console.store.journal import Journal, SentRow

SIZES = (1, 100, 2_000, 10_000)
RUNS = 5
TEXT = "Your appointment is confirmed for tomorrow at 10:00. Reply STOP to opt out."


def one_run(size: int, folder: Path) -> dict[str, float]:
    rows = [
        SentRow(
            f"umid-{n:08d}-0000-4000-8000-{n:012d}", f"ac-bench-{n + 1}", "sms", f"+6591{n:06d}"
        )
        for n in range(size)
    ]
    appends: list[float] = []
    real_append = Journal.append

    def timed(self: Journal, entries: object) -> None:
        started = time.perf_counter()
        real_append(self, entries)  # type: ignore[arg-type]
        appends.append(time.perf_counter() - started)

    Journal.append = timed  # type: ignore[method-assign]
    try:
        with History.open(folder, flush_interval=3600) as history:
            started = time.perf_counter()
            history.record_sent(rows, TEXT, time.time(), batch_id="bench")
            recorded = time.perf_counter() - started
            size_on_disk = sum(p.stat().st_size for p in folder.glob("history/sends-*"))
            started = time.perf_counter()
            history.flush()
            flushed = time.perf_counter() - started
    finally:
        Journal.append = real_append  # type: ignore[method-assign]
    return {
        "record_sent_ms": recorded * 1000,
        "of_which_fsync_ms": appends[0] * 1000,
        "journal_bytes": float(size_on_disk),
        "flush_ms": flushed * 1000,
    }


def main() -> None:
    heads = ("messages", "record_sent", "of which fsync", "journal", "flush")
    print(
        "  ".join(f"{head:>{width}}" for head, width in zip(heads, (9, 12, 14, 10, 9), strict=True))
    )
    for size in SIZES:
        runs = []
        for _ in range(RUNS):
            with tempfile.TemporaryDirectory() as folder:
                runs.append(one_run(size, Path(folder)))
        med = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
        print(
            f"{size:>9,}  {med['record_sent_ms']:>9.1f} ms  {med['of_which_fsync_ms']:>11.1f} ms"
            f"  {med['journal_bytes'] / 1024:>7.1f} KB  {med['flush_ms']:>6.1f} ms"
        )


if __name__ == "__main__":
    main()
