"""Omni Shield statistics, derived as 8x8 suggests "from the log with message status & error
code": traffic of a window against a baseline window, by country and by operator. Pure.

- Shares: each country's and operator's share of the window's messages against its share
  of the baseline's; a move of at least ``DEVIATION_POINTS`` percentage points (with at least
  ``MIN_MESSAGES`` messages behind it) is a deviation.
- Volume per operator over ``BUCKETS`` equal slices of the window; a slice with at least
  ``SPIKE_FACTOR`` times the operator's median slice (and ``SPIKE_MIN`` messages) is a spike.
- Omni Shield's rejections (``rejected``, error code 99) by country and by operator.
- Delivery rate per operator: delivered messages out of all sent in the window (a message
  still waiting for its final receipt counts as not delivered: AIT traffic mostly never is).
- OTP conversion where feedback exists: successes out of the messages with feedback.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from statistics import median
from typing import TYPE_CHECKING, Literal

from console.core.networks import Network, network_of
from console.core.traffic import Observation

if TYPE_CHECKING:
    from console.store import History

WindowName = Literal["1h", "24h", "7d"]
BaselineName = Literal["last-week", "before"]
WINDOWS: dict[str, float] = {"1h": 3600.0, "24h": 86_400.0, "7d": 7 * 86_400.0}
WINDOW_LABELS = {"1h": "last hour", "24h": "last 24 h", "7d": "last 7 days"}
BASELINE_LABELS = {"last-week": "same hours last week", "before": "the 24 h before"}
WEEK = 7 * 86_400.0
DAY = 86_400.0
BUCKETS = 30
DEVIATION_POINTS = 10.0
MIN_MESSAGES = 10
SPIKE_FACTOR = 3.0
SPIKE_MIN = 10
SHIELD_CODE = 99
SPARK = "▁▂▃▄▅▆▇█"


@dataclass(frozen=True, slots=True)
class Span:
    start: float
    end: float

    def __contains__(self, at: object) -> bool:
        return isinstance(at, int | float) and self.start <= at < self.end

    @property
    def length(self) -> float:
        return self.end - self.start


def spans(window: str, baseline: str, now: float) -> tuple[Span, Span]:
    """The window ending now, and its baseline: the same hours a week earlier, or the
    period just before it (24 h, or the window's own length when that is longer)."""
    length = WINDOWS[window]
    current = Span(now - length, now)
    if baseline == "last-week":
        return current, Span(current.start - WEEK, current.end - WEEK)
    before = max(DAY, length)
    return current, Span(current.start - before, current.start)


@dataclass(frozen=True, slots=True)
class ShareRow:
    name: str
    count: int
    share: float  # 0..1 of the window's messages
    baseline_count: int
    baseline_share: float

    @property
    def points(self) -> float:
        """The move in percentage points (positive: a bigger share than usual)."""
        return (self.share - self.baseline_share) * 100

    @property
    def deviates(self) -> bool:
        return abs(self.points) >= DEVIATION_POINTS and (
            self.count + self.baseline_count >= MIN_MESSAGES
        )


@dataclass(frozen=True, slots=True)
class OperatorRow:
    network: Network
    count: int
    series: tuple[int, ...]  # messages per slice of the window, oldest first
    spike: int | None  # the slice with the biggest spike, or None
    delivered: int
    rejected_99: int

    @property
    def delivery_rate(self) -> float:
        return self.delivered / self.count if self.count else 0.0


@dataclass(frozen=True, slots=True)
class Conversion:
    success: int
    total: int

    @property
    def rate(self) -> float:
        return self.success / self.total if self.total else 0.0


@dataclass(frozen=True, slots=True)
class ShieldReport:
    window: Span
    baseline: Span
    window_name: str
    baseline_name: str
    total: int
    baseline_total: int
    series: tuple[int, ...]  # all messages per slice
    countries: tuple[ShareRow, ...]
    operators: tuple[ShareRow, ...]
    volume: tuple[OperatorRow, ...]
    rejections_by_country: tuple[tuple[str, int], ...]
    rejections_by_operator: tuple[tuple[str, int], ...]
    conversion: Conversion | None  # None: no feedback for any message of the window

    @property
    def deviations(self) -> tuple[ShareRow, ...]:
        return tuple(row for row in (*self.countries, *self.operators) if row.deviates)

    @property
    def rejected_99(self) -> int:
        return sum(count for _, count in self.rejections_by_country)

    @property
    def spikes(self) -> tuple[OperatorRow, ...]:
        return tuple(row for row in self.volume if row.spike is not None)


def shares(
    window: Sequence[str] | Mapping[str, int], baseline: Sequence[str] | Mapping[str, int]
) -> tuple[ShareRow, ...]:
    """Each name's share of the window against its share of the baseline, biggest first
    (names, or counts by name)."""
    now = Counter(window) if not isinstance(window, Mapping) else Counter(dict(window))
    before = Counter(baseline) if not isinstance(baseline, Mapping) else Counter(dict(baseline))
    total, base_total = sum(now.values()), sum(before.values())
    rows = [
        ShareRow(
            name,
            now[name],
            now[name] / total if total else 0.0,
            before[name],
            before[name] / base_total if base_total else 0.0,
        )
        for name in set(now) | set(before)
    ]
    rows.sort(key=lambda row: (-row.count, -row.baseline_count, row.name))
    return tuple(rows)


def bucket_of(at: float, span: Span, buckets: int = BUCKETS) -> int:
    index = int((at - span.start) / span.length * buckets)
    return min(max(index, 0), buckets - 1)


def spike_in(series: Sequence[int]) -> int | None:
    """The slice that spikes most: at least SPIKE_FACTOR × the median slice (at least 1)
    and SPIKE_MIN messages; None when no slice does."""
    if not series:
        return None
    usual = max(median(series), 1.0)
    best: int | None = None
    for index, count in enumerate(series):
        big = count >= SPIKE_MIN and count >= SPIKE_FACTOR * usual
        if big and (best is None or count > series[best]):
            best = index
    return best


def resample(series: Sequence[int], width: int) -> tuple[int, ...]:
    """``series`` summed into ``width`` groups (a trend that fits a narrow column)."""
    if width <= 0 or not series:
        return ()
    if len(series) <= width:
        return tuple(series)
    out = [0] * width
    for index, value in enumerate(series):
        out[index * width // len(series)] += value
    return tuple(out)


def sparkline(values: Sequence[int]) -> str:
    """Values as block characters, scaled to the largest (all lows for all zeros)."""
    top = max(values, default=0)
    if top <= 0:
        return SPARK[0] * len(values)
    last = len(SPARK) - 1
    return "".join(SPARK[min(last, round(value / top * last))] for value in values)


def report(
    observations: Iterable[Observation],
    now: float,
    window: str = "1h",
    baseline: str = "last-week",
    feedback: Mapping[str, str] | None = None,
    buckets: int = BUCKETS,
) -> ShieldReport:
    """The Shield's figures for the window ending ``now`` (see the module's docstring)."""
    current, base = spans(window, baseline, now)
    in_window: list[tuple[Observation, Network]] = []
    base_countries: Counter[str] = Counter()
    base_operators: Counter[str] = Counter()
    for item in observations:
        if item.at in current:
            in_window.append((item, network_of(item.destination)))
        elif item.at in base:
            network = network_of(item.destination)
            base_countries[network.country] += item.count
            base_operators[network.label] += item.count
    series = [0] * buckets
    per_operator: dict[Network, list[int]] = defaultdict(lambda: [0] * buckets)
    delivered: Counter[Network] = Counter()
    rejected: Counter[Network] = Counter()
    countries: Counter[str] = Counter()
    operators: Counter[str] = Counter()
    converted = tried = 0
    for item, network in in_window:
        count = item.count  # a folded count stands for several messages
        slot = bucket_of(item.at, current, buckets)
        series[slot] += count
        per_operator[network][slot] += count
        countries[network.country] += count
        operators[network.label] += count
        if item.state in ("delivered", "read"):
            delivered[network] += count
        if item.state == "rejected" and item.error_code == SHIELD_CODE:
            rejected[network] += count
        outcome = (feedback or {}).get(item.umid) if item.umid else None
        if outcome is not None:
            tried += 1
            converted += outcome == "success"
    volume = [
        OperatorRow(
            network,
            sum(counts),
            tuple(counts),
            spike_in(counts),
            delivered[network],
            rejected[network],
        )
        for network, counts in per_operator.items()
    ]
    volume.sort(key=lambda row: (-row.count, row.network))
    by_country: Counter[str] = Counter()
    for network, count in rejected.items():
        by_country[network.country] += count
    return ShieldReport(
        window=current,
        baseline=base,
        window_name=window,
        baseline_name=baseline,
        total=sum(series),
        baseline_total=sum(base_countries.values()),
        series=tuple(series),
        countries=shares(countries, base_countries),
        operators=shares(operators, base_operators),
        volume=tuple(volume),
        rejections_by_country=tuple(sorted(by_country.items(), key=lambda kv: (-kv[1], kv[0]))),
        rejections_by_operator=tuple(
            sorted(
                ((network.label, count) for network, count in rejected.items()),
                key=lambda kv: (-kv[1], kv[0]),
            )
        ),
        conversion=Conversion(converted, tried) if tried else None,
    )


def history_observations(
    history: History, since: float, until: float, heard_before: float = -math.inf
) -> list[Observation]:
    """This console's SMS sent in [since, until) as the history keeps them (on demand: for
    workers; days on disk are read and let go). The messages it only heard of (their receipts
    make rows in the history too) only when all their receipts came before `heard_before`,
    when the live ledger heard its first (by default none are): it counts the later ones, the
    older ones folded into counts without their umids, so read here again they were counted
    twice."""
    found: list[Observation] = []
    for day in history.scan_messages(since, until, channel="sms"):
        for message in day:
            if message.direction != "out" or not message.umid or not message.peer.startswith("+"):
                continue
            if message.heard_only and any(
                receipt.received_at >= heard_before for receipt in message.timeline
            ):
                continue
            code = message.error_code if isinstance(message.error_code, int) else None
            found.append(
                Observation(message.umid, message.peer, message.created_at, message.status, code)
            )
    return found
