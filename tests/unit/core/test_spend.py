"""The guard before money leaves: refuse above the balance, ask before a batch or an
expensive single send, say the figures."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from console.core.spend import Spend, Verdict, judge, refusal, summary


def test_a_batch_above_the_balance_is_refused_with_both_figures() -> None:
    spend = Spend(10_000, 2, cost=740.0, currency="EUR", balance=500.0, balance_currency="EUR")
    assert judge(spend) is Verdict.REFUSE
    assert refusal(spend) == "Not sent: it costs ≈ 740.00 EUR and the balance is 500.00 EUR."


def test_a_batch_the_balance_covers_is_confirmed_with_its_figures() -> None:
    spend = Spend(2_000, 2, cost=148.0, currency="EUR", balance=500.0, balance_currency="EUR")
    assert judge(spend) is Verdict.CONFIRM
    assert summary(spend) == (
        "Recipients: 2,000 numbers × 2 parts = 4,000 SMS parts",
        "Cost: ≈ 148.00 EUR",
        "Balance: 500.00 EUR → 352.00 EUR after",
    )


def test_one_cheap_sms_goes_at_once_and_an_expensive_one_asks() -> None:
    cheap = Spend(1, 1, cost=0.037, currency="EUR", balance=500.0, balance_currency="EUR")
    assert judge(cheap) is Verdict.SEND
    dear = Spend(1, 10, cost=6.0, currency="EUR", balance=500.0, balance_currency="EUR")
    assert judge(dear) is Verdict.CONFIRM
    assert judge(dear, confirm_above=10.0) is Verdict.SEND


def test_a_single_sms_above_the_balance_is_refused_and_exactly_the_balance_goes() -> None:
    assert judge(Spend(1, 1, 0.037, "EUR", 0.02, "EUR")) is Verdict.REFUSE
    assert judge(Spend(1, 2, 0.074, "EUR", 0.074, "EUR")) is Verdict.SEND


def test_unknown_figures_never_refuse_but_a_batch_still_asks() -> None:
    unknown = Spend(3, 1)
    assert judge(unknown) is Verdict.CONFIRM
    assert summary(unknown)[1:] == (
        "Cost: unknown (no price for every number's country)",
        "Balance: unknown (post-paid, or 8x8 did not say)",
    )
    assert judge(Spend(1, 1)) is Verdict.SEND
    other_currency = Spend(5, 1, cost=900.0, currency="USD", balance=1.0, balance_currency="EUR")
    assert judge(other_currency) is Verdict.CONFIRM, "no comparison across currencies"
    assert summary(other_currency)[2] == "Balance: 1.00 EUR"


@given(
    numbers=st.integers(1, 10_000),
    segments=st.integers(1, 10),
    price=st.floats(0.001, 1.0),
    balance=st.floats(0, 10_000),
)
def test_nothing_above_the_balance_is_ever_sent_unasked(
    numbers: int, segments: int, price: float, balance: float
) -> None:
    cost = numbers * segments * price
    verdict = judge(Spend(numbers, segments, cost, "EUR", balance, "EUR"))
    if cost > balance + 1e-9:
        assert verdict is Verdict.REFUSE
    elif numbers > 1:
        assert verdict is Verdict.CONFIRM
    else:
        assert verdict in (Verdict.SEND, Verdict.CONFIRM)


@pytest.mark.parametrize("numbers", [2, 10_000])
def test_more_than_one_number_always_asks(numbers: int) -> None:
    assert judge(Spend(numbers, 1, 0.0, "EUR", 100.0, "EUR")) is Verdict.CONFIRM
