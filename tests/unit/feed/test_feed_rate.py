"""Receipts per second: whole seconds, zeros for quiet ones, bounded memory."""

from __future__ import annotations

import pytest

from console.feed.rate import ReceiptRate


def test_counts_fall_into_whole_seconds_and_the_current_one_is_left_out() -> None:
    rate = ReceiptRate(window=60)
    rate.add(100, 1000.2)
    rate.add(50, 1000.9)
    rate.add(7, 1002.5)
    assert rate.per_second(1003.1, 4) == [0, 150, 0, 7]
    assert rate.per_second(1002.9, 3) == [0, 150, 0], "1002 is not over yet"
    assert rate.last_second(1003.0) == 7
    assert rate.peak(1003.0, 10) == 150
    assert rate.total == 157


def test_memory_is_bounded_by_the_window_whatever_the_rate() -> None:
    rate = ReceiptRate(window=10)
    for second in range(1000):
        rate.add(2000, float(second))
    assert len(rate._buckets) <= 10
    assert rate.per_second(1000.0, 30) == [2000] * 10, "at most the window is kept"


def test_a_clock_that_steps_back_a_little_adds_to_the_newest_second() -> None:
    rate = ReceiptRate()
    rate.add(1, 10.5)
    rate.add(1, 9.9)
    rate.add(0, 11.0)
    assert rate.per_second(11.0, 2) == [0, 2]


def test_a_window_has_at_least_a_second() -> None:
    with pytest.raises(ValueError):
        ReceiptRate(window=0)
