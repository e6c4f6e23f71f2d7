"""The history's side of the console core: each update the core hands to the history (run in
order on the history's writer, or inline) is one of these jobs, built from what the core
applied. UI-free; the core (console/core/service.py) decides when each runs."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from console.core.inbox import Conversation
from console.core.model import SentSms
from console.core.rooms import Invite, RoomView
from console.live.events import Receipt

if TYPE_CHECKING:
    from console.store import History
    from console.store import Room as StoredRoom
    from console.store.history_receipts import ReceiptUpdate

log = logging.getLogger(__name__)

HistoryJob = Callable[["History"], object]


@dataclass(frozen=True, slots=True)
class LoginRecord:
    """A successful login, as the history keeps it (never the key: its last 6 characters)."""

    subaccount: str
    target: str
    key_tail: str


def readable_time(value: str | None) -> str | None:
    """8x8's ISO timestamp, or None when it is missing or not a time we can read."""
    if not value:
        return None
    try:
        datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return value


def run_logged(jobs: list[HistoryJob], history: History) -> None:
    for job in jobs:
        try:
            job(history)
        except Exception:  # in the background nobody else would hear of it
            log.exception("a history update failed")


def apply_stored_receipt(receipt: Receipt, history: History) -> None:
    """A receipt into the history. One for a message the history does not know makes its row
    (the Feed shows every message this console sent or heard a receipt for; so does the
    history): sent by another console or application, or lost."""
    history.apply_receipt(*stored_receipt(receipt))


def stored_receipt(receipt: Receipt) -> ReceiptUpdate:
    """What the history keeps of a receipt: its time is 8x8's when readable, else when it
    arrived; its payload as it came (the receipt object handed over keeps it, whatever the
    tracker lets go of later)."""
    from console.store.history_receipts import ReceiptUpdate  # loaded with the history
    from console.store.journal import ReceiptRow

    row = None
    if receipt.channel is not None:
        row = ReceiptRow(
            receipt.channel, receipt.destination, receipt.client_message_id, receipt.batch_id
        )
    return ReceiptUpdate(
        receipt.umid,
        receipt.state,
        readable_time(receipt.provider_timestamp) or receipt.received_at,
        receipt.received_at,
        receipt.detail,
        receipt.error_code,
        receipt.error_message,
        row,
        receipt.raw,
    )


class StoredReceipts:
    """A run of receipts handed to the history as one job (a slice of live events' worth):
    applied in order under fewer holds of the history's lock; one refused is logged and the
    others still go in."""

    __slots__ = ("receipts",)

    def __init__(self, receipts: list[Receipt]) -> None:
        self.receipts = receipts

    def __call__(self, history: History) -> None:
        history.apply_receipts(_updates(self.receipts), on_error=_refused)


def _updates(receipts: list[Receipt]) -> Iterator[ReceiptUpdate]:
    """Each receipt as the history's update; one that cannot be made one is logged and the
    rest of the run still goes in."""
    for receipt in receipts:
        try:
            yield stored_receipt(receipt)
        except Exception as error:
            _refused(receipt, error)


def _refused(update: object, error: Exception) -> None:
    log.error("a history update failed", exc_info=error)


def record_send(
    item: SentSms, text: str, now: float, batch_id: str | None, conversation_id: str | None
) -> HistoryJob:
    accepted = item.accepted

    def record(history: History) -> None:
        history.record_message(
            accepted.umid,
            accepted.client_message_id,
            accepted.channel,
            "out",
            item.destination,
            text,
            "queued",  # a refusal follows as a receipt, so the history keeps its reason
            now,
            batch_id=batch_id,
            conversation_id=conversation_id,
        )
        if accepted.refused:
            history.apply_receipt(
                accepted.umid, "rejected", now, now, error_message=accepted.reason
            )

    return record


def save_shared(conversation: Conversation) -> HistoryJob:
    """Keep a conversation's team state (created in the history first if it is new there)."""
    shared = conversation.shared()

    def save(history: History) -> None:
        if history.conversation(conversation.conversation_id) is None:
            history.upsert_conversation(
                conversation.conversation_id,
                conversation.channel,
                conversation.peer,
                conversation.name,
            )
        history.update_conversation(conversation.conversation_id, **shared)

    return save


def record_reply(conversation: Conversation, umid: str, text: str, at: float) -> HistoryJob:
    """A reply an agent sent (maybe on another console), into the conversation's thread."""

    def record(history: History) -> None:
        history.record_message(
            umid,
            None,
            conversation.channel,
            "out",
            conversation.peer,
            text,
            "queued",
            at,
            conversation_id=conversation.conversation_id,
        )

    return record


def record_room(room: RoomView) -> HistoryJob:
    def record(history: History) -> None:
        history.record_room(
            room.call_reference, room.guest_link, room.phone, room.created_at, room.expires_at
        )

    return record


def save_invite(room: RoomView) -> HistoryJob:
    reference, invite = room.call_reference, room.invite
    return lambda history: history.update_room(
        reference, invite_umid=invite.umid, invite_status=invite.state
    )


def save_joined(room: RoomView) -> HistoryJob:
    def save(history: History) -> None:
        history.update_room(
            room.call_reference,
            guest_joined=room.guest_joined_at is not None,
            guest_joined_at=room.guest_joined_at,
            agent_joined_at=room.agent_joined_at,
        )

    return save


def stored_room(stored: StoredRoom) -> RoomView:
    joined = stored.guest_joined_at
    if joined is None and stored.guest_joined:  # an older record: joined, time unknown
        joined = stored.created_at
    return RoomView(
        call_reference=stored.call_reference,
        guest_link=stored.guest_link,
        phone=stored.phone_number,
        created_at=stored.created_at,
        expires_at=stored.expires_at,
        agent_joined_at=stored.agent_joined_at,
        guest_joined_at=joined,
        invite=Invite(umid=stored.invite_umid, state=stored.invite_status),
    )
