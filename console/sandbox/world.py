"""The sandbox's state and behaviour: one Outbox per product (SMS, Chat Apps: the shared
record pipeline in pipeline.py), inbound messages, video rooms, faults, limits, the clock.

Everything here runs on the server's event loop. Receipt outcomes and timing come from a
seeded ``random.Random`` stream (customers have their own), so a run with a seed is
reproducible; ids (umids, batch ids, guest codes) stay random so that reruns never collide.
Delays are divided by ``config.speed``.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from console.live.relay import DEFAULT_MAX_BODY as RELAY_MAX_BODY
from console.serving import running_loop_kind

from . import operators
from .customers import Customers
from .errors import format_timestamp as _ts
from .hooks import WebhookBook
from .ledger import Ledger
from .pipeline import CHAT, SMS, Outbox
from .ratelimit import SlidingWindowLimiter
from .records import ChatRecord, SmsRecord, Status
from .templates import TemplateBook
from .textinfo import analyse
from .timeline import Timeline
from .video import VideoRooms
from .webhooks import INBOUND, RECEIPTS, WebhookDispatcher, encode_webhook

if TYPE_CHECKING:
    from .settings import SandboxConfig

SMS_NUMBER = "+6531580000"  # the sandbox's virtual number: customers' SMS arrive here
DEFAULT_SOURCE = "Sandbox"  # sender ID when a send names none
# WhatsApp / Viber channel ids of the sandbox's business accounts (stable, documented).
CHANNEL_IDS = {
    "whatsapp": "5b6c2f0e-1a8d-4c43-9d0e-5a1f2b3c4d01",
    "viber": "5b6c2f0e-1a8d-4c43-9d0e-5a1f2b3c4d02",
    "sms": "5b6c2f0e-1a8d-4c43-9d0e-5a1f2b3c4d03",
}
# The largest webhook the sandbox posts: what the relay accepts (8x8's own bodies are small).
WEBHOOK_MAX_BODY = RELAY_MAX_BODY


class Clock(Protocol):
    """Where the world reads the time: the wall clock and a monotonic one (tests inject one)."""

    def time(self) -> float: ...

    def monotonic(self) -> float: ...


class SystemClock:
    """The machine's clocks."""

    def time(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()


class Undeliverable(ValueError):
    """A message whose webhook could never be delivered; the message says why."""


@dataclass(slots=True)
class Fault:
    remaining: int
    status: int
    prefix: str


def _seed_for(seed: int | None, stream: str) -> int | str | None:
    return None if seed is None else f"{seed}:{stream}"


class World:
    """State of one sandbox: records, timers, webhooks, limiters, customers and rooms."""

    def __init__(self, config: SandboxConfig, clock: Clock | None = None) -> None:
        self.config = config
        self.clock: Clock = clock or SystemClock()
        self.relay_mounted = False  # set by create_sandbox_app when it serves /events
        self.http_parser: str | None = None  # set by whoever serves the app (console.serving)
        self.speed = config.speed
        self.base_url: str | None = config.base_url
        self.outcomes = random.Random(_seed_for(config.seed, "outcomes"))
        self.timeline = Timeline()
        self.webhooks = WebhookDispatcher(
            self.timeline,
            retry_delays=tuple(d / config.speed for d in config.retry_schedule),
        )
        self.hooks = WebhookBook(self.webhook_base, config.webhook_secret)
        self.sub_limiter = SlidingWindowLimiter(config.rate_limit, self.clock.monotonic)
        self.ip_limiter = SlidingWindowLimiter(config.ip_rate_limit, self.clock.monotonic)
        self.ledger = Ledger(config.balance)
        self.sms = Outbox(self, SMS)
        self.chat = Outbox(self, CHAT)
        self.templates = TemplateBook(CHANNEL_IDS, enforce_window=config.whatsapp_window)
        self.faults: list[Fault] = []
        self.video = VideoRooms(self)
        self.scenarios: list[Any] = []  # running scenarios (scenarios.py)
        self.customers: Customers | None = None
        if config.customers:
            self.customers = Customers(self, random.Random(_seed_for(config.seed, "customers")))

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        self.timeline.start(asyncio.get_running_loop())
        await self.webhooks.start()
        if self.customers is not None:
            self.customers.start()
        if self.config.scenario is not None:
            from .scenarios import start_scenario

            start_scenario(self, self.config.scenario)

    async def stop(self) -> None:
        self.timeline.close()
        await self.webhooks.close()

    # -- helpers ---------------------------------------------------------------------------

    @staticmethod
    def new_id() -> str:
        """Ids are always random, seed or not: a rerun with the same seed must not reuse the
        umids a console already keeps in its history."""
        return str(uuid.uuid4())

    def scaled(self, seconds: float) -> float:
        return seconds / self.speed

    def learn_base_url(self, scheme: str, host: str | None) -> None:
        if self.base_url is None and host:
            self.base_url = f"{scheme}://{host}"

    def webhook_base(self) -> str | None:
        if self.config.webhook_url is not None:
            return self.config.webhook_url
        if self.base_url is None:
            return None
        return self.base_url + "/webhooks"

    def post(
        self,
        product: str,
        callback_url: str | None,
        body: dict[str, Any],
        key: str,
        *,
        kind: str = RECEIPTS,
    ) -> None:
        """Queue a webhook on the product's lane for its kind (receipts or inbound
        messages): to the message's callback URL, else where the account's webhook
        configuration (hooks.py) sends this product's events of this kind; nowhere when no
        enabled webhook matches (or no URL is known yet)."""
        route = self.hooks.route(product, kind, self.config.subaccount)
        authorization = route.authorization if route is not None else self.config.webhook_secret
        url = callback_url
        if url is None:
            if route is None:
                return
            url = route.url
        self.webhooks.post(url, body, key, product=product, kind=kind, authorization=authorization)

    @staticmethod
    def check_deliverable(body: dict[str, Any]) -> None:
        """Refuse a webhook the relay would refuse (too large): raises Undeliverable."""
        size = len(encode_webhook(body))
        if size > WEBHOOK_MAX_BODY:
            raise Undeliverable(
                f"its webhook would be {size:,} bytes and the relay takes at most "
                f"{WEBHOOK_MAX_BODY:,}: send a shorter text"
            )

    def is_fraud(self, e164: str) -> bool:
        return any(e164.startswith(prefix) for prefix in self.config.fraud_prefixes)

    def is_persona(self, e164: str | None) -> bool:
        return self.customers is not None and e164 is not None and self.customers.knows(e164)

    # -- faults ----------------------------------------------------------------------------

    def arm_fault(self, count: int, status: int, prefix: str) -> None:
        self.faults.append(Fault(count, status, prefix))

    def take_fault(self, path: str) -> int | None:
        for fault in self.faults:
            if path.startswith(fault.prefix):
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self.faults.remove(fault)
                return fault.status
        return None

    # -- SMS -----------------------------------------------------------------------------

    @staticmethod
    def price_for(region: str | None) -> float:
        return operators.price_for(region)  # the price list /prices serves

    def send_system_sms(
        self, destination: str, region: str | None, text: str, source: str
    ) -> SmsRecord:
        """An SMS the platform sends itself (the video invite): full pipeline, own receipts."""
        info = analyse(text)
        record = SmsRecord(
            umid=self.new_id(),
            subaccount=self.config.subaccount,
            source=source,
            destination=destination,
            country=region,
            text=text,
            encoding=info.encoding,
            sms_count=info.parts,
            per_sms=self.price_for(region),
        )
        self.sms.accept(record, agent=False)
        return record

    # -- inbound ---------------------------------------------------------------------------

    def inbound(
        self,
        channel: str,
        msisdn: str,
        name: str | None,
        text: str,
        *,
        reply_to: str | None = None,
        ago: float = 0.0,
    ) -> str:
        """A customer writes in: emit 8x8's inbound webhook now (dated `ago` seconds back: a
        message written earlier). Returns the inbound umid.

        Raises Undeliverable, before anything is kept or sent, when its webhook could never
        be delivered."""
        umid = self.new_id()
        now = time.time() - ago
        delivered = Status("delivered", "delivered_to_recipient", at=now)
        if channel == "sms":
            info = analyse(text)
            record = SmsRecord(
                umid=umid,
                subaccount=self.config.subaccount,
                source=msisdn,
                destination=SMS_NUMBER,
                country=None,
                text=text,
                encoding=info.encoding,
                sms_count=info.parts,
                per_sms=0.0,
                direction="inbound",
                created_at=now,
                status=delivered,
            )
            body = {
                "namespace": "SMS",
                "eventType": "inbound_message_received",
                "description": "SMS inbound message",
                "payload": {
                    "umid": umid,
                    "subAccountId": self.config.subaccount,
                    "timestamp": _ts(now),
                    "source": msisdn,
                    "destination": SMS_NUMBER,
                    "body": text,
                    "encoding": info.encoding,
                    "smsCount": info.parts,
                },
            }
            self.check_deliverable(body)
            self.sms.keep(record)
            self.post(SMS.name, None, body, umid, kind=INBOUND)
            return umid
        user: dict[str, Any] = {
            "msisdn": msisdn,
            "channelUserId": self.channel_user_id(channel, msisdn),
        }
        if name:
            user["name"] = name
        chat = ChatRecord(
            umid=umid,
            subaccount=self.config.subaccount,
            channel=channel,
            user=user,
            msisdn=msisdn,
            text=text,
            direction="inbound",
            created_at=now,
            status=delivered,
        )
        payload: dict[str, Any] = {
            "umid": umid,
            "subAccountId": self.config.subaccount,
            "timestamp": _ts(now),
            "user": user,
            "recipient": {"channel": channel, "channelId": CHANNEL_IDS[channel]},
            "type": "text",
            "content": {"text": text},
        }
        if reply_to is not None:
            payload["replyToUmid"] = reply_to
        body = {
            "version": 3,
            "namespace": "ChatApps",
            "eventType": "inbound_message_received",
            "description": "ChatApps inbound message",
            "payload": payload,
        }
        self.check_deliverable(body)
        if channel == "whatsapp":  # the customer-service window opens (again)
            self.templates.customer_wrote(msisdn, self.clock.time() - ago)
        self.chat.keep(chat)
        self.post(CHAT.name, None, body, umid, kind=INBOUND)
        return umid

    @staticmethod
    def channel_user_id(channel: str, msisdn: str) -> str:
        """WhatsApp reports the number's digits; Viber an opaque, stable user id."""
        if channel == "viber":
            digest = uuid.uuid5(uuid.NAMESPACE_URL, "viber:" + msisdn).hex
            return digest[:22] + "=="
        return msisdn.lstrip("+")

    def info(self) -> dict[str, Any]:
        """Live figures for /sandbox/info (called on the server's loop)."""
        return {
            "webhooks": self.webhooks.stats.as_dict(),
            "webhookLanes": self.webhooks.lane_stats(),
            "server": {"loop": running_loop_kind(), "http": self.http_parser},
            # the sub-account limiter's admissions per second (its clock's whole seconds)
            "admissions": self.sub_limiter.counts.as_list(),
        }
