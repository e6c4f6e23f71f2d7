"""One message's timeline as the feed shows it (pure): every receipt with the time 8x8 gave it
and the time it arrived, where it came from, and its raw payload (numbers masked unless
revealed). Receipts come from this run (the core's tracker: the newest keep their payloads) or
from the history, which keeps every receipt's payload as it arrived."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from console.core.delivery import explain_error
from console.feed.columns import STATUS_GLYPHS, mask_number
from console.live.events import parse_iso
from console.safe_text import clean

if TYPE_CHECKING:
    from console.live.events import Receipt
    from console.store import Message as StoredMessage

SOURCES = {"webhook": "receipt", "api": "send answer", "lookup": "asked 8x8", "history": "history"}


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    state: str
    detail: str | None
    error: str  # "46 subscriber not reachable", or ""
    provider_at: float | None  # the time 8x8 gave the status
    arrived_at: float | None  # when the console received it
    source: str  # "webhook", "api", "lookup", "history"
    raw: Mapping[str, Any] | None  # the payload as it arrived; None when not kept

    @property
    def status(self) -> str:
        return f"{STATUS_GLYPHS.get(self.state, '?')} {self.state}"

    @property
    def origin(self) -> str:
        return SOURCES.get(self.source, self.source)


def _error(code: object, message: str | None) -> str:
    if isinstance(code, str) and code.strip().isdigit():
        code = int(code)
    if code is None and not message:
        return ""
    if isinstance(code, int):
        return explain_error(code, message)
    return message or clean(code)


def from_receipts(receipts: Iterable[Receipt]) -> list[TimelineEntry]:
    """This run's receipts, in the order they arrived."""
    return [
        TimelineEntry(
            state=receipt.state,
            detail=receipt.detail,
            error=_error(receipt.error_code, receipt.error_message),
            provider_at=parse_iso(receipt.provider_timestamp)
            if receipt.provider_timestamp
            else None,
            arrived_at=parse_iso(receipt.received_at),
            source=receipt.source,
            raw=receipt.raw or None,
        )
        for receipt in receipts
    ]


def from_stored(message: StoredMessage) -> list[TimelineEntry]:
    """The receipts the history kept for a message, in the order they arrived."""
    return [
        TimelineEntry(
            state=stored.state,
            detail=stored.detail,
            error=_error(stored.error_code, stored.error_message),
            provider_at=stored.timestamp,
            arrived_at=stored.received_at,
            source="history",
            raw=_payload(stored.raw),
        )
        for stored in message.timeline
    ]


def _payload(text: str | None) -> Mapping[str, Any] | None:
    """A payload the history kept (JSON text), or None when none was or it is unreadable."""
    if not text:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return {"payload as kept": text}
    return value if isinstance(value, Mapping) else {"payload as kept": value}


def merged(live: list[TimelineEntry], stored: list[TimelineEntry]) -> list[TimelineEntry]:
    """This run's receipts with those only the history knows (an earlier run's, or those the
    tracker let go), in the order they arrived; a payload this run no longer holds is the
    history's. The history keeps this run's too: an entry
    there with the same state arriving at the same moment is the same receipt."""
    if not stored:
        return live
    kept = {(entry.state, _moment(entry.arrived_at)): entry for entry in stored}
    live = [
        replace(entry, raw=twin.raw)
        if entry.raw is None and (twin := kept.get((entry.state, _moment(entry.arrived_at))))
        else entry
        for entry in live
    ]  # a payload this run let go: the history's copy
    seen = {(entry.state, _moment(entry.arrived_at)) for entry in live}
    older = [entry for entry in stored if (entry.state, _moment(entry.arrived_at)) not in seen]
    if not older:
        return live
    every = older + live
    every.sort(key=lambda entry: entry.arrived_at if entry.arrived_at is not None else 0.0)
    return every


def _moment(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def moment_text(moment: float | None, today: date) -> str:
    """'10:00:03.210' today, '2026-11-25 10:00:03.210' another day, '—' unknown."""
    if moment is None:
        return "—"
    local = datetime.fromtimestamp(moment).astimezone()
    clock = local.strftime("%H:%M:%S.") + f"{local.microsecond // 1000:03d}"
    return clock if local.date() == today else f"{local.date().isoformat()} {clock}"


NO_RAW = {
    "api": "The answer to the send request: 8x8 said the message was taken (no webhook body).",
    "history": "No payload was kept with this receipt (the history keeps those it received).",
}


def raw_text(entry: TimelineEntry, *, numbers: Iterable[str], reveal: bool) -> str:
    """The entry's payload as indented JSON, cleaned, each of `numbers` masked unless
    `reveal`; or why there is none."""
    raw = entry.raw
    if raw is None:
        return NO_RAW.get(entry.source, "No raw payload was kept for this one.")
    text = json.dumps(raw, indent=2, ensure_ascii=False, default=str)
    if not reveal:
        for number in sorted({n for n in numbers if n}, key=len, reverse=True):
            text = text.replace(number, mask_number(number))
            bare = number.lstrip("+")
            if bare != number:
                text = text.replace(bare, mask_number(bare))
    return clean(text, newlines=True)
