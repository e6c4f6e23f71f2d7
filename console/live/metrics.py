"""The relay's Prometheus metrics, in a registry of its own.

Each :class:`RelayMetrics` holds its own ``CollectorRegistry`` (never prometheus_client's
global one), so several relays in one process (the tests, a sandbox with its relay) each
count their own and none is registered twice. ``GET /metrics`` (console/live/admin.py)
renders it in Prometheus' text format.

What an operator watches (names below, all prefixed ``agent_console_relay_``):

- ``webhooks_accepted_total{product}`` and ``webhooks_refused_total{product,reason}``:
  8x8's webhooks this relay stored, and those it refused (``unauthenticated``,
  ``too_large``, ``invalid``, ``unavailable``: the log could not store, 8x8 retries).
- ``team_events_total{outcome}``: consoles' team events (``stored``, ``fanned_out``
  presence, or ``refused``).
- ``events_appended_total{namespace}``: events this relay numbered and stored.
- ``subscribers``: consoles connected now; ``subscribers_dropped_total{reason}``: let go
  because too slow or because the log failed.
- ``fanout_lag_seconds``: from an event's numbering (its ``receivedAt``, by whichever relay
  numbered it) to this relay queueing it for its consoles; with Redis this includes reading
  it back from the stream.
- ``log_first_seq`` / ``log_last_seq``: the replay window (refreshed by the health watch).
- ``log_errors_total{log}``: every failed call to the event log (``redis`` or ``file``);
  ``log_up``: 1 while the log stores, 0 during an outage; ``ready``: what ``/readyz`` says
  (0 while draining for a restart).
"""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.process_collector import ProcessCollector

PREFIX = "agent_console_relay"
#: Why a webhook was refused (the ``reason`` label).
REFUSAL_REASONS = ("unauthenticated", "too_large", "invalid", "unavailable")
#: Fan-out lag buckets: a console notices from ~100 ms; 50 ms is the p99 budget.
LAG_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
CONTENT_TYPE = CONTENT_TYPE_LATEST


def log_kind(log: object) -> str:
    """The ``log`` label of an event log: ``file``, ``redis`` or ``memory``."""
    if hasattr(log, "path"):
        return "file"
    return "redis" if "redis" in type(log).__name__.lower() else "memory"


class RelayMetrics:
    """Counters, gauges and the lag histogram of one relay."""

    def __init__(self, *, log_kind: str, subscribers: Callable[[], int]) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.log_kind = log_kind
        registry = self.registry
        self.webhooks_accepted = Counter(
            f"{PREFIX}_webhooks_accepted",
            "8x8 webhooks stored (answered 200), by product",
            ["product"],
            registry=registry,
        )
        self.webhooks_refused = Counter(
            f"{PREFIX}_webhooks_refused",
            "8x8 webhooks refused, by product and reason",
            ["product", "reason"],
            registry=registry,
        )
        self.team_events = Counter(
            f"{PREFIX}_team_events",
            "Consoles' team events: stored, fanned_out (presence) or refused",
            ["outcome"],
            registry=registry,
        )
        self.events_appended = Counter(
            f"{PREFIX}_events_appended",
            "Events this relay numbered and stored in the log, by namespace",
            ["namespace"],
            registry=registry,
        )
        self.subscribers = Gauge(
            f"{PREFIX}_subscribers", "Consoles connected to /events now", registry=registry
        )
        self.subscribers.set_function(lambda: float(subscribers()))
        self.subscribers_dropped = Counter(
            f"{PREFIX}_subscribers_dropped",
            "Consoles let go (they resume with since=), by reason",
            ["reason"],
            registry=registry,
        )
        self.fanout_lag = Histogram(
            f"{PREFIX}_fanout_lag_seconds",
            "From an event's numbering to this relay queueing it for its consoles",
            buckets=LAG_BUCKETS,
            registry=registry,
        )
        self.log_first_seq = Gauge(
            f"{PREFIX}_log_first_seq", "Oldest seq kept for replay", registry=registry
        )
        self.log_last_seq = Gauge(
            f"{PREFIX}_log_last_seq", "Newest seq in the log", registry=registry
        )
        self.log_errors = Counter(
            f"{PREFIX}_log_errors",
            "Failed calls to the event log (redis: Redis errors), by log",
            ["log"],
            registry=registry,
        )
        self.log_up = Gauge(
            f"{PREFIX}_log_up", "1 while the event log stores, 0 in an outage", registry=registry
        )
        self.ready = Gauge(f"{PREFIX}_ready", "1 while /readyz answers 200", registry=registry)
        self.log_up.set(1)
        for product in ("SMS", "ChatApps"):  # so dashboards see zeros, not absent series
            self.webhooks_accepted.labels(product)
            for reason in REFUSAL_REASONS:
                self.webhooks_refused.labels(product, reason)
        self.log_errors.labels(log_kind)
        ProcessCollector(registry=registry)

    def render(self) -> bytes:
        """The registry in Prometheus' text exposition format."""
        return generate_latest(self.registry)
