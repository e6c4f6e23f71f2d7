"""The sandbox's prepaid account: what it started with, what accepted SMS cost, refunds.

8x8 lowers a prepaid balance by what each accepted SMS costs (its parts × the price to its
operator) and gives back what a message rejected or failed never cost. A send the balance
does not cover is refused before anything is accepted. 8x8's documentation names no error
for that case (the send endpoints document 400, 401, 426 and 500), so the sandbox answers
**400 with code 1400, "Insufficient balance: …"** in 8x8's common error body — our choice,
noted in the README — and the console says both figures.
"""

from __future__ import annotations

from typing import Any

from . import errors as E
from .operators import CURRENCY

INSUFFICIENT_BALANCE = 1400
REFUNDED_STATES = frozenset({"rejected", "failed"})
_CENT = 1e-9  # float sums of prices: never refuse a send that costs exactly what is left


def cost_of(record: Any) -> float:
    """What an accepted message costs: an outbound SMS's parts × its price, else nothing."""
    if getattr(record, "direction", None) != "outbound":
        return 0.0
    per_sms = getattr(record, "per_sms", None)
    if per_sms is None:
        return 0.0
    return float(per_sms) * int(record.sms_count)


class Ledger:
    """The balance: ``start`` less what accepted messages cost, plus their refunds."""

    def __init__(self, start: float) -> None:
        self.start = start
        self.spent = 0.0

    @property
    def left(self) -> float:
        return max(self.start - self.spent, 0.0)

    def check(self, cost: float, count: int = 1) -> None:
        """Raise the 400 a send gets when the balance does not cover ``cost``."""
        if cost > self.left + _CENT:
            what = "this message" if count == 1 else f"these {count:,} messages"
            raise E.ApiError(
                400,
                INSUFFICIENT_BALANCE,
                f"Insufficient balance: {what} cost {cost:,.4f} {CURRENCY}, "
                f"the balance is {self.left:,.4f} {CURRENCY}",
            )

    def charge(self, cost: float) -> None:
        self.spent += cost

    def refund(self, cost: float) -> None:
        self.spent = max(self.spent - cost, 0.0)
