"""analyze(): the numbers an agent sees in the compose meter, at every boundary."""

from __future__ import annotations

import pytest

from console.sms import FORCES_UCS2, MAX_SEGMENTS, NOT_IN_GSM7, SmsAnalysis, analyze

FAMILY = "👨\u200d👩\u200d👧"  # 8 UTF-16 units: 2 + 1 + 2 + 1 + 2


def shape(result: SmsAnalysis) -> tuple[str, int, int, int, int]:
    return (result.encoding, result.segments, result.units, result.per_segment, result.remaining)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a" * 160, ("GSM7", 1, 160, 160, 0)),
        ("a" * 161, ("GSM7", 2, 161, 153, 145)),
        ("a" * 306, ("GSM7", 2, 306, 153, 0)),
        ("a" * 307, ("GSM7", 3, 307, 153, 152)),
        ("a" * 459, ("GSM7", 3, 459, 153, 0)),
        ("a" * 460, ("GSM7", 4, 460, 153, 152)),
        ("й" * 70, ("UCS2", 1, 70, 70, 0)),
        ("й" * 71, ("UCS2", 2, 71, 67, 63)),
        ("й" * 134, ("UCS2", 2, 134, 67, 0)),
        ("й" * 135, ("UCS2", 3, 135, 67, 66)),
        ("й" * 201, ("UCS2", 3, 201, 67, 0)),
    ],
)
def test_single_and_concatenated_boundaries(
    text: str, expected: tuple[str, int, int, int, int]
) -> None:
    assert shape(analyze(text)) == expected


@pytest.mark.parametrize("k", range(2, 11))
def test_every_153_k_and_67_k_boundary(k: int) -> None:
    assert analyze("a" * (153 * k)).segments == k
    assert analyze("a" * (153 * k + 1)).segments == k + 1
    assert analyze("ж" * (67 * k)).segments == k
    assert analyze("ж" * (67 * k + 1)).segments == k + 1


def test_extension_characters_cost_two_septets() -> None:
    assert shape(analyze("{" * 80)) == ("GSM7", 1, 160, 160, 0)
    assert shape(analyze("a" * 159 + "€")) == ("GSM7", 2, 161, 153, 145)
    assert analyze("^{}\\[~]|€\f").units == 20


def test_an_escape_pair_is_never_cut_and_moves_whole_to_the_next_segment() -> None:
    result = analyze("a" * 152 + "[" + "b" * 20)
    assert result.parts == ("a" * 152, "[" + "b" * 20)
    assert result.part_units == (152, 22)
    fits = analyze("a" * 151 + "[" + "b" * 20)
    assert fits.parts == ("a" * 151 + "[", "b" * 20)
    assert fits.part_units == (153, 20)


def test_a_surrogate_pair_is_never_cut_and_moves_whole_to_the_next_segment() -> None:
    result = analyze("й" * 66 + "😀" + "ж" * 10)
    assert result.parts == ("й" * 66, "😀" + "ж" * 10)
    assert result.part_units == (66, 12)
    fits = analyze("й" * 65 + "😀" + "ж" * 10)
    assert fits.part_units == (67, 10)


def test_a_zwj_sequence_may_be_split_between_code_points_but_not_inside_one() -> None:
    result = analyze("й" * 63 + FAMILY)
    assert result.parts == ("й" * 63 + "👨\u200d", "👩\u200d👧")
    assert result.part_units == (66, 5)


def test_extension_characters_cost_one_unit_once_the_text_is_ucs2() -> None:
    result = analyze("{" * 69 + "й")
    assert shape(result) == ("UCS2", 1, 70, 70, 0)


def test_emoji_cost_two_units() -> None:
    assert shape(analyze("😀" * 35)) == ("UCS2", 1, 70, 70, 0)
    assert shape(analyze("😀" * 36)) == ("UCS2", 2, 72, 67, 61)
    assert analyze(FAMILY).units == 8


def test_cr_and_lf_are_basic_gsm7_characters() -> None:
    assert shape(analyze("\r\n" * 80)) == ("GSM7", 1, 160, 160, 0)
    assert analyze("line one\nline two\r\n").culprits == ()
    assert analyze("\r\n" * 80 + "й").units == 161


def test_empty_text_has_no_segments() -> None:
    result = analyze("")
    assert shape(result) == ("GSM7", 0, 0, 160, 160)
    assert result.parts == ()
    assert not result.too_long
    assert result.summary == "GSM-7 · 0 segments · 0/160 · 160 left"
    assert shape(analyze("", "UCS2")) == ("UCS2", 0, 0, 70, 70)


def test_more_than_ten_segments_is_too_long() -> None:
    assert analyze("a" * 1530).segments == MAX_SEGMENTS
    assert not analyze("a" * 1530).too_long
    assert analyze("a" * 1531).too_long
    assert not analyze("й" * 670).too_long
    assert analyze("й" * 671).too_long
    assert analyze("a" * 1531).summary == (
        "GSM-7 · 11 segments · 1,531/1,530 · 1 over the 10-segment limit"
    )
    assert analyze("a" * 100_000).summary == (
        "GSM-7 · 654 segments · 100,000/1,530 · 98,470 over the 10-segment limit"
    ), "no 'left' past the limit"
    huge = analyze("a" * 100_000)
    assert huge.segments == 654
    assert "".join(huge.parts) == "a" * 100_000


def test_summary_reads_like_the_meter() -> None:
    assert analyze("a" * 306).summary == "GSM-7 · 2 segments · 306/306 · 0 left"
    assert analyze("Hello").summary == "GSM-7 · 1 segment · 5/160 · 155 left"
    assert analyze("Привет").summary == "UCS-2 · 1 segment · 6/70 · 64 left"
    assert analyze("Hello").unit_name == "septets"
    assert analyze("Привет").unit_name == "UTF-16 units"


def test_auto_blames_each_character_that_forces_ucs2_with_its_position() -> None:
    text = "Don’t miss it — 50% off 😀"
    result = analyze(text)
    assert result.encoding == "UCS2"
    assert [(c.index, c.char) for c in result.culprits] == [(3, "’"), (14, "—"), (24, "😀")]
    assert {c.reason for c in result.culprits} == {FORCES_UCS2}
    assert all(text[c.index] == c.char for c in result.culprits)
    first = result.culprits[0]
    assert (first.codepoint, first.name, first.replacement) == (
        "U+2019",
        "RIGHT SINGLE QUOTATION MARK",
        "'",
    )
    assert result.culprits[2].replacement is None


def test_gsm7_text_has_no_culprits() -> None:
    assert analyze("Price: 10€ [promo] ^_^ {ok} ~ | \\").culprits == ()


def test_forced_ucs2_sends_a_gsm7_text_in_ucs2_without_culprits() -> None:
    result = analyze("Hello {world}", "UCS2")
    assert shape(result) == ("UCS2", 1, 13, 70, 57)
    assert result.culprits == ()
    assert analyze("a" * 71, "ucs2").segments == 2


def test_forced_gsm7_reports_unsendable_characters_and_counts_each_as_one_septet() -> None:
    result = analyze("Hi 😀 ça va", "GSM7")
    assert result.encoding == "GSM7"
    assert result.units == len("Hi 😀 ça va")
    assert [(c.index, c.char, c.reason) for c in result.culprits] == [
        (3, "😀", NOT_IN_GSM7),
        (5, "ç", NOT_IN_GSM7),
    ]
    assert analyze("a" * 159 + "😀", "GSM7").segments == 1
    assert analyze("a" * 159 + "{", "GSM7").segments == 2


def test_encoding_names_are_case_insensitive_and_nothing_else_is_accepted() -> None:
    assert analyze("x", "auto").requested == "AUTO"
    assert analyze("x", "Gsm7").requested == "GSM7"
    assert analyze("x", "ucs2").encoding == "UCS2"
    for bad in ("GSM-7", "UCS-2", "", "utf8", "GSM8", None, 7):
        with pytest.raises(ValueError, match="AUTO, GSM7 or UCS2"):
            analyze("x", bad)  # type: ignore[arg-type]


def test_greek_capitals_of_the_table_stay_gsm7() -> None:
    assert analyze("ΔΦΓΛΩΠΨΣΘΞ").encoding == "GSM7"
    assert analyze("Ç").encoding == "GSM7"
    assert analyze("ç").encoding == "UCS2"
    assert analyze("`").encoding == "UCS2"
    assert analyze("\x1b").encoding == "UCS2"


def test_culprit_indexes_are_str_indexes_even_after_emoji() -> None:
    result = analyze("😀😀 it’s")
    assert [(c.index, c.char) for c in result.culprits] == [(0, "😀"), (1, "😀"), (5, "’")]


def test_a_lone_surrogate_from_a_bad_paste_costs_one_unit_and_does_not_crash() -> None:
    text = "a\udc80b"
    result = analyze(text)
    assert (result.encoding, result.units, result.parts) == ("UCS2", 3, (text,))
    long = analyze("й" * 66 + "\ud83d" + "ж" * 10)
    assert "".join(long.parts) == "й" * 66 + "\ud83d" + "ж" * 10
    assert long.part_units == (67, 10)


def test_a_lone_surrogate_among_emoji_is_one_unit_and_pairs_stay_whole() -> None:
    text = ("😀" * 33 + "\ud83d") * 3  # a lone high surrogate right where a cut would fall
    result = analyze(text)
    assert "".join(result.parts) == text
    assert result.units == 3 * 67
    assert all(units <= 67 for units in result.part_units)
    assert result.part_units == (67, 67, 67)
