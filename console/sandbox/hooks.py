"""Which URL and Authorization each product's webhooks go to: the account's webhook
configuration (8x8's configuration API, served by account.py), read by the delivery code.

8x8 keeps webhooks per product (the configuration API is served on the SMS host and on the
Chat Apps host), each identified by its sub-account scope (a sub-account id, or ``*`` for
all) and its type: ``DR`` delivery receipts, ``MO`` SMS inbound messages, ``MSG`` SMS and
Chat Apps inbound messages, ``EV`` other events.

The sandbox starts with one ``DR`` and one inbound webhook per product, scoped ``*``, that
point where its command line says (``--webhook-url``, else its own relay routes) with
``--webhook-secret``; the configuration API then changes, adds, disables or deletes them.
The delivery code asks :meth:`WebhookBook.route` for each event and nothing else: no event
is posted where no enabled webhook matches.

No I/O; the defaults follow the world's base URL once it is known.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Final, Literal

Product = Literal["sms", "chatapps"]
Kind = Literal["receipts", "inbound"]
PRODUCTS: Final = ("sms", "chatapps")
TYPES: Final = ("DR", "MO", "MSG", "EV")
ALL: Final = "*"
# The types that carry one product's events of one kind, in order of preference.
WANTED: Final[dict[tuple[str, str], tuple[str, ...]]] = {
    ("sms", "receipts"): ("DR",),
    ("sms", "inbound"): ("MO", "MSG"),
    ("chatapps", "receipts"): ("DR",),
    ("chatapps", "inbound"): ("MSG",),
}
DEFAULT_INBOUND: Final = {"sms": "MO", "chatapps": "MSG"}
MAX_WEBHOOKS = 200  # per product: far more than an account has in practice


@dataclass(frozen=True, slots=True)
class Webhook:
    """One configured webhook of one product."""

    product: str
    subaccount: str  # a sub-account id or "*"
    type: str  # DR | MO | MSG | EV
    url: str
    authorization: str | None = None
    enabled: bool = True
    version: int = 3

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.product, self.subaccount, self.type)

    def as_json(self) -> dict[str, object]:
        """8x8's shape (the Authorization is the account's own secret: GET returns it, as
        8x8 does; the console shows only whether one is set)."""
        out: dict[str, object] = {
            "subAccountId": self.subaccount,
            "type": self.type,
            "version": self.version,
            "url": self.url,
        }
        if self.authorization is not None:
            out["httpAuthorization"] = self.authorization
        out["httpContenttype"] = "application/json"
        out["enabled"] = self.enabled
        return out


@dataclass(frozen=True, slots=True)
class Route:
    """Where one event goes: the URL and the Authorization header (sent verbatim)."""

    url: str
    authorization: str | None


class WebhookBook:
    """The account's webhooks, per product: the command line's defaults, then what the
    configuration API changed. ``default_base`` returns the base URL of the defaults (None
    while unknown: no request seen yet and no URL configured)."""

    def __init__(self, default_base: Callable[[], str | None], secret: str | None) -> None:
        self._default_base = default_base
        self._secret = secret
        self._set: dict[tuple[str, str, str], Webhook] = {}
        self._removed: set[tuple[str, str, str]] = set()

    # -- reading -------------------------------------------------------------------------

    def _defaults(self, product: str) -> list[Webhook]:
        base = self._default_base()
        if base is None:
            return []
        url = f"{base}/{product}"
        return [
            Webhook(product, ALL, kind, url, self._secret)
            for kind in ("DR", DEFAULT_INBOUND[product])
        ]

    def webhooks(self, product: str) -> list[Webhook]:
        """The product's webhooks as 8x8 would list them: defaults first, then the rest."""
        out: dict[tuple[str, str, str], Webhook] = {}
        for hook in self._defaults(product):
            if hook.key not in self._removed:
                out[hook.key] = hook
        for key, hook in self._set.items():
            if key[0] == product:
                out[key] = hook
        return list(out.values())

    def route(self, product: str, kind: str, subaccount: str) -> Route | None:
        """Where an event of ``product`` and ``kind`` for ``subaccount`` goes, or None.

        The most specific webhook wins (the sub-account's own before ``*``; within a scope,
        the first type of WANTED); a disabled one sends nothing, as 8x8 does."""
        wanted = WANTED[(product, kind)]
        hooks = {hook.key: hook for hook in self.webhooks(product)}
        for scope in (subaccount, ALL):
            for kind_type in wanted:
                hook = hooks.get((product, scope, kind_type))
                if hook is not None:
                    return Route(hook.url, hook.authorization) if hook.enabled else None
        return None

    # -- changing ------------------------------------------------------------------------

    def put(self, hook: Webhook) -> None:
        """Create or replace the webhook with the same product, scope and type."""
        if hook.key not in self._set and len(self.webhooks(hook.product)) >= MAX_WEBHOOKS:
            raise ValueError(f"at most {MAX_WEBHOOKS} webhooks per product")
        self._set[hook.key] = hook
        self._removed.discard(hook.key)

    def delete(self, product: str, subaccount: str, kind: str) -> bool:
        """Remove one webhook; False when there was none."""
        key = (product, subaccount, kind)
        existing = {hook.key for hook in self.webhooks(product)}
        if key not in existing:
            return False
        self._set.pop(key, None)
        self._removed.add(key)
        return True

    def set_enabled(self, product: str, subaccount: str, kind: str, enabled: bool) -> bool:
        for hook in self.webhooks(product):
            if hook.key == (product, subaccount, kind):
                self.put(replace(hook, enabled=enabled))
                return True
        return False
