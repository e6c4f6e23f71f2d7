"""How a feed row reads: its cells as text, the number masked, and which columns fit a width.

Pure: no Textual. The feed widget draws these cells; the CSV export writes the same facts.
Text from outside (numbers, references, 8x8's error messages) is cleaned of control
characters here, once, for every place that shows it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from console.core.delivery import GLYPHS, explain_error
from console.feed.rows import NO_FINAL, FeedRow
from console.safe_text import clean

MASK = "•"
STATUS_GLYPHS = {**GLYPHS, NO_FINAL: "◷"}
FAILED_STATES = frozenset({"undelivered", "rejected", "failed"})


def mask_number(number: str | None) -> str:
    """A number with its middle hidden, as the portal shows it: '+6591234567' → '+65••••4567'.
    Short numbers keep less; nothing is ever shown whole."""
    if not number:
        return ""
    plus = "+" if number.startswith("+") else ""
    body = number[len(plus) :]
    size = len(body)
    if size <= 4:
        return plus + MASK * size
    tail = 4 if size > 6 else 2
    head = 2 if size >= 9 else 0
    return plus + body[:head] + MASK * (size - head - tail) + body[size - tail :]


def status_text(row: FeedRow) -> str:
    """The status as a glyph and a word, never colour alone: '✓ delivered'."""
    status = row.status
    return f"{STATUS_GLYPHS.get(status, '?')} {status}"


def status_tone(row: FeedRow) -> str:
    """How the status reads at a glance: 'good', 'bad', 'late' or 'pending'."""
    status = row.status
    if status == NO_FINAL:
        return "late"
    if status in FAILED_STATES:
        return "bad"
    if status in ("delivered", "read"):
        return "good"
    return "pending"


def error_text(row: FeedRow) -> str:
    """'46 subscriber not reachable': the code and its meaning, or 8x8's reason."""
    if row.error_code is None and not (row.error_message and row.state in FAILED_STATES):
        return ""
    return clean(explain_error(row.error_code, row.error_message, row.channel or "sms"))


def price_text(row: FeedRow) -> str:
    if row.price is None:
        return ""
    return f"{row.price:.4f} {clean(row.currency or '')}".rstrip()


def time_text(at: float, today: date) -> str:
    """'10:30:05' for today, '11-25 10:30' for another day (local time)."""
    moment = datetime.fromtimestamp(at).astimezone()
    if moment.date() == today:
        return moment.strftime("%H:%M:%S")
    return moment.strftime("%m-%d %H:%M")


def short_id(value: str | None, width: int) -> str:
    """An id cut in the middle when too long: its start and its end tell ids apart
    ('ac-4f2a9c…-1000')."""
    text = clean(value or "")
    if len(text) <= width:
        return text
    if width < 5:
        return text[: max(width - 1, 0)] + "…"
    tail = (width - 1) // 2
    return text[: width - 1 - tail] + "…" + text[len(text) - tail :]


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    title: str
    width: int  # the least it needs
    most: int  # the most it takes when there is room (== width: fixed)
    right: bool = False
    short: str = ""  # the title when the column is narrower than `title`

    def heading(self, width: int) -> str:
        return self.short if self.short and width < len(self.title) else self.title


COLUMNS: tuple[Column, ...] = (  # in display order
    Column("time", "time", 11, 11, right=True),
    Column("to", "to", 12, 16),
    Column("channel", "channel", 8, 8),
    Column("ref", "clientMessageId", 12, 24, short="ref"),
    Column("batch", "batch", 10, 12),
    Column("status", "status", 18, 18),
    Column("error", "error", 20, 44),
    Column("segments", "seg", 3, 3, right=True),
    Column("price", "price", 10, 10, right=True),
)
PRIORITY = ("time", "to", "status", "error", "ref", "channel", "price", "batch", "segments")
GROWTH = ("ref", "error", "to", "batch")  # who gets spare room first
GAP = 1
_BY_NAME = {column.name: column for column in COLUMNS}


@dataclass(frozen=True, slots=True)
class Layout:
    """The columns shown at one width, each with its width, in display order."""

    columns: tuple[tuple[Column, int], ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(column.name for column, _ in self.columns)


def layout(width: int) -> Layout:
    """Which columns fit `width` cells, taken in order of importance (one that does not fit
    is skipped, a smaller one after it may still fit), and how wide each is: the rest of the
    room goes to the reference, then the error, up to their most."""
    chosen: set[str] = set()
    used = -GAP
    for name in PRIORITY:
        need = _BY_NAME[name].width + GAP
        if used + need <= width or not chosen:
            chosen.add(name)
            used += need
    shown = [column for column in COLUMNS if column.name in chosen]
    widths = {column.name: column.width for column in shown}
    spare = max(width - used, 0)
    for name in GROWTH:
        if name in widths and spare > 0:
            grow = min(_BY_NAME[name].most - widths[name], spare)
            widths[name] += grow
            spare -= grow
    return Layout(tuple((column, widths[column.name]) for column in shown))


def cells(row: FeedRow, *, reveal: bool, today: date, widths: dict[str, int]) -> dict[str, str]:
    """The text of each cell of `row` (masked number unless `reveal`), cut to its width."""
    number = clean(row.destination or "")
    values = {
        "time": time_text(row.at, today),
        "to": number if reveal else mask_number(number),
        "channel": clean(row.channel or ""),
        "ref": short_id(row.client_message_id, widths.get("ref", 10)),
        "batch": short_id(row.batch_id, widths.get("batch", 10)),
        "status": status_text(row),
        "error": error_text(row),
        "segments": "" if row.sms_count is None else str(row.sms_count),
        "price": price_text(row),
    }
    return values
