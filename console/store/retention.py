"""Which parts the history keeps, deletes and loads: pure choices over what the indexes say.

Retention deletes whole parts: those of days older than `max_age_days`, then, per kind of
record (messages, rooms), the oldest parts beyond `max_records` of that kind. A part goes when
no kind still needs it; the newest part holding a kind always stays.

The *window* is what the first screens need in memory: the newest parts, just enough to hold
`hot_messages` messages, whatever their day (so a busy day is not held whole). It only ever
moves forward.
"""

from __future__ import annotations

from collections.abc import Iterable

from console.store.catalog import PartInfo, PartKey


def parts_to_drop(
    infos: Iterable[PartInfo], oldest_day_kept: str, max_records: int
) -> set[PartKey]:
    newest_first = sorted(infos, key=lambda info: info.key, reverse=True)
    drop = {info.key for info in newest_first if info.key.day < oldest_day_kept}
    needed: set[PartKey] = set()
    for kind in ("messages", "rooms"):
        total = 0
        for info in newest_first:
            count = getattr(info, kind)
            if info.key in drop or not count:
                continue
            if total and total + count > max_records:
                break
            total += count
            needed.add(info.key)
    drop.update(info.key for info in newest_first if info.key not in needed)
    return drop


def window_start(infos: Iterable[PartInfo], hot_messages: int) -> PartKey | None:
    """The oldest part of the window: the newest parts holding `hot_messages` messages (the
    current partitions; older ones, today's included, are read on demand). None when there
    are no parts (`hot_messages` > 0)."""
    start: PartKey | None = None
    total = 0
    for info in sorted(infos, key=lambda info: info.key, reverse=True):
        if total >= hot_messages:
            break
        start = info.key
        total += info.messages
    return start
