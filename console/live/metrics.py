"""The relay's Prometheus metrics, in a registry of its own.

The hot path only bumps plain integers (a webhook costs a dict increment, no lock); the
``prometheus_client`` package (60 ms to import) is loaded at the first scrape, when
:meth:`RelayMetrics.render` builds this relay's own ``CollectorRegistry`` (never the
library's global one, so several relays in one process, as in the tests or a sandbox with its
relay, each report their own and none is registered twice). ``GET /metrics``
(console/live/admin.py) serves it in Prometheus' text format.

What an operator watches (all prefixed ``agent_console_relay_``):

- ``webhooks_accepted_total{product}`` and ``webhooks_refused_total{product,reason}``:
  8x8's webhooks this relay stored, and those it refused (``unauthenticated``,
  ``too_large``, ``invalid``, ``unavailable``: the log could not store, 8x8 retries).
- ``team_events_total{outcome}``: consoles' team events (``stored``, ``fanned_out``
  presence, ``refused``).
- ``events_appended_total{namespace}``: events this relay numbered and stored.
- ``subscribers``: consoles connected now; ``subscribers_dropped_total{reason}``: let go
  (``slow``, ``log_down``, ``restart``); they resume with ``since=``.
- ``fanout_lag_seconds`` (histogram): from an event's numbering (its ``receivedAt``, by
  whichever relay numbered it) to this relay queueing it for its consoles; with Redis it
  includes reading the event back from the stream.
- ``log_first_seq`` / ``log_last_seq``: the replay window (refreshed every second by the
  health watch).
- ``log_errors_total{log}``: failed calls to the event log (``redis``: Redis errors);
  ``log_up``: 0 during an outage; ``ready``: what ``/readyz`` said last (0 while draining).
- ``process_*``: the relay process's CPU, memory and open files.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

PREFIX = "agent_console_relay"
#: Why a webhook was refused (the ``reason`` label).
REFUSAL_REASONS = ("unauthenticated", "too_large", "invalid", "unavailable")
PRODUCTS = ("SMS", "ChatApps")
#: Fan-out lag buckets (s): 50 ms is the p99 budget; a console notices from ~100 ms.
LAG_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def log_kind(log: object) -> str:
    """The ``log`` label of an event log: ``file``, ``redis`` or ``memory``."""
    if hasattr(log, "path"):
        return "file"
    return "redis" if "redis" in type(log).__name__.lower() else "memory"


class LagHistogram:
    """Cumulative-on-export bucket counts, a sum and a count."""

    __slots__ = ("buckets", "count", "counts", "total")

    def __init__(self, buckets: tuple[float, ...] = LAG_BUCKETS) -> None:
        self.buckets = buckets
        self.counts = [0] * (len(buckets) + 1)  # the last: above every bucket (+Inf only)
        self.count = 0
        self.total = 0.0

    def observe(self, value: float) -> None:
        self.counts[bisect_left(self.buckets, value)] += 1
        self.count += 1
        self.total += value

    def cumulative(self) -> list[tuple[str, int]]:
        out: list[tuple[str, int]] = []
        running = 0
        for bound, count in zip(self.buckets, self.counts, strict=False):
            running += count
            out.append((repr(float(bound)), running))
        out.append(("+Inf", self.count))
        return out


class RelayMetrics:
    """What one relay counts; :meth:`render` exports it."""

    def __init__(self, *, log_kind: str, subscribers: Callable[[], int]) -> None:
        self.log_kind = log_kind
        self._subscribers = subscribers
        self.webhooks_accepted: Counter[str] = Counter()
        self.webhooks_refused: Counter[tuple[str, str]] = Counter()
        self.team_events: Counter[str] = Counter()
        self.events_appended: Counter[str] = Counter()
        self.subscribers_dropped: Counter[str] = Counter()
        self.fanout_lag = LagHistogram()
        self.log_errors = 0
        self.log_up = 1
        self.ready = 0
        self.log_first_seq = 0
        self.log_last_seq = 0
        self._registry: Any = None

    def render(self) -> bytes:
        """The metrics in Prometheus' text exposition format (the registry is made at the
        first call)."""
        from prometheus_client.exposition import generate_latest

        if self._registry is None:
            self._registry = self._make_registry()
        return generate_latest(self._registry)

    def _make_registry(self) -> Any:
        from prometheus_client import CollectorRegistry
        from prometheus_client.process_collector import ProcessCollector

        registry = CollectorRegistry(auto_describe=False)
        registry.register(_Collector(self))
        ProcessCollector(registry=registry)
        return registry


class _Collector:
    """prometheus_client's custom-collector protocol over a :class:`RelayMetrics`."""

    def __init__(self, metrics: RelayMetrics) -> None:
        self.metrics = metrics

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import (
            CounterMetricFamily,
            GaugeMetricFamily,
            HistogramMetricFamily,
        )

        m = self.metrics
        accepted = CounterMetricFamily(
            f"{PREFIX}_webhooks_accepted", "8x8 webhooks stored (answered 200)", labels=["product"]
        )
        for product in sorted({*PRODUCTS, *m.webhooks_accepted}):
            accepted.add_metric([product], m.webhooks_accepted[product])
        yield accepted
        refused = CounterMetricFamily(
            f"{PREFIX}_webhooks_refused",
            "8x8 webhooks refused, by product and reason",
            labels=["product", "reason"],
        )
        keys = {(p, r) for p in PRODUCTS for r in REFUSAL_REASONS} | set(m.webhooks_refused)
        for product, reason in sorted(keys):
            refused.add_metric([product, reason], m.webhooks_refused[product, reason])
        yield refused
        yield _counter(
            "team_events", "Consoles' team events by outcome", "outcome", m.team_events,
            ("stored", "fanned_out", "refused"),
        )  # fmt: skip
        yield _counter(
            "events_appended", "Events this relay numbered and stored", "namespace",
            m.events_appended, ("SMS", "ChatApps", "Team"),
        )  # fmt: skip
        yield _counter(
            "subscribers_dropped", "Consoles let go (they resume with since=)", "reason",
            m.subscribers_dropped, ("slow", "log_down", "restart"),
        )  # fmt: skip
        errors = CounterMetricFamily(
            f"{PREFIX}_log_errors", "Failed calls to the event log (Redis errors)", labels=["log"]
        )
        errors.add_metric([m.log_kind], m.log_errors)
        yield errors
        yield GaugeMetricFamily(
            f"{PREFIX}_subscribers", "Consoles connected to /events now", value=m._subscribers()
        )
        yield GaugeMetricFamily(f"{PREFIX}_log_up", "1 while the log stores", value=m.log_up)
        yield GaugeMetricFamily(f"{PREFIX}_ready", "1 while /readyz answers 200", value=m.ready)
        yield GaugeMetricFamily(
            f"{PREFIX}_log_first_seq", "Oldest seq kept for replay", value=m.log_first_seq
        )
        yield GaugeMetricFamily(
            f"{PREFIX}_log_last_seq", "Newest seq in the log", value=m.log_last_seq
        )
        lag = m.fanout_lag
        yield HistogramMetricFamily(
            f"{PREFIX}_fanout_lag_seconds",
            "From an event's numbering to this relay queueing it for its consoles",
            buckets=lag.cumulative(),
            sum_value=lag.total,
        )


def _counter(name: str, doc: str, label: str, values: Counter[str], always: tuple[str, ...]) -> Any:
    from prometheus_client.core import CounterMetricFamily

    family = CounterMetricFamily(f"{PREFIX}_{name}", doc, labels=[label])
    for key in sorted({*always, *values}):
        family.add_metric([key], values[key])
    return family
