import pytest
from hypothesis import given
from hypothesis import strategies as st

from console.ui.slicing import TimeSlice


def test_a_slice_shrinks_when_items_turn_out_slow_and_grows_when_they_are_cheap() -> None:
    slicer = TimeSlice(0.004, first=25, smoothing=1.0)
    assert slicer.size() == 25
    slicer.took(25, 0.050)  # 2 ms an item: a loaded machine
    assert slicer.size() == 2
    slicer.took(2, 0.0001)  # 50 µs an item
    assert slicer.size() == 80


def test_a_slice_always_takes_at_least_one_item_and_at_most_the_ceiling() -> None:
    slicer = TimeSlice(0.004, most=500, smoothing=1.0)
    slicer.took(1, 2.0)  # one item held the loop for two seconds
    assert slicer.size() == 1
    slicer.took(1_000_000, 0.0)
    assert slicer.size() == 500


def test_nothing_done_teaches_nothing() -> None:
    slicer = TimeSlice(0.004, first=25)
    slicer.took(0, 1.0)
    slicer.took(5, -1.0)
    assert slicer.size() == 25


def test_the_estimate_is_smoothed() -> None:
    slicer = TimeSlice(0.004, first=40, smoothing=0.5)  # 100 µs an item to start with
    slicer.took(10, 0.003)  # 300 µs an item once
    assert slicer.per_item == pytest.approx(0.0002)
    assert slicer.size() == 20


@given(st.lists(st.tuples(st.integers(0, 10_000), st.floats(0, 10, allow_nan=False)), max_size=50))
def test_the_size_stays_within_its_bounds(runs: list[tuple[int, float]]) -> None:
    slicer = TimeSlice(0.004, most=1_000)
    for items, seconds in runs:
        slicer.took(items, seconds)
        assert 1 <= slicer.size() <= 1_000


def test_a_budget_must_make_sense() -> None:
    with pytest.raises(ValueError):
        TimeSlice(0)
    with pytest.raises(ValueError):
        TimeSlice(0.004, first=10, most=5)
