"""The feed's filter, and the one line the agent types for it (pure).

    status:undelivered,rejected  channel:sms  to:+6591  batch:7f3c  since:2h  until:10:30  ref-42

- ``status:`` — any of queued, sent, delivered, undelivered, rejected, failed, read, plus
  ``nofinal`` (no final receipt after 48 h), ``final`` and ``pending`` (queued or sent);
- ``channel:`` — sms, whatsapp, viber… (any of a comma-separated list);
- ``to:`` — part of the destination number (digits; spaces, dashes and + ignored);
- ``batch:`` — part of the batch id;
- ``since:`` / ``until:`` — a date (``2026-11-25``; ``until:`` a date includes that day), a
  date and time (``2026-11-25T10:30``), a time today (``10:30``), ``today``, ``yesterday``,
  or a time ago (``30m``, ``2h``, ``3d``), in the agent's local time;
- any other word — part of the umid or clientMessageId (or of the number, for digits).

Every term must hold. :func:`parse_filter` raises :class:`FilterError` with a sentence that
names the bad term.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from console.feed.row import NO_FINAL
from console.live.events import STATES, TERMINAL_STATES

if TYPE_CHECKING:
    from console.feed.row import FeedRow

KEYS = ("status", "channel", "to", "batch", "since", "until")
STATUS_WORDS = tuple(state for state in STATES if state != "unknown")
GROUPS: dict[str, frozenset[str]] = {
    "final": frozenset(TERMINAL_STATES),
    "pending": frozenset({"queued", "sent"}),
    "nofinal": frozenset({NO_FINAL}),
    "no-final": frozenset({NO_FINAL}),
    "stale": frozenset({NO_FINAL}),
}
_AGO = re.compile(r"^(\d{1,5})([mhd])$")
_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})$")
_UNITS = {"m": 60, "h": 3600, "d": 86400}
_NOT_DIGITS = re.compile(r"[\s+\-().]")


class FilterError(ValueError):
    """The filter text cannot be read; the message names the term and what would work."""


@dataclass(frozen=True, slots=True)
class FeedFilter:
    """Which rows the feed shows; the empty filter shows every row."""

    statuses: frozenset[str] = frozenset()
    channels: frozenset[str] = frozenset()
    destination: str = ""  # digits
    batch: str = ""  # casefolded
    words: tuple[str, ...] = ()  # casefolded
    since: float | None = None
    until: float | None = None

    @property
    def empty(self) -> bool:
        return self == EVERYTHING

    @property
    def has_range(self) -> bool:
        return self.since is not None or self.until is not None

    def matches(self, row: FeedRow) -> bool:
        if self.statuses and row.status not in self.statuses:
            return False
        if self.channels and not self.channel_ok(row.channel):
            return False
        if self.since is not None and row.at < self.since:
            return False
        if self.until is not None and row.at >= self.until:
            return False
        if (self.destination or self.words) and not self.text_ok(
            row.umid, row.destination, row.client_message_id
        ):
            return False
        return not self.batch or self.batch_ok(row.batch_id)

    # Each term alone, for rows kept packed (console/feed/packed.py judges a shared word once).

    def status_ok(self, status: object) -> bool:
        return not self.statuses or status in self.statuses

    def channel_ok(self, channel: object) -> bool:
        return not self.channels or (channel or "").casefold() in self.channels  # type: ignore[union-attr]

    def batch_ok(self, batch_id: object) -> bool:
        return not self.batch or self.batch in (batch_id or "").casefold()  # type: ignore[union-attr]

    def text_ok(self, umid: str, destination: str | None, client_message_id: str | None) -> bool:
        if self.destination and self.destination not in _digits(destination):
            return False
        return all(_word_matches(word, umid, destination, client_message_id) for word in self.words)


EVERYTHING = FeedFilter()


def _digits(number: str | None) -> str:
    return _NOT_DIGITS.sub("", number or "")


def reads_as_number(word: str) -> bool:
    """Whether a word may also match as part of a number (then not only umid and reference)."""
    return _digits(word).isdigit()


def _word_matches(
    word: str, umid: str, destination: str | None, client_message_id: str | None
) -> bool:
    if word in umid.casefold() or word in (client_message_id or "").casefold():
        return True
    digits = _digits(word)
    return digits.isdigit() and digits in _digits(destination)


def parse_filter(text: str, *, now: float) -> FeedFilter:
    """Read the filter line (see the module docstring); `now` anchors relative times."""
    statuses: set[str] = set()
    channels: set[str] = set()
    destination = batch = ""
    words: list[str] = []
    since = until = None
    for term in text.split():
        key, colon, value = term.partition(":")
        key = key.casefold()
        if not colon or key not in KEYS:
            words.append(term.casefold())
            continue
        if not value:
            raise FilterError(f"{key}: needs a value after the colon, e.g. {_example(key)}.")
        if key == "status":
            statuses |= _statuses(value)
        elif key == "channel":
            channels |= {part.casefold() for part in value.split(",") if part}
        elif key == "to":
            destination = _digits(value)
            if not destination.isdigit():
                raise FilterError(f"to: {value!r} is not part of a number (digits, e.g. +6591).")
        elif key == "batch":
            batch = value.casefold()
        elif key == "since":
            since = parse_time(value, now=now, end=False, name="since")
        else:
            until = parse_time(value, now=now, end=True, name="until")
    if since is not None and until is not None and since >= until:
        raise FilterError("since: must come before until:.")
    return FeedFilter(
        frozenset(statuses), frozenset(channels), destination, batch, tuple(words), since, until
    )


def _statuses(value: str) -> set[str]:
    found: set[str] = set()
    for part in value.casefold().split(","):
        if not part:
            continue
        if part in GROUPS:
            found |= GROUPS[part]
        elif part in STATUS_WORDS:
            found.add(part)
        else:
            known = ", ".join((*STATUS_WORDS, "nofinal", "final", "pending"))
            raise FilterError(f"status: {part!r} is not a status ({known}).")
    return found


def _example(key: str) -> str:
    return {
        "status": "status:undelivered",
        "channel": "channel:sms",
        "to": "to:+6591",
        "batch": "batch:7f3c",
        "since": "since:2h",
        "until": "until:10:30",
    }[key]


def parse_time(value: str, *, now: float, end: bool, name: str) -> float:
    """A point in time for since:/until: (see the module docstring), in local time. A whole
    day given to until: means the end of that day."""
    today = datetime.fromtimestamp(now).astimezone()
    word = value.casefold()
    if word in ("today", "yesterday"):
        day = today.date() - timedelta(days=0 if word == "today" else 1)
        return _day_start(day + timedelta(days=1 if end else 0))
    ago = _AGO.match(word)
    if ago:
        return now - int(ago.group(1)) * _UNITS[ago.group(2)]
    clock = _CLOCK.match(word)
    if clock:
        hour, minute = int(clock.group(1)), int(clock.group(2))
        if hour < 24 and minute < 60:
            return today.replace(hour=hour, minute=minute, second=0, microsecond=0).timestamp()
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            return _day_start(day + timedelta(days=1 if end else 0))
        moment = datetime.fromisoformat(value)
    except ValueError:
        pass
    else:
        return (moment if moment.tzinfo else moment.astimezone()).timestamp()
    raise FilterError(
        f"{name}: cannot read {value!r} (a date 2026-11-25, a time 10:30, 2h or 3d ago, "
        "today, yesterday)."
    )


def _day_start(day: date) -> float:
    return datetime(day.year, day.month, day.day).astimezone().timestamp()


def describe(feed_filter: FeedFilter) -> str:
    """A short description of a filter for the summary line ("" for no filter)."""
    parts: list[str] = []
    if feed_filter.statuses:
        parts.append("status " + ",".join(sorted(feed_filter.statuses)))
    if feed_filter.channels:
        parts.append("channel " + ",".join(sorted(feed_filter.channels)))
    if feed_filter.destination:
        parts.append(f"to …{feed_filter.destination}…")
    if feed_filter.batch:
        parts.append(f"batch {feed_filter.batch}")
    parts.extend(f"“{word}”" for word in feed_filter.words)
    if feed_filter.since is not None:
        parts.append("since " + _when(feed_filter.since))
    if feed_filter.until is not None:
        parts.append("until " + _when(feed_filter.until))
    return " · ".join(parts)


def _when(moment: float) -> str:
    return datetime.fromtimestamp(moment).astimezone().strftime("%Y-%m-%d %H:%M")
