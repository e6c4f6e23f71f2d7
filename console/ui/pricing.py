"""What a draft will cost: segments × the price of one SMS part to each destination's country
and operator (8x8's price list), summed over the numbers. Pure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from console.api.account import PriceList
from console.core.networks import UNKNOWN, network_of


@dataclass(frozen=True, slots=True)
class Estimate:
    total: float
    currency: str
    per_part: float | None  # one price for every number, else None
    numbers: int
    segments: int

    @property
    def label(self) -> str:
        """'≈ 0.0740 EUR (2 × 0.0370)' or '≈ 7.40 EUR for 100 numbers'."""
        if self.numbers == 1 and self.per_part is not None:
            return f"≈ {self.total:.4f} {self.currency} ({self.segments} × {self.per_part:.4f})"
        return f"≈ {self.total:,.2f} {self.currency} for {self.numbers:,} numbers"


def countries_of(numbers: Sequence[str]) -> set[str]:
    """The countries of the numbers (those phonenumbers knows)."""
    return {c for n in numbers if (c := network_of(n).country) != UNKNOWN}


def estimate(
    numbers: Sequence[str], segments: int, lists: Mapping[str, PriceList | None]
) -> Estimate | None:
    """The draft's cost, or None when a number's country has no price (yet, or at all)."""
    if not numbers or segments <= 0:
        return None
    total = 0.0
    prices: set[float] = set()
    currencies: set[str] = set()
    for number in numbers:
        network = network_of(number)
        price_list = lists.get(network.country)
        price = (
            None
            if price_list is None
            else price_list.sms_price(
                network.country, None if network.operator == UNKNOWN else network.operator
            )
        )
        if price is None:
            return None
        total += price.amount * segments
        prices.add(price.amount)
        currencies.add(price.currency)
    if len(currencies) != 1:
        return None
    per_part = prices.pop() if len(prices) == 1 else None
    return Estimate(round(total, 6), currencies.pop(), per_part, len(numbers), segments)
