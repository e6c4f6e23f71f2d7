"""What the screens get back from the history: typed, frozen records (never TinyDB documents).

Timestamps are floats: seconds since the Unix epoch, UTC, rounded to the millisecond.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Doc = dict[str, Any]


def setting(fields: Doc) -> Callable[[Doc], None]:
    """A TinyDB update that sets `fields` on a document, removing those given as None."""

    def change(doc: Doc) -> None:
        for name, value in fields.items():
            if value is None:
                doc.pop(name, None)
            else:
                doc[name] = value

    return change


@dataclass(frozen=True, slots=True)
class Login:
    subaccount: str
    mode_label: str
    key_tail: str  # at most the key's last 6 characters; "" when there was no key (sandbox)
    at: float  # last time this sub-account/mode/key was used
    count: int  # how many times


@dataclass(frozen=True, slots=True)
class Room:
    call_reference: str
    guest_link: str
    phone_number: str | None
    created_at: float
    expires_at: float
    guest_joined: bool = False
    guest_joined_at: float | None = None
    status: str | None = None
    agent_joined_at: float | None = None
    invite_umid: str | None = None  # the SMS invite 8x8 sent for the room (seen in receipts)
    invite_status: str | None = None  # that SMS's status (forward only)


@dataclass(frozen=True, slots=True)
class Receipt:
    """One delivery receipt exactly as it arrived (duplicates and late ones included)."""

    state: str
    timestamp: float  # the status time 8x8 reported
    received_at: float  # when the console received it
    detail: str | None = None
    error_code: int | str | None = None
    error_message: str | None = None
    raw: str | None = None  # 8x8's payload as it arrived (JSON text), when it was kept


@dataclass(frozen=True, slots=True)
class Message:
    umid: str | None
    client_message_id: str | None
    channel: str
    direction: str  # "out" or "in"
    peer: str  # destination for "out", sender for "in"
    text: str
    status: str  # only ever moves forward (console/live/events.py rank)
    created_at: float
    status_at: float | None = None
    status_detail: str | None = None
    error_code: int | str | None = None
    error_message: str | None = None
    batch_id: str | None = None
    conversation_id: str | None = None
    timeline: tuple[Receipt, ...] = ()  # in arrival order
    heard_only: bool = False  # known from its receipts alone (not sent by this console)


@dataclass(frozen=True, slots=True)
class Conversation:
    """A conversation with a customer, as the conversation index keeps it.

    To add a field: give it a default here and a line in
    `console.store.conversations.FIELDS`; documents saved before simply lack it.
    """

    conversation_id: str
    channel: str
    peer: str
    name: str | None
    last_activity: float
    unread: int
    last_text: str | None = None
    last_direction: str | None = None
    # The inbox's shared state (console.core.inbox), kept with the conversation.
    assignee: str | None = None
    status: str | None = None  # open | pending | resolved | snoozed (None: open)
    snoozed_until: float | None = None
    labels: tuple[str, ...] = ()
    notes: tuple[dict[str, Any], ...] = ()  # {"agent", "text", "at", "seq"}, oldest first
    team_seq: int = 0  # the last relay event applied to it


@dataclass(frozen=True, slots=True)
class DaySummary:
    """One UTC day of the history on disk (what `History.days()` lists)."""

    day: str  # "YYYY-MM-DD"
    messages: int
    rooms: int
    loaded: bool  # some of it is in memory now


def login(doc: Doc) -> Login:
    return Login(
        doc["subaccount"], doc["mode_label"], doc["key_tail"], doc["at"], doc.get("count", 1)
    )


def room(doc: Doc) -> Room:
    return Room(
        call_reference=doc["call_reference"],
        guest_link=doc["guest_link"],
        phone_number=doc.get("phone_number"),
        created_at=doc["created_at"],
        expires_at=doc["expires_at"],
        guest_joined=bool(doc.get("guest_joined", False)),
        guest_joined_at=doc.get("guest_joined_at"),
        status=doc.get("status"),
        agent_joined_at=doc.get("agent_joined_at"),
        invite_umid=doc.get("invite_umid"),
        invite_status=doc.get("invite_status"),
    )


def receipt(entry: Doc) -> Receipt:
    return Receipt(
        state=str(entry.get("state", "")),
        timestamp=entry.get("timestamp", 0.0),
        received_at=entry.get("received_at", 0.0),
        detail=entry.get("detail"),
        error_code=entry.get("error_code"),
        error_message=entry.get("error_message"),
        raw=raw if type(raw := entry.get("raw")) is str else None,
    )


def message(doc: Doc, *, timeline: bool = True) -> Message:
    """The message a document holds; without its receipts' `timeline` when not wanted (the
    feed's rows need only where each message stands: building the receipts was half the
    time of reading a day)."""
    return Message(
        umid=doc.get("umid"),
        client_message_id=doc.get("client_message_id"),
        channel=doc["channel"],
        direction=doc["direction"],
        peer=doc["peer"],
        text=doc["text"],
        status=doc["status"],
        created_at=doc["created_at"],
        status_at=doc.get("status_at"),
        status_detail=doc.get("status_detail"),
        error_code=doc.get("error_code"),
        error_message=doc.get("error_message"),
        batch_id=doc.get("batch_id"),
        conversation_id=doc.get("conversation_id"),
        timeline=_timeline(doc.get("timeline")) if timeline else (),
        heard_only=doc.get("origin") == "receipt",
    )


def _timeline(entries: object) -> tuple[Receipt, ...]:
    if not entries or type(entries) is not list:
        return ()
    return tuple(receipt(entry) for entry in entries if type(entry) is dict)


_CONVERSATION_DEFAULTS: dict[str, Any] = {
    field.name: field.default
    for field in dataclasses.fields(Conversation)
    if field.default is not dataclasses.MISSING
}
_CONVERSATION_DEFAULTS.update(name=None, unread=0)
_CONVERSATION_NAMES = tuple(field.name for field in dataclasses.fields(Conversation))


_AS_TUPLE = {
    "labels": lambda items: tuple(item for item in items if type(item) is str),
    "notes": lambda items: tuple(dict(item) for item in items if type(item) is dict),
}


def conversation(doc: Doc) -> Conversation:
    """Every dataclass field from the document, its default where the document lacks it."""
    get = doc.get
    values = {name: get(name, _CONVERSATION_DEFAULTS.get(name)) for name in _CONVERSATION_NAMES}
    for name, convert in _AS_TUPLE.items():
        values[name] = convert(values[name] or ())
    return Conversation(**values)
