"""The sub-account's SMS traffic as the console saw it: one observation per message, from
its receipts (any application's: the relay carries every receipt of the sub-account) and
from this console's own sends. Pure and bounded; the Shield's statistics read snapshots.

A message's time is when it was sent: the earliest time seen for it (the send, else its
first receipt's provider timestamp), so receipts replayed later still count in their hour.
Its state only moves forward (console/live/events.py's order).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from console.live.events import rank

MAX_OBSERVED = 300_000  # messages kept (the oldest seen are forgotten beyond this)


@dataclass(frozen=True, slots=True)
class Observation:
    umid: str
    destination: str  # E.164 with '+'
    at: float  # seconds since the epoch: when it was sent
    state: str
    error_code: int | None = None


def merge(old: Observation | None, new: Observation) -> Observation:
    """The same message seen again: the earliest time, the furthest state."""
    if old is None:
        return new
    at = min(old.at, new.at)
    if (rank(new.state), new.state) > (rank(old.state), old.state):
        return replace(new, at=at, destination=old.destination or new.destination)
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
    at = receipt_time(stamp if isinstance(stamp, str) else None, receipt_time(received_at, 0.0))
    number = destination if destination.startswith("+") else "+" + destination
    return Observation(umid, number, at, state, error_code)


class TrafficLedger:
    """Observations by umid. Updated on the UI loop, read from workers as snapshots."""

    def __init__(self, max_observed: int = MAX_OBSERVED) -> None:
        self._by_umid: OrderedDict[str, Observation] = OrderedDict()
        self._max = max_observed
        self.version = 0  # moves on every change: a view recomputes only when it moved

    def __len__(self) -> int:
        return len(self._by_umid)

    def observe(self, observation: Observation) -> None:
        current = self._by_umid.get(observation.umid)
        merged = merge(current, observation)
        if merged is not current:
            self._by_umid[observation.umid] = merged
            self.version += 1
        if current is None and len(self._by_umid) > self._max:
            self._by_umid.popitem(last=False)

    def observe_all(self, observations: Iterable[Observation]) -> None:
        for observation in observations:
            self.observe(observation)

    def snapshot(self) -> list[Observation]:
        """A copy, safe to read from another thread (entries are immutable)."""
        return list(self._by_umid.values())
