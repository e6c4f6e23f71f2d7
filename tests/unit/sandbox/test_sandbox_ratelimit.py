"""The sandbox's limiter counts what it admitted and refused in each second of its clock."""

from __future__ import annotations

from console.sandbox.ratelimit import SecondCounts, SlidingWindowLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_admissions_are_counted_per_second_of_the_limiters_clock() -> None:
    clock = Clock()
    limiter = SlidingWindowLimiter(3, clock)
    for step in range(10):  # 10 requests within 0.9 s: 3 admitted
        clock.now = 100.0 + step * 0.09
        limiter.acquire("sub")
    clock.now = 101.5  # the window has moved on: 3 more
    for _ in range(5):
        limiter.acquire("sub")
    clock.now = 104.2
    limiter.acquire("sub")
    assert limiter.counts.as_list() == [
        {"second": 100, "admitted": 3, "refused": 7},
        {"second": 101, "admitted": 3, "refused": 2},
        {"second": 104, "admitted": 1, "refused": 0},
    ]


def test_only_the_last_seconds_are_kept() -> None:
    counts = SecondCounts(keep=3)
    for second in range(10):
        counts.add(second + 0.5, admitted=second % 2 == 0)
    assert [row["second"] for row in counts.as_list()] == [7, 8, 9]
    assert counts.as_list()[0] == {"second": 7, "admitted": 0, "refused": 1}
