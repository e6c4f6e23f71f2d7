"""The client-side limiter: starts evenly spaced a little under the rate, no wait while
under it, first come first served, and a hold after a 429."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given
from hypothesis import strategies as st

from console.api.ratelimit import RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def starts_for(limiter: RateLimiter, clock: Clock, arrivals: list[float]) -> list[float]:
    starts = []
    for arrival in sorted(arrivals):
        clock.now = arrival
        starts.append(arrival + limiter.reserve())
    return starts


def test_a_burst_is_spread_out_just_under_the_rate():
    limiter = RateLimiter(5, clock=Clock())
    waits = [limiter.reserve() for _ in range(6)]
    assert waits == pytest.approx([0.0, 0.204, 0.408, 0.612, 0.816, 1.02])


def test_no_wait_while_under_the_rate():
    clock = Clock()
    limiter = RateLimiter(10, clock=clock)
    arrivals = [i * 0.125 for i in range(50)]  # 8/s
    assert starts_for(limiter, clock, arrivals) == arrivals


def test_a_rate_below_one_spaces_requests_out():
    limiter = RateLimiter(0.5, margin=0, clock=Clock())
    assert [limiter.reserve() for _ in range(3)] == [0.0, 2.0, 4.0]


@pytest.mark.parametrize("rate", [0, -1, float("inf"), float("nan")])
def test_rate_must_be_positive_and_finite(rate):
    with pytest.raises(ValueError):
        RateLimiter(rate)


def test_defer_holds_everyone_back():
    clock = Clock()
    limiter = RateLimiter(100, clock=clock)
    limiter.defer(3.0)
    clock.now = 1.0
    assert limiter.reserve() == pytest.approx(2.0)
    limiter.defer(0.5)  # a shorter hold never shortens a longer one
    assert limiter.reserve() == pytest.approx(2.0 + limiter.interval)


@given(
    rate=st.integers(min_value=1, max_value=2000),
    gaps=st.lists(st.floats(min_value=0, max_value=0.5), min_size=1, max_size=300),
)
def test_never_more_than_rate_starts_in_any_second(rate, gaps):
    clock = Clock()
    limiter = RateLimiter(rate, clock=clock)
    arrivals, t = [], 0.0
    for gap in gaps:
        t += gap
        arrivals.append(t)
    starts = starts_for(limiter, clock, arrivals)
    assert all(start >= arrival for start, arrival in zip(starts, arrivals, strict=True))
    assert starts == sorted(starts)  # first come, first served
    # The request `rate` places later starts over a second later, with the 2 % slack.
    for i in range(len(starts) - rate):
        assert starts[i + rate] - starts[i] >= 1.02 - 1e-9


async def test_acquire_sleeps_for_the_reserved_wait():
    clock, slept = Clock(), []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        await asyncio.sleep(0)

    limiter = RateLimiter(2, margin=0, clock=clock, sleep=sleep)
    await asyncio.gather(*(limiter.acquire() for _ in range(4)))
    assert slept == [0.5, 1.0, 1.5]
