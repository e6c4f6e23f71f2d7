"""The GIL handed over within 1 ms while the console runs, and the old interval given back."""

from __future__ import annotations

import sys

import pytest

from console.interpreter import SWITCH_EVERY, SwitchInterval


class FakeSys:
    def __init__(self, interval: float = 0.005) -> None:
        self.interval = interval
        self.sets: list[float] = []

    def get(self) -> float:
        return self.interval

    def set(self, seconds: float) -> None:
        self.sets.append(seconds)
        self.interval = seconds


def test_started_it_shortens_the_interval_and_stopped_it_restores_the_one_before() -> None:
    fake = FakeSys(0.007)
    switching = SwitchInterval(0.001, get=fake.get, put=fake.set)
    assert not switching.started and fake.interval == 0.007
    switching.start()
    assert switching.started and fake.interval == 0.001
    switching.stop()
    assert not switching.started and fake.interval == 0.007


def test_start_and_stop_twice_change_nothing_more() -> None:
    fake = FakeSys(0.005)
    switching = SwitchInterval(0.002, get=fake.get, put=fake.set)
    switching.start()
    switching.start()  # the "before" is still 5 ms, not the 2 ms set by the first start
    switching.stop()
    switching.stop()
    assert fake.sets == [0.002, 0.005]
    assert fake.interval == 0.005


def test_a_stop_before_any_start_leaves_the_interval_alone() -> None:
    fake = FakeSys(0.004)
    SwitchInterval(get=fake.get, put=fake.set).stop()
    assert fake.sets == []


@pytest.mark.parametrize("seconds", [0.0, -0.001])
def test_an_interval_that_is_not_positive_is_refused(seconds: float) -> None:
    with pytest.raises(ValueError, match="positive"):
        SwitchInterval(seconds)


def test_on_the_real_interpreter() -> None:
    before = sys.getswitchinterval()
    switching = SwitchInterval()
    switching.start()
    try:
        assert sys.getswitchinterval() == pytest.approx(SWITCH_EVERY)
    finally:
        switching.stop()
    assert sys.getswitchinterval() == pytest.approx(before)
