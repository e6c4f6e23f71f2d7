"""The customer beside the thread: their other conversations (every channel, by number),
their video rooms, and the last messages sent to them with where each stands. Pure: the
inbox gathers the inputs (the core in memory, the history in a worker) and shows the lines.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from console.core.inbox import Conversation, channel_word
from console.core.rooms import RoomView

MAX_SENT = 5


@dataclass(frozen=True, slots=True)
class SentLine:
    """One message sent to the customer, as the history keeps it."""

    channel: str
    text: str
    status: str
    at: float


def _digits(number: str) -> str:
    return "".join(ch for ch in number if ch.isdigit())


def same_customer(peer: str, other: str) -> bool:
    """Two peers name one customer when their numbers are the same (a channel's user id is
    compared as it is)."""
    a, b = _digits(peer), _digits(other)
    return (a == b and len(a) >= 6) or peer == other


def context_lines(
    opened: Conversation,
    conversations: Iterable[Conversation],
    rooms: Iterable[RoomView],
    sent: Sequence[SentLine],
    now: float,
) -> list[str]:
    """The panel's lines: 'Also on', 'Rooms', 'Last sent' sections (each only when it has
    something), or one line saying there is nothing else."""
    lines: list[str] = []
    others = [
        c
        for c in conversations
        if c.conversation_id != opened.conversation_id and same_customer(opened.peer, c.peer)
    ]
    if others:
        lines.append("Also on")
        for c in sorted(others, key=lambda c: c.last_activity, reverse=True):
            unread = f", {c.unread} unread" if c.unread else ""
            lines.append(f"  {channel_word(c.channel)} · {c.status_at(now)}{unread}")
    theirs = [r for r in rooms if r.phone and same_customer(opened.peer, r.phone)]
    if theirs:
        lines.append("Rooms")
        for room in sorted(theirs, key=lambda r: r.created_at, reverse=True)[:3]:
            when = time.strftime("%d %b %H:%M", time.localtime(room.created_at))
            lines.append(f"  {room.call_reference} · {room.state(now).value} · {when}")
    if sent:
        lines.append("Last sent")
        for line in sorted(sent, key=lambda s: s.at, reverse=True)[:MAX_SENT]:
            first = line.text.strip().split("\n", 1)[0]
            short = first if len(first) <= 24 else first[:23] + "…"
            lines.append(f"  {line.status} · {channel_word(line.channel)} · {short}")
    return lines or ["Nothing else about this customer yet."]
