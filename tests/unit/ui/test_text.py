"""Text from agents, customers, servers and exceptions shows as text: never markup, never a
terminal control sequence."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console
from textual.content import Content

from console.ui.text import clean, plain, plain_text, strip_controls

OSC52 = "\x1b]52;c;ZWNobyBwd25lZA==\x07"  # writes "echo pwned" to the clipboard
CSI_CLEAR = "\x1b[2J\x1b[H"  # clears the screen
C1_CSI = "\x9b31m"  # the one-byte CSI
TITLE = "\x1b]0;root@bank\x07"  # sets the window title
HOSTILE = (
    "[/",
    "[@click=app.quit]x[/]",
    "AB[reverse]CD[/]",
    OSC52,
    CSI_CLEAR,
    C1_CSI,
    TITLE,
    "bell\x07 backspace\x08 cr\r del\x7f",
    "lone \ud800 surrogate",
    "bidi \u202eevil\u202c",
)


def is_control(char: str) -> bool:
    code = ord(char)
    return code < 0x20 or 0x7F <= code < 0xA0 or 0xD800 <= code < 0xE000


@pytest.mark.parametrize("text", HOSTILE)
def test_clean_leaves_no_control_character(text: str) -> None:
    shown = clean(text)
    assert not any(is_control(char) for char in shown)
    assert "\u202e" not in shown


def test_escape_sequences_read_as_text() -> None:
    assert clean(OSC52) == "␛]52;c;ZWNobyBwd25lZA==␇"
    assert clean(CSI_CLEAR) == "␛[2J␛[H"
    assert clean(TITLE) == "␛]0;root@bank␇"
    assert clean(C1_CSI) == "\ufffd31m"
    assert clean("a\tb") == "a b"


def test_newlines_are_kept_only_when_asked() -> None:
    assert clean("one\ntwo") == "one␊two"
    assert clean("one\ntwo", newlines=True) == "one\ntwo"
    assert clean("one\r\ntwo", newlines=True) == "one␍\ntwo"


def test_ordinary_text_is_unchanged() -> None:
    for text in ("+6591234567", "Hi Jane — “A-1182” 😀", "中文 عربي", "[b]bold[/b]", ""):
        assert clean(text) == text


@pytest.mark.parametrize("text", HOSTILE)
def test_plain_is_never_parsed_as_markup(text: str) -> None:
    content = plain(text)
    assert isinstance(content, Content)
    assert content.plain == clean(text)
    assert not content.spans, "no style and no action came from the text"


@pytest.mark.parametrize("text", HOSTILE)
def test_plain_text_renders_literally(text: str) -> None:
    console = Console(width=200, record=True, color_system=None, force_terminal=False)
    console.print(plain_text(text), end="")
    output = console.export_text()
    assert output == clean(text)
    assert not plain_text(text).spans


def test_strip_controls_drops_what_a_paste_should_not_bring() -> None:
    assert strip_controls("+65 9123 4567" + OSC52) == "+65 9123 4567]52;c;ZWNobyBwd25lZA=="
    assert strip_controls("line one\nline\ttwo\x1b[2J", lines=True) == "line one\nline\ttwo[2J"
    assert strip_controls("a\nb") == "ab"


@given(st.text())
def test_clean_output_is_always_safe(text: str) -> None:
    shown = clean(text)
    assert not any(is_control(char) for char in shown)
    assert plain(text).plain == shown
    shown_lines = clean(text, newlines=True)
    assert not any(is_control(char) and char != "\n" for char in shown_lines)
    assert shown_lines.count("\n") == text.count("\n")


@given(st.text())
def test_strip_controls_only_removes(text: str) -> None:
    stripped = strip_controls(text)
    assert not any(is_control(char) for char in stripped)
    assert len(stripped) <= len(text)
    assert all(char in text for char in stripped)


def test_middle_keeps_both_ends_of_a_url() -> None:
    from hypothesis import given
    from hypothesis import strategies as st

    from console.ui.text import middle

    url = "http://127.0.0.1:18801/webhooks/sms"
    assert middle(url, 100) == url
    assert middle(url, 21) == "http://127…bhooks/sms"  # 21 characters, both ends kept
    assert middle(url, 1) == "…" and middle(url, 0) == ""

    @given(st.text(max_size=200), st.integers(0, 250))
    def fits(text: str, width: int) -> None:
        shown = middle(text, width)
        assert len(shown) <= max(width, 0) or len(text) <= width
        if len(text) <= width:
            assert shown == text

    fits()
