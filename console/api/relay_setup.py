""" "Point 8x8's webhooks at my relay": create (or update) the SMS and Chat Apps webhooks to
``<relay>/webhooks/sms`` and ``…/webhooks/chatapps`` with the relay's secret, then prove the
whole path, and say which hop failed when one does. UI-free; the screen runs it in a worker
and gives it the I/O it needs (the API client, :func:`probe_url`, the stream's state, a
wait for a receipt through the relay).

The hops, in order:

1. the relay answers at its public URL (from this machine);
2. 8x8 saved the webhooks (the configuration API, read back);
3. this console follows the relay's event stream;
4. a test SMS is accepted (sandbox), or in live mode nothing is sent and
5. a receipt comes back through the relay: the test SMS's, or in live mode the next one.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

from console.api.account import WebhookConfig
from console.api.models import SmsAccepted, SmsMessage

PRODUCTS = ("sms", "chatapps")
INBOUND_TYPE = {"sms": "MO", "chatapps": "MSG"}
TEST_TEXT = "agent-console: checking that receipts reach the relay"
MAX_SECRET = 1024
MAX_URL = 2048  # what the configuration API keeps of a webhook URL


class ConfigApi(Protocol):
    async def webhooks(self, product: str, account_id: str) -> list[WebhookConfig]: ...

    async def put_webhooks(
        self, product: str, account_id: str, hooks: Sequence[WebhookConfig]
    ) -> None: ...

    async def send_sms(self, message: SmsMessage) -> SmsAccepted: ...


@dataclass(frozen=True, slots=True)
class Hop:
    name: str
    ok: bool
    detail: str = ""

    @property
    def line(self) -> str:
        mark = "✓" if self.ok else "✗"
        return f"{mark} {self.name}" + (f": {self.detail}" if self.detail else "")


@dataclass(frozen=True, slots=True)
class SetupResult:
    hops: tuple[Hop, ...]

    @property
    def ok(self) -> bool:
        return bool(self.hops) and all(hop.ok for hop in self.hops)

    @property
    def failed(self) -> Hop | None:
        return next((hop for hop in self.hops if not hop.ok), None)


def check_relay_input(url: str, secret: str) -> dict[str, str]:
    """Field → problem, for the relay's public URL and its webhook secret."""
    problems: dict[str, str] = {}
    value = url.strip()
    try:
        parts = urlsplit(value)
        good = parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:
        good = False
    if len(value) > MAX_URL:
        problems["relay-url"] = f"The URL is {len(value):,} characters: at most {MAX_URL:,}"
    elif not good or not value.isascii() or not value.isprintable() or " " in value:
        problems["relay-url"] = "Give the relay's public URL, e.g. https://relay.example.com"
    if not secret:
        problems["relay-secret"] = "Give the relay's webhook secret (sent as Authorization)"
    elif len(secret) > MAX_SECRET:
        problems["relay-secret"] = (
            f"The secret is {len(secret):,} characters: at most {MAX_SECRET:,}"
        )
    elif not secret.isascii() or not secret.isprintable():
        problems["relay-secret"] = "The secret must be printable ASCII (it is a header value)"
    return problems


def relay_base(url: str) -> str:
    """The relay's base URL: a trailing /, /webhooks or /webhooks/sms is dropped."""
    base = url.strip().rstrip("/")
    for tail in ("/webhooks/sms", "/webhooks/chatapps", "/webhooks"):
        if base.endswith(tail):
            return base[: -len(tail)]
    return base


def relay_webhooks(product: str, url: str, secret: str, subaccount: str) -> list[WebhookConfig]:
    """The webhooks one product needs: receipts and inbound messages, to the relay."""
    target = f"{relay_base(url)}/webhooks/{product}"
    return [
        WebhookConfig(product, subaccount, kind, target, True, secret)
        for kind in ("DR", INBOUND_TYPE[product])
    ]


# What stops when a webhook stops (deleted or disabled), by product and type.
_STOPS = {
    ("sms", "DR"): "SMS delivery receipts: the Feed, Compose's statuses and room invites' "
    "receipts stop moving",
    ("sms", "MO"): "customers' SMS: they stop reaching the Inbox",
    ("chatapps", "DR"): "Chat Apps receipts: replies' delivery states stop moving",
    ("chatapps", "MSG"): "customers' WhatsApp, Viber and other Chat Apps messages: they stop "
    "reaching the Inbox",
}


def what_stops(hook: WebhookConfig, followed: str | None) -> str | None:
    """What the consoles lose when `hook` stops, when it is one the relay they follow
    (`followed`: its events URL, ws:// or wss://) depends on: enabled, and pointing at that
    relay's webhook routes. None for any other webhook."""
    if followed is None or not hook.enabled:
        return None
    base = followed.replace("wss://", "https://", 1).replace("ws://", "http://", 1)
    base = relay_base(base.removesuffix("/events"))
    if relay_base(hook.url).rstrip("/") != base.rstrip("/"):
        return None
    return _STOPS.get((hook.product, hook.type), f"{hook.type} events from 8x8")


async def probe_url(url: str) -> str | None:
    """The reachability probe: None when `url` answers at all (any status), else why not."""
    import httpx  # imported when the agent asks for the proof, not at start-up

    try:
        async with httpx.AsyncClient(timeout=5, trust_env=False) as http:
            await http.get(url)
    except (httpx.HTTPError, httpx.InvalidURL) as error:  # InvalidURL is no HTTPError
        return f"no answer from {url} ({type(error).__name__})"
    return None


def _readable(error: Exception) -> str:
    return getattr(error, "readable", None) or str(error) or type(error).__name__


async def point_at_relay(
    api: ConfigApi,
    *,
    account_id: str,
    subaccount: str,
    relay_url: str,
    secret: str,
    reachable: Callable[[str], Awaitable[str | None]],
    following: Callable[[], bool],
    receipt: Callable[[str | None], Awaitable[bool]],
    test_number: str | None,
    on_hop: Callable[[Hop], object] = lambda hop: None,
) -> SetupResult:
    """Configure both products' webhooks, then prove the path (see the module docstring).

    ``reachable(url)`` returns None or why the URL does not answer; ``following()`` tells
    whether the console's event stream from the relay is live; ``receipt(umid)`` waits for a
    receipt of that message (any receipt when None) to arrive through the relay. With no
    ``test_number`` (live), no SMS is sent and the next receipt proves the path."""
    hops: list[Hop] = []

    def hop(name: str, ok: bool, detail: str = "") -> bool:
        item = Hop(name, ok, detail)
        hops.append(item)
        on_hop(item)
        return ok

    base = relay_base(relay_url)
    problem = await reachable(f"{base}/webhooks/sms")
    if not hop("the relay answers at its public URL", problem is None, problem or base):
        return SetupResult(tuple(hops))
    try:
        for product in PRODUCTS:
            wanted = relay_webhooks(product, base, secret, subaccount)
            await api.put_webhooks(product, account_id, wanted)
            saved = await api.webhooks(product, account_id)
            keys = {(h.subaccount, h.type, h.url, h.enabled) for h in saved}
            missing = [h for h in wanted if (h.subaccount, h.type, h.url, True) not in keys]
            if missing:
                hop(
                    "8x8 saved the webhooks",
                    False,
                    f"the {product} webhooks did not read back as saved",
                )
                return SetupResult(tuple(hops))
    except Exception as error:
        hop("8x8 saved the webhooks", False, _readable(error))
        return SetupResult(tuple(hops))
    hop("8x8 saved the webhooks", True, f"SMS and Chat Apps → {base}/webhooks/…")
    if not hop(
        "this console follows the relay's events",
        following(),
        "" if following() else "the event stream is not live: start the console with --relay",
    ):
        return SetupResult(tuple(hops))
    umid: str | None = None
    if test_number is not None:
        try:
            accepted = await api.send_sms(SmsMessage(test_number, TEST_TEXT))
        except Exception as error:
            hop("a test SMS was accepted", False, _readable(error))
            return SetupResult(tuple(hops))
        if not accepted.accepted:
            hop("a test SMS was accepted", False, accepted.status_description or "refused")
            return SetupResult(tuple(hops))
        umid = accepted.umid
        hop("a test SMS was accepted", True, f"to {test_number}")
    arrived = await receipt(umid)
    what = "its receipt came back through the relay" if umid else "a receipt came through"
    detail = (
        ""
        if arrived
        else (
            "nothing arrived: 8x8 could not reach the relay at that URL, or the relay refused "
            "the secret (check the relay's log and AGENT_CONSOLE_WEBHOOK_SECRET)"
        )
    )
    hop(what, arrived, detail)
    return SetupResult(tuple(hops))
