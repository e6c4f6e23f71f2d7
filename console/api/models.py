"""Requests to and typed results from 8x8's SMS, Chat Apps and Video Interaction APIs.

Frozen dataclasses, no I/O. Requests have `to_json()` (8x8's camelCase bodies, unset fields
left out); results have `from_json()` that reads 8x8's documented response shapes
(shared/oas/*.json) and raises KeyError/TypeError/ValueError on a body that lacks required
fields (the client turns that into `UnexpectedResponse`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from console.config import VIDEO_HOST

ROOM_VALIDITY = timedelta(minutes=15)

SMS_ENCODINGS = ("AUTO", "GSM7", "UCS2")
CHAT_CHANNELS = (
    "WhatsApp",
    "Viber",
    "SMS",
    "RCS",
    "Line",
    "Zalo",
    "Facebook",
    "WeChat",
    "Instagram",
)
SUCCESS_STATUSES = ("Accepted", "Sent", "Delivered", "Read")


# --------------------------------------------------------------------------- helpers


def format_timestamp(value: datetime | str) -> str:
    """ISO 8601 in UTC with a Z. A naive datetime is taken as the agent's local time."""
    if isinstance(value, str):
        return value
    return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def parse_timestamp(value: Any) -> datetime | None:
    """8x8's timestamps ('2020-06-17T04:17:21.06Z', '...8988997+00:00') as aware datetimes."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _compact(data: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in data.items() if value is not None}


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _float_or_none(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _required_str(data: Mapping[str, Any], key: str) -> str:
    value = data[key]
    if not isinstance(value, str):
        raise TypeError(f"{key} is not a string")
    return value


def agent_link(video_base: str, login: str, auth_token: str) -> str:
    """The page an agent opens to log in to Video Interaction with a token."""
    return f"{video_base.rstrip('/')}/?{urlencode({'user': login, 'token': auth_token})}"


# --------------------------------------------------------------------------- SMS


@dataclass(frozen=True, slots=True)
class SmsMessage:
    """One SMS to send (`SmsRequest`). The client fills in `client_message_id` if it's None."""

    destination: str
    text: str
    source: str | None = None
    client_message_id: str | None = None
    encoding: str = "AUTO"
    country: str | None = None
    scheduled: datetime | str | None = None
    expiry: datetime | str | None = None
    dlr_callback_url: str | None = None

    def to_json(self) -> dict[str, Any]:
        return _compact(
            {
                "destination": self.destination,
                "text": self.text,
                "source": self.source,
                "clientMessageId": self.client_message_id,
                "encoding": self.encoding,
                "country": self.country,
                "scheduled": format_timestamp(self.scheduled) if self.scheduled else None,
                "expiry": format_timestamp(self.expiry) if self.expiry else None,
                "dlrCallbackUrl": self.dlr_callback_url,
            }
        )


@dataclass(frozen=True, slots=True)
class SmsTemplate:
    """Fields merged into every message of a batch (`SmsTemplateFull`)."""

    text: str | None = None
    source: str | None = None
    encoding: str | None = None
    scheduled: datetime | str | None = None
    expiry: datetime | str | None = None
    dlr_callback_url: str | None = None

    def to_json(self) -> dict[str, Any]:
        return _compact(
            {
                "text": self.text,
                "source": self.source,
                "encoding": self.encoding,
                "scheduled": format_timestamp(self.scheduled) if self.scheduled else None,
                "expiry": format_timestamp(self.expiry) if self.expiry else None,
                "dlrCallbackUrl": self.dlr_callback_url,
            }
        )


@dataclass(frozen=True, slots=True)
class SmsAccepted:
    """8x8's answer to one SMS (`SmsResponse`): QUEUED means it will be sent, REJECTED not."""

    umid: str
    client_message_id: str | None
    destination: str
    encoding: str
    status_code: str
    status_description: str

    @property
    def accepted(self) -> bool:
        return self.status_code == "QUEUED"

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SmsAccepted:
        status = data.get("status") or {}
        return cls(
            umid=_required_str(data, "umid"),
            client_message_id=_str_or_none(data.get("clientMessageId")),
            destination=str(data.get("destination") or ""),
            encoding=str(data.get("encoding") or ""),
            status_code=str(status.get("code") or ""),
            status_description=str(status.get("description") or ""),
        )


@dataclass(frozen=True, slots=True)
class SmsBatchResult:
    """8x8's answer to a batch (`BatchSmsResponse`). `messages` is None unless asked for."""

    batch_id: str
    client_batch_id: str | None
    accepted_count: int
    rejected_count: int
    messages: tuple[SmsAccepted, ...] | None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SmsBatchResult:
        items = data.get("messages")
        return cls(
            batch_id=_required_str(data, "batchId"),
            client_batch_id=_str_or_none(data.get("clientBatchId")),
            accepted_count=int(data["acceptedCount"]),
            rejected_count=int(data["rejectedCount"]),
            messages=(
                tuple(SmsAccepted.from_json(item) for item in items)
                if isinstance(items, list)
                else None
            ),
        )


@dataclass(frozen=True, slots=True)
class MessageStatus:
    """Delivery status as 8x8 reports it in message details and webhooks."""

    state: str
    detail: str | None = None
    timestamp: datetime | None = None
    error_code: int | None = None
    error_message: str | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> MessageStatus:
        return cls(
            state=str(data.get("state") or "unknown"),
            detail=_str_or_none(data.get("detail")),
            timestamp=parse_timestamp(data.get("timestamp")),
            error_code=_int_or_none(data.get("errorCode")),
            error_message=_str_or_none(data.get("errorMessage")),
        )


@dataclass(frozen=True, slots=True)
class Price:
    total: float
    per_sms: float
    currency: str

    @classmethod
    def from_json(cls, data: Any) -> Price | None:
        if not isinstance(data, Mapping):
            return None
        total, per_sms = _float_or_none(data.get("total")), _float_or_none(data.get("perSms"))
        currency = _str_or_none(data.get("currency"))
        if total is None or per_sms is None or currency is None:
            return None
        return cls(total=total, per_sms=per_sms, currency=currency)


@dataclass(frozen=True, slots=True)
class SmsDetails:
    """GET .../messages/{umid}: where one SMS is now. `msisdn` and `body` come back masked."""

    umid: str
    subaccount_id: str
    direction: str
    status: MessageStatus
    msisdn: str
    source: str
    body: str
    encoding: str
    created_at: datetime | None
    sms_count: int
    price: Price | None = None
    country: str | None = None
    client_message_id: str | None = None
    client_batch_id: str | None = None
    batch_id: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SmsDetails:
        return cls(
            umid=_required_str(data, "umid"),
            subaccount_id=str(data.get("subAccountId") or ""),
            direction=str(data.get("direction") or ""),
            status=MessageStatus.from_json(data.get("status") or {}),
            msisdn=str(data.get("msisdn") or ""),
            source=str(data.get("source") or ""),
            body=str(data.get("body") or ""),
            encoding=str(data.get("encoding") or ""),
            created_at=parse_timestamp(data.get("createdAt")),
            sms_count=_int_or_none(data.get("smsCount")) or 0,
            price=Price.from_json(data.get("price")),
            country=_str_or_none(data.get("country")),
            client_message_id=_str_or_none(data.get("clientMessageId")),
            client_batch_id=_str_or_none(data.get("clientBatchId")),
            batch_id=_str_or_none(data.get("batchId")),
            raw=dict(data),
        )


# --------------------------------------------------------------------------- Chat Apps


@dataclass(frozen=True, slots=True)
class ChatChannel:
    """One entry of a Chat Apps fallback list: try `channel`, then the next after
    `fallback_after` seconds (10–86,400) unless `success_status` was reached."""

    channel: str
    fallback_after: int | None = None
    success_status: str | None = None

    def to_json(self) -> dict[str, Any]:
        return _compact(
            {
                "channel": self.channel,
                "fallbackAfter": self.fallback_after,
                "successStatus": self.success_status,
            }
        )


@dataclass(frozen=True, slots=True)
class ChatUser:
    msisdn: str | None = None
    channel_user_id: str | None = None
    country: str | None = None

    @classmethod
    def from_json(cls, data: Any) -> ChatUser:
        if not isinstance(data, Mapping):
            return cls()
        return cls(
            msisdn=_str_or_none(data.get("msisdn")),
            channel_user_id=_str_or_none(data.get("channelUserId")),
            country=_str_or_none(data.get("country")),
        )


@dataclass(frozen=True, slots=True)
class ChatMessage:
    """A Chat Apps message to one user, by phone number or by channel user id.

    `channels` is the optional fallback list; `sms_source`/`sms_encoding` apply when it
    falls back to SMS. The client fills in `client_message_id` if it's None.
    """

    msisdn: str | None = None
    channel_user_id: str | None = None
    country: str | None = None
    type: str = "text"
    text: str | None = None
    url: str | None = None
    client_message_id: str | None = None
    channels: Sequence[ChatChannel] = field(default=())
    sms_source: str | None = None
    sms_encoding: str | None = None
    # content.template of a `type: template` message: {name, language, components}
    template: Mapping[str, Any] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "channels", tuple(self.channels))

    def to_json(self) -> dict[str, Any]:
        sms = _compact({"encoding": self.sms_encoding, "source": self.sms_source})
        content = _compact(
            {
                "text": self.text,
                "url": self.url,
                "template": dict(self.template) if self.template is not None else None,
                "sms": sms or None,
            }
        )
        body: dict[str, Any] = {
            "user": _compact(
                {
                    "msisdn": self.msisdn,
                    "channelUserId": self.channel_user_id,
                    "country": self.country,
                }
            ),
            "type": self.type,
            "content": content,
        }
        if self.client_message_id is not None:
            body["clientMessageId"] = self.client_message_id
        if self.channels:
            body["channels"] = [channel.to_json() for channel in self.channels]
        return body


@dataclass(frozen=True, slots=True)
class ChatAccepted:
    """Chat Apps' answer to a send: `state` is lower-case ('queued')."""

    umid: str
    client_message_id: str | None
    state: str
    timestamp: datetime | None
    user: ChatUser

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ChatAccepted:
        status = data.get("status") or {}
        return cls(
            umid=_required_str(data, "umid"),
            client_message_id=_str_or_none(data.get("clientMessageId")),
            state=str(status.get("state") or "").lower(),
            timestamp=parse_timestamp(status.get("timestamp")),
            user=ChatUser.from_json(data.get("user")),
        )


# --------------------------------------------------------------------------- Video Interaction


@dataclass(frozen=True, slots=True)
class AgentToken:
    """A Video Interaction login token for an agent (POST /api/v1/tokens, empty body)."""

    auth_token: str = field(repr=False)
    video_base: str = VIDEO_HOST

    def agent_link(self, login: str) -> str:
        return agent_link(self.video_base, login, self.auth_token)

    @classmethod
    def from_json(cls, data: Mapping[str, Any], video_base: str = VIDEO_HOST) -> AgentToken:
        return cls(auth_token=_required_str(data, "auth_token"), video_base=video_base)


@dataclass(frozen=True, slots=True)
class Room:
    """A video room: the customer opens `guest_link`; the agent logs in with `auth_token`.

    Valid for 15 minutes from `created_at` (the moment the creating request was sent, so
    `expires_at` errs on the early side).
    """

    call_reference: str
    guest_link: str
    auth_token: str = field(repr=False)
    created_at: datetime
    expires_at: datetime
    video_base: str = VIDEO_HOST

    def agent_link(self, login: str) -> str:
        """The link an agent opens to join; with a phone number, opening it texts the guest."""
        return agent_link(self.video_base, login, self.auth_token)

    def remaining(self, now: datetime | None = None) -> timedelta:
        """Time left before the room expires (never negative)."""
        now = now or datetime.now(UTC)
        return max(timedelta(0), self.expires_at - now)

    def is_expired(self, now: datetime | None = None) -> bool:
        return self.remaining(now) <= timedelta(0)

    @classmethod
    def from_json(
        cls, data: Mapping[str, Any], created_at: datetime, video_base: str = VIDEO_HOST
    ) -> Room:
        return cls(
            call_reference=str(data.get("call_reference") or ""),
            guest_link=_required_str(data, "guest_link"),
            auth_token=_required_str(data, "auth_token"),
            created_at=created_at,
            expires_at=created_at + ROOM_VALIDITY,
            video_base=video_base,
        )


@dataclass(frozen=True, slots=True)
class CallLog:
    """One call (room) from Video Interaction's reports: `GET /api/v1/call-logs` entries and
    `GET /api/v1/calls/{id}`. 8x8 documents them by example only, so every field but the id is
    optional; `agent_joined_at`/`guest_joined_at` are there when the server gives them (the
    sandbox does). `status` is 8x8's letter: "C" while the call is open, "E" once it ended."""

    call_id: str
    reference: str | None = None
    phone: str | None = None
    created_at: datetime | None = None
    finished_at: datetime | None = None
    duration: int | None = None  # seconds
    status: str | None = None
    country: str | None = None
    agent_joined_at: datetime | None = None
    guest_joined_at: datetime | None = None
    agent_rating: str | None = None
    guest_rating: str | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any], call_id: str | None = None) -> CallLog:
        raw_id = data.get("CallId", call_id)
        if isinstance(raw_id, int) and not isinstance(raw_id, bool):
            raw_id = str(raw_id)
        if not isinstance(raw_id, str) or not raw_id:
            raise KeyError("CallId")
        phone = _str_or_none(data.get("UserB_MSISDN"))
        digits = "".join(c for c in phone or "" if c.isdigit())
        raw_country = _str_or_none(data.get("CountryISO2alpha")) or ""
        country = "".join(c for c in raw_country if c.isascii() and c.isalpha())
        rating = data.get("AgentRating"), data.get("GuestRating")
        return cls(
            call_id=raw_id,
            reference=_str_or_none(data.get("Reference")),
            phone=f"+{digits}" if digits else None,
            created_at=parse_timestamp(data.get("CreatedAt")),
            finished_at=parse_timestamp(data.get("FinishedAt")),
            duration=_int_or_none(data.get("Duration")),
            status=_str_or_none(data.get("Status")),
            country=country.upper() or None,
            agent_joined_at=parse_timestamp(data.get("AgentJoinedAt")),
            guest_joined_at=parse_timestamp(data.get("GuestJoinedAt")),
            agent_rating=None if rating[0] is None else str(rating[0]),
            guest_rating=None if rating[1] is None else str(rating[1]),
        )


@dataclass(frozen=True, slots=True)
class CallLogPage:
    """One page of `GET /api/v1/call-logs`, newest first; `next_cursor` fetches older calls."""

    calls: tuple[CallLog, ...]
    next_cursor: str | None = None
    prev_cursor: str | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CallLogPage:
        entries = data.get("list")
        if not isinstance(entries, list):
            raise TypeError("list is not an array")
        return cls(
            calls=tuple(
                CallLog.from_json(entry) for entry in entries if isinstance(entry, Mapping)
            ),
            next_cursor=_str_or_none(data.get("nextCursor")),
            prev_cursor=_str_or_none(data.get("prevCursor")),
        )
