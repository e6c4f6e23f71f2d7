"""The relay's operator log lines and metrics, without a server: JSON lines that parse and
carry their event, refused webhooks said once a minute rather than once each, and metrics
that prometheus_client's own parser reads back."""

from __future__ import annotations

import io
import json
import logging

from prometheus_client.parser import text_string_to_metric_families

from console.live import oplog
from console.live.metrics import LAG_BUCKETS, RelayMetrics


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def test_json_lines_carry_the_event_and_its_fields() -> None:
    stream = io.StringIO()
    handler = oplog.configure("json", stream)
    try:
        logger = logging.getLogger("console.live.relay")
        logger.warning("relay: not ready (%s)", "draining", extra={"event": "not_ready"})
        logger.info("relay: started", extra={"event": "start", "last_seq": 42})
        logging.getLogger("console.live.other").info("plain")
    finally:
        oplog.remove(handler)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [line["event"] for line in lines] == ["not_ready", "start", "log"]
    assert lines[0]["message"] == "relay: not ready (draining)"
    assert lines[0]["level"] == "warning" and lines[0]["time"].endswith("Z")
    assert lines[1]["last_seq"] == 42


def test_text_lines_are_the_message_alone() -> None:
    stream = io.StringIO()
    handler = oplog.configure("text", stream)
    try:
        logging.getLogger("console.live.relay").info("relay: ready", extra={"event": "ready"})
    finally:
        oplog.remove(handler)
    assert stream.getvalue() == "relay: ready\n"


def test_a_burst_of_refused_webhooks_is_one_line_a_minute() -> None:
    stream = io.StringIO()
    handler = oplog.configure("json", stream)
    clock = Clock()
    tally = oplog.RefusalTally(logging.getLogger("console.live.relay"), clock, interval=60)
    try:
        for _ in range(500):  # 8x8 posting with a wrong secret, for 50 s
            tally.refused("SMS", "unauthenticated")
            clock.now += 0.1
        tally.refused("ChatApps", "invalid")
        tally.tick()  # within the minute: nothing more yet
        clock.now += 61
        tally.tick()  # the burst ended: its sum is said
        tally.tick()
    finally:
        oplog.remove(handler)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [line["refused"] for line in lines] == [1, 500]
    assert lines[1]["detail"] == "ChatApps/invalid: 1, SMS/unauthenticated: 499"


def test_metrics_render_in_prometheus_format_with_the_lag_histogram() -> None:
    metrics = RelayMetrics(log_kind="redis", subscribers=lambda: 3)
    metrics.webhooks_accepted["SMS"] += 2
    metrics.webhooks_refused["ChatApps", "too_large"] += 1
    metrics.log_errors += 4
    for lag in (0.0005, 0.03, 0.03, 20.0):
        metrics.fanout_lag.observe(lag)
    found = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(metrics.render().decode())
        for sample in family.samples
    }
    p = "agent_console_relay_"
    assert found[p + "webhooks_accepted_total", (("product", "SMS"),)] == 2
    assert found[p + "webhooks_accepted_total", (("product", "ChatApps"),)] == 0
    refused = (("product", "ChatApps"), ("reason", "too_large"))
    assert found[p + "webhooks_refused_total", refused] == 1
    assert found[p + "log_errors_total", (("log", "redis"),)] == 4
    assert found[p + "subscribers", ()] == 3
    assert found[p + "fanout_lag_seconds_bucket", (("le", "0.001"),)] == 1
    assert found[p + "fanout_lag_seconds_bucket", (("le", "0.05"),)] == 3
    assert found[p + "fanout_lag_seconds_bucket", (("le", str(LAG_BUCKETS[-1])),)] == 3
    assert found[p + "fanout_lag_seconds_bucket", (("le", "+Inf"),)] == 4
    assert found[p + "fanout_lag_seconds_count", ()] == 4
    assert abs(found[p + "fanout_lag_seconds_sum", ()] - 20.0605) < 1e-9
    assert any(name.startswith("process_") for name, _ in found)
