"""Reading the whole history, beyond the window in memory: for workers, never the UI thread.

- `scan`: messages of a time range matching filters, newest first, one day at a time. A part
  not in memory is read for its day and dropped after it, so a scan holds one day at most;
  stopping the iteration stops the reading (a cancelled worker, a search that has enough).
- `HistoryHold`: parts of a time range kept in memory while a screen shows them (the feed's
  range with live receipts); released explicitly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from operator import itemgetter
from typing import Self, TypeVar

from console.store import records
from console.store.catalog import day_of
from console.store.parts import Part
from console.store.partset import PartSet, merged
from console.store.records import Doc, Message
from console.store.validate import MESSAGES

T = TypeVar("T")


def scan(
    parts: PartSet,
    start: float | None,
    end: float | None,
    match: Callable[[Doc], bool],
    conversation_id: str | None = None,
    *,
    timelines: bool = True,
) -> Iterator[list[Message]]:
    """See `History.scan_messages`. Call it without the lock."""
    first_day = None if start is None else day_of(start)
    last_day = None if end is None else day_of(end)
    with parts.lock:
        by_day: dict[str, list] = {}
        for key in parts.keys_between(first_day, last_day):
            info = parts.catalog[key]
            if conversation_id is None or conversation_id in info.conversations:
                by_day.setdefault(key.day, []).append(key)
    for day in sorted(by_day, reverse=True):
        docs = [doc for key in by_day[day] for doc in parts.documents(key) if match(doc)]
        docs.sort(key=itemgetter("created_at"), reverse=True)
        yield [records.message(doc, timeline=timelines) for doc in docs]


class HistoryHold:
    """Parts of the history kept in memory for a time range; `release()` (or leave the `with`
    block) when no longer shown. Reading it is quick: call it from any thread."""

    def __init__(self, parts: PartSet, held: list[Part], since: float, until: float) -> None:
        self._set = parts
        self._held = held
        self.since = since
        self.until = until

    def messages(
        self, limit: int | None = None, channel: str | None = None, text: str | None = None
    ) -> list[Message]:
        """The range's messages, newest first, as they are now (receipts included)."""
        match = matcher(self.since, self.until, channel, None, text)
        with self._set.lock:
            held = sorted(self._held, key=lambda part: part.key, reverse=True)
            docs = (doc for doc in merged(held, MESSAGES, lambda part: part.order) if match(doc))
            chosen = list(docs) if limit is None else first(docs, limit)
            return [records.message(doc) for doc in chosen]

    def release(self) -> None:
        held, self._held = self._held, []
        with self._set.lock:
            self._set.unpin(held)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def first(items: Iterable[T], limit: int) -> list[T]:
    found: list[T] = []
    if limit <= 0:
        return found
    for item in items:
        found.append(item)
        if len(found) >= limit:
            break
    return found


def matcher(
    start: float | None,
    end: float | None,
    channel: str | None,
    conversation_id: str | None,
    text: str | None,
) -> Callable[[Doc], bool]:
    wanted_channel = channel.casefold() if channel else None
    needle = text.casefold() if text else None

    def match(doc: Doc) -> bool:
        created = doc["created_at"]
        return (
            (start is None or created >= start)
            and (end is None or created < end)
            and (wanted_channel is None or doc["channel"].casefold() == wanted_channel)
            and (conversation_id is None or doc.get("conversation_id") == conversation_id)
            and (needle is None or needle in doc["text"].casefold())
        )

    return match
