"""The live event envelope, the relay's wire frames, and the message-status state machine.

Pure: no I/O, no Textual. Everything here is a value object or a deterministic function.

Wire format (relay → console, websocket ``/events``)
----------------------------------------------------
Every websocket message is a JSON **array** of frames (a batch; one message may carry up to
about a thousand events). A frame is one of:

- an event: ``{"seq": 17, "receivedAt": "2024-05-01T10:00:00.123Z", "namespace": "SMS",
  "eventType": "outbound_message_status_changed", "payload": {...}}``
- a gap notice: ``{"type": "gap", "since": 5, "resumesAt": 1200, "message": "..."}``: the
  relay no longer keeps events ``since+1 .. resumesAt-1``; the stream continues at
  ``resumesAt``. It is the first frame of a connection whose ``since=`` is older than the log
  (or ahead of it: a relay whose log was reset).
- a heartbeat: ``{"type": "heartbeat", "seq": 42}``: sent when the stream is idle and right
  after the replay; ``seq`` is the last event seq sent on this connection.
- presence: ``{"type": "presence", "kind": "typing", "conversationId", "agent", ...}``: a
  colleague viewing or typing in a conversation (console/live/team.py); never numbered, never
  replayed.

Frames are read by :func:`console.live.frames.parse_message`, which accepts a single frame
object as well as an array.

Delivery-status state machine
-----------------------------
A message's status only moves forward. States are ranked (see :data:`STATES`)::

    unknown < queued < sent < delivered(detail delivered_to_operator)
            < undelivered < failed < rejected < delivered < read

- ``read`` (chat channels) is the end: a late ``delivered`` never moves a read message back.
- A confirmed ``delivered`` outranks failures: with channel fallback (WhatsApp → SMS) a
  message can be ``undelivered`` on one channel and then ``delivered`` on the next, and a
  positive delivery confirmation is the stronger evidence.
- ``delivered`` with detail ``delivered_to_operator`` is only the operator's acknowledgement,
  so a later ``undelivered`` (``undelivered_to_recipient``) outranks it.
- Among failures, ``rejected`` (the message never left: operator or Omni Shield block)
  outranks ``failed`` (API refused), which outranks ``undelivered``.
- States we do not know rank with ``unknown``; equal ranks are broken by the state name.

The message's current receipt is the maximum of all its receipts under a *total* order
(:meth:`Receipt.order_key`: rank, then state, then the provider's timestamp, detail, error
code, ...), so any permutation or duplication of the same receipts ends in the same state
and the same current receipt.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from types import MappingProxyType
from typing import Any, Literal

# ----------------------------------------------------------------------------- time


def utc_iso(timestamp: float | None = None) -> str:
    """An ISO 8601 UTC timestamp with milliseconds and a ``Z``: ``2024-05-01T10:00:00.123Z``."""
    moment = datetime.now(UTC) if timestamp is None else datetime.fromtimestamp(timestamp, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_iso(value: str) -> float | None:
    """Seconds since the epoch for an ISO 8601 timestamp (naive means UTC), or None."""
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except (ValueError, AttributeError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


# ----------------------------------------------------------------------------- frames


class FrameError(ValueError):
    """A frame or webhook body does not have the expected shape; the message says why."""


def _require(frame: Mapping[str, Any], key: str, kind: type | tuple[type, ...]) -> Any:
    value = frame.get(key)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise FrameError(f"frame field {key!r} is missing or not a {_kind_name(kind)}")
    return value


def _kind_name(kind: type | tuple[type, ...]) -> str:
    names = {int: "integer", str: "string", dict: "object"}
    if isinstance(kind, tuple):
        return " or ".join(names.get(k, k.__name__) for k in kind)
    return names.get(kind, kind.__name__)


@dataclass(frozen=True)
class Event:
    """One event as the relay numbered it: the envelope every console receives."""

    seq: int
    received_at: str
    namespace: str
    event_type: str
    payload: dict[str, Any] = field(hash=False)

    @classmethod
    def from_frame(cls, frame: Mapping[str, Any]) -> Event:
        """Build an Event from a wire frame; raises FrameError when a field is wrong."""
        if type(frame) is dict:  # as decoded: each field's exact type says it is right
            seq, payload = frame.get("seq"), frame.get("payload")
            received_at, namespace = frame.get("receivedAt"), frame.get("namespace")
            event_type = frame.get("eventType")
            if (
                type(seq) is int
                and seq >= 1
                and type(received_at) is str
                and type(namespace) is str
                and type(event_type) is str
                and type(payload) is dict
            ):
                return cls(seq, received_at, namespace, event_type, payload)
        elif not isinstance(frame, Mapping):
            raise FrameError("an event frame must be a JSON object")
        seq = _require(frame, "seq", int)
        if seq < 1:
            raise FrameError("frame field 'seq' must be positive")
        return cls(
            seq=seq,
            received_at=_require(frame, "receivedAt", str),
            namespace=_require(frame, "namespace", str),
            event_type=_require(frame, "eventType", str),
            payload=_require(frame, "payload", dict),
        )

    @classmethod
    def from_json(cls, text: str | bytes) -> Event:
        """Parse one event frame from JSON text, keeping the text as :attr:`frame_json`."""
        try:
            frame = json.loads(text)
        except (ValueError, RecursionError) as error:
            raise FrameError(f"not valid JSON: {error}") from error
        event = cls.from_frame(frame)
        if isinstance(text, bytes):
            text = text.decode("utf-8")
        event.__dict__["frame_json"] = text.strip()
        return event

    def to_frame(self) -> dict[str, Any]:
        """The wire frame: ``{"seq", "receivedAt", "namespace", "eventType", "payload"}``."""
        return {
            "seq": self.seq,
            "receivedAt": self.received_at,
            "namespace": self.namespace,
            "eventType": self.event_type,
            "payload": self.payload,
        }

    @cached_property
    def frame_json(self) -> str:
        """The frame as compact JSON text (computed once; the log and relay reuse it)."""
        return json.dumps(self.to_frame(), separators=(",", ":"))


@dataclass(frozen=True)
class GapNotice:
    """The relay cannot replay events ``since+1 .. resumes_at-1``; the stream resumes there.

    ``resumes_at <= since`` means the relay's log was reset (its numbering restarted): the
    console's resume point is stale, and the stream restarts at ``resumes_at``.
    """

    since: int
    resumes_at: int
    message: str = ""

    @classmethod
    def describe(cls, since: int, resumes_at: int) -> GapNotice:
        """A notice with a human-readable message."""
        if resumes_at <= since:
            text = (
                f"The relay's event log restarted below seq {since + 1}; events sent while it "
                f"was reset may be missing. Resuming at seq {resumes_at}."
            )
        elif resumes_at == since + 2:
            text = (
                f"Event {since + 1} is no longer kept by the relay. Resuming at seq {resumes_at}."
            )
        else:
            text = (
                f"Events {since + 1}–{resumes_at - 1} are no longer kept by the relay. "
                f"Resuming at seq {resumes_at}."
            )
        return cls(since=since, resumes_at=resumes_at, message=text)

    @property
    def missing(self) -> int:
        """How many events the relay could not replay (0 when the log was reset)."""
        return max(0, self.resumes_at - self.since - 1)

    @classmethod
    def from_frame(cls, frame: Mapping[str, Any]) -> GapNotice:
        since = _require(frame, "since", int)
        resumes_at = _require(frame, "resumesAt", int)
        message = frame.get("message")
        if not isinstance(message, str):
            return cls.describe(since, resumes_at)
        return cls(since=since, resumes_at=resumes_at, message=message)

    def to_frame(self) -> dict[str, Any]:
        return {
            "type": "gap",
            "since": self.since,
            "resumesAt": self.resumes_at,
            "message": self.message,
        }


@dataclass(frozen=True)
class Heartbeat:
    """The relay is alive; ``seq`` is the last event seq sent on this connection."""

    seq: int

    @classmethod
    def from_frame(cls, frame: Mapping[str, Any]) -> Heartbeat:
        return cls(seq=_require(frame, "seq", int))

    def to_frame(self) -> dict[str, Any]:
        return {"type": "heartbeat", "seq": self.seq}


def encode_message(frames_json: list[str]) -> str:
    """Join already-encoded frames into one websocket message (a JSON array)."""
    return "[" + ",".join(frames_json) + "]"


def control_json(frame: GapNotice | Heartbeat) -> str:
    return json.dumps(frame.to_frame(), separators=(",", ":"))


# ----------------------------------------------------------------------------- statuses

STATUS_CHANGED = "outbound_message_status_changed"
INBOUND_RECEIVED = "inbound_message_received"

#: Every state we know, in rank order (lowest first). ``read`` only happens on chat channels.
STATES: tuple[str, ...] = (
    "unknown",
    "queued",
    "sent",
    "undelivered",
    "failed",
    "rejected",
    "delivered",
    "read",
)
#: States after which nothing normally changes (``delivered`` may still become ``read``).
TERMINAL_STATES: frozenset[str] = frozenset(
    {"delivered", "undelivered", "rejected", "failed", "read"}
)

_RANKS: dict[str, int] = {
    "unknown": 0,
    "queued": 10,
    "sent": 20,
    "undelivered": 40,
    "failed": 41,
    "rejected": 42,
    "delivered": 50,
    "read": 60,
}
_OPERATOR_ACK_RANK = 30  # delivered + delivered_to_operator: below any failure
OPERATOR_ACK_DETAIL = "delivered_to_operator"


_SHARED: dict[str, str] = {}
_SHARED_MAX = 4_096


def shared(text: str) -> str:
    """One object for text that repeats across receipts (a state, a detail, a batch id, a
    currency): a feed row or timeline kept for each of 100,000 messages then holds a reference,
    not a copy. Bounded: the table starts afresh when full."""
    found = _SHARED.get(text)
    if found is not None:
        return found
    if len(_SHARED) >= _SHARED_MAX:
        _SHARED.clear()
    _SHARED[text] = text
    return text


def _shared_or_none(text: str | None) -> str | None:
    return None if text is None else shared(text)


_NORMALIZED: dict[str, str] = {}  # a state as written -> as normalised (a handful in practice)


def normalize_state(state: str) -> str:
    """Lower-case and trim a state (the SMS send response says ``QUEUED``, webhooks ``queued``)."""
    found = _NORMALIZED.get(state)  # every receipt asks: remembered, as `shared` is bounded
    if found is None:
        found = shared(state.strip().lower())
        if len(_NORMALIZED) >= _SHARED_MAX:
            _NORMALIZED.clear()
        _NORMALIZED[state] = found
    return found


_DELIVERED_RANK = _RANKS["delivered"]


def rank(state: str, detail: str | None = None) -> int:
    """The forward-only rank of a state (higher wins); unknown states rank 0."""
    found = _RANKS.get(state)  # a state already normalised (almost every call) needs no more
    if found is None:
        found = _RANKS.get(normalize_state(state), 0)
    if found == _DELIVERED_RANK and detail is not None and detail.lower() == OPERATOR_ACK_DETAIL:
        return _OPERATOR_ACK_RANK
    return found


def advance(current: str | None, new: str) -> str:
    """The status after ``new`` is seen on a message whose status is ``current``.

    Forward only, and a total order (ties on rank broken by name), so that applying any
    permutation of the same states ends in the same result.
    """
    candidate = normalize_state(new)
    if current is None:
        return candidate
    current = normalize_state(current)
    if (rank(candidate), candidate) > (rank(current), current):
        return candidate
    return current


def _optional_str(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else str(value)


def _shared_text(value: Any) -> str | None:
    """`_optional_str`, one object per repeated text (`shared`)."""
    if value is None:
        return None
    return shared(value if isinstance(value, str) else str(value))


def _optional_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None


def _optional_float(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


@dataclass(frozen=True, slots=True)
class Price:
    """What 8x8 charged for a message, as an SMS receipt says: ``{total, perSms, currency}``."""

    total: float
    currency: str
    per_sms: float | None = None

    @classmethod
    def from_payload(cls, value: Any) -> Price | None:
        """The receipt's ``price`` object, or None when it is missing or unreadable."""
        if value is None or (type(value) is not dict and not isinstance(value, Mapping)):
            return None
        total, currency, per_sms = value.get("total"), value.get("currency"), value.get("perSms")
        if (  # a batch's receipts all say the same price: one object for them all
            type(total) is float
            and total  # never ±0.0 (equal keys, not the same value)
            and type(currency) is str
            and (per_sms is None or (type(per_sms) is float and per_sms))
        ):
            key = (total, currency, per_sms)
            found = _PRICES.get(key)
            if found is None:
                found = cls._read(total, currency, per_sms)
                if found is not None:
                    if len(_PRICES) >= _SHARED_MAX:
                        _PRICES.clear()
                    _PRICES[key] = found
            return found
        return cls._read(total, currency, per_sms)

    @classmethod
    def _read(cls, total: Any, currency: Any, per_sms: Any) -> Price | None:
        amount = _optional_float(total)
        if amount is None or not isinstance(currency, str) or not currency.strip():
            return None
        return cls(amount, shared(currency.strip()), _optional_float(per_sms))


_PRICES: dict[tuple[float, str, float | None], Price] = {}


ReceiptSource = Literal["webhook", "api", "lookup"]
NO_RAW: Mapping[str, Any] = MappingProxyType({})  # a payload let go (or never had)


@dataclass(frozen=True, slots=True)
class Receipt:
    """One raw status observation for a message: a webhook receipt, the send response
    (source ``"api"``, built by ``console.core.tracker.Accepted.receipt``), or 8x8's answer to
    a status lookup (source ``"lookup"``, ``GET /messages/{umid}``).

    ``destination``, ``batch_id``, ``sms_count`` and ``price`` are what an SMS receipt also
    tells (None when it does not): the feed shows them for messages another console sent."""

    umid: str
    state: str
    namespace: str
    received_at: str
    provider_timestamp: str | None = None
    detail: str | None = None
    error_code: int | None = None
    error_message: str | None = None
    channel: str | None = None
    client_message_id: str | None = None
    seq: int | None = None
    source: ReceiptSource = "webhook"
    raw: Mapping[str, Any] = field(
        default_factory=lambda: NO_RAW, compare=False, hash=False, repr=False
    )
    destination: str | None = None
    batch_id: str | None = None
    sms_count: int | None = None
    price: Price | None = None

    @classmethod
    def from_webhook(
        cls,
        namespace: str,
        payload: Mapping[str, Any],
        received_at: str,
        *,
        seq: int | None = None,
    ) -> Receipt:
        """Parse the payload of an SMS or Chat Apps ``outbound_message_status_changed``.

        SMS: ``{umid, batchId?, clientMessageId?, subAccountId, source, destination,
        status {state, detail?, timestamp, errorCode?, errorMessage?}, price?, smsCount}``.
        Chat Apps: ``{umid, clientMessageId?, subAccountId, channel, user, status {...}}``.
        Raises FrameError when the umid or the status state is missing.
        """
        if type(payload) is not dict and not isinstance(payload, Mapping):
            raise FrameError("the receipt payload must be an object")
        get = payload.get
        umid = get("umid")
        if not isinstance(umid, str) or not umid:
            raise FrameError("the receipt has no 'umid'")
        status = get("status")
        if type(status) is not dict and not isinstance(status, Mapping):
            raise FrameError("the receipt has no 'status' object")
        state = status.get("state")
        if not isinstance(state, str) or not state.strip():
            raise FrameError("the receipt status has no 'state'")
        channel = get("channel")
        if isinstance(channel, str) and channel:
            channel = shared(channel.lower())
        elif namespace.lower() == "sms":
            channel = "sms"
        else:
            channel = None
        detail = status.get("detail")
        error_message = status.get("errorMessage")
        batch_id = get("batchId")
        return cls(
            umid,
            normalize_state(state),
            shared(namespace),
            received_at,
            _optional_str(status.get("timestamp")),
            _shared_text(detail),
            _optional_int(status.get("errorCode")),
            _shared_text(error_message),
            channel,
            _optional_str(get("clientMessageId")),
            seq,
            "webhook",
            payload,
            _destination(payload),
            _shared_text(batch_id),
            _optional_int(get("smsCount")),
            Price.from_payload(get("price")),
        )

    def without_raw(self) -> Receipt:
        """The same receipt without 8x8's payload (the history keeps it)."""
        return Receipt(
            self.umid,
            self.state,
            self.namespace,
            self.received_at,
            self.provider_timestamp,
            self.detail,
            self.error_code,
            self.error_message,
            self.channel,
            self.client_message_id,
            self.seq,
            self.source,
            NO_RAW,
            self.destination,
            self.batch_id,
            self.sms_count,
            self.price,
        )

    @property
    def rank(self) -> int:
        return rank(self.state, self.detail)

    @property
    def identity(self) -> tuple[Any, ...]:
        """What makes two receipts the same observation (8x8 sending a receipt twice)."""
        return (
            self.umid,
            self.state,
            self.detail,
            self.provider_timestamp,
            self.error_code,
            self.channel,
            self.source,
        )

    def order_key(self) -> tuple[Any, ...]:
        """A total order on receipts: the maximum is the message's current receipt."""
        return (
            self.rank,
            self.state,
            self.provider_timestamp or "",
            self.detail or "",
            -1 if self.error_code is None else self.error_code,
            self.error_message or "",
            self.channel or "",
            self.source,
            self.received_at,
            -1 if self.seq is None else self.seq,
        )


def _destination(payload: Mapping[str, Any]) -> str | None:
    """The number a receipt is about: SMS ``destination``, Chat Apps ``user.msisdn``."""
    value = payload.get("destination")
    if value is None:
        user = payload.get("user")
        value = user.get("msisdn") if isinstance(user, Mapping) else None
    return _optional_str(value)


def receipt_from_event(event: Event) -> Receipt | None:
    """The receipt carried by a relay event, or None (not a status change, or malformed)."""
    if event.event_type != STATUS_CHANGED:
        return None
    try:
        return Receipt.from_webhook(
            event.namespace, event.payload, event.received_at, seq=event.seq
        )
    except FrameError:
        return None


@dataclass(slots=True)
class MessageTimeline:
    """Every receipt seen for one message, and the status they add up to.

    - ``receipts`` keeps every receipt in arrival order, provider duplicates included
      (8x8 may send one twice: same content, a new relay seq). The same relay event applied
      twice (same non-None ``seq``) is recognised and kept once.
    - ``current`` is the maximum receipt under :meth:`Receipt.order_key`, so the final state
      does not depend on arrival order; ``state`` is its state.
    """

    umid: str
    receipts: list[Receipt] = field(default_factory=list, init=False)
    current: Receipt | None = field(default=None, init=False)
    _identities: dict[tuple[Any, ...], int] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    _seqs: set[int] = field(default_factory=set, init=False, repr=False, compare=False)
    _current_key: tuple[Any, ...] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    @property
    def state(self) -> str | None:
        return None if self.current is None else self.current.state

    @property
    def terminal(self) -> bool:
        return self.state in TERMINAL_STATES

    @property
    def duplicate_count(self) -> int:
        """How many kept receipts repeat an earlier observation."""
        return len(self.receipts) - len(self._identities)

    def is_duplicate(self, receipt: Receipt) -> bool:
        """True when an equal observation is already in the timeline."""
        return receipt.identity in self._identities or (
            receipt.seq is not None and receipt.seq in self._seqs
        )

    def apply(self, receipt: Receipt) -> bool:
        """Record a receipt; return True when the message's state changed."""
        if receipt.umid != self.umid:
            raise ValueError(f"receipt for {receipt.umid!r} applied to {self.umid!r}")
        if receipt.seq is not None:
            if receipt.seq in self._seqs:
                return False
            self._seqs.add(receipt.seq)
        self.receipts.append(receipt)
        identity = receipt.identity
        self._identities[identity] = self._identities.get(identity, 0) + 1
        key = receipt.order_key()
        current = self.current
        if current is None or key > self._current_key:  # type: ignore[operator]
            self.current, self._current_key = receipt, key
            return current is None or receipt.state != current.state
        return False

    def drop_raw_of(self, receipt: Receipt) -> None:
        """Let go of one kept receipt's payload (that very object; others are left alone)."""
        receipts = self.receipts
        for at, kept in enumerate(receipts):
            if kept is receipt:
                if not kept.raw:
                    return
                stripped = receipts[at] = kept.without_raw()
                if self.current is kept:
                    self.current = stripped
                return

    def distinct_receipts(self) -> list[Receipt]:
        """One receipt per observation, first arrival kept, in arrival order."""
        seen: set[tuple[Any, ...]] = set()
        result = []
        for receipt in self.receipts:
            if receipt.identity not in seen:
                seen.add(receipt.identity)
                result.append(receipt)
        return result

    def chronological(self) -> list[Receipt]:
        """Receipts ordered for display: provider time, then rank, then arrival."""

        def key(receipt: Receipt) -> tuple[float, int, str]:
            moment = parse_iso(receipt.provider_timestamp or receipt.received_at)
            when = moment if moment is not None else float("inf")
            return (when, receipt.rank, receipt.received_at)

        return sorted(self.receipts, key=key)
