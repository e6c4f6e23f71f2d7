"""Which keys the key bar shows in the width it has, and with which labels. Pure.

The bar never cuts a word: the screen's own keys come first with their labels, then the
section keys (F1…F8); when the line is too narrow the section keys go first (they are in
`?` and the palette), then the own keys take their short labels, then the last of them go
too. The tail (`?` keys, `f9` log out, the palette) is always there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import Enum

# Shorter labels for a narrow terminal, by binding id: what a key does in a word or two.
SHORT: dict[str, str] = {
    "compose.lookalikes": "Lookalikes",
    "rooms.suggest": "Ref",
    "rooms.copy_guest_link": "Copy link",
    "rooms.open_agent_link": "Agent link",
    "rooms.call_logs": "Calls",
    "feed.export": "Export",
    "shield.feedback": "OTP",
    "tools.new": "New",
    "tools.toggle": "On/off",
    "tools.relay": "Relay",
    "inbox.label_filter": "Labels",
    "secret.reveal": "Show",
}


class Place(Enum):
    OWN = "own"  # the screen's and the focused widget's keys
    SECTION = "section"  # the App's keys: F1…F8
    TAIL = "tail"  # always shown, at the right


@dataclass(frozen=True, slots=True)
class KeyItem:
    key: str  # what a click presses
    shown: str  # the key as drawn ("^j", "f9", "?")
    label: str
    place: Place
    enabled: bool = True
    short: str | None = None

    @property
    def width(self) -> int:
        """' {shown} {label} ', as the bar draws it."""
        return len(self.shown) + len(self.label) + 3


def _width(items: Sequence[KeyItem]) -> int:
    return sum(item.width for item in items)


def _shortened(items: Sequence[KeyItem]) -> list[KeyItem]:
    return [replace(item, label=item.short) if item.short else item for item in items]


def fit(items: Sequence[KeyItem], width: int) -> list[KeyItem]:
    """The items to draw, in order (own, section, tail), within `width` cells."""
    tail = [item for item in items if item.place is Place.TAIL]
    own = [item for item in items if item.place is Place.OWN]
    sections = [item for item in items if item.place is Place.SECTION]
    room = width - _width(tail)
    if _width(own) + _width(sections) <= room:
        return [*own, *sections, *tail]
    if _width(own) > room:
        own = _shortened(own)
    while own and _width(own) > room:
        own.pop()
    kept = list(own)
    for item in sections:  # whole section keys, in order, while they fit (no gaps)
        if _width(kept) + item.width > room:
            break
        kept.append(item)
    return [*kept, *tail]
