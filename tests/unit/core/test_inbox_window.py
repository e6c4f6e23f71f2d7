"""The inbox remembers when each customer last wrote and to which channel: what WhatsApp's
window (core/wawindow.py) and the templates' channel are read from. A reply, a replay or an
older message never moves it back; after a restart it is known when the customer wrote last."""

from __future__ import annotations

import dataclasses

from console.core.inbound import InboundMessage
from console.core.inbox import Inbox, from_stored
from console.core.wawindow import WINDOW, WindowState, window_at

JANE = "whatsapp:+6591234567"
LI = "viber:+6581112222"
T0 = 1_800_000_000.0
WA_CHANNEL = "5b6c2f0e-0000-0000-0000-000000000001"


def said(conversation: str, at_id: str | None = None) -> InboundMessage:
    channel, _, peer = conversation.partition(":")
    return InboundMessage(f"u{id(object())}", channel, peer, None, "hi", None, at_id)


def test_the_last_inbound_moves_forward_only_and_a_reply_leaves_it() -> None:
    inbox = Inbox("ana")
    inbox.apply_inbound(said(JANE, WA_CHANNEL), 1, T0)
    inbox.apply_inbound(said(JANE), 2, T0 + 60)
    inbox.apply_inbound(said(JANE), 3, T0 + 30)  # a late, older message
    inbox.record_reply(JANE, "on it", T0 + 120)
    assert inbox.apply_inbound(said(JANE), 2, T0 + 999) is None  # a replay: nothing
    jane = inbox.get(JANE)
    assert jane is not None
    assert jane.last_inbound_at == T0 + 60
    assert jane.channel_id == WA_CHANNEL, "kept when a later message does not say it"
    assert window_at(jane.channel, jane.last_inbound_at, T0 + 60 + WINDOW - 1).is_open
    state = window_at(jane.channel, jane.last_inbound_at, T0 + 60 + WINDOW).state
    assert state is WindowState.CLOSED


def test_the_whatsapp_channel_id_is_the_one_customers_last_wrote_to() -> None:
    inbox = Inbox("ana")
    assert inbox.channel_id("whatsapp") is None
    inbox.apply_inbound(said(JANE, "old-channel"), 1, T0)
    inbox.apply_inbound(said("whatsapp:+6590000000", WA_CHANNEL), 2, T0 + 5)
    inbox.apply_inbound(said(LI, "viber-channel"), 3, T0 + 9)
    assert inbox.channel_id("whatsapp") == WA_CHANNEL
    assert inbox.channel_id("viber") == "viber-channel"


def test_after_a_restart_it_is_known_only_when_the_customer_wrote_last() -> None:
    inbox = Inbox("ana")
    inbox.apply_inbound(said(JANE), 1, T0)
    jane = inbox.get(JANE)
    assert jane is not None

    @dataclasses.dataclass
    class Stored:
        conversation_id: str = JANE
        channel: str = "whatsapp"
        peer: str = "+6591234567"
        name: str | None = None
        last_activity: float = T0
        unread: int = 0
        last_text: str | None = "hi"
        last_direction: str | None = "in"
        assignee: str | None = None
        status: str | None = "open"
        snoozed_until: float | None = None
        labels: tuple[str, ...] = ()
        notes: tuple[dict[str, object], ...] = ()
        team_seq: int = 0

    assert from_stored(Stored()).last_inbound_at == T0
    assert from_stored(Stored(last_direction="out")).last_inbound_at is None
    assert from_stored(Stored()).channel_id is None
