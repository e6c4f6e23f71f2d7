"""The sub-account's SMS traffic as the console saw it: one observation per message, from
its receipts (any application's: the relay carries every receipt of the sub-account) and
from this console's own sends. Pure and bounded; the Shield's statistics read snapshots.

Memory stays flat over a shift: the newest `max_observed` messages are kept one by one (their
state may still move); older ones are folded into counts per minute, number prefix, state
and error code (:class:`Observation` with a ``count``), and this console's own sends are let
go instead (the history keeps them, and the Shield reads them from there).

A message's time is when it was sent: the earliest time seen for it (the send, else its
first receipt's provider timestamp), so receipts replayed later still count in their hour.
Its state only moves forward (console/live/events.py's order).
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from console.live.events import rank

MAX_OBSERVED = 20_000  # messages kept one by one (older ones are folded into counts)
MAX_FOLDED = 50_000  # counts kept (the oldest minutes are forgotten beyond this)
FOLD_SECONDS = 60.0  # a count's time slice
PREFIX = 9  # "+" and the first digits: enough to tell the country and the operator


@dataclass(frozen=True, slots=True)
class Observation:
    umid: str
    destination: str  # E.164 with '+'
    at: float  # seconds since the epoch: when it was sent
    state: str
    error_code: int | None = None
    count: int = 1  # messages it stands for (a folded count: no umid, a representative number)


def merge(old: Observation | None, new: Observation) -> Observation:
    """The same message seen again: the earliest time, the furthest state."""
    if old is None:
        return new
    at = min(old.at, new.at)
    if (rank(new.state), new.state) > (rank(old.state), old.state):  # (made directly: per receipt)
        destination = old.destination or new.destination
        return Observation(new.umid, destination, at, new.state, new.error_code, new.count)
    return old if at == old.at else replace(old, at=at)


def receipt_time(value: str | None, fallback: float) -> float:
    """8x8's ISO timestamp as epoch seconds; ``fallback`` when missing or unreadable."""
    if not value:
        return fallback
    try:
        return datetime.fromisoformat(value.strip().replace("Z", "+00:00")).timestamp()
    except ValueError:
        return fallback


def observation_from_receipt(
    umid: str, payload: Mapping[str, Any], state: str, error_code: int | None, received_at: str
) -> Observation | None:
    """An SMS receipt's observation (None when it names no destination: Chat Apps); its
    time is the provider's timestamp, else when the console received it."""
    destination = payload.get("destination")
    if not isinstance(destination, str) or not destination:
        return None
    status = payload.get("status")
    stamp = status.get("timestamp") if isinstance(status, Mapping) else None
    at = receipt_time(stamp if isinstance(stamp, str) else None, math.nan)
    if math.isnan(at):  # no readable provider time: when it arrived (read only then)
        at = receipt_time(received_at, 0.0)
    number = destination if destination.startswith("+") else "+" + destination
    return Observation(umid, number, at, state, error_code)


FoldKey = tuple[float, str, str, int | None]  # minute, number prefix, state, error code


class TrafficLedger:
    """Observations by umid, then folded counts. Updated on the UI loop, read from workers
    as snapshots."""

    def __init__(self, max_observed: int = MAX_OBSERVED, max_folded: int = MAX_FOLDED) -> None:
        self._by_umid: OrderedDict[str, Observation] = OrderedDict()
        self._ours: set[str] = set()  # umids this console sent (the history keeps them)
        self._folded: OrderedDict[FoldKey, int] = OrderedDict()
        self._numbers: dict[str, str] = {}  # a number for each prefix folded
        self._max = max_observed
        self._max_folded = max_folded
        self.version = 0  # moves on every change: a view recomputes only when it moved

    def __len__(self) -> int:
        """Messages kept one by one."""
        return len(self._by_umid)

    @property
    def folded(self) -> int:
        """Counts kept for older messages (each a minute, a prefix, a state)."""
        return len(self._folded)

    def observe(self, observation: Observation, *, ours: bool = False) -> None:
        """A message seen (`ours`: sent by this console, so the history keeps it too)."""
        current = self._by_umid.get(observation.umid)
        merged = merge(current, observation)
        if merged is not current:
            self._by_umid[observation.umid] = merged
            self.version += 1
        if ours:
            self._ours.add(observation.umid)
        if current is None and len(self._by_umid) > self._max:
            umid, oldest = self._by_umid.popitem(last=False)
            if umid in self._ours:
                self._ours.discard(umid)
            else:
                self._fold(oldest)

    def observe_all(self, observations: Iterable[Observation]) -> None:
        for observation in observations:
            self.observe(observation)

    def _fold(self, item: Observation) -> None:
        prefix = item.destination[:PREFIX]
        self._numbers.setdefault(prefix, item.destination)
        code = item.error_code if item.state == "rejected" else None
        key = (item.at // FOLD_SECONDS * FOLD_SECONDS, prefix, item.state, code)
        self._folded[key] = self._folded.get(key, 0) + item.count
        while len(self._folded) > self._max_folded:
            self._folded.popitem(last=False)

    def snapshot(self, *, ours: bool = True) -> list[Observation]:
        """A copy, safe to read from another thread (entries are immutable): the messages
        kept one by one (without this console's sends unless `ours`), then the counts."""
        kept = self._by_umid.values()
        if not ours:
            kept = [item for item in kept if item.umid not in self._ours]  # type: ignore[assignment]
        folded = [
            Observation("", self._numbers[prefix], at, state, code, count)
            for (at, prefix, state, code), count in self._folded.items()
        ]
        return [*kept, *folded]
