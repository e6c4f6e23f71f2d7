"""What a draft costs: segments × each number's price (its operator's, else its country's)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from console.api.account import OperatorPrice, PriceList
from console.ui.pricing import countries_of, estimate

LISTS = {
    "SG": PriceList((OperatorPrice("SG", "Singapore", "SingTel", 0.037, "EUR"),)),
    "ID": PriceList(
        (
            OperatorPrice("ID", "Indonesia", "Telkomsel", 0.029, "EUR"),
            OperatorPrice("ID", "Indonesia", "XL", 0.031, "EUR"),
        )
    ),
}
SINGTEL, TELKOMSEL, XL, US = "+6591231111", "+62811111111", "+62817111111", "+12025550123"


def test_one_number_shows_segments_times_the_price() -> None:
    found = estimate([TELKOMSEL], 2, LISTS)
    assert found is not None and found.label == "≈ 0.0580 EUR (2 × 0.0290)"
    xl = estimate([XL], 1, LISTS)
    assert xl is not None and xl.total == pytest.approx(0.031)  # the operator's own price


def test_many_numbers_sum_their_prices() -> None:
    found = estimate([SINGTEL, TELKOMSEL], 1, LISTS)
    assert found is not None and found.total == pytest.approx(0.066)
    assert found.label == "≈ 0.07 EUR for 2 numbers"


def test_no_estimate_without_a_price_for_every_number() -> None:
    assert estimate([SINGTEL, US], 1, LISTS) is None
    assert estimate([], 1, LISTS) is None and estimate([SINGTEL], 0, LISTS) is None
    assert countries_of([SINGTEL, TELKOMSEL, "nonsense"]) == {"SG", "ID"}


@given(st.lists(st.sampled_from([SINGTEL, TELKOMSEL, XL]), min_size=1), st.integers(1, 10))
def test_the_total_grows_with_segments_and_numbers(numbers: list[str], segments: int) -> None:
    one = estimate(numbers, 1, LISTS)
    more = estimate(numbers, segments, LISTS)
    assert one is not None and more is not None
    assert more.total == pytest.approx(one.total * segments)
    assert more.total >= 0.029 * segments * len(numbers) - 1e-9
