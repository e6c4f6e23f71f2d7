"""The guard before money leaves: what a send will cost against what the account holds.

A send to more than one number, or one that costs more than the agent's threshold
(``[compose] confirm_above`` in config.toml, in the balance's currency), is confirmed once
with the recipients, segments, cost and balance in front of the agent; a send that costs
more than the balance is refused before anything is sent, with both figures. Pure: the
composer gathers the figures (prices and balance from 8x8, off the UI loop) and shows the
verdict.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

DEFAULT_CONFIRM_ABOVE = 5.0  # a single SMS costing more than this is confirmed too


class Verdict(Enum):
    SEND = "send"  # one number, cheap: no question
    CONFIRM = "confirm"  # ask once, Cancel by default
    REFUSE = "refuse"  # more than the balance: nothing is sent


@dataclass(frozen=True, slots=True)
class Spend:
    """The figures of one send: numbers, parts per number, cost and balance when known."""

    numbers: int
    segments: int
    cost: float | None = None  # None: a country without a price, or no price list
    currency: str | None = None
    balance: float | None = None  # None: post-paid, no account id, or 8x8 did not say
    balance_currency: str | None = None

    @property
    def parts(self) -> int:
        return self.numbers * self.segments

    @property
    def comparable(self) -> bool:
        """The cost and the balance are both known, in one currency."""
        return (
            self.cost is not None
            and self.balance is not None
            and self.currency is not None
            and self.currency == self.balance_currency
        )


def judge(spend: Spend, confirm_above: float = DEFAULT_CONFIRM_ABOVE) -> Verdict:
    if (
        spend.comparable
        and spend.cost is not None
        and spend.balance is not None
        and spend.cost > spend.balance + 1e-9
    ):
        return Verdict.REFUSE
    if spend.numbers > 1:
        return Verdict.CONFIRM
    if spend.cost is not None and spend.cost > confirm_above:
        return Verdict.CONFIRM
    return Verdict.SEND


def _money(amount: float, currency: str | None) -> str:
    return f"{amount:,.2f} {currency or ''}".rstrip()


def cost_line(spend: Spend) -> str:
    if spend.cost is None:
        return "Cost: unknown (no price for every number's country)"
    return f"Cost: ≈ {_money(spend.cost, spend.currency)}"


def balance_line(spend: Spend) -> str:
    if spend.balance is None:
        return "Balance: unknown (post-paid, or 8x8 did not say)"
    after = ""
    if spend.comparable and spend.cost is not None:
        after = f" → {_money(spend.balance - spend.cost, spend.currency)} after"
    return f"Balance: {_money(spend.balance, spend.balance_currency)}{after}"


def summary(spend: Spend) -> tuple[str, ...]:
    """The confirmation's lines: recipients and parts, cost, balance."""
    noun = "number" if spend.numbers == 1 else "numbers"
    per = "part" if spend.segments == 1 else "parts"
    return (
        f"Recipients: {spend.numbers:,} {noun} × {spend.segments} {per} = "
        f"{spend.parts:,} SMS parts",
        cost_line(spend),
        balance_line(spend),
    )


def refusal(spend: Spend) -> str:
    """Why a send above the balance was not sent, with both figures."""
    assert spend.cost is not None and spend.balance is not None
    return (
        f"Not sent: it costs ≈ {_money(spend.cost, spend.currency)} and the balance is "
        f"{_money(spend.balance, spend.balance_currency)}."
    )
