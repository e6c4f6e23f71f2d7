"""How a feed row reads: masked numbers, status words with glyphs, columns for a width."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from console.feed.columns import (
    cells,
    error_text,
    layout,
    mask_number,
    price_text,
    short_id,
    status_text,
    status_tone,
    time_text,
)
from console.feed.rows import FeedRow
from console.widgets.feed_table import fit

NOW = datetime(2026, 11, 27, 12, 0).timestamp()
TODAY = date(2026, 11, 27)


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("+6591234567", "+65••••4567"),
        ("6591234567", "65••••4567"),
        ("+14155550100", "+14•••••0100"),
        ("+1234567", "+•••4567"),
        ("+123456", "+••••56"),
        ("1234", "••••"),
        ("", ""),
    ],
)
def test_numbers_are_masked_in_the_middle(number: str, masked: str) -> None:
    assert mask_number(number) == masked


@given(st.from_regex(r"\+?[0-9]{1,15}", fullmatch=True))
def test_a_masked_number_never_shows_it_whole(number: str) -> None:
    masked = mask_number(number)
    assert len(masked) == len(number)
    assert masked != number
    assert "•" in masked


def test_status_reads_as_a_glyph_and_a_word() -> None:
    row = FeedRow("u", NOW, "delivered")
    assert status_text(row) == "✓ delivered" and status_tone(row) == "good"
    row.state = "undelivered"
    assert status_text(row) == "✗ undelivered" and status_tone(row) == "bad"
    row.stale, row.state = True, "sent"
    assert status_text(row) == "◷ no final receipt" and status_tone(row) == "late"


def test_an_error_code_carries_its_meaning_and_outside_text_is_cleaned() -> None:
    row = FeedRow("u", NOW, "undelivered", error_code=46)
    assert error_text(row) == "46 subscriber not reachable"
    row = FeedRow("u", NOW, "rejected", error_message="bad\x1b[31m")
    assert error_text(row) == "bad␛[31m"
    assert error_text(FeedRow("u", NOW, "delivered")) == ""


def test_price_and_time() -> None:
    row = FeedRow("u", NOW, "delivered", price=0.0045, currency="EUR")
    assert price_text(row) == "0.0045 EUR"
    assert price_text(FeedRow("u", NOW, "sent")) == ""
    assert time_text(NOW + 5, TODAY) == "12:00:05"
    assert time_text(NOW - 86_400, TODAY) == "11-26 12:00"


def test_narrow_terminals_keep_the_essentials_and_wide_ones_show_everything() -> None:
    narrow = layout(78)
    assert narrow.names == ("time", "to", "ref", "status", "error")
    assert sum(width for _, width in narrow.columns) + len(narrow.columns) - 1 <= 78
    wide = layout(158)
    assert wide.names == (
        "time", "to", "channel", "ref", "batch", "status", "error", "segments", "price",
    )  # fmt: skip
    assert sum(width for _, width in wide.columns) + len(wide.columns) - 1 <= 158
    assert {"time", "to", "status"} <= set(layout(60).names), "the essentials when narrow"
    assert layout(5).names == ("time",), "never nothing"
    widths = dict((column.name, width) for column, width in layout(118).columns)
    assert widths["ref"] >= 17, "a composer's batch reference fits at 120 columns"


def test_cells_mask_unless_revealed_and_fit_cuts_with_an_ellipsis() -> None:
    row = FeedRow("u", NOW, "sent", destination="+6591234567", client_message_id="x" * 40)
    widths = dict((column.name, width) for column, width in layout(158).columns)
    assert cells(row, reveal=False, today=TODAY, widths=widths)["to"] == "+65••••4567"
    assert cells(row, reveal=True, today=TODAY, widths=widths)["to"] == "+6591234567"
    assert cells(row, reveal=False, today=TODAY, widths=widths)["ref"] == "x" * 12 + "…" + "x" * 11
    assert short_id("ac-4f2a9c8e1b2d-1000", 14) == "ac-4f2a…d-1000"
    assert short_id("abcdefgh", 4) == "abc…"
    assert fit("abcdef", 4) == "abc…"
    assert fit("ab", 4, right=True) == "  ab"
    assert fit("✓✓ read", 8) == "✓✓ read "


def test_a_whatsapp_61_is_its_closed_window_and_an_sms_61_a_timeout() -> None:
    whatsapp = FeedRow("u", NOW, "undelivered", channel="whatsapp", error_code=61)
    assert error_text(whatsapp) == "61 WhatsApp window closed"
    assert error_text(FeedRow("u", NOW, "undelivered", error_code=61)) == "61 network timeout"
