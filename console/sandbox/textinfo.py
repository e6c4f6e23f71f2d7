"""A small GSM-7 / UCS-2 analysis: which encoding a text needs and how many SMS parts.

Deliberately self-contained (console.sms is the full analyser); the sandbox only needs the
encoding it reports and the smsCount in receipts.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")
MAX_PARTS = 10


@dataclass(frozen=True, slots=True)
class TextInfo:
    encoding: str  # "GSM7" or "UCS2"
    parts: int


def is_gsm7(text: str) -> bool:
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text)


def _gsm7_parts(text: str) -> int:
    septets = sum(2 if ch in GSM7_EXTENSION else 1 for ch in text)
    if septets <= 160:
        return 1
    parts, used = 1, 0
    for ch in text:
        cost = 2 if ch in GSM7_EXTENSION else 1
        if used + cost > 153:  # an escape pair never straddles two parts
            parts += 1
            used = 0
        used += cost
    return parts


def _ucs2_parts(text: str) -> int:
    units = len(text.encode("utf-16-le")) // 2
    if units <= 70:
        return 1
    parts, used = 1, 0
    for ch in text:
        cost = 2 if ord(ch) > 0xFFFF else 1
        if used + cost > 67:  # a surrogate pair never straddles two parts
            parts += 1
            used = 0
        used += cost
    return parts


@lru_cache(maxsize=4096)  # a batch sends one text to thousands of numbers
def analyse(text: str, requested: str = "AUTO") -> TextInfo:
    """Encoding actually used and number of parts. ``requested`` is AUTO, GSM7 or UCS2.

    Raises ValueError when GSM7 is requested for a text that GSM-7 cannot carry.
    """
    gsm = is_gsm7(text)
    if requested == "GSM7" and not gsm:
        raise ValueError("text has characters that GSM7 cannot encode; use UCS2 or AUTO")
    if requested == "UCS2" or not gsm:
        return TextInfo("UCS2", _ucs2_parts(text))
    return TextInfo("GSM7", _gsm7_parts(text))
