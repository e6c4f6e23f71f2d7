"""One record pipeline for every product: accept, wait for the scheduled time, plan and send
the receipts, cancel. A :class:`Product` says what differs between SMS and Chat Apps (the
failure codes, Omni Shield, read receipts, the receipt's own fields); :class:`Outbox` does
the rest, the same way for both.

Outcomes are drawn from the world's seeded stream when a message is accepted, in request
order, so a seeded run is reproducible.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from .ledger import REFUNDED_STATES, cost_of
from .records import ChatRecord, Record, SmsRecord, Step

if TYPE_CHECKING:
    from .world import World

R = TypeVar("R", bound=Record)

MAX_RECORDS = 250_000  # per product; the oldest records are forgotten beyond this
STATUS_CHANGED = "outbound_message_status_changed"
OMNI_SHIELD = (99, "Rejected by 8x8")
# (errorCode, errorMessage, detail, weight)
Failure = tuple[int, str, str, int]


@dataclass(frozen=True)
class Product(Generic[R]):
    """What one product does its own way."""

    name: str  # the webhook path under the webhook base URL: "sms" | "chatapps"
    namespace: str  # the webhook namespace: "SMS" | "ChatApps"
    failures: tuple[Failure, ...]  # undelivered outcomes, by weight
    expired: tuple[int, str, str]  # (errorCode, errorMessage, detail) past the expiry
    receipt_fields: Callable[[R], dict[str, Any]]  # the receipt payload's own fields
    shield: bool = False  # Omni Shield rejects destinations on the fraud list
    read_channels: frozenset[str] = frozenset()  # channels that report "read"


def _sms_fields(record: SmsRecord) -> dict[str, Any]:
    out: dict[str, Any] = {"source": record.source, "destination": record.destination}
    if record.status.state != "rejected":
        out["price"] = record.price()
    out["smsCount"] = record.sms_count
    return out


def _chat_fields(record: ChatRecord) -> dict[str, Any]:
    return {"channel": record.channel, "user": record.user}


SMS: Product[SmsRecord] = Product(
    name="sms",
    namespace="SMS",
    failures=(  # 8x8's SMS delivery-report error codes
        (46, "Subscriber not reachable", "undelivered_to_recipient", 5),
        (36, "SMS expired", "undelivered_to_recipient", 3),
        (1, "Absent subscriber", "undelivered_to_recipient", 2),
        (47, "Subscriber temporary unavailable", "undelivered_to_recipient", 2),
        (15, "Invalid destination", "rejected_by_operator", 1),
    ),
    expired=(36, "SMS expired", "undelivered_to_recipient"),
    receipt_fields=_sms_fields,
    shield=True,
)
CHAT: Product[ChatRecord] = Product(
    name="chatapps",
    namespace="ChatApps",
    failures=(  # Messaging Apps delivery-report error codes
        (1, "AbsentSubscriber", "undelivered_to_recipient", 4),
        (36, "Expired", "undelivered_to_recipient", 1),
    ),
    expired=(36, "Expired", "undelivered_to_recipient"),
    receipt_fields=_chat_fields,
    read_channels=frozenset({"whatsapp"}),
)


def _weighted(rng: random.Random, table: tuple[Failure, ...]) -> tuple[int, str, str]:
    total = sum(row[3] for row in table)
    pick = rng.random() * total
    for code, message, detail, weight in table:
        pick -= weight
        if pick < 0:
            return code, message, detail
    code, message, detail, _ = table[-1]
    return code, message, detail


def _compact(payload: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in payload.items() if v is not None}


class Outbox(Generic[R]):
    """One product's messages: kept by umid and batch, started, receipted, cancelled."""

    def __init__(self, world: World, product: Product[R]) -> None:
        self.world = world
        self.product = product
        self.records: dict[str, R] = {}
        self.batches: dict[str, list[str]] = {}

    def __len__(self) -> int:
        return len(self.records)

    def get(self, umid: str) -> R | None:
        return self.records.get(umid)

    def keep(self, record: R) -> None:
        """Store a record (outbound or inbound), charged to the balance; the oldest is
        forgotten beyond the bound (what it cost stays spent)."""
        self.world.ledger.charge(cost_of(record))
        self.records[record.umid] = record
        if len(self.records) > MAX_RECORDS:
            self.records.pop(next(iter(self.records)))
        if record.batch_id is not None:
            self.batches.setdefault(record.batch_id, []).append(record.umid)

    def accept(self, record: R, scheduled: float | None = None, *, agent: bool = True) -> None:
        """Keep an accepted message and plan its receipts (after ``scheduled``, if later).

        ``agent``: an agent wrote it, so a scripted customer may answer (not for batches).
        """
        world = self.world
        self.keep(record)
        now = world.clock.time()
        delay = 0.0
        if scheduled is not None and scheduled > now:
            delay = world.scaled(scheduled - now)
            record.waiting_schedule = True
        plan = self.plan(record)  # drawn now, in request order: a seeded run is reproducible
        if delay > 0:
            world.timeline.call_later(delay, self._start, record, plan)
        else:
            self._start(record, plan)
        customer = record.customer
        reaches = getattr(record, "doomed", None) is None  # a trashed message never does
        customers = world.customers
        if agent and reaches and record.batch_id is None and customer and customers is not None:
            customers.on_agent_message(customer, record.channel)

    def accept_planned(self, record: R, plan: list[Step]) -> None:
        """Keep a message the sandbox itself sends (a scenario) with receipts it chose."""
        self.keep(record)
        self._start(record, plan)

    def plan(self, record: R) -> list[Step]:
        """The receipts this message will get: sent, then delivered (and read) or a failure."""
        world, product = self.world, self.product
        rng = world.outcomes
        sent_at = rng.uniform(0.15, 0.3)
        final_at = sent_at + rng.uniform(0.35, 2.7)  # 0.5-3 s after the send
        read_at = final_at + rng.uniform(1.0, 6.0) if product.read_channels else 0.0
        failing = rng.random() < world.config.undelivered_share
        failure = _weighted(rng, product.failures)
        customer = record.customer
        if product.shield and customer is not None and world.is_fraud(customer):
            code, message = OMNI_SHIELD
            return [(sent_at, "rejected", None, code, message)]
        doomed = getattr(record, "doomed", None)
        if doomed is not None:  # trashed before it reaches the channel: no "sent" first
            code, message, detail = doomed
            return [(sent_at, "undelivered", detail, code, message)]
        plan: list[Step] = [(sent_at, "sent", None, None, None)]
        if failing and not world.is_persona(customer):
            code, message, detail = failure
            plan.append((final_at, "undelivered", detail, code, message))
            return plan
        plan.append((final_at, "delivered", "delivered_to_recipient", None, None))
        if record.channel in product.read_channels:
            plan.append((read_at, "read", None, None, None))
        return plan

    def _start(self, record: R, plan: list[Step]) -> None:
        if record.status.state != "queued":
            return  # cancelled while waiting for its scheduled time
        record.waiting_schedule = False
        if record.expiry is not None and record.expiry < self.world.clock.time():
            code, message, detail = self.product.expired
            plan = [(plan[0][0], "undelivered", detail, code, message)]
        # One timer per message at a time: each step arms the next when it fires, so a
        # 10,000-message batch costs 10,000 timers while it is answered, not 20,000-30,000.
        self.world.timeline.call_later(self.world.scaled(plan[0][0]), self._step, record, plan, 0)

    def _step(self, record: R, plan: list[Step], index: int) -> None:
        """A planned status change: post the receipt if it moves the message forward."""
        at, state, detail, code, message = plan[index]
        if record.status.advance(state, detail, code, message):
            if state in REFUNDED_STATES:
                self.world.ledger.refund(cost_of(record))
            receipt = self.receipt(record)
            self.world.post(self.product.name, record.callback_url, receipt, record.umid)
        if index + 1 < len(plan):
            delay = self.world.scaled(plan[index + 1][0] - at)
            self.world.timeline.call_later(delay, self._step, record, plan, index + 1)

    def receipt(self, record: R) -> dict[str, Any]:
        product = self.product
        payload = _compact(
            {
                "umid": record.umid,
                "batchId": record.batch_id,
                "clientMessageId": record.client_message_id,
                "clientBatchId": record.client_batch_id,
                "subAccountId": record.subaccount,
            }
        )
        payload |= product.receipt_fields(record)
        payload["status"] = record.status.as_dict()
        return {
            "namespace": product.namespace,
            "eventType": STATUS_CHANGED,
            "description": f"{product.namespace} outbound message delivery receipt",
            "payload": payload,
        }

    def cancel(self, umid: str) -> int:
        """Cancel a message still waiting for its scheduled time: 1 if it was, else 0."""
        record = self.records.get(umid)
        if record is None or not record.waiting_schedule:
            return 0
        record.waiting_schedule = False
        if record.status.advance("failed", "cancelled", None, None):
            self.world.ledger.refund(cost_of(record))
        return 1

    def cancel_batch(self, batch_id: str) -> int:
        return sum(self.cancel(umid) for umid in self.batches.get(batch_id, ()))
