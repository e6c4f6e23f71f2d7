"""GSM-7 lookalikes: typographic characters that force UCS-2 but have a GSM-7 twin.

The table only holds characters that look the same (or are invisible), so that the
suggestion reads as the agent wrote it: curly quotes, dashes, the ellipsis, odd spaces and
line separators, zero-width characters, bullets, fullwidth ASCII and the Greek capitals that
are drawn like Latin ones. Accented letters (á → a, ç → c) are deliberately absent: they
change words, not typography.

Zero-width joiners (U+200D, U+200C) are removed only when they do not join two non-GSM
characters: between two emoji (👨‍👩‍👧) or two letters of a script that needs them, they carry
meaning and stay.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from console.sms.charset import GSM7_CHARS

_JOINERS: Final = "\u200d\u200c"


def _build() -> dict[str, str]:
    table: dict[str, str] = {}

    def put(chars: str, replacement: str) -> None:
        for char in chars:
            table[char] = replacement

    # Quotes, apostrophes, primes and accents used as quotes.
    put("\u2018\u2019\u201a\u201b\u2032\u2035\u00b4\u0060", "'")
    put("\u02b9\u02bb\u02bc\u02bd\u02c8\u02ca\u02cb\u275b\u275c", "'")
    put("\u201c\u201d\u201e\u201f\u2033\u2036\u00ab\u00bb", '"')
    put("\u02ba\u02dd\u02ee\u275d\u275e\u301d\u301e\u301f", '"')
    put("\u2039", "<")
    put("\u203a", ">")
    # Hyphens, dashes and the minus sign.
    put("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u2e3a\u2e3b\ufe58\ufe63", "-")
    # Ellipsis and dot leaders.
    put("\u2026", "...")
    put("\u2025", "..")
    put("\u2024", ".")
    # Spaces of every width, and the tab.
    put("\t\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a", " ")
    put("\u202f\u205f\u3000", " ")
    # Line and paragraph separators.
    put("\u2028\u2029\u0085\v", "\n")
    # Invisible characters: removed.
    put("\u200b\u2060\ufeff\u180e\u00ad\u200e\u200f\u2061\u2062\u2063\u2064", "")
    put(_JOINERS, "")
    # Bullets become a dash; middle dots a full stop (Catalan l·l is written l.l).
    put("\u2022\u2023\u2043\u25e6\u25cf\u25aa\u2219\u2981", "-")
    put("\u00b7\u2027", ".")
    # Symbols drawn like ASCII.
    put("\u00d7", "x")
    put("\u2044\u2215", "/")
    put("\u2216", "\\")
    put("\u2217", "*")
    put("\u2236", ":")
    put("\u223c\u02dc", "~")
    put("\u2223", "|")
    put("\u02c6", "^")
    # Fullwidth ASCII (U+FF01-U+FF5E) → ASCII; the fullwidth grave accent → apostrophe.
    for code in range(0xFF01, 0xFF5F):
        table[chr(code)] = chr(code - 0xFEE0)
    table["\uff40"] = "'"
    # Greek capitals drawn like Latin capitals (Δ Φ Γ Λ Ω Π Ψ Σ Θ Ξ are GSM-7 already).
    for greek, latin in zip("ΑΒΕΖΗΙΚΜΝΟΡΤΥΧ", "ABEZHIKMNOPTYX", strict=True):
        table[greek] = latin
    return table


LOOKALIKES: Final[Mapping[str, str]] = MappingProxyType(_build())
"""Non-GSM character → its GSM-7 lookalike ("" means the character is removed)."""

_TRANSLATE: Final = {
    ord(char): (replacement or None)
    for char, replacement in LOOKALIKES.items()
    if char not in _JOINERS
}
_JOINER_RE: Final = re.compile(f"[{_JOINERS}]")


def _drop_loose_joiner(match: re.Match[str]) -> str:
    text = match.string
    at = match.start()
    before = text[at - 1] if at > 0 else ""
    after = text[at + 1] if at + 1 < len(text) else ""
    joins_two = before and after and before not in GSM7_CHARS and after not in GSM7_CHARS
    joins_two = joins_two and before not in _JOINERS and after not in _JOINERS
    return match.group() if joins_two else ""


def suggest_gsm7(text: str) -> str:
    """Return ``text`` with every GSM-7 lookalike substituted (the text itself if none)."""
    suggested = text.translate(_TRANSLATE)
    if "\u200d" in suggested or "\u200c" in suggested:
        suggested = _JOINER_RE.sub(_drop_loose_joiner, suggested)
    return suggested
