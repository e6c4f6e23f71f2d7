"""The traffic ledger as it was before its messages were kept as columns (an ordered dict of
Observations): the ledger must answer as this one does (test_traffic_columns.py)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable

from console.core.traffic import FoldKey, Observation, merge

MAX_OBSERVED = 20_000
MAX_FOLDED = 50_000
FOLD_SECONDS = 60.0
PREFIX = 9


class PlainLedger:
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
