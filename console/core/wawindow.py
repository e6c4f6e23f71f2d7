"""WhatsApp's 24-hour customer-service window, UI-free.

A business may send a WhatsApp customer any message (free-form text, media) for 24 hours after
the customer's last message; after that only an approved template goes through (8x8: "Any
message sent outside the 24h customer service window, needs to be a template message, to be
delivered"; a free-form message then ends with the delivery-receipt error 61, SessionExpired).
Only WhatsApp has this rule here; the other channels reply freely.

Pure: the time comes from the caller (the App's injected clock), so every boundary is testable.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

WINDOW = 24 * 3600.0  # seconds the window stays open after the customer's last message
CLOSING_WITHIN = 2 * 3600.0  # seconds left under which the window is "closing" (a warning)
WINDOW_CHANNELS = frozenset({"whatsapp"})
SESSION_EXPIRED = 61  # 8x8's Messaging Apps receipt code: trashed, 24 hours for WhatsApp


class WindowState(StrEnum):
    NONE = "none"  # the channel has no such window (SMS, Viber…)
    UNKNOWN = "unknown"  # WhatsApp, but when the customer last wrote is not known here
    OPEN = "open"
    CLOSING = "closing"  # open, less than CLOSING_WITHIN left
    CLOSED = "closed"


class ReplyKind(StrEnum):
    FREE_FORM = "free-form"  # text (or media) the agent writes
    TEMPLATE = "template"  # an approved WhatsApp template


@dataclass(frozen=True, slots=True)
class Window:
    """Where a conversation's window stands at one moment."""

    state: WindowState
    left: float = 0.0  # seconds until it closes (0 once closed, or without a window)
    closed_for: float = 0.0  # seconds since it closed (0 unless closed)

    @property
    def is_open(self) -> bool:
        return self.state in (WindowState.OPEN, WindowState.CLOSING)


def window_at(
    channel: str, last_inbound_at: float | None, now: float, *, expired_at: float | None = None
) -> Window:
    """The window of a conversation on `channel` whose customer last wrote at
    `last_inbound_at` (None: not known), as of `now`. It closes exactly 24 hours after the
    customer's message: at that instant it is closed. A customer's message stamped in the
    future (clocks disagree) counts as written now.

    `expired_at`: when a reply sent after the customer's last message came back with
    8x8's SessionExpired (61): 8x8 knows better (its clock, a message this console never
    saw), so the window is closed whatever the count says."""
    if channel not in WINDOW_CHANNELS:
        return Window(WindowState.NONE)
    if expired_at is not None and (last_inbound_at is None or expired_at >= last_inbound_at):
        since = now - (last_inbound_at + WINDOW) if last_inbound_at is not None else 0.0
        return Window(WindowState.CLOSED, 0.0, max(0.0, since))
    if last_inbound_at is None:
        return Window(WindowState.UNKNOWN)
    left = WINDOW - max(0.0, now - last_inbound_at)
    if left <= 0:
        return Window(WindowState.CLOSED, 0.0, -left)
    state = WindowState.CLOSING if left <= CLOSING_WITHIN else WindowState.OPEN
    return Window(state, left)


def allowed_replies(window: Window) -> frozenset[ReplyKind]:
    """What the agent may send: only a template once WhatsApp's window has closed; both while
    it is open (or not known: 8x8 then decides); free-form only where there are no templates."""
    if window.state is WindowState.NONE:
        return frozenset({ReplyKind.FREE_FORM})
    if window.state is WindowState.CLOSED:
        return frozenset({ReplyKind.TEMPLATE})
    return frozenset({ReplyKind.FREE_FORM, ReplyKind.TEMPLATE})


def span(seconds: float) -> str:
    """A duration in at most two units, rounded down: '3h12m', '45m', '<1m', '2d3h'."""
    minutes = int(max(0.0, seconds) // 60)
    if minutes < 1:
        return "<1m"
    hours, minutes = divmod(minutes, 60)
    if hours == 0:
        return f"{minutes}m"
    days, hours = divmod(hours, 24)
    if days == 0:
        return f"{hours}h{minutes:02d}m" if minutes else f"{hours}h"
    return f"{days}d{hours}h" if hours else f"{days}d"


def window_label(window: Window) -> str | None:
    """The thread header's words: 'WA window 3h12m left', 'WA window closed 2h ago'; None
    where the channel has no window."""
    state = window.state
    if state is WindowState.NONE:
        return None
    if state is WindowState.UNKNOWN:
        return "WA window: customer's last message not known"
    if state is WindowState.CLOSED:
        return f"WA window closed {span(window.closed_for)} ago"
    return f"WA window {span(window.left)} left"


def window_marker(window: Window) -> str | None:
    """A row's compact marker: '◷23h', '◷42m' (closing), '◷shut'; None without a window
    or when not known."""
    if window.state is WindowState.CLOSED:
        return "◷shut"
    if window.is_open:
        minutes = int(window.left // 60)
        return f"◷{minutes // 60}h" if minutes >= 60 else f"◷{max(minutes, 1)}m"
    return None


def free_form_refusal(window: Window) -> str | None:
    """Why a free-form reply cannot go now (shown at the reply box), or None when it can."""
    if ReplyKind.FREE_FORM in allowed_replies(window):
        return None
    return f"WA window closed {span(window.closed_for)} ago: only a template reaches them · ctrl+t"
