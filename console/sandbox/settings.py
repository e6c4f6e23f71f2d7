"""SandboxConfig: everything that shapes one sandbox world. No I/O, no server imports."""

from __future__ import annotations

import re
import secrets
import uuid
from dataclasses import dataclass, field

SUBACCOUNT_PATTERN = re.compile(r"^[A-Za-z0-9\-._&]{3,50}$")
# 8x8's accountId: a UUID, with or without its dashes (configuration API, balance, prices).
ACCOUNT_PATTERN = re.compile(r"^[0-9A-Fa-f]{8}[-]?(?:[0-9A-Fa-f]{4}[-]?){3}[0-9A-Fa-f]{12}$")
SCENARIOS = ("ait",)

# Omni Shield's demo fraud list: +1 202 555-0100 to -0199, a North American range reserved
# for fiction. Numbers there are clearly fake, pass 8x8's format check and the console's
# phonenumbers check (the UK's drama range does not), and end `rejected` with errorCode 99.
DEMO_FRAUD_PREFIX = "+120255501"


def generate_demo_key() -> str:
    """A fresh random API key for a sandbox that was given none (never seeded, never stored)."""
    return "sandbox_" + secrets.token_urlsafe(30)


@dataclass(frozen=True)
class SandboxConfig:
    """One sandbox world.

    - ``webhook_url`` is a BASE url: SMS events are POSTed to ``{webhook_url}/sms`` and Chat
      Apps events to ``{webhook_url}/chatapps``. None means the sandbox's own base URL +
      ``/webhooks`` (where the relay routes are mounted by the console).
    - ``webhook_secret`` is sent verbatim as the webhooks' Authorization header.
    - ``base_url`` is the sandbox's public base URL, used for guest links and the default
      webhook URL. None means: learn it from the first API request (its scheme and Host
      header). SandboxServer and the ``sandbox`` command set it when they bind a loopback or
      named host.
    - ``speed`` scales every sandbox delay (receipts, customers, webhook retries, scheduled
      sends, room validity): 2.0 runs twice as fast.
    """

    api_keys: tuple[str, ...] = field(repr=False)
    subaccount: str = "sandbox"
    webhook_url: str | None = None
    webhook_secret: str | None = field(default=None, repr=False)
    seed: int | None = None
    speed: float = 1.0
    rate_limit: float = 1800
    ip_rate_limit: float = 3000
    fraud_prefixes: tuple[str, ...] = (DEMO_FRAUD_PREFIX,)
    undelivered_share: float = 0.1
    customers: bool = True
    retry_schedule: tuple[float, ...] = (1, 10, 30, 90)
    base_url: str | None = None
    account_id: str | None = None  # None: a UUID derived from the sub-account (stable)
    balance: float = 500.0  # the prepaid balance at start, EUR; each SMS sent lowers it
    scenario: str | None = None  # started with the sandbox: "ait" (scenarios.py)
    # WhatsApp's 24-hour window (templates.py): a free-form message to a customer who has not
    # written for 24 hours ends undelivered, errorCode 61. The `sandbox` command (and so the
    # demo) turns it on; off here so a test's world delivers to any number unless it asks.
    whatsapp_window: bool = False

    @property
    def account(self) -> str:
        """The account id, as 8x8 shows it (a UUID with dashes)."""
        if self.account_id is not None:
            return self.account_id
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"agent-console-sandbox:{self.subaccount}"))

    def __post_init__(self) -> None:
        if isinstance(self.api_keys, str):
            raise TypeError("api_keys must be a tuple of keys, not one string")
        if not self.api_keys or not all(isinstance(k, str) and k for k in self.api_keys):
            raise ValueError("the sandbox needs at least one non-empty API key")
        if not SUBACCOUNT_PATTERN.match(self.subaccount):
            raise ValueError(
                f"sub-account {self.subaccount!r} is not valid: 3-50 letters, digits or - . _ &"
            )
        if not self.speed > 0:
            raise ValueError("speed must be greater than 0")
        if not self.rate_limit > 0 or not self.ip_rate_limit > 0:
            raise ValueError("rate limits must be greater than 0")
        if not 0.0 <= self.undelivered_share <= 1.0:
            raise ValueError("undelivered_share must be between 0 and 1")
        if self.webhook_secret is not None and (
            not self.webhook_secret.isprintable() or not self.webhook_secret.isascii()
        ):
            raise ValueError("the webhook secret must be printable ASCII (it is a header value)")
        if self.account_id is not None and not ACCOUNT_PATTERN.match(self.account_id):
            raise ValueError(f"account id {self.account_id!r} is not valid: a UUID")
        if not self.balance >= 0:
            raise ValueError("the balance cannot be negative")
        if self.scenario is not None and self.scenario not in SCENARIOS:
            raise ValueError(f"unknown scenario {self.scenario!r}: {', '.join(SCENARIOS)}")
        if any(d < 0 for d in self.retry_schedule):
            raise ValueError("retry delays cannot be negative")
        for name in ("webhook_url", "base_url"):
            value = getattr(self, name)
            if value is not None and not value.startswith(("http://", "https://")):
                raise ValueError(f"{name} must be an http:// or https:// URL, not {value!r}")
        object.__setattr__(self, "api_keys", tuple(self.api_keys))
        object.__setattr__(self, "retry_schedule", tuple(float(d) for d in self.retry_schedule))
        object.__setattr__(
            self,
            "fraud_prefixes",
            tuple(p if p.startswith("+") else "+" + p for p in self.fraud_prefixes),
        )
        for name in ("webhook_url", "base_url"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, value.rstrip("/"))
