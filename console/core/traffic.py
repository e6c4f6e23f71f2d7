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
from array import array
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from console import uuids
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
_WIDTH = 16  # bytes a packed umid or number takes in its column
_key = hash  # a umid's key in the ring's dict (a test makes them clash)


class _Packed:
    """A column of strings by place: `_WIDTH` bytes each where `pack` fits one (a UUID as its
    16 bytes, a number as its characters), the others beside as they are."""

    __slots__ = ("_bytes", "_odd", "_pack", "_unpack")

    def __init__(self, pack: Callable[[str], bytes | None], unpack: Callable[[bytes], str]) -> None:
        self._bytes = bytearray()
        self._odd: dict[int, str] = {}
        self._pack = pack
        self._unpack = unpack

    def __len__(self) -> int:
        return len(self._bytes) // _WIDTH

    def append(self, text: str) -> None:
        self._bytes.extend(bytes(_WIDTH))
        self[len(self) - 1] = text

    def __getitem__(self, place: int) -> str:
        if self._odd:
            odd = self._odd.get(place)
            if odd is not None:
                return odd
        return self._unpack(self._bytes[place * _WIDTH : place * _WIDTH + _WIDTH])

    def __setitem__(self, place: int, text: str) -> None:
        packed = self._pack(text)
        if packed is None:
            self._odd[place] = text
            return
        self._bytes[place * _WIDTH : place * _WIDTH + _WIDTH] = packed
        if self._odd:
            self._odd.pop(place, None)


def _pack_short(text: str) -> bytes | None:
    """Up to 16 ASCII characters (an E.164 number has at most 16 with its +), NUL-padded."""
    if len(text) > _WIDTH or not text.isascii() or "\0" in text:
        return None
    return text.encode().ljust(_WIDTH, b"\0")


def _unpack_short(packed: bytes) -> str:
    return packed.rstrip(b"\0").decode()


class TrafficLedger:
    """Messages kept one by one, then folded counts. Updated on the UI loop, read from workers
    as snapshots.

    The messages kept are a ring of columns (umid, number, time, state, error code, count,
    ours), the oldest first, with a dict from umid's hash to place: ~150 bytes a message with
    its umid and number (8x8's umids are UUIDs, kept as 16 bytes; a number as up to 16
    characters), not an Observation, its float and an ordered dict's node each (~250) with the
    strings it keeps alive (~150), nor a new Observation per receipt that moves a message."""

    def __init__(self, max_observed: int = MAX_OBSERVED, max_folded: int = MAX_FOLDED) -> None:
        self._max = max(max_observed, 1)
        self._max_folded = max_folded
        # umid → place in the ring, by the umid's hash (the column keeps the umid itself: its
        # string is let go); a umid whose hash another holds is found beside, in _clash.
        self._place: dict[int, int] = {}
        self._clash: dict[str, int] = {}
        self._umids = _Packed(uuids.pack, uuids.unpack)
        self._numbers = _Packed(_pack_short, _unpack_short)
        self._ats = array("d")
        self._states = array("H")  # codes into _words
        self._errors: list[int | None] = []
        self._counts = array("I")
        self._ours = bytearray()  # this console sent it (the history keeps it)
        self._oldest = 0  # the ring's oldest place, once it is full
        self._words: list[str] = []
        self._word_codes: dict[str, int] = {}
        self._folded: OrderedDict[FoldKey, int] = OrderedDict()
        self._prefix_numbers: dict[str, str] = {}  # a number for each prefix folded
        self.version = 0  # moves on every change: a view recomputes only when it moved

    def __len__(self) -> int:
        """Messages kept one by one."""
        return len(self._place) + len(self._clash)

    def _find(self, umid: str) -> int | None:
        place = self._place.get(_key(umid))
        if place is not None and self._umids[place] == umid:
            return place
        return self._clash.get(umid) if self._clash else None

    def _name(self, umid: str, place: int) -> None:
        """`umid` is at `place` from now on (found by its hash, else beside)."""
        key = _key(umid)
        if key in self._place:  # another umid's hash too: 1 in 2**64, but kept apart
            self._clash[umid] = place
        else:
            self._place[key] = place

    def _forget(self, umid: str, place: int) -> None:
        if self._clash.get(umid) == place:
            del self._clash[umid]
        else:
            del self._place[_key(umid)]

    @property
    def folded(self) -> int:
        """Counts kept for older messages (each a minute, a prefix, a state)."""
        return len(self._folded)

    def _code(self, state: str) -> int:
        code = self._word_codes.get(state)
        if code is None:
            code = self._word_codes[state] = len(self._words)
            self._words.append(state)
            if code > 0xFFFF and self._states.typecode == "H":
                self._states = array("I", self._states)
        return code

    def _kept(self, place: int) -> Observation:
        return Observation(
            self._umids[place],
            self._numbers[place],
            self._ats[place],
            self._words[self._states[place]],
            self._errors[place],
            self._counts[place],
        )

    def observe(self, observation: Observation, *, ours: bool = False) -> None:
        """A message seen (`ours`: sent by this console, so the history keeps it too)."""
        place = self._find(observation.umid)
        if place is None:
            self._insert(observation, ours)
            return
        if ours:
            self._ours[place] = 1
        old_state = self._words[self._states[place]]
        old_at = self._ats[place]
        at = min(old_at, observation.at)
        if (rank(observation.state), observation.state) > (rank(old_state), old_state):
            self._numbers[place] = self._numbers[place] or observation.destination
            self._states[place] = self._code(observation.state)
            self._errors[place] = observation.error_code
            self._counts[place] = observation.count
            self._ats[place] = at
            self.version += 1
        elif at != old_at:
            self._ats[place] = at
            self.version += 1

    def _insert(self, observation: Observation, ours: bool) -> None:
        self.version += 1
        values = (
            observation.umid,
            observation.destination,
            observation.at,
            self._code(observation.state),
            observation.error_code,
            observation.count,
            1 if ours else 0,
        )
        if len(self._umids) < self._max:
            place = len(self._umids)
            self._umids.append(observation.umid)
            self._numbers.append(observation.destination)
            self._ats.append(observation.at)
            self._states.append(values[3])  # type: ignore[arg-type]
            self._errors.append(observation.error_code)
            self._counts.append(observation.count)
            self._ours.append(values[6])  # type: ignore[arg-type]
            self._name(observation.umid, place)
            return
        place = self._oldest  # the oldest goes: folded, unless this console sent it
        oldest = self._kept(place)
        self._forget(oldest.umid, place)
        if not self._ours[place]:
            self._fold(oldest)
        self._oldest = (place + 1) % self._max
        (
            self._umids[place],
            self._numbers[place],
            self._ats[place],
            self._states[place],
            self._errors[place],
            self._counts[place],
            self._ours[place],
        ) = values
        self._name(observation.umid, place)

    def observe_all(self, observations: Iterable[Observation]) -> None:
        for observation in observations:
            self.observe(observation)

    def _fold(self, item: Observation) -> None:
        prefix = item.destination[:PREFIX]
        self._prefix_numbers.setdefault(prefix, item.destination)
        code = item.error_code if item.state == "rejected" else None
        key = (item.at // FOLD_SECONDS * FOLD_SECONDS, prefix, item.state, code)
        self._folded[key] = self._folded.get(key, 0) + item.count
        while len(self._folded) > self._max_folded:
            self._folded.popitem(last=False)

    def snapshot(self, *, ours: bool = True) -> list[Observation]:
        """A copy, safe to read from another thread (entries are immutable): the messages
        kept one by one, oldest first (without this console's sends unless `ours`), then
        the counts."""
        size = len(self._umids)
        places = [(self._oldest + n) % size for n in range(size)] if size else []
        kept = [self._kept(place) for place in places if ours or not self._ours[place]]
        folded = [
            Observation("", self._prefix_numbers[prefix], at, state, code, count)
            for (at, prefix, state, code), count in self._folded.items()
        ]
        return [*kept, *folded]
