"""The history read on demand: the whole history, day by day, beyond the window held in
memory. Disk work, for workers. Part of `History` (console/store/history.py)."""

from __future__ import annotations

from collections.abc import Iterator

from console.store import records
from console.store.catalog import DAY, day_of
from console.store.history_base import HistoryBase
from console.store.ondemand import HistoryHold, first, matcher, scan
from console.store.records import DaySummary, Message
from console.store.validate import Timestamp, to_ts


class OnDemandReads(HistoryBase):
    """On-demand reads of `History`: they may read parts from disk."""

    def days(self) -> list[DaySummary]:
        """Every day the history holds, newest first (quick: from the indexes)."""
        with self._lock:
            totals: dict[str, list[int]] = {}
            loaded: set[str] = {key.day for key in self._parts.loaded}
            for key, info in self._parts.catalog.items():
                total = totals.setdefault(key.day, [0, 0])
                total[0] += info.messages
                total[1] += info.rooms
        return [
            DaySummary(day, messages, rooms, day in loaded)
            for day, (messages, rooms) in sorted(totals.items(), reverse=True)
        ]

    def parts_in_memory(self) -> list[tuple[str, int]]:
        """The parts held in memory now, as (name, messages): the window and the parts in use,
        bounded however long the day is (quick)."""
        with self._lock:
            return [
                (key.name, part.message_count) for key, part in sorted(self._parts.loaded.items())
            ]

    def scan_messages(
        self,
        since: Timestamp | None = None,
        until: Timestamp | None = None,
        *,
        channel: str | None = None,
        conversation_id: str | None = None,
        text: str | None = None,
        timelines: bool = True,
    ) -> Iterator[list[Message]]:
        """Messages created in [since, until) that match every filter given, newest first, one
        day at a time (each list may be empty). On demand: parts not in memory are read from
        disk for the day and let go after it, so memory holds one day at most; stop iterating
        to stop reading. For workers: the feed's time range, an export, the inbox's search.
        A change to a day on disk shows once the writer thread has saved it (within a second).
        Without `timelines`, each message comes without its receipts (quicker to read)."""
        start = None if since is None else to_ts(since, "since")
        end = None if until is None else to_ts(until, "until")
        match = matcher(start, end, channel, conversation_id, text)
        return scan(self._parts, start, end, match, conversation_id, timelines=timelines)

    def find_messages(
        self,
        *,
        text: str | None = None,
        conversation_id: str | None = None,
        channel: str | None = None,
        since: Timestamp | None = None,
        until: Timestamp | None = None,
        limit: int = 100,
        timelines: bool = True,
    ) -> list[Message]:
        """The newest `limit` messages of the whole history matching every filter given
        (`text`: contained, ignoring case). On demand (see `scan_messages`)."""
        found: list[Message] = []
        if limit <= 0:
            return found
        for chunk in self.scan_messages(
            since,
            until,
            channel=channel,
            conversation_id=conversation_id,
            text=text,
            timelines=timelines,
        ):
            found.extend(chunk[: limit - len(found)])
            if len(found) >= limit:
                break
        return found

    def todays_messages(self, limit: int, *, timelines: bool = True) -> list[Message]:
        """The newest `limit` messages of today (UTC) and, beyond them, of the window; newest
        first (without their receipts unless `timelines`). On demand: today's parts out of the
        window are read from disk (the feed's rows are built of these, in a thread)."""
        midnight = self._clock() // DAY * DAY
        found = self.find_messages(since=midnight, limit=limit, timelines=timelines)
        if len(found) < limit:
            recent = self.recent_messages(limit, timelines=timelines)
            older = (m for m in recent if m.created_at < midnight)
            found.extend(first(older, limit - len(found)))
        return found

    def find_message(self, umid: str) -> Message | None:
        """A message by umid wherever it is kept. On demand: may read its part from disk."""
        with self._lock:
            key = self._parts.known(self._parts.umid_part.get(umid))
        if key is None:
            return None
        for doc in self._parts.documents(key):
            if doc.get("umid") == umid:
                return records.message(doc)
        return None

    def hold(self, since: Timestamp, until: Timestamp) -> HistoryHold:
        """Keep the parts of [since, until) in memory until the hold is released, e.g. while a
        screen shows that time range: receipts then apply to them at once. On demand: reads
        the parts not in memory yet."""
        start, end = to_ts(since, "since"), to_ts(until, "until")
        with self._lock:
            keys = self._parts.keys_between(day_of(start), day_of(end))
        held = [part for part in map(self._parts.pin, keys) if part is not None]
        return HistoryHold(self._parts, held, start, end)
