"""What the console core hands to screens: a message's delivery, a message sent, and what one
batch of work changed. Frozen values; pure: no I/O, no Textual, no API."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from console.core.delivery import status_label
from console.core.inbound import InboundMessage
from console.core.rooms import RoomView
from console.core.tracker import Accepted
from console.live.events import TERMINAL_STATES, GapNotice, Price, Receipt
from console.live.team import TeamAction

if TYPE_CHECKING:
    from console.store import Message as StoredMessage


@dataclass(frozen=True, slots=True)
class Delivery:
    """Where one message stands now: its state (forward only) and why it failed, if it did.

    The rest comes from the receipt that set it, when it says: when it arrived and the time
    8x8 gave it (ISO strings), the number, batch and clientMessageId (so a message another
    console sent still reads), the segments billed and the price."""

    umid: str
    state: str
    detail: str | None = None
    error_code: int | None = None
    error_message: str | None = None
    channel: str | None = None
    received_at: str | None = None
    provider_timestamp: str | None = None
    destination: str | None = None
    client_message_id: str | None = None
    batch_id: str | None = None
    sms_count: int | None = None
    price: Price | None = None

    @classmethod
    def from_receipt(cls, receipt: Receipt) -> Delivery:
        return cls(
            umid=receipt.umid,
            state=receipt.state,
            detail=receipt.detail,
            error_code=receipt.error_code,
            error_message=receipt.error_message,
            channel=receipt.channel,
            received_at=receipt.received_at,
            provider_timestamp=receipt.provider_timestamp,
            destination=receipt.destination,
            client_message_id=receipt.client_message_id,
            batch_id=receipt.batch_id,
            sms_count=receipt.sms_count,
            price=receipt.price,
        )

    @classmethod
    def from_stored(cls, message: StoredMessage) -> Delivery:
        """A message's delivery as the history last saw it."""
        code = message.error_code
        return cls(
            umid=message.umid or "",
            state=message.status,
            detail=message.status_detail,
            error_code=code if isinstance(code, int) else None,
            error_message=message.error_message,
            channel=message.channel,
        )

    @property
    def label(self) -> str:
        """How an agent reads it: '✓ delivered', '✗ undelivered · 46 subscriber not reachable'."""
        return status_label(
            self.state,
            error_code=self.error_code,
            error_message=self.error_message,
            channel=self.channel or "sms",
        )

    @property
    def terminal(self) -> bool:
        return self.state in TERMINAL_STATES


@dataclass(frozen=True, slots=True)
class SentSms:
    """One message the API answered for, paired with the number it went to (core input)."""

    destination: str
    accepted: Accepted


@dataclass(frozen=True, slots=True)
class Outbound:
    """A message this console sent, as the screens list it (rows keyed by umid)."""

    umid: str
    destination: str
    text: str
    sent_at: float  # seconds since the epoch
    delivery: Delivery
    channel: str = "sms"
    client_message_id: str | None = None
    batch_id: str | None = None
    conversation_id: str | None = None  # a reply in the inbox: its conversation


@dataclass(frozen=True, slots=True)
class TeamChange:
    """A team action the inbox applied: from the relay (`seq`), or locally (None)."""

    action: TeamAction
    seq: int | None
    at: float  # when it happened (the relay's time), seconds since the epoch
    lost_to: str | None = None  # a take that lost: who had the conversation already


@dataclass(frozen=True, slots=True)
class Changes:
    """What one call into the core changed, for every screen to apply in one go.

    - ``sent``: messages this console just sent (or that the API refused), in order.
    - ``deliveries``: umid → the message's delivery now, for each message whose state moved
      (one entry per umid however many receipts the batch held for it; insertion ordered).
    - ``inbound``: customer messages that arrived, in order.
    - ``gap``: the relay could not replay some events (they may be missing).
    - ``skipped``: events that could not be read (malformed); they never stop the rest.
    - ``conversations``: ids of inbox conversations whose row changed (a message, a team
      action, read, a colleague's presence); read them from ``core.inbox``.
    - ``team``: the team actions applied, in order (assignments, notes, replies by others…).
    - ``receipts``: how many delivery receipts the batch held, duplicates and receipts that
      moved nothing included (the feed's receipts per second).
    - ``rooms``: call reference → the room now, for each video room created or changed (its
      invite SMS moved, the guest joined).
    """

    sent: tuple[Outbound, ...] = ()
    deliveries: Mapping[str, Delivery] = field(default_factory=dict)
    inbound: tuple[InboundMessage, ...] = ()
    gap: GapNotice | None = None
    skipped: int = 0
    conversations: frozenset[str] = frozenset()
    team: tuple[TeamChange, ...] = ()
    receipts: int = 0
    rooms: Mapping[str, RoomView] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(
            self.sent
            or self.deliveries
            or self.inbound
            or self.gap
            or self.skipped
            or self.conversations
            or self.team
            or self.receipts
            or self.rooms
        )


NO_CHANGES = Changes()


def merged_sends(parts: Sequence[Changes]) -> Changes:
    """The Changes of one send shown in slices, as one (what the send changed in all)."""
    if len(parts) == 1:
        return parts[0]
    rooms = {key: room for part in parts for key, room in part.rooms.items()}
    return Changes(
        sent=tuple(sent for part in parts for sent in part.sent),
        conversations=frozenset().union(*(part.conversations for part in parts)),
        rooms=rooms,
    )
