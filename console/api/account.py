"""The account's typed results: webhooks (8x8's configuration API), the prepaid balance and
the SMS price list. Frozen values, no I/O; ``from_json`` raises KeyError/TypeError/ValueError
on a body that lacks what 8x8 documents (the client turns that into UnexpectedResponse).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

WebhookProduct = Literal["sms", "chatapps"]
WEBHOOK_TYPES = ("DR", "MO", "MSG", "EV")
TYPE_LABELS = {
    "DR": "receipts",
    "MO": "SMS inbound",
    "MSG": "inbound",
    "EV": "events",
}
OUTCOMES = ("success", "failure")


def _number(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{name} is not a number")
    return float(value)


def _text(value: Any, name: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name} is not a string")
    return value


@dataclass(frozen=True, slots=True)
class WebhookConfig:
    """One webhook of the account. The Authorization value is kept only to send it back
    unchanged (enable/disable); it is never shown, logged or part of the repr."""

    product: str  # "sms" | "chatapps": the host it is configured on
    subaccount: str  # a sub-account id, or "*"
    type: str  # DR | MO | MSG | EV
    url: str
    enabled: bool = True
    authorization: str | None = field(default=None, repr=False, compare=False)

    @property
    def has_authorization(self) -> bool:
        return bool(self.authorization)

    @property
    def type_label(self) -> str:
        return TYPE_LABELS.get(self.type, self.type)

    @classmethod
    def from_json(cls, product: str, data: Mapping[str, Any]) -> WebhookConfig:
        enabled = data.get("enabled", True)
        authorization = data.get("httpAuthorization")
        return cls(
            product=product,
            subaccount=_text(data["subAccountId"], "subAccountId"),
            type=_text(data["type"], "type"),
            url=_text(data["url"], "url"),
            enabled=enabled if isinstance(enabled, bool) else True,
            authorization=authorization if isinstance(authorization, str) else None,
        )

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"subAccountId": self.subaccount, "type": self.type, "url": self.url}
        if self.authorization:
            out["httpAuthorization"] = self.authorization
        out["enabled"] = self.enabled
        return out


def webhooks_from_json(product: str, data: Any) -> list[WebhookConfig]:
    if not isinstance(data, Sequence) or isinstance(data, str):
        raise TypeError("the webhooks are not a list")
    return [WebhookConfig.from_json(product, item) for item in data]


@dataclass(frozen=True, slots=True)
class Balance:
    amount: float
    currency: str

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Balance:
        return cls(_number(data["balance"], "balance"), _text(data["currency"], "currency"))


@dataclass(frozen=True, slots=True)
class OperatorPrice:
    """The price of one SMS part to one operator of one country."""

    country: str  # ISO alpha-2
    country_name: str
    operator: str
    amount: float
    currency: str


@dataclass(frozen=True, slots=True)
class PriceList:
    prices: tuple[OperatorPrice, ...]

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PriceList:
        found: list[OperatorPrice] = []
        for sub in data.get("subAccounts") or ():
            outbound = sub.get("outbound") or ()
            if isinstance(outbound, Mapping):  # 8x8's own examples show an object here
                outbound = [outbound]
            for block in outbound:
                for country in block.get("countries") or ():
                    code = _text(country["alpha2Code"], "alpha2Code")
                    name = _text(country.get("countryName") or code, "countryName")
                    for op in country.get("operators") or ():
                        price = op["price"]
                        found.append(
                            OperatorPrice(
                                code,
                                name,
                                _text(op.get("operatorName") or "?", "operatorName"),
                                _number(price["amount"], "amount"),
                                _text(price["currency"], "currency"),
                            )
                        )
        return cls(tuple(found))

    def for_country(self, country: str) -> tuple[OperatorPrice, ...]:
        return tuple(price for price in self.prices if price.country == country.upper())

    def sms_price(self, country: str, operator: str | None = None) -> OperatorPrice | None:
        """The price for a destination: its operator's, else the country's highest (what a
        part may cost at most), None where the list has no such country."""
        prices = self.for_country(country)
        if operator:
            for price in prices:
                if price.operator.casefold() == operator.casefold():
                    return price
        return max(prices, key=lambda price: price.amount, default=None)
