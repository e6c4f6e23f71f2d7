"""The sandbox's state and behaviour: messages, receipts, inbound messages, faults.

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
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .customers import Customers
from .errors import format_timestamp as _ts
from .ratelimit import SlidingWindowLimiter
from .textinfo import analyse
from .timeline import Timeline
from .video import VideoRooms
from .webhooks import WebhookDispatcher

if TYPE_CHECKING:
    from .settings import SandboxConfig

SMS_NUMBER = "+6531580000"  # the sandbox's virtual number: customers' SMS arrive here
DEFAULT_SOURCE = "Sandbox"  # sender ID when a send names none
CURRENCY = "EUR"
# Plausible per-SMS prices (EUR) by destination country; others pay DEFAULT_PRICE.
PRICES = {
    "SG": 0.0370,
    "MY": 0.0210,
    "ID": 0.0290,
    "PH": 0.0160,
    "TH": 0.0150,
    "IN": 0.0045,
    "AU": 0.0390,
    "GB": 0.0350,
    "DE": 0.0750,
    "FR": 0.0690,
    "US": 0.0079,
    "CA": 0.0075,
}
DEFAULT_PRICE = 0.0500
# WhatsApp / Viber channel ids of the sandbox's business accounts (stable, documented).
CHANNEL_IDS = {
    "whatsapp": "5b6c2f0e-1a8d-4c43-9d0e-5a1f2b3c4d01",
    "viber": "5b6c2f0e-1a8d-4c43-9d0e-5a1f2b3c4d02",
    "sms": "5b6c2f0e-1a8d-4c43-9d0e-5a1f2b3c4d03",
}
# (errorCode, errorMessage, detail, weight) for undelivered SMS: 8x8's DR error codes.
SMS_FAILURES = (
    (46, "Subscriber not reachable", "undelivered_to_recipient", 5),
    (36, "SMS expired", "undelivered_to_recipient", 3),
    (1, "Absent subscriber", "undelivered_to_recipient", 2),
    (47, "Subscriber temporary unavailable", "undelivered_to_recipient", 2),
    (15, "Invalid destination", "rejected_by_operator", 1),
)
# Messaging Apps DR error codes.
CHAT_FAILURES = (
    (1, "AbsentSubscriber", "undelivered_to_recipient", 4),
    (36, "Expired", "undelivered_to_recipient", 1),
)
OMNI_SHIELD = (99, "Rejected by 8x8")
RANK = {"queued": 0, "sent": 1, "delivered": 2, "undelivered": 2, "rejected": 2, "failed": 2}
RANK_READ = 3
MAX_RECORDS = 250_000  # per store; the oldest records are forgotten beyond this

# One planned receipt: (seconds after the send at speed 1, state, detail, errorCode, errorMessage)
Step = tuple[float, str, str | None, int | None, str | None]


@dataclass(slots=True)
class Status:
    state: str = "queued"
    detail: str | None = None
    error_code: int | None = None
    error_message: str | None = None
    at: float = field(default_factory=time.time)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"state": self.state}
        if self.detail is not None:
            out["detail"] = self.detail
        out["timestamp"] = _ts(self.at)
        if self.error_code is not None:
            out["errorCode"] = self.error_code
            out["errorMessage"] = self.error_message
        return out

    def advance(
        self, state: str, detail: str | None, code: int | None, message: str | None
    ) -> bool:
        """Move forward only (queued → sent → delivered/undelivered/rejected → read)."""
        new_rank = RANK_READ if state == "read" else RANK[state]
        old_rank = RANK_READ if self.state == "read" else RANK[self.state]
        if new_rank <= old_rank:
            return False
        self.state, self.detail, self.error_code, self.error_message = state, detail, code, message
        self.at = time.time()
        return True


@dataclass(slots=True)
class SmsRecord:
    umid: str
    subaccount: str
    source: str
    destination: str  # E.164 with '+'
    country: str | None
    text: str
    encoding: str
    sms_count: int
    per_sms: float
    client_message_id: str | None = None
    batch_id: str | None = None
    client_batch_id: str | None = None
    callback_url: str | None = None
    direction: str = "outbound"
    created_at: float = field(default_factory=time.time)
    expiry: float | None = None
    waiting_schedule: bool = False
    status: Status = field(default_factory=Status)


@dataclass(slots=True)
class ChatRecord:
    umid: str
    subaccount: str
    channel: str  # lower-case webhook channel name
    user: dict[str, Any]
    msisdn: str | None
    text: str | None
    client_message_id: str | None = None
    batch_id: str | None = None
    client_batch_id: str | None = None
    callback_url: str | None = None
    direction: str = "outbound"
    created_at: float = field(default_factory=time.time)
    waiting_schedule: bool = False
    status: Status = field(default_factory=Status)


@dataclass(slots=True)
class Fault:
    remaining: int
    status: int
    prefix: str


def _compact(payload: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in payload.items() if v is not None}


def _weighted(
    rng: random.Random, table: tuple[tuple[int, str, str, int], ...]
) -> tuple[int, str, str]:
    total = sum(row[3] for row in table)
    pick = rng.random() * total
    for code, message, detail, weight in table:
        pick -= weight
        if pick < 0:
            return code, message, detail
    code, message, detail, _ = table[-1]
    return code, message, detail


def _seed_for(seed: int | None, stream: str) -> int | str | None:
    return None if seed is None else f"{seed}:{stream}"


class World:
    """State of one sandbox: records, timers, webhooks, limiters, customers and rooms."""

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.relay_mounted = False  # set by create_sandbox_app when it serves /events
        self.speed = config.speed
        self.base_url: str | None = config.base_url
        self.outcomes = random.Random(_seed_for(config.seed, "outcomes"))
        self.timeline = Timeline()
        self.webhooks = WebhookDispatcher(
            self.timeline,
            authorization=config.webhook_secret,
            retry_delays=tuple(d / config.speed for d in config.retry_schedule),
        )
        self.sub_limiter = SlidingWindowLimiter(config.rate_limit)
        self.ip_limiter = SlidingWindowLimiter(config.ip_rate_limit)
        self.sms: dict[str, SmsRecord] = {}
        self.sms_batches: dict[str, list[str]] = {}
        self.chat: dict[str, ChatRecord] = {}
        self.chat_batches: dict[str, list[str]] = {}
        self.faults: list[Fault] = []
        self.video = VideoRooms(self)
        self.customers: Customers | None = None
        if config.customers:
            self.customers = Customers(self, random.Random(_seed_for(config.seed, "customers")))

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        self.timeline.start(asyncio.get_running_loop())
        await self.webhooks.start()
        if self.customers is not None:
            self.customers.start()

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

    def _remember(self, store: dict[str, Any], key: str, value: Any) -> None:
        store[key] = value
        if len(store) > MAX_RECORDS:
            store.pop(next(iter(store)))

    def _post(self, product: str, callback_url: str | None, body: dict[str, Any], key: str) -> None:
        url = callback_url
        if url is None:
            base = self.webhook_base()
            if base is None:
                return  # nowhere to send yet (no request seen, no configured URL)
            url = f"{base}/{product}"
        self.webhooks.post(url, body, key)

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

    # -- SMS -------------------------------------------------------------------------------

    @staticmethod
    def price_for(region: str | None) -> float:
        return PRICES.get(region or "", DEFAULT_PRICE)

    def accept_sms(self, record: SmsRecord, scheduled: float | None = None) -> None:
        """Store an accepted SMS and plan its receipts (after ``scheduled``, if in the future)."""
        self._remember(self.sms, record.umid, record)
        if record.batch_id is not None:
            self.sms_batches.setdefault(record.batch_id, []).append(record.umid)
        delay = 0.0
        if scheduled is not None and scheduled > time.time():
            delay = self.scaled(scheduled - time.time())
            record.waiting_schedule = True
        # Draw the outcome now, in request order, so a seeded run is reproducible.
        plan = self._sms_plan(record)
        if delay > 0:
            self.timeline.call_later(delay, self._start_sms, record, plan)
        else:
            self._start_sms(record, plan)
        if self.customers is not None and record.batch_id is None:
            self.customers.on_agent_message(record.destination, "sms")

    def _sms_plan(self, record: SmsRecord) -> list[Step]:
        rng = self.outcomes
        sent_at = rng.uniform(0.15, 0.3)
        final_at = sent_at + rng.uniform(0.35, 2.7)  # 0.5-3 s after the send
        failing = rng.random() < self.config.undelivered_share
        failure = _weighted(rng, SMS_FAILURES)
        if self.is_fraud(record.destination):
            code, message = OMNI_SHIELD
            return [(sent_at, "rejected", None, code, message)]
        if failing and not self.is_persona(record.destination):
            code, message, detail = failure
            return [
                (sent_at, "sent", None, None, None),
                (final_at, "undelivered", detail, code, message),
            ]
        return [
            (sent_at, "sent", None, None, None),
            (final_at, "delivered", "delivered_to_recipient", None, None),
        ]

    def _start_sms(self, record: SmsRecord, plan: list[Step]) -> None:
        if record.status.state != "queued":
            return  # cancelled while waiting for its scheduled time
        record.waiting_schedule = False
        if record.expiry is not None and record.expiry < time.time():
            code, message, detail = 36, "SMS expired", "undelivered_to_recipient"
            plan = [(plan[0][0], "undelivered", detail, code, message)]
        self._schedule_receipts("sms", record, plan, self.sms_receipt)

    def sms_receipt(self, record: SmsRecord) -> dict[str, Any]:
        status = record.status
        payload = _compact(
            {
                "umid": record.umid,
                "batchId": record.batch_id,
                "clientMessageId": record.client_message_id,
                "clientBatchId": record.client_batch_id,
                "subAccountId": record.subaccount,
                "source": record.source,
                "destination": record.destination,
                "status": status.as_dict(),
            }
        )
        if status.state != "rejected":
            payload["price"] = self.sms_price(record)
        payload["smsCount"] = record.sms_count
        return {
            "namespace": "SMS",
            "eventType": "outbound_message_status_changed",
            "description": "SMS outbound message delivery receipt",
            "payload": payload,
        }

    def sms_price(self, record: SmsRecord) -> dict[str, Any]:
        per = record.per_sms if record.status.state != "rejected" else 0.0
        return {"total": round(per * record.sms_count, 4), "perSms": per, "currency": CURRENCY}

    def cancel_sms(self, umid: str) -> int:
        record = self.sms.get(umid)
        if record is None or not record.waiting_schedule:
            return 0
        record.waiting_schedule = False
        record.status.advance("failed", "cancelled", None, None)
        return 1

    def cancel_sms_batch(self, batch_id: str) -> int:
        return sum(self.cancel_sms(umid) for umid in self.sms_batches.get(batch_id, ()))

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
        self._remember(self.sms, record.umid, record)
        self._start_sms(record, self._sms_plan(record))
        return record

    # -- Chat Apps -------------------------------------------------------------------------

    def accept_chat(self, record: ChatRecord, scheduled: float | None = None) -> None:
        self._remember(self.chat, record.umid, record)
        if record.batch_id is not None:
            self.chat_batches.setdefault(record.batch_id, []).append(record.umid)
        delay = 0.0
        if scheduled is not None and scheduled > time.time():
            delay = self.scaled(scheduled - time.time())
            record.waiting_schedule = True
        plan = self._chat_plan(record)
        if delay > 0:
            self.timeline.call_later(delay, self._start_chat, record, plan)
        else:
            self._start_chat(record, plan)
        if self.customers is not None and record.msisdn is not None and record.batch_id is None:
            self.customers.on_agent_message(record.msisdn, record.channel)

    def _chat_plan(self, record: ChatRecord) -> list[Step]:
        rng = self.outcomes
        sent_at = rng.uniform(0.15, 0.3)
        final_at = sent_at + rng.uniform(0.35, 2.7)
        read_at = final_at + rng.uniform(1.0, 6.0)
        failing = rng.random() < self.config.undelivered_share
        failure = _weighted(rng, CHAT_FAILURES)
        plan: list[Step] = [(sent_at, "sent", None, None, None)]
        if failing and not self.is_persona(record.msisdn):
            code, message, detail = failure
            plan.append((final_at, "undelivered", detail, code, message))
            return plan
        plan.append((final_at, "delivered", "delivered_to_recipient", None, None))
        if record.channel == "whatsapp":
            plan.append((read_at, "read", None, None, None))
        return plan

    def _start_chat(self, record: ChatRecord, plan: list[Step]) -> None:
        if record.status.state != "queued":
            return
        record.waiting_schedule = False
        self._schedule_receipts("chatapps", record, plan, self.chat_receipt)

    def _schedule_receipts(
        self,
        product: str,
        record: Any,
        plan: list[Step],
        receipt: Callable[[Any], dict[str, Any]],
    ) -> None:
        """Each planned status change, at its (scaled) time, posts the product's receipt
        if it moves the message forward (a cancel may have ended it meanwhile)."""

        def step(state: str, detail: str | None, code: int | None, message: str | None) -> None:
            if record.status.advance(state, detail, code, message):
                self._post(product, record.callback_url, receipt(record), record.umid)

        for at, state, detail, code, message in plan:
            self.timeline.call_later(self.scaled(at), step, state, detail, code, message)

    def chat_receipt(self, record: ChatRecord) -> dict[str, Any]:
        payload = _compact(
            {
                "umid": record.umid,
                "batchId": record.batch_id,
                "clientMessageId": record.client_message_id,
                "clientBatchId": record.client_batch_id,
                "subAccountId": record.subaccount,
                "channel": record.channel,
                "user": record.user,
                "status": record.status.as_dict(),
            }
        )
        return {
            "namespace": "ChatApps",
            "eventType": "outbound_message_status_changed",
            "description": "ChatApps outbound message delivery receipt",
            "payload": payload,
        }

    def cancel_chat(self, umid: str) -> int:
        record = self.chat.get(umid)
        if record is None or not record.waiting_schedule:
            return 0
        record.waiting_schedule = False
        record.status.advance("failed", "cancelled", None, None)
        return 1

    def cancel_chat_batch(self, batch_id: str) -> int:
        return sum(self.cancel_chat(umid) for umid in self.chat_batches.get(batch_id, ()))

    # -- inbound ---------------------------------------------------------------------------

    def inbound(
        self, channel: str, msisdn: str, name: str | None, text: str, *, reply_to: str | None = None
    ) -> str:
        """A customer writes in: emit 8x8's inbound webhook now. Returns the inbound umid."""
        umid = self.new_id()
        now = time.time()
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
                status=Status("delivered", "delivered_to_recipient", at=now),
            )
            self._remember(self.sms, umid, record)
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
            self._post("sms", None, body, umid)
            return umid
        user: dict[str, Any] = {
            "msisdn": msisdn,
            "channelUserId": self.channel_user_id(channel, msisdn),
        }
        if name:
            user["name"] = name
        record_chat = ChatRecord(
            umid=umid,
            subaccount=self.config.subaccount,
            channel=channel,
            user=user,
            msisdn=msisdn,
            text=text,
            direction="inbound",
            created_at=now,
            status=Status("delivered", "delivered_to_recipient", at=now),
        )
        self._remember(self.chat, umid, record_chat)
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
        body_chat = {
            "version": 3,
            "namespace": "ChatApps",
            "eventType": "inbound_message_received",
            "description": "ChatApps inbound message",
            "payload": payload,
        }
        self._post("chatapps", None, body_chat, umid)
        return umid

    @staticmethod
    def channel_user_id(channel: str, msisdn: str) -> str:
        """WhatsApp reports the number's digits; Viber an opaque, stable user id."""
        if channel == "viber":
            digest = uuid.uuid5(uuid.NAMESPACE_URL, "viber:" + msisdn).hex
            return digest[:22] + "=="
        return msisdn.lstrip("+")

    def info(self) -> dict[str, Any]:
        return {"webhooks": self.webhooks.stats.as_dict(self.webhooks.pending)}
