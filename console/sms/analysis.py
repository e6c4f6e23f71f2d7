"""SMS encoding and segmentation: what a text costs, and where it will be split.

Rules (DESIGN.md, 8x8's "Send SMS API" page):

- AUTO picks GSM-7 when every character is in the GSM 03.38 basic or extension table,
  otherwise UCS-2. Extension characters (``^{}\\[~]|€`` and form feed) cost 2 septets in
  GSM-7 (ESC + code) and 1 unit in UCS-2. CR and LF are basic characters.
- GSM-7: up to 160 septets is one segment; longer texts go in segments of 153.
  UCS-2: up to 70 UTF-16 units is one segment; longer texts go in segments of 67.
  Characters outside the BMP (most emoji) are surrogate pairs: 2 units.
- A split never cuts an escape pair or a surrogate pair, so a segment may hold 152 septets
  or 66 units; the characters are kept whole and move to the next segment. Segments are
  filled greedily, which is how an SMSC splits, so the count matches what is billed.
- A ZWJ emoji sequence (👨‍👩‍👧) *may* be split between its code points: each code point is
  whole UTF-16, the handset joins the segments before it draws the text, and keeping the
  cluster together would count more segments than the operator bills.
- 8x8 takes at most 10 segments (its documentation: longer texts are truncated). Beyond that
  ``too_long`` is set; the console refuses to send.
- Forced encodings: ``UCS2`` sends any text in UCS-2, even a GSM-7 one. ``GSM7`` sends in
  GSM-7 and renders the table's characters; 8x8 is silent on the others. We report each as
  a culprit ("not in GSM-7") and count it as one septet (the ``?`` a handset shows).
- The empty text has 0 segments and no parts (8x8 rejects it: "Text value is missing");
  ``remaining`` is then the whole first segment.

Performance: classifying a text is one C-level pass (``charset.classify``); when no character
weighs 2 (no extension and no astral character) the counts are arithmetic and the parts are
slices. GSM-7 with extension characters: one byte per character flags them (built by codecs
and ``bytes.translate``), and the cuts are placed on that byte stream with C-level indexing
and counting, a few operations per segment (``_cuts``). UCS-2 with astral characters: the
cuts are placed on the UTF-16 encoding itself and each part is decoded from its stretch
(``_build_utf16``). Nothing walks the text in Python.
Culprits and the lookalike suggestion are computed on first use.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from functools import cached_property
from itertools import pairwise
from typing import Final, Literal, NamedTuple

from console.sms.charset import (
    BASIC_ONLY,
    NOT_GSM7,
    NOT_GSM7_RE,
    classify,
    gsm7_heavy_flags,
    ucs2_heavy_flags,
)
from console.sms.lookalikes import LOOKALIKES, suggest_gsm7

Encoding = Literal["GSM7", "UCS2"]
# A UTF-16LE unit's high byte -> 1 when the unit is a high surrogate (0xD800-0xDBFF).
_HIGH_SURROGATE: Final = bytes(1 if 0xD8 <= b <= 0xDB else 0 for b in range(256))
RequestedEncoding = Literal["AUTO", "GSM7", "UCS2"]

MAX_SEGMENTS: Final = 10
GSM7_SINGLE: Final = 160
GSM7_MULTI: Final = 153
UCS2_SINGLE: Final = 70
UCS2_MULTI: Final = 67

FORCES_UCS2: Final = "forces UCS-2"
NOT_IN_GSM7: Final = "not in GSM-7"

_REQUESTED: Final[dict[str, RequestedEncoding]] = {
    "AUTO": "AUTO",
    "GSM7": "GSM7",
    "UCS2": "UCS2",
}


class Culprit(NamedTuple):
    """A character that forced UCS-2 (AUTO) or that GSM-7 cannot carry (forced GSM7)."""

    char: str
    index: int
    """Index into the analysed text (a ``str`` index: one per code point)."""
    reason: str
    """``FORCES_UCS2`` or ``NOT_IN_GSM7``."""

    @property
    def codepoint(self) -> str:
        return f"U+{ord(self.char):04X}"

    @property
    def name(self) -> str:
        return unicodedata.name(self.char, self.codepoint)

    @property
    def replacement(self) -> str | None:
        """The GSM-7 lookalike for this character ("" = dropped), or None if there is none."""
        return LOOKALIKES.get(self.char)


@dataclass(frozen=True)
class SmsAnalysis:
    """What a text costs as an SMS, and how it is split. Build it with ``analyze``."""

    text: str = field(repr=False)
    requested: RequestedEncoding
    encoding: Encoding
    """The encoding the message will go out in."""
    segments: int
    units: int
    """Total septets (GSM-7) or UTF-16 code units (UCS-2)."""
    per_segment: int
    """Capacity of each segment: 160 or 153 (GSM-7), 70 or 67 (UCS-2)."""
    parts: tuple[str, ...]
    """The text of each segment; ``"".join(parts) == text``."""
    part_units: tuple[int, ...]
    """Units in each segment, each at most ``per_segment``."""
    remaining: int
    """Units left in the last segment."""
    max_segments: int = MAX_SEGMENTS

    @property
    def unit_name(self) -> str:
        return "septets" if self.encoding == "GSM7" else "UTF-16 units"

    @property
    def too_long(self) -> bool:
        return self.segments > self.max_segments

    @property
    def capacity(self) -> int:
        """Units that the segments used so far can hold (one segment for the empty text)."""
        return self.per_segment * max(self.segments, 1)

    @property
    def summary(self) -> str:
        """E.g. ``GSM-7 · 2 segments · 306/306 · 0 left`` (total units / capacity)."""
        name = "GSM-7" if self.encoding == "GSM7" else "UCS-2"
        plural = "" if self.segments == 1 else "s"
        if self.too_long:  # what is left of a segment means nothing past the limit
            limit = self.per_segment * self.max_segments
            return (
                f"{name} · {self.segments:,} segments · {self.units:,}/{limit:,} · "
                f"{self.units - limit:,} over the {self.max_segments}-segment limit"
            )
        return (
            f"{name} · {self.segments} segment{plural} · "
            f"{self.units}/{self.capacity} · {self.remaining} left"
        )

    @cached_property
    def culprits(self) -> tuple[Culprit, ...]:
        """Characters to blame, in text order.

        AUTO with UCS-2: every character outside GSM-7 (reason ``FORCES_UCS2``).
        Forced GSM7: every character GSM-7 cannot carry (reason ``NOT_IN_GSM7``).
        Otherwise none.
        """
        if self.requested == "AUTO" and self.encoding == "UCS2":
            reason = FORCES_UCS2
        elif self.requested == "GSM7":
            reason = NOT_IN_GSM7
        else:
            return ()
        make = tuple.__new__  # skips NamedTuple.__new__'s Python frame: one less call per match
        return tuple(
            [make(Culprit, (m[0], m.start(), reason)) for m in NOT_GSM7_RE.finditer(self.text)]
        )

    @cached_property
    def suggestion(self) -> str | None:
        """The text with GSM-7 lookalikes substituted, when that is worth it.

        Offered when the substitution changes the text and it saves segments, or turns a
        UCS-2 text into GSM-7 without costing a segment, or (forced GSM7) leaves fewer
        characters that GSM-7 cannot carry. ``analyze(suggestion, requested)`` shows the
        saving (also available as ``suggestion_analysis``).
        """
        suggested = suggest_gsm7(self.text)
        if suggested == self.text:
            return None
        after = analyze(suggested, self.requested)
        saves_segments = after.segments < self.segments
        becomes_gsm7 = (
            self.encoding == "UCS2" and after.encoding == "GSM7" and after.segments <= self.segments
        )
        fixes_characters = self.requested == "GSM7" and len(after.culprits) < len(self.culprits)
        if saves_segments or becomes_gsm7 or fixes_characters:
            return suggested
        return None

    @cached_property
    def suggestion_analysis(self) -> SmsAnalysis | None:
        """``analyze(self.suggestion, self.requested)``, or None when there is no suggestion."""
        if self.suggestion is None:
            return None
        return analyze(self.suggestion, self.requested)


_new = object.__new__


def _make(
    text: str,
    requested: RequestedEncoding,
    encoding: Encoding,
    segments: int,
    units: int,
    per_segment: int,
    parts: tuple[str, ...],
    part_units: tuple[int, ...],
    remaining: int,
) -> SmsAnalysis:
    """``SmsAnalysis(...)`` without the frozen dataclass's per-field ``object.__setattr__``
    (a third of the cost of a short text); the result is the same frozen object."""
    result = _new(SmsAnalysis)
    result.__dict__.update(
        text=text,
        requested=requested,
        encoding=encoding,
        segments=segments,
        units=units,
        per_segment=per_segment,
        parts=parts,
        part_units=part_units,
        remaining=remaining,
    )
    return result


def normalize_encoding(encoding: str) -> RequestedEncoding:
    """``"auto"`` → ``"AUTO"`` and so on; anything but AUTO, GSM7 or UCS2 is a ValueError."""
    requested = _REQUESTED.get(encoding.upper()) if isinstance(encoding, str) else None
    if requested is None:
        raise ValueError(f"encoding must be AUTO, GSM7 or UCS2, not {encoding!r}")
    return requested


def analyze(text: str, encoding: str = "AUTO") -> SmsAnalysis:
    """Analyse ``text`` as 8x8 would send it with ``encoding`` (AUTO, GSM7 or UCS2)."""
    requested = _REQUESTED.get(encoding) if type(encoding) is str else None
    if requested is None:
        requested = normalize_encoding(encoding)
    if requested != "UCS2":
        kind = classify(text)
        if kind == BASIC_ONLY:
            return _build(text, requested, "GSM7", None, GSM7_SINGLE, GSM7_MULTI)
        if kind != NOT_GSM7 or requested == "GSM7":
            flags = gsm7_heavy_flags(text)
            return _build(text, requested, "GSM7", flags, GSM7_SINGLE, GSM7_MULTI)
    if text.isascii():
        return _build(text, requested, "UCS2", None, UCS2_SINGLE, UCS2_MULTI)
    return _build_utf16(text, requested)


def _build_utf16(text: str, requested: RequestedEncoding) -> SmsAnalysis:
    """UCS-2 on the text's UTF-16 code units: a cut after a high surrogate moves back one
    unit; a part's characters are its units less its pairs (C-level counts, no per-character
    work in Python)."""
    try:
        data = text.encode("utf-16-le")
    except UnicodeEncodeError:  # a lone surrogate: one unit, never half of a pair
        return _build(text, requested, "UCS2", ucs2_heavy_flags(text), UCS2_SINGLE, UCS2_MULTI)
    units = len(data) >> 1
    if units == len(text):  # no astral character: every character is one unit
        return _build(text, requested, "UCS2", None, UCS2_SINGLE, UCS2_MULTI)
    if units <= UCS2_SINGLE:
        return _make(
            text, requested, "UCS2", 1, units, UCS2_SINGLE, (text,), (units,), UCS2_SINGLE - units
        )
    high = data[1::2].translate(_HIGH_SURROGATE)  # per unit: 1 = the first half of a pair
    count = high.count
    parts: list[str] = []
    sizes: list[int] = []
    start = char = 0
    while start < units:
        end = start + UCS2_MULTI
        if end >= units:
            end = units
        elif high[end - 1]:
            end -= 1  # never between the two units of a surrogate pair
        stop = char + end - start - count(1, start, end)
        parts.append(text[char:stop])
        sizes.append(end - start)
        start, char = end, stop
    return _make(
        text,
        requested,
        "UCS2",
        len(parts),
        units,
        UCS2_MULTI,
        tuple(parts),
        tuple(sizes),
        UCS2_MULTI - sizes[-1],
    )


def _build(
    text: str,
    requested: RequestedEncoding,
    encoding: Encoding,
    heavy: bytes | None,
    single: int,
    multi: int,
) -> SmsAnalysis:
    """Split ``text``: each character costs 1 unit, 2 where ``heavy`` has a 1."""
    length = len(text)
    heavy_count = heavy.count(1) if heavy else 0
    units = length + heavy_count
    if units <= single:
        if length == 0:
            return _make(text, requested, encoding, 0, 0, single, (), (), single)
        return _make(text, requested, encoding, 1, units, single, (text,), (units,), single - units)
    if not heavy_count:
        parts = tuple([text[start : start + multi] for start in range(0, length, multi)])
        last = length - multi * (len(parts) - 1)
        part_units = (multi,) * (len(parts) - 1) + (last,)
        return _make(
            text, requested, encoding, len(parts), units, multi, parts, part_units, multi - last
        )
    assert heavy is not None
    cuts, sizes = _cuts(heavy, multi)
    parts = tuple([text[start:end] for start, end in pairwise(cuts)])
    return _make(
        text, requested, encoding, len(parts), units, multi, parts, tuple(sizes), multi - sizes[-1]
    )


def _cuts(heavy: bytes, cap: int) -> tuple[list[int], list[int]]:
    """Cut the unit stream every ``cap`` units, never between the two units of a pair.

    The stream has one byte per unit: 0 for a single unit, 1 then 2 for a pair (an escape
    pair or a surrogate pair). A cut after a 1 moves back by one; the character index of a
    cut is its unit index minus the 2s before it. Everything per unit runs in C.
    """
    stream = heavy.replace(b"\x01", b"\x01\x02")
    count = stream.count
    total = len(stream)
    cuts = [0]
    sizes: list[int] = []
    unit = char = 0
    while unit < total:
        end = unit + cap
        if end >= total:
            end = total
        elif stream[end - 1] == 1:
            end -= 1
        char += end - unit - count(2, unit, end)
        cuts.append(char)
        sizes.append(end - unit)
        unit = end
    return cuts, sizes
