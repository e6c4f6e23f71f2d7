"""The GSM 03.38 (3GPP TS 23.038) default alphabet, its extension table, and fast classifiers.

Pure data and precompiled patterns; no I/O. Classification of the common case (a text made
only of basic-table characters) never walks the text in Python: it runs in C through
``bytes.translate`` (ASCII and Latin-1 texts) or one precompiled regular-expression scan.
"""

from __future__ import annotations

import re
from typing import Final

# The basic table, in code order 0x00-0x7F, without 0x1B (ESC, the escape to the extension
# table, which is not a character a text can contain). 0x09 is Ç (capital C cedilla), as in
# 3GPP TS 23.038; the lower-case ç is not in the table.
GSM7_BASIC: Final = (
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞÆæßÉ"  # 0x10-0x1F without 0x1B
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑ\u00dc\u00a7"  # Ü and § written as escapes
    "¿abcdefghijklmnopqrstuvwxyzäöñüà"
)

# The extension table: each costs ESC + one septet (2 septets) in GSM-7, 1 unit in UCS-2.
# Form feed (0x0A in the extension table) is the page break.
GSM7_EXTENSION: Final = "\f^{}\\[~]|€"

GSM7_CHARS: Final = frozenset(GSM7_BASIC + GSM7_EXTENSION)

_BASIC_LATIN1: Final = bytes(sorted(ord(c) for c in GSM7_BASIC if ord(c) < 256))
_EXTENSION_LATIN1: Final = bytes(sorted(ord(c) for c in GSM7_EXTENSION if ord(c) < 256))


def _char_class(chars: str) -> str:
    return "".join("\\" + c if c in "\\]^-[" else c for c in sorted(set(chars)))


NOT_BASIC_RE: Final = re.compile(f"[^{_char_class(GSM7_BASIC)}]")
NOT_GSM7_RE: Final = re.compile(f"[^{_char_class(GSM7_BASIC + GSM7_EXTENSION)}]")

BASIC_ONLY: Final = 0
WITH_EXTENSION: Final = 1
NOT_GSM7: Final = 2


def classify(text: str) -> int:
    """Return BASIC_ONLY, WITH_EXTENSION (all GSM-7, some escaped) or NOT_GSM7."""
    if not text.isascii():  # most such texts are UCS-2: the first foreign character says so
        found = NOT_BASIC_RE.search(text)
        if found is None:
            return BASIC_ONLY
        return NOT_GSM7 if NOT_GSM7_RE.search(text, found.start()) else WITH_EXTENSION
    rest = text.encode("ascii").translate(None, _BASIC_LATIN1)
    if not rest:
        return BASIC_ONLY
    return WITH_EXTENSION if not rest.translate(None, _EXTENSION_LATIN1) else NOT_GSM7


def is_gsm7(text: str) -> bool:
    """True if every character of ``text`` is in the GSM-7 basic or extension table."""
    return classify(text) != NOT_GSM7


_EXTENSION_FLAG: Final = bytes(1 if chr(b) in GSM7_EXTENSION else 0 for b in range(256))


def gsm7_heavy_flags(text: str) -> bytes:
    """One byte per character: 1 for an extension character (2 septets), else 0.

    Built in C: € becomes another extension character, every other character outside
    Latin-1 a ``?`` (one septet, as is any character GSM-7 cannot carry), then a byte table.
    """
    if "€" in text:
        text = text.replace("€", "{")
    return text.encode("latin-1", "replace").translate(_EXTENSION_FLAG)


_NONZERO_FLAG: Final = bytes([0] + [1] * 255)


def ucs2_heavy_flags(text: str) -> bytes:
    """One byte per character: 1 for a character outside the BMP (2 UTF-16 units), else 0.

    Byte 2 of a UTF-32-LE code is non-zero exactly for code points above U+FFFF.
    """
    return text.encode("utf-32-le", "surrogatepass")[2::4].translate(_NONZERO_FLAG)
