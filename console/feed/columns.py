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
from console.ui.text import clean

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
    return clean(explain_error(row.error_code, row.error_message))


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
    text = clean(value or "")
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    title: str
    width: int  # the least it needs
    most: int  # the most it takes when there is room (== width: fixed)
    priority: int  # 0 always shown; higher ones go first when space is short
    right: bool = False


COLUMNS: tuple[Column, ...] = (
    Column("time", "time", 11, 11, 0, right=True),
    Column("to", "to", 14, 16, 0),
    Column("channel", "channel", 8, 8, 2),
    Column("ref", "clientMessageId", 10, 28, 1),
    Column("batch", "batch", 10, 12, 3),
    Column("status", "status", 18, 18, 0),
    Column("error", "error", 14, 44, 1),
    Column("segments", "seg", 3, 3, 4, right=True),
    Column("price", "price", 11, 11, 3, right=True),
)
GAP = 1


@dataclass(frozen=True, slots=True)
class Layout:
    """The columns shown at one width, each with its width, in display order."""

    columns: tuple[tuple[Column, int], ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(column.name for column, _ in self.columns)


def layout(width: int) -> Layout:
    """Which columns fit `width` cells (by priority), and how wide each is: fixed columns at
    their width, the rest sharing what is left up to their most."""
    chosen: set[str] = set()
    used = -GAP
    for priority in sorted({column.priority for column in COLUMNS}):
        tier = [column for column in COLUMNS if column.priority == priority]
        need = sum(column.width + GAP for column in tier)
        if used + need > width and chosen:
            break
        chosen.update(column.name for column in tier)
        used += need
    shown = [column for column in COLUMNS if column.name in chosen]
    widths = {column.name: column.width for column in shown}
    spare = max(width - used, 0)
    for column in shown:  # left to right: the reference first, then the error
        if spare <= 0:
            break
        grow = min(column.most - column.width, spare)
        widths[column.name] += grow
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


def fit(text: str, width: int, *, right: bool = False) -> str:
    """`text` in exactly `width` cells (cut with an ellipsis when longer)."""
    from rich.cells import cell_len, set_cell_size

    size = cell_len(text)
    if size > width:
        return set_cell_size(text, max(width - 1, 0)) + "…" if width else ""
    pad = " " * (width - size)
    return pad + text if right else text + pad
