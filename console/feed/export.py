"""CSV export of the feed's rows: what the filter shows, one line per message.

- Numbers are masked unless the agent asks for them (`reveal`).
- The API key is never written: a cell that contains it is withheld (it cannot be in a
  receipt, but a reference typed by someone could hold it).
- A cell a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@`` followed by more than
  a number) is written with a leading apostrophe; control characters are made visible.
- The file is private (0600) and appears whole or not at all (written beside, then renamed).

:func:`export_rows` is pure; :func:`write_csv` does the file I/O (call it from a worker).
The rows to write are taken as keys on the UI loop (two array copies), then read out a slice
at a time (:func:`read_out`, on the loop, a few milliseconds each) as the writer asks for
them: a feed of 100,000 rows read out at once held the loop ~400 ms, and held every row as
an object until the file was written.
"""

from __future__ import annotations

import csv
import os
import re
import tempfile
import time
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

from console.core.delivery import explain_error
from console.feed.columns import mask_number
from console.feed.rows import FeedRow, FeedStore
from console.safe_text import clean

HEADER = (
    "sent_at_utc",
    "umid",
    "destination",
    "channel",
    "client_message_id",
    "batch_id",
    "status",
    "detail",
    "error_code",
    "error",
    "segments",
    "price",
    "currency",
    "status_at_utc",
)
WITHHELD = "(withheld: contains the API key)"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")


def _utc(moment: float | None) -> str:
    if moment is None:
        return ""
    return datetime.fromtimestamp(moment, UTC).isoformat(timespec="milliseconds")[:-6] + "Z"


def safe_cell(value: object, secrets: Sequence[str] = ()) -> str:
    """One cell as text a spreadsheet shows and never runs."""
    text = "" if value is None else clean(value)
    if any(secret and secret in text for secret in secrets):
        return WITHHELD
    if text.startswith(_FORMULA_START) and not _NUMBER.match(text):
        return "'" + text
    return text


def row_values(row: FeedRow, *, reveal: bool) -> tuple[object, ...]:
    number = row.destination or ""
    error = ""
    if row.error_code is not None or row.error_message:
        error = explain_error(row.error_code, row.error_message, row.channel or "sms")
    return (
        _utc(row.at),
        row.umid,
        number if reveal else mask_number(number),
        row.channel or "",
        row.client_message_id or "",
        row.batch_id or "",
        row.status,
        row.detail or "",
        "" if row.error_code is None else row.error_code,
        error,
        "" if row.sms_count is None else row.sms_count,
        "" if row.price is None else f"{row.price:.4f}",
        row.currency or "",
        _utc(row.updated_at),
    )


def export_rows(
    rows: Iterable[FeedRow], *, reveal: bool = False, secrets: Sequence[str] = ()
) -> Iterator[list[str]]:
    """The header, then one list of cells per row."""
    yield list(HEADER)
    for row in rows:
        yield [safe_cell(value, secrets) for value in row_values(row, reveal=reveal)]


def read_out(
    store: FeedStore, ats: array[float], seqs: array[int], start: int, stop: int
) -> list[FeedRow]:
    """Copies of the rows whose keys are at `start`..`stop` (a row the store let go since is
    left out): copies, so the writer's thread reads rows that nothing changes meanwhile."""
    found = (store.copy_by_key((ats[index], seqs[index])) for index in range(start, stop))
    return [row for row in found if row is not None]


PACE_EVERY = 64  # rows formatted between two pauses of the writer's thread
PACE = 0.0005  # seconds: the UI loop gets the GIL back (receipts, keys) while a file is written


def paced(
    rows: Iterable[FeedRow],
    *,
    every: int = PACE_EVERY,
    pause: float = PACE,
    sleep: Callable[[float], None] = time.sleep,
    give_way: Callable[[], object] | None = None,
) -> Iterator[FeedRow]:
    """`rows`, with the writer's thread asleep `pause` seconds every `every` rows: formatting
    cells is all CPU, and a thread that never sleeps takes the GIL from the UI loop for the
    interpreter's switch interval again and again (keys took up to 270 ms during an export of
    25,000 rows while a batch landed). `give_way` is called before each pause (the console's
    waits while its UI loop is in a long turn: console/loop_turns.py)."""
    for count, row in enumerate(rows, 1):
        yield row
        if count % every == 0:
            if give_way is not None:
                give_way()
            sleep(pause)


def export_name(now: float) -> str:
    return datetime.fromtimestamp(now).astimezone().strftime("feed-%Y%m%d-%H%M%S.csv")


def write_csv(
    folder: Path,
    rows: Iterable[FeedRow],
    *,
    now: float,
    reveal: bool = False,
    secrets: Sequence[str] = (),
) -> Path:
    """Write the rows to a new private CSV file in `folder`; returns its path. Raises OSError."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = folder / export_name(now)
    stem, n = path.stem, 1
    while path.exists():
        n += 1
        path = folder / f"{stem}-{n}.csv"
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".feed-", suffix=".csv.part")
    try:
        with os.fdopen(handle, "w", newline="", encoding="utf-8") as file:
            writer = csv.writer(file)
            writer.writerows(export_rows(rows, reveal=reveal, secrets=secrets))
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path
