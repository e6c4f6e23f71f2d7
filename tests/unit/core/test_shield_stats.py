"""The Shield's statistics: shares against a baseline, deviations, spikes, Omni Shield's
rejections, delivery rate and conversion; pure, from observations."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from console.core.networks import NUMBERS_CACHED, UNKNOWN, Network, network_of
from console.core.shield import (
    BUCKETS,
    DEVIATION_POINTS,
    SPIKE_FACTOR,
    SPIKE_MIN,
    WEEK,
    ShareRow,
    history_observations,
    report,
    shares,
    spans,
    sparkline,
    spike_in,
)
from console.core.traffic import Observation, TrafficLedger, merge, observation_from_receipt

NOW = 1_800_000_000.0
SINGTEL = "+6591230000"
INDOSAT = "+62857111111"
STARHUB = "+6591011111"


def obs(n: int, number: str, at: float, state: str = "delivered", code: int | None = None):
    return Observation(f"u{n}-{number}-{at}", number, at, state, code)


def test_networks_come_from_phonenumbers_carrier_data() -> None:
    assert network_of(SINGTEL) == Network("SG", "SingTel")
    assert network_of("62857111111") == Network("ID", "Indosat Ooredoo Hutchison")
    assert network_of("+12025550123") == Network("US", UNKNOWN)
    assert network_of("not a number") == Network(UNKNOWN, UNKNOWN)


def test_spans_baseline_is_last_week_or_the_time_before() -> None:
    window, base = spans("1h", "last-week", NOW)
    assert (window.start, window.end) == (NOW - 3600, NOW)
    assert (base.start, base.end) == (NOW - 3600 - WEEK, NOW - WEEK)
    window, base = spans("1h", "before", NOW)
    assert (base.start, base.end) == (NOW - 3600 - 86_400, NOW - 3600)
    window, base = spans("7d", "before", NOW)
    assert base.length == window.length == WEEK and base.end == window.start


@given(st.sampled_from(["1h", "24h", "7d"]), st.sampled_from(["last-week", "before"]))
def test_window_and_baseline_never_overlap(window_name: str, baseline_name: str) -> None:
    window, base = spans(window_name, baseline_name, NOW)
    assert base.end <= window.start and window.end == NOW


names = st.lists(st.sampled_from(["SG", "ID", "MY", "PH"]), max_size=60)


@given(names, names)
def test_shares_sum_to_one_and_count_everything(window: list[str], base: list[str]) -> None:
    rows = shares(window, base)
    assert sum(row.count for row in rows) == len(window)
    assert sum(row.baseline_count for row in rows) == len(base)
    if window:
        assert sum(row.share for row in rows) == pytest.approx(1.0)
    if base:
        assert sum(row.baseline_share for row in rows) == pytest.approx(1.0)
    for row in rows:
        assert row.deviates == (
            abs(row.points) >= DEVIATION_POINTS and row.count + row.baseline_count >= 10
        )


def test_a_small_move_is_not_a_deviation_and_a_big_one_is() -> None:
    steady = ShareRow("SG", 50, 0.50, 50, 0.45)
    assert round(steady.points, 6) == 5.0 and not steady.deviates
    surge = ShareRow("ID", 90, 0.90, 5, 0.05)
    assert round(surge.points) == 85 and surge.deviates
    few = ShareRow("PH", 2, 1.0, 0, 0.0)
    assert not few.deviates  # two messages say nothing


@given(st.lists(st.integers(min_value=0, max_value=500), min_size=1, max_size=40))
def test_a_spike_is_a_big_slice_against_the_usual_one(series: list[int]) -> None:
    index = spike_in(series)
    if index is None:
        return
    from statistics import median

    usual = max(median(series), 1)
    assert series[index] >= SPIKE_MIN and series[index] >= SPIKE_FACTOR * usual
    assert series[index] == max(series)


def test_spikes_examples() -> None:
    assert spike_in([2, 3, 2, 40, 3]) == 3
    assert spike_in([20, 22, 21, 25]) is None  # busy, but steady
    assert spike_in([0, 0, 0, 9]) is None  # too few to call
    assert spike_in([]) is None


@given(st.lists(st.integers(min_value=0, max_value=1000), max_size=50))
def test_sparkline_has_one_block_per_value_and_peaks_at_the_top(values: list[int]) -> None:
    line = sparkline(values)
    assert len(line) == len(values)
    if values and max(values) > 0:
        assert line[values.index(max(values))] == "█"


def _ait_like() -> list[Observation]:
    """A week-old baseline of the usual mix, then a surge to Indosat, mostly rejected."""
    seen = []
    for n in range(60):  # baseline: same hour last week
        at = NOW - WEEK - 3000 + n * 40
        seen.append(obs(n, SINGTEL if n % 3 else STARHUB, at))
        if n % 10 == 0:
            seen.append(obs(n, INDOSAT, at + 1))
    for n in range(40):  # the window's usual traffic
        seen.append(obs(n, SINGTEL if n % 3 else STARHUB, NOW - 3000 + n * 60))
    for n in range(300):  # the attack, in the last minute
        at = NOW - 60 + n * 0.2
        if n % 10 < 6:
            seen.append(obs(n, INDOSAT, at, "rejected", 99))
        elif n % 10 < 9:
            seen.append(obs(n, INDOSAT, at, "sent"))
        else:
            seen.append(obs(n, INDOSAT, at))
    return seen


def test_the_attack_raises_the_operator_deviation_the_spike_and_the_99s() -> None:
    result = report(_ait_like(), NOW, "1h", "last-week")
    assert result.total == 340 and result.baseline_total == 66
    indosat = next(row for row in result.operators if row.name.startswith("Indosat"))
    assert indosat.deviates and indosat.points > 70
    assert indosat.count == 300 and indosat.baseline_count == 6
    country = next(row for row in result.countries if row.name == "ID")
    assert country.deviates
    assert result.rejections_by_country == (("ID", 180),)
    assert result.rejections_by_operator == (("Indosat Ooredoo Hutchison (ID)", 180),)
    assert result.rejected_99 == 180
    top = result.volume[0]
    assert top.network == Network("ID", "Indosat Ooredoo Hutchison")
    assert top.spike == BUCKETS - 1 and top.delivery_rate == pytest.approx(0.1)
    singtel = next(row for row in result.volume if row.network.operator == "SingTel")
    assert singtel.delivery_rate == 1.0 and singtel.spike is None
    assert result.conversion is None  # no feedback: said plainly, never a made-up rate


def test_conversion_counts_only_messages_with_feedback() -> None:
    seen = [obs(n, SINGTEL, NOW - 100 - n) for n in range(10)]
    feedback = {seen[0].umid: "success", seen[1].umid: "success", seen[2].umid: "failure"}
    result = report(seen, NOW, feedback=feedback)
    assert result.conversion is not None
    assert (result.conversion.success, result.conversion.total) == (2, 3)
    assert result.conversion.rate == pytest.approx(2 / 3)


def test_the_ledger_keeps_the_earliest_time_and_the_furthest_state() -> None:
    ledger = TrafficLedger(max_observed=3)
    ledger.observe(Observation("a", SINGTEL, 100.0, "sent"))
    ledger.observe(Observation("a", SINGTEL, 90.0, "queued"))
    ledger.observe(Observation("a", SINGTEL, 120.0, "rejected", 99))
    (a,) = ledger.snapshot()
    assert (a.at, a.state, a.error_code) == (90.0, "rejected", 99)
    version = ledger.version
    ledger.observe(Observation("a", SINGTEL, 130.0, "sent"))  # late, older state
    assert ledger.version == version
    for umid in "bcd":
        ledger.observe(Observation(umid, SINGTEL, 1.0, "sent"))
    # bounded: the oldest is folded into a count (its minute, number prefix, state)
    assert [o.umid for o in ledger.snapshot()] == ["b", "c", "d", ""]
    assert ledger.snapshot()[-1] == Observation("", SINGTEL, 60.0, "rejected", 99, 1)


def test_older_traffic_is_counted_not_kept_and_our_own_sends_are_left_to_the_history() -> None:
    ledger = TrafficLedger(max_observed=10)
    for n in range(1_000):  # another application's traffic: one operator, two minutes
        ledger.observe(
            Observation(f"x{n}", f"+65912300{n % 100:02d}", 3_600.0 + n / 10, "delivered")
        )
    for n in range(100):  # this console's sends: the history keeps them
        ledger.observe(Observation(f"o{n}", SINGTEL, 3_700.0, "queued"), ours=True)
    assert len(ledger) == 10 and ledger.folded <= 2  # kept one by one, then counts
    seen = ledger.snapshot()
    assert sum(o.count for o in seen if not o.umid) == 1_000  # every other message counted
    assert sum(o.count for o in seen) == 1_010
    figures = report(seen, 3_700.0 + 60, window="1h")
    assert figures.total == 1_010 and figures.countries[0].count == 1_010


states = st.sampled_from(["queued", "sent", "delivered", "undelivered", "rejected"])


@given(st.lists(st.tuples(st.floats(0, 1e6), states), min_size=1, max_size=8))
def test_merging_in_any_order_ends_the_same(seen: list[tuple[float, str]]) -> None:
    items = [Observation("x", SINGTEL, at, state) for at, state in seen]
    forward = None
    for item in items:
        forward = merge(forward, item)
    backward = None
    for item in reversed(items):
        backward = merge(backward, item)
    assert forward is not None and backward is not None
    assert (forward.at, forward.state) == (backward.at, backward.state)
    assert forward.at == min(at for at, _ in seen)


def test_an_sms_receipt_becomes_an_observation_at_its_provider_time() -> None:
    payload = {
        "umid": "u1",
        "destination": "+6591230000",
        "status": {"state": "rejected", "timestamp": "2026-01-02T03:04:05.00Z", "errorCode": 99},
    }
    received = "2027-01-15T08:00:00Z"
    seen = observation_from_receipt("u1", payload, "rejected", 99, received)
    assert seen is not None and seen.at == 1767323045.0 and seen.error_code == 99
    chat = {"umid": "u2", "user": {"msisdn": "+6591230000"}, "status": {"state": "sent"}}
    assert observation_from_receipt("u2", chat, "sent", None, received) is None
    undated = {"destination": "6591230000", "status": {"state": "sent"}}
    got = observation_from_receipt("u3", undated, "sent", None, received)
    assert got is not None and got.at == 1800000000.0 and got.destination == "+6591230000"


def test_a_shift_of_new_numbers_keeps_a_bounded_cache_and_one_network_object_each() -> None:
    """A floor sends to new numbers all day: the Shield's network lookups keep the newest
    NUMBERS_CACHED numbers, not every number of the shift, and numbers of one operator share
    one Network object (a cached number costs its entry, not a Network of its own)."""
    network_of.cache_clear()
    numbers = [f"+6591{n:07d}" for n in range(NUMBERS_CACHED + 5_000)]
    networks = [network_of(number) for number in numbers]
    assert network_of.cache_info().currsize == NUMBERS_CACHED
    assert len({id(network) for network in networks}) == 1 and networks[0] == Network("SG", UNKNOWN)
    assert network_of(numbers[-1]) is networks[0] and network_of.cache_info().hits == 1
    assert network_of("not a number") is network_of("") is network_of("+999")


def test_messages_only_heard_of_are_counted_once_with_the_ledger_s_folded_counts(
    tmp_path: Path,
) -> None:
    """Another application's messages heard of since the console started are counted by the
    live ledger (the older ones folded, without their umids): their rows in the history are
    not read again, which would count each folded one twice. Those heard of before it
    started (a restart) are read from the history, as this console's own sends are."""
    from console.store import History
    from console.store.journal import ReceiptRow, SentRow

    started = 1_800_000_000.0
    ledger = TrafficLedger(max_observed=2)
    with History.open(tmp_path, clock=lambda: started) as history:
        history.apply_receipt(  # before this run: only the history has it
            "earlier", "delivered", started - 30, started - 20, row=ReceiptRow("sms", "+6591000009")
        )
        history.apply_receipt(  # sent before, its final receipt heard in this run
            "late", "sent", started - 10, started - 10, row=ReceiptRow("sms", "+6591000008")
        )
        history.apply_receipt("late", "delivered", started + 1, started + 1)
        ledger.observe(Observation("late", "+6591000008", started - 10, "delivered"))
        for n in range(5):  # heard of in this run: into the ledger and the history
            number = f"+659100000{n}"
            ledger.observe(Observation(f"theirs-{n}", number, started + n, "delivered"))
            history.apply_receipt(
                f"theirs-{n}", "delivered", started + n, started + n, row=ReceiptRow("sms", number)
            )
        history.record_sent([SentRow("mine", None, "sms", "+6591999999")], "hi", started + 1)
        history.flush()
        found = history_observations(history, started - 60, started + 60, started)
        unbounded = history_observations(history, started - 60, started + 60)
    assert sorted(item.umid for item in found) == ["earlier", "mine"]
    assert [item.umid for item in unbounded] == ["mine"]
    counted = [*ledger.snapshot(), *found]
    assert sum(item.count for item in counted) == 8  # 5 + "late" heard, "earlier", "mine"
