"""GSM-7 lookalikes: every suggestion really is GSM-7, and is offered only when it pays."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from console.sms import GSM7_BASIC, GSM7_EXTENSION, LOOKALIKES, analyze, is_gsm7, suggest_gsm7

LOOKALIKE_KEYS = sorted(LOOKALIKES)


def test_the_table_maps_non_gsm7_characters_to_gsm7_text() -> None:
    assert len(LOOKALIKES) > 100
    for char, replacement in LOOKALIKES.items():
        assert len(char) == 1
        assert not is_gsm7(char), f"{char!r} is GSM-7 already"
        assert is_gsm7(replacement), f"{char!r} → {replacement!r} is not GSM-7"


@pytest.mark.parametrize("char", LOOKALIKE_KEYS, ids=lambda c: f"U+{ord(c):04X}")
def test_each_lookalike_makes_its_text_gsm7(char: str) -> None:
    text = f"Hi {char} there{char}"
    suggested = suggest_gsm7(text)
    assert is_gsm7(suggested)
    assert analyze(suggested).encoding == "GSM7"
    assert analyze(text).encoding == "UCS2"
    assert analyze(text).suggestion == suggested


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("It’s “quoted” — ok…", 'It\'s "quoted" - ok...'),
        ("‘single’ ‚low‘ „German“ «French»", "'single' 'low' \"German\" \"French\""),
        ("10\u00a0000\u202fkm\u2009away", "10 000 km away"),
        ("zero\u200bwidth\ufeff soft\u00adhyphen", "zerowidth softhyphen"),
        ("• one\n◦ two\n‣ three", "- one\n- two\n- three"),
        ("para\u2029line\u2028end", "para\nline\nend"),
        ("ＦＵＬＬ　ｗｉｄｔｈ！", "FULL width!"),
        ("ΑΘΗΝΑ", "AΘHNA"),
        ("Catalan col·lecció", "Catalan col.lecció"),
        ("5 × 3 − 2 ≠ x", "5 x 3 - 2 ≠ x"),
        ("tab\there", "tab here"),
    ],
)
def test_suggestions(text: str, expected: str) -> None:
    assert suggest_gsm7(text) == expected


def test_joiners_stay_inside_emoji_and_go_elsewhere() -> None:
    family = "👨\u200d👩\u200d👧"
    assert suggest_gsm7(f"Hi {family}’") == f"Hi {family}'"
    assert suggest_gsm7("a\u200db\u200cc") == "abc"
    assert suggest_gsm7("\u200dstart end\u200d") == "start end"


def test_accented_letters_are_left_alone() -> None:
    assert suggest_gsm7("façade señor ŝ") == "façade señor ŝ"


def test_suggestion_shows_the_saving() -> None:
    result = analyze("Your order’s on its way — track it here…")
    assert result.encoding == "UCS2"
    assert result.suggestion == "Your order's on its way - track it here..."
    saving = result.suggestion_analysis
    assert saving is not None
    assert saving.encoding == "GSM7"
    assert saving.summary == "GSM-7 · 1 segment · 42/160 · 118 left"


def test_no_suggestion_for_gsm7_text_or_when_nothing_changes() -> None:
    assert analyze("Plain text {ok}").suggestion is None
    assert analyze("Привет мир").suggestion is None
    assert analyze("Plain text {ok}").suggestion_analysis is None


def test_no_suggestion_when_it_changes_nothing_the_user_pays_for() -> None:
    # Still UCS-2 (Cyrillic stays), same number of segments.
    assert analyze("Привет — мир").suggestion is None


def test_no_suggestion_when_gsm7_would_cost_more_segments() -> None:
    text = "…" * 70  # UCS-2: 70 units, 1 segment; as "..." it is 210 septets, 2 segments
    assert analyze(text).segments == 1
    assert analyze(suggest_gsm7(text)).segments == 2
    assert analyze(text).suggestion is None


def test_suggestion_when_it_saves_segments_even_if_still_ucs2() -> None:
    text = "😀" + "\u200b" * 80
    result = analyze(text)
    assert result.segments == 2
    assert result.suggestion == "😀"
    assert result.suggestion_analysis is not None
    assert result.suggestion_analysis.segments == 1


def test_forced_gsm7_suggests_fixing_what_it_can() -> None:
    result = analyze("Don’t forget 😀", "GSM7")
    assert result.suggestion == "Don't forget 😀"
    assert result.suggestion_analysis is not None
    assert [c.char for c in result.suggestion_analysis.culprits] == ["😀"]


def test_forced_ucs2_suggests_only_when_segments_drop() -> None:
    assert analyze("It’s fine", "UCS2").suggestion is None
    assert analyze("x" * 70 + "\u200b", "UCS2").suggestion == "x" * 70


_GSM = list(GSM7_BASIC + GSM7_EXTENSION)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(_GSM * 2 + LOOKALIKE_KEYS), max_size=400))
def test_suggestions_of_gsm_and_lookalike_text_are_always_gsm7(text: str) -> None:
    suggested = suggest_gsm7(text)
    assert is_gsm7(suggested)
    assert analyze(suggested).encoding == "GSM7"
    assert suggest_gsm7(suggested) == suggested
    offered = analyze(text).suggestion
    if offered is not None:
        assert offered == suggested
        assert analyze(offered).segments <= analyze(text).segments


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_gsm7_characters_are_never_touched(text: str) -> None:
    kept = "".join(c for c in text if c in GSM7_BASIC or c in GSM7_EXTENSION)
    assert suggest_gsm7(kept) == kept
