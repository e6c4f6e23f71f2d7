"""What a browser tab may send over the websocket, checked before anything acts on it (pure).

textual.js sends JSON arrays: ``["stdin", text]``, ``["resize", {"width": w, "height": h}]``,
``["ping", text]``, ``["focus"]`` and ``["blur"]``. Anything else is ignored.

Keys reach the console as UTF-8 through :class:`KeyEncoder`: the page's JSON may carry
half of a surrogate pair (an emoji the terminal sent in two halves), which no encoder
takes as it is, or a key sequence that would stop the console's input parser.
"""

from __future__ import annotations

import json
import re
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
    becomes U+FFFD, so the agent sees that a character was lost; nothing raises.

    A key sequence the console cannot read (see :func:`drop_unreadable_keys`) is dropped,
    also when it comes in pieces: ``ESC [`` and what may follow at the end of a message
    wait for the rest, as half an emoji does. A lone ESC (the Escape key) does not wait:
    what comes after it is checked as the rest of its sequence."""

    def __init__(self) -> None:
        self._held = ""  # a high surrogate, or the start of a key, waiting for the rest
        self._sent_tail = ""  # what was sent of a key not finished yet (a lone ESC, …)

    def encode(self, text: str) -> bytes:
        text, self._held = self._held + text, ""
        tail = self._sent_tail
        if text and _HIGH_SURROGATES[0] <= text[-1] <= _HIGH_SURROGATES[1]:
            text, self._held = text[:-1], text[-1]
        elif cut := _CUT_KEY.search(text):
            text, self._held = text[: cut.start()], cut[0]
        # UTF-16 with "surrogatepass" pairs the halves that belong together; decoding
        # with "replace" turns every half left alone into U+FFFD.
        text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
        # The rest of a key whose start was sent already: dropped when unreadable. (Only
        # the first characters can be: Textual reads a longer one as plain characters.)
        start = 0
        while (
            tail
            and (key := _EXTENDED_KEY.match(tail + text[start : start + _LONGEST_KEY]))
            and key.end() > len(tail)
            and not _readable_or_nothing(key)
        ):
            start += key.end() - len(tail)
        sent = drop_unreadable_keys(text[start:])
        if sent:
            unfinished = _UNFINISHED_KEY.search(tail + sent)
            self._sent_tail = unfinished[0] if unfinished else ""
        return sent.encode("utf-8")


_HIGH_SURROGATES = ("\ud800", "\udbff")
# A key in the form Textual reads as an extended (kitty) key: ESC [ code ; modifiers ;
# text, and a final letter (`\d`, as Textual's own pattern: any Unicode digit); or the
# start of one that another ESC cuts short, which would join what follows a dropped key.
_EXTENDED_KEY = re.compile(r"\x1b\[([\d:;]*)(?:([u~ABCDEFHPQRS])|(?=\x1b))")
_CODE_POINTS = 0x110000
_MODIFIERS = 1 << 16  # kitty's modifiers are a few bits, plus one
# Such a key cut at the end of a message (longer than Textual looks for a key, it is
# read as plain characters and needs no waiting for), and what was sent of one.
_LONGEST_KEY = 32  # Textual's _MAX_SEQUENCE_SEARCH_THRESHOLD
_CUT_KEY = re.compile(r"\x1b\[[\d:;]{0,30}\Z")
_UNFINISHED_KEY = re.compile(r"\x1b(?:\[[\d:;]{0,30})?\Z")  # a lone ESC too


def drop_unreadable_keys(text: str) -> str:
    """``text`` without the key sequences that stop the console reading keys at all.

    Textual's input parser takes ``ESC [ code ; modifiers ; text u`` (and ``~``, ``A``…)
    as a key, and raises on a code with a colon or beyond U+10FFFF: after that, it reads
    no key for the rest of the session. No browser sends such a key; a page (or a program)
    that does loses that key only. Every other sequence passes as it came."""
    return _EXTENDED_KEY.sub(_readable_or_nothing, text)


def _readable_or_nothing(match: re.Match[str]) -> str:
    if match[2] is None:  # cut short: never a key
        return ""
    code, modifiers, characters, *_ = [*match[1].split(";"), "", "", ""]
    readable = (
        (not code or _number_below(code, _CODE_POINTS))
        and (not modifiers or _number_below(modifiers, _MODIFIERS))
        and all(
            not part.isdecimal() or _number_below(part, _CODE_POINTS)
            for part in characters.split(":")
        )
    )
    return match[0] if readable else ""


def _number_below(text: str, bound: int) -> bool:
    """Whether ``text`` is a decimal number below ``bound`` (never int() of a long text)."""
    digits = text.lstrip("0")
    return text.isdecimal() and len(digits) <= len(str(bound)) and int(digits or "0") < bound


def _cells(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_CELLS
