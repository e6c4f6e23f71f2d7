"""The customer beside the thread: other channels by number, rooms, last sends."""

from __future__ import annotations

from console.core.context import SentLine, context_lines, same_customer
from console.core.inbox import Conversation
from console.core.rooms import RoomView

NOW = 1_795_771_800.0


def conv(cid: str, unread: int = 0, at: float = NOW) -> Conversation:
    channel, peer = cid.split(":", 1)
    return Conversation(cid, channel, peer, "Jane Tan", at, "hi", "in", unread)


def test_the_same_number_on_other_channels_rooms_and_last_sends() -> None:
    opened = conv("whatsapp:+6591234567")
    others = [opened, conv("sms:+6591234567", 2, NOW - 60), conv("viber:+6598765432")]
    room = RoomView("CASE-10042", "https://g", "+6591234567", NOW - 3600, NOW - 2700)
    stranger = RoomView("CASE-1", "https://g", "+6500000000", NOW, NOW + 900)
    sent = [SentLine("sms", "Your parcel is on its way today\nThanks", "delivered", NOW - 30),
            SentLine("whatsapp", "Hi", "read", NOW - 10)]  # fmt: skip
    lines = context_lines(opened, others, [room, stranger], sent, NOW)
    assert lines[0] == "Also on" and lines[1] == "  SMS · open, 2 unread"
    assert lines[2] == "Rooms" and lines[3].startswith("  CASE-10042 · expired · ")
    assert lines[4:] == ["Last sent", "  read · WhatsApp · Hi",
                         "  delivered · SMS · Your parcel is on its w…"]  # fmt: skip


def test_nothing_else_says_so() -> None:
    opened = conv("whatsapp:+6591234567")
    assert context_lines(opened, [opened], [], [], NOW) == ["Nothing else about this customer yet."]


def test_numbers_match_by_digits_and_user_ids_as_they_are() -> None:
    assert same_customer("+6591234567", "6591234567")
    assert not same_customer("+6591234567", "+6591234568")
    assert same_customer("U4f2a", "U4f2a") and not same_customer("U4f2a", "U4f2b")
    assert not same_customer("12", "+12"), "too short to be a number"
