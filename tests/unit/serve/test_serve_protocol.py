"""What a page may send over the websocket: checked before anything acts on it."""

from __future__ import annotations

import itertools
import json

from hypothesis import given
from hypothesis import strategies as st

from console.serve.protocol import (
    MAX_CELLS,
    Focus,
    KeyEncoder,
    Keys,
    Ping,
    Resize,
    drop_unreadable_keys,
    font_size,
    parse_client_message,
    terminal_size,
)

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


def test_what_the_page_sends_is_understood() -> None:
    assert parse_client_message('["stdin", "\\u001b[15~"]') == Keys("\x1b[15~")
    assert parse_client_message('["resize", {"width": 142, "height": 31}]') == Resize(142, 31)
    assert parse_client_message('["ping", "1795792745546"]') == Ping("1795792745546")
    assert parse_client_message('["focus"]') == Focus(True)
    assert parse_client_message('["blur"]') == Focus(False)


def test_anything_else_is_ignored() -> None:
    for raw in (
        "",
        "not json",
        "{}",
        "[]",
        "[1, 2]",
        '["stdin"]',
        '["stdin", 5]',
        '["resize", {"width": 0, "height": 24}]',
        f'["resize", {{"width": {MAX_CELLS + 1}, "height": 24}}]',
        '["resize", {"width": true, "height": 24}]',
        '["resize", {"width": "80", "height": 24}]',
        '["ping", "' + "9" * 65 + '"]',
        '["quit"]',
        '["deliver_chunk_request", {}]',
    ):
        assert parse_client_message(raw) is None, raw


@given(JSON)
def test_no_message_can_make_it_fail(value: object) -> None:
    message = parse_client_message(json.dumps(value))
    assert message is None or isinstance(message, Keys | Resize | Ping | Focus)
    if isinstance(message, Resize):
        assert 1 <= message.width <= MAX_CELLS and 1 <= message.height <= MAX_CELLS


@given(st.text())
def test_sizes_from_the_address_stay_in_range(value: str) -> None:
    assert 1 <= terminal_size(value, 80) <= MAX_CELLS
    assert 6 <= font_size(value) <= 72


def test_sizes_from_the_address() -> None:
    assert terminal_size("120", 80) == 120
    assert terminal_size("0", 80) == 80
    assert terminal_size("-5", 80) == 80
    assert terminal_size("١٢٠", 80) == 80  # Arabic-Indic digits: not an ASCII number
    assert font_size("20") == 20
    assert font_size("500") == 16
    assert font_size(None) == 16


# What the page's JSON can carry: any code point, including either half of a surrogate pair.
ANY_UTF16 = st.text(
    alphabet=st.characters(categories=["Cs"]) | st.sampled_from("\ud83d\ude00a") | st.characters()
)
GRINNING = "\U0001f600"


def test_an_emoji_sent_in_two_halves_arrives_whole() -> None:
    high, low = "\ud83d", "\ude00"  # U+1F600 in UTF-16
    message = parse_client_message(json.dumps(["stdin", "ok " + high]))  # as JSON.stringify
    assert message == Keys("ok \ud83d")
    keys = KeyEncoder()
    assert keys.encode(message.text) == b"ok "
    assert keys.encode(low + "!") == (GRINNING + "!").encode()


def test_a_half_with_no_partner_becomes_a_replacement_character() -> None:
    keys = KeyEncoder()
    assert keys.encode("\ude00a") == "\ufffda".encode()  # a low half first
    assert keys.encode("\ud83d") == b""  # a high half waits for its partner…
    assert keys.encode("b") == "\ufffdb".encode()  # …which never came
    assert keys.encode("\ud83d\ud83d" + GRINNING) == ("\ufffd" * 2 + GRINNING).encode()


@given(st.lists(ANY_UTF16, max_size=6))
def test_whatever_the_page_sends_the_console_gets_valid_utf8(chunks: list[str]) -> None:
    keys = KeyEncoder()
    sent = b"".join(keys.encode(chunk) for chunk in chunks) + keys.encode("")
    sent += keys.encode("\n")  # the next key flushes a half left waiting
    sent.decode("utf-8")  # never raises: no surrogate ever reaches the console
    whole = "".join(chunks)
    paired = whole.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    if whole == paired and drop_unreadable_keys(whole) == whole:
        assert sent == (whole + "\n").encode(), "text that was whole across messages is unchanged"


# Key sequences in the form Textual reads as extended (kitty) keys, well made or not.
KEY_SHAPED = st.builds(
    "\x1b[{}{}".format,
    st.text(alphabet="0123456789:;", max_size=12) | st.text(alphabet="09:;", max_size=40),
    st.sampled_from("u~ABCDEFHPQRS"),
)
KEYISH = st.lists(
    KEY_SHAPED | st.sampled_from(["\x1b[", "\x1b", ";", ":", "u", "~", "<"]) | st.characters(),
    max_size=8,
).map("".join)


def reads_keys_after(*messages: str) -> list[str]:
    """The keys the console's own input parser reads from the page's messages, then F5."""
    from textual._xterm_parser import XTermParser
    from textual.events import Key

    parser, keys = XTermParser(), KeyEncoder()
    tokens = []
    for text in (*messages, "\x1b[15~"):
        if sent := keys.encode(text):  # the server sends nothing empty (EOF to the parser)
            tokens += parser.feed(sent.decode())
    return [token.key for token in tokens if isinstance(token, Key)]


def test_a_key_the_console_cannot_read_is_dropped_and_the_next_one_is_read() -> None:
    for unreadable in ("\x1b[97;5:3u", "\x1b[1114112u", "\x1b[::u", "\x1b[1;2:3A"):
        assert reads_keys_after("a", unreadable, "b") == ["a", "b", "f5"], unreadable
    assert reads_keys_after("\x1b[1;5A", "\x1b[97;5u") == ["ctrl+up", "ctrl+a", "f5"]
    assert reads_keys_after("\x1b[1114", "112u") == ["f5"], "cut in two, still dropped"
    assert reads_keys_after("\x1b[\x1b[:u:u") == ["colon", "u", "f5"], "none joins another"
    # After an ESC sent alone; the ESC then meets the next key, as in any terminal.
    assert reads_keys_after("\x1b", "[:u[:u", "b") == ["ctrl+left", "f5"]
    assert reads_keys_after("\x1b", "[A") == ["up", "f5"]
    keys = KeyEncoder()
    assert (keys.encode("\x1b"), keys.encode("[")) == (b"\x1b", b"["), "Escape, then [: no wait"


@given(st.lists(KEYISH, max_size=4))
def test_whatever_the_page_sends_the_console_goes_on_reading_keys(messages: list[str]) -> None:
    assert reads_keys_after(*messages)[-1] == "f5"


@given(KEYISH, st.lists(st.integers(0, 60), max_size=4))
def test_however_the_page_cuts_it_the_console_goes_on_reading_keys(
    text: str, cuts: list[int]
) -> None:
    bounds = [0, *sorted(min(cut, len(text)) for cut in cuts), len(text)]
    messages = [text[start:end] for start, end in itertools.pairwise(bounds)]
    assert reads_keys_after(*messages)[-1] == "f5"
