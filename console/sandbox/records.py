"""The sandbox's message records: one base for every product, its forward-only status."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from .errors import format_timestamp

CURRENCY = "EUR"
RANK = {"queued": 0, "sent": 1, "delivered": 2, "undelivered": 2, "rejected": 2, "failed": 2}
RANK_READ = 3

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
        out["timestamp"] = format_timestamp(self.at)
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


@dataclass(slots=True, kw_only=True)
class Record:
    """What every product's message has: ids, where its receipts go, its status."""

    umid: str
    subaccount: str
    channel: str  # lower-case webhook channel name ("sms", "whatsapp", ...)
    client_message_id: str | None = None
    batch_id: str | None = None
    client_batch_id: str | None = None
    callback_url: str | None = None
    direction: str = "outbound"
    created_at: float = field(default_factory=time.time)
    expiry: float | None = None
    waiting_schedule: bool = False
    status: Status = field(default_factory=Status)

    @property
    def customer(self) -> str | None:
        """The customer's number (E.164), when the message has one."""
        raise NotImplementedError


@dataclass(slots=True, kw_only=True)
class SmsRecord(Record):
    channel: str = "sms"
    source: str
    destination: str  # E.164 with '+'
    country: str | None
    text: str
    encoding: str
    sms_count: int
    per_sms: float

    @property
    def customer(self) -> str | None:
        return self.destination if self.direction == "outbound" else self.source

    def price(self) -> dict[str, Any]:
        per = self.per_sms if self.status.state != "rejected" else 0.0
        return {"total": round(per * self.sms_count, 4), "perSms": per, "currency": CURRENCY}


@dataclass(slots=True, kw_only=True)
class ChatRecord(Record):
    user: dict[str, Any]
    msisdn: str | None
    text: str | None
    # (errorCode, errorMessage, detail) it ends with whatever happens: e.g. a free-form
    # WhatsApp message outside the customer-service window (templates.SESSION_EXPIRED)
    doomed: tuple[int, str, str] | None = None

    @property
    def customer(self) -> str | None:
        return self.msisdn
