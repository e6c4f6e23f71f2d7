"""analyze() against a slow, independent reference that encodes the text unit by unit.

The reference builds the real unit stream (GSM-7 septets from the 3GPP TS 23.038 code table
written out below by code point, ESC + code for the extension table; UTF-16 code units from
Python's own UTF-16 encoder), cuts it every 153/67 units, and moves a cut back by one when it
would separate ESC from its code or a high surrogate from its low one. Nothing is shared with
console.sms except the function under test.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from console.sms import GSM7_BASIC, GSM7_EXTENSION, analyze, is_gsm7

# 3GPP TS 23.038 default alphabet, by code (0x1B is ESC and is not a character).
REF_BASIC: dict[int, str] = {
    0x00: "@", 0x01: "\u00a3", 0x02: "$", 0x03: "\u00a5", 0x04: "\u00e8", 0x05: "\u00e9",
    0x06: "\u00f9", 0x07: "\u00ec", 0x08: "\u00f2", 0x09: "\u00c7", 0x0A: "\n", 0x0B: "\u00d8",
    0x0C: "\u00f8", 0x0D: "\r", 0x0E: "\u00c5", 0x0F: "\u00e5", 0x10: "\u0394", 0x11: "_",
    0x12: "\u03a6", 0x13: "\u0393", 0x14: "\u039b", 0x15: "\u03a9", 0x16: "\u03a0",
    0x17: "\u03a8", 0x18: "\u03a3", 0x19: "\u0398", 0x1A: "\u039e", 0x1C: "\u00c6",
    0x1D: "\u00e6", 0x1E: "\u00df", 0x1F: "\u00c9", 0x24: "\u00a4", 0x40: "\u00a1",
    0x5B: "\u00c4", 0x5C: "\u00d6", 0x5D: "\u00d1", 0x5E: "\u00dc", 0x5F: "\u00a7",
    0x60: "\u00bf", 0x7B: "\u00e4", 0x7C: "\u00f6", 0x7D: "\u00f1", 0x7E: "\u00fc",
    0x7F: "\u00e0",
}  # fmt: skip
for _code, _char in zip(range(0x20, 0x24), ' !"#', strict=True):
    REF_BASIC[_code] = _char
for _code in range(0x25, 0x40):
    REF_BASIC[_code] = chr(_code)
for _code in range(0x41, 0x5B):
    REF_BASIC[_code] = chr(_code)
for _code in range(0x61, 0x7B):
    REF_BASIC[_code] = chr(_code)
REF_EXTENSION: dict[int, str] = {
    0x0A: "\f", 0x14: "^", 0x28: "{", 0x29: "}", 0x2F: "\\", 0x3C: "[", 0x3D: "~", 0x3E: "]",
    0x40: "|", 0x65: "\u20ac",
}  # fmt: skip
BASIC_CODE = {char: code for code, char in REF_BASIC.items()}
EXTENSION_CODE = {char: code for code, char in REF_EXTENSION.items()}
ESC = 0x1B


@dataclass
class Expected:
    encoding: str
    units: int
    parts: list[str]
    part_units: list[int]
    culprits: list[tuple[int, str]]


def reference(text: str, encoding: str = "AUTO") -> Expected:
    """Encode to units, cut every N units, never between ESC+code or a surrogate pair."""
    gsm_ok = all(c in BASIC_CODE or c in EXTENSION_CODE for c in text)
    chosen = encoding.upper()
    if chosen == "AUTO":
        chosen = "GSM7" if gsm_ok else "UCS2"
    # One entry per unit: (index of the character it belongs to, starts a pair?)
    units: list[tuple[int, bool]] = []
    culprits: list[tuple[int, str]] = []
    for index, char in enumerate(text):
        if chosen == "GSM7":
            if char in BASIC_CODE:
                septets = [BASIC_CODE[char]]
            elif char in EXTENSION_CODE:
                septets = [ESC, EXTENSION_CODE[char]]
            else:
                septets = [BASIC_CODE["?"]]
            units.extend((index, pos == 0 and len(septets) == 2) for pos in range(len(septets)))
        else:
            code_units = len(char.encode("utf-16-be")) // 2
            units.extend((index, pos == 0 and code_units == 2) for pos in range(code_units))
        forced_gsm7 = encoding.upper() == "GSM7"
        blamed_for_ucs2 = encoding.upper() == "AUTO" and chosen == "UCS2"
        if (
            char not in BASIC_CODE
            and char not in EXTENSION_CODE
            and (forced_gsm7 or blamed_for_ucs2)
        ):
            culprits.append((index, char))
    single, multi = (160, 153) if chosen == "GSM7" else (70, 67)
    total = len(units)
    if total == 0:
        return Expected(chosen, 0, [], [], culprits)
    if total <= single:
        return Expected(chosen, total, [text], [total], culprits)
    cuts = [0]
    position = 0
    while position < total:
        cut = min(position + multi, total)
        if cut < total and units[cut - 1][1]:
            cut -= 1  # the last unit starts a pair: keep the pair together
        cuts.append(cut)
        position = cut
    parts, part_units = [], []
    for start, end in pairwise(cuts):
        first_char = units[start][0]
        last_char = units[end - 1][0]
        parts.append(text[first_char : last_char + 1])
        part_units.append(end - start)
    return Expected(chosen, total, parts, part_units, culprits)


def check(text: str, encoding: str = "AUTO") -> None:
    expected = reference(text, encoding)
    got = analyze(text, encoding)
    assert got.encoding == expected.encoding
    assert got.units == expected.units
    assert list(got.parts) == expected.parts
    assert list(got.part_units) == expected.part_units
    assert [(c.index, c.char) for c in got.culprits] == expected.culprits
    # Invariants the user relies on.
    assert "".join(got.parts) == text
    assert got.segments == len(got.parts)
    assert all(units <= got.per_segment for units in got.part_units)
    assert sum(got.part_units) == got.units
    assert got.too_long == (got.segments > 10)
    if got.parts:
        assert got.remaining == got.per_segment - got.part_units[-1]


def test_the_tables_are_3gpp_ts_23_038() -> None:
    assert len(REF_BASIC) == 127
    assert sorted(GSM7_BASIC) == sorted(REF_BASIC.values())
    assert sorted(GSM7_EXTENSION) == sorted(REF_EXTENSION.values())
    assert "\x1b" not in GSM7_BASIC
    assert is_gsm7("".join(REF_BASIC.values()) + "".join(REF_EXTENSION.values()))
    assert not is_gsm7("\x1b")


EXTENSION = "".join(REF_EXTENSION.values())
SPECIAL = {
    "gsm": "".join(REF_BASIC.values()),
    "extension": EXTENSION,
    "ucs2": "çйж’“”…—\u00a0\u200b\u200d\u4e2d\ufeff`",
    "astral": "😀👍🏽👨👩👧🔥\U00010348\U0001f1f8\U0001f1ec",
}


def test_every_extension_character_at_every_gsm7_split_position() -> None:
    for ext in EXTENSION:
        for before in range(140, 320):
            check("a" * before + ext + "b" * 25)
            check("x" * before + ext + ext + "y" * 7)


def test_every_astral_character_at_every_ucs2_split_position() -> None:
    for astral in "😀\U00010348\U0001f1f8":
        for before in range(55, 215):
            check("й" * before + astral + "ж" * 9)
            check("й" * before + astral + astral + "ж")


def test_zwj_sequences_at_every_ucs2_split_position() -> None:
    family = "👨\u200d👩\u200d👧"
    for before in range(50, 150):
        check("й" * before + family + "ok")
        check("a" * before + family * 3)


def test_forced_encodings_at_every_position() -> None:
    for before in range(140, 175):
        check("a" * before + "{é😀" + "b" * 20, "GSM7")
        check("a" * before + "{é😀" + "b" * 20, "UCS2")
        check("a" * before + "{" + "b" * 20, "ucs2")


@pytest.mark.parametrize("length", [0, 1, 69, 70, 71, 134, 135, 160, 161, 306, 307, 1530, 1531])
def test_lengths_in_every_mode(length: int) -> None:
    for encoding in ("AUTO", "GSM7", "UCS2"):
        check("a" * length, encoding)
        check("й" * length, encoding)
        check("{" * length, encoding)
        check("😀" * (length // 2), encoding)


_ALPHABET = st.sampled_from(
    list(SPECIAL["gsm"]) * 4
    + list(SPECIAL["extension"])
    + list(SPECIAL["ucs2"])
    + list(SPECIAL["astral"])
)


@settings(max_examples=400, deadline=None)
@given(
    text=st.text(alphabet=_ALPHABET, max_size=1800),
    encoding=st.sampled_from(["AUTO", "GSM7", "UCS2", "auto"]),
)
def test_random_texts_match_the_reference(text: str, encoding: str) -> None:
    check(text, encoding)


@settings(max_examples=300, deadline=None)
@given(
    base=st.integers(min_value=0, max_value=1700),
    filler=st.sampled_from(["a", "é", "й", "\n", "\r\n"]),
    specials=st.lists(
        st.tuples(st.integers(min_value=0, max_value=1800), st.sampled_from(EXTENSION + "😀’é")),
        max_size=12,
    ),
)
def test_texts_near_boundaries_match_the_reference(
    base: int, filler: str, specials: list[tuple[int, str]]
) -> None:
    text = filler * base
    for at, char in sorted(specials, reverse=True):
        at = min(at, len(text))
        text = text[:at] + char + text[at:]
    for encoding in ("AUTO", "GSM7", "UCS2"):
        check(text, encoding)


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=400))
def test_any_unicode_text_matches_the_reference(text: str) -> None:
    check(text)
    check(text, "GSM7")
