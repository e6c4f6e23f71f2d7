"""What a browser tab may send over the websocket, checked before anything acts on it (pure).

textual.js sends JSON arrays: ``["stdin", text]``, ``["resize", {"width": w, "height": h}]``,
``["ping", text]``, ``["focus"]`` and ``["blur"]``. Anything else is ignored.

Keys reach the console as UTF-8 through :class:`KeyEncoder`: the page's JSON may carry
half of a surrogate pair (an emoji the terminal sent in two halves), which no encoder
takes as it is.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

MAX_CELLS = 1000  # columns or rows: more than any screen shows
FONT_SIZES = range(6, 73)  # pixels: ?fontsize= in the page's address


@dataclass(frozen=True)
class Keys:
    """Keystrokes (or a paste), as the terminal in the page encoded them."""

    text: str


@dataclass(frozen=True)
class Resize:
    width: int
    height: int


@dataclass(frozen=True)
class Ping:
    token: str


@dataclass(frozen=True)
class Focus:
    focused: bool


ClientMessage = Keys | Resize | Ping | Focus


def terminal_size(value: object, default: int) -> int:
    """A column or row count from the page (a query parameter), within 1..MAX_CELLS."""
    return _number_in(value, range(1, MAX_CELLS + 1), default)


def font_size(value: object, default: int = 16) -> int:
    """The font size asked for in the page's address, within FONT_SIZES."""
    return _number_in(value, FONT_SIZES, default)


def _number_in(value: object, allowed: range, default: int) -> int:
    text = str(value)
    if not text.isascii() or not text.isdigit():
        return default
    number = int(text)
    return number if number in allowed else default


def parse_client_message(raw: str) -> ClientMessage | None:
    """The message a text frame carries, or None when it is not one we know."""
    try:
        envelope = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(envelope, list) or not envelope or not isinstance(envelope[0], str):
        return None
    kind, data = envelope[0], envelope[1] if len(envelope) > 1 else None
    if kind == "stdin" and isinstance(data, str):
        return Keys(data)
    if kind == "resize" and isinstance(data, dict):
        width, height = data.get("width"), data.get("height")
        if _cells(width) and _cells(height):
            assert isinstance(width, int) and isinstance(height, int)
            return Resize(width, height)
        return None
    if kind == "ping" and isinstance(data, str) and len(data) <= 64:
        return Ping(data)
    if kind in ("focus", "blur"):
        return Focus(kind == "focus")
    return None


class KeyEncoder:
    """The page's keystrokes as UTF-8 bytes for the console, whatever the page sent.

    A character outside the Basic Multilingual Plane (an emoji) can reach us as two
    messages, each with one half of its surrogate pair: a high half at the end of one is
    kept and joined to a low half at the start of the next. A half that has no partner
    becomes U+FFFD, so the agent sees that a character was lost; nothing raises."""

    def __init__(self) -> None:
        self._high = ""  # a high surrogate waiting for its low half

    def encode(self, text: str) -> bytes:
        text, self._high = self._high + text, ""
        if text and _HIGH_SURROGATES[0] <= text[-1] <= _HIGH_SURROGATES[1]:
            text, self._high = text[:-1], text[-1]
        # UTF-16 with "surrogatepass" pairs the halves that belong together; decoding
        # with "replace" turns every half left alone into U+FFFD.
        joined = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
        return joined.encode("utf-8")


_HIGH_SURROGATES = ("\ud800", "\udbff")


def _cells(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_CELLS
