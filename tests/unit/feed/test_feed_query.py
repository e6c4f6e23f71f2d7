"""The filter line: what each term means, and a clear sentence for what cannot be read."""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from console.feed.query import EVERYTHING, FeedFilter, FilterError, describe, parse_filter
from console.feed.rows import NO_FINAL, FeedRow

NOW = datetime(2026, 11, 27, 12, 0).timestamp()  # TZ=UTC in the tests


def row(**fields: object) -> FeedRow:
    made = FeedRow(
        str(fields.pop("umid", "0f9e6c1a-1111")),
        float(fields.pop("at", NOW)),  # type: ignore[arg-type]
        str(fields.pop("state", "sent")),
        destination="+6591234567",
        channel="sms",
        client_message_id="Order-42",
        batch_id="7f3c9a-batch",
    )
    for name, value in fields.items():
        setattr(made, name, value)
    return made


def test_an_empty_line_lets_everything_through() -> None:
    assert parse_filter("   ", now=NOW) == EVERYTHING
    assert EVERYTHING.empty and not EVERYTHING.has_range


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("status:sent", True),
        ("status:delivered,undelivered", False),
        ("status:pending", True),
        ("status:final", False),
        ("STATUS:SENT", True),
        ("channel:SMS", True),
        ("channel:whatsapp,viber", False),
        ("to:+65 9123", True),
        ("to:4567", True),
        ("to:999", False),
        ("batch:7F3C", True),
        ("batch:other", False),
        ("order-4", True),
        ("0f9e6c1a", True),
        ("+6591234567", True),
        ("nothing-like-it", False),
        ("order status:sent channel:sms", True),
        ("order status:delivered", False),
        ("since:1h", True),
        ("since:1h until:30m", False),
        ("since:today", True),
        ("until:yesterday", False),
        ("since:2026-11-27", True),
        ("until:2026-11-27", True),
        ("until:2026-11-26", False),
        ("since:12:00", True),
        ("since:12:01", False),
        ("since:2026-11-27T11:59", True),
        ("note:free-text", False),
    ],
)
def test_each_term(text: str, shown: bool) -> None:
    assert parse_filter(text, now=NOW).matches(row()) is shown


def test_no_final_receipt_is_a_status_of_its_own() -> None:
    stale = row()
    stale.stale = True
    assert stale.status == NO_FINAL
    assert parse_filter("status:nofinal", now=NOW).matches(stale)
    assert not parse_filter("status:sent", now=NOW).matches(stale)
    assert not parse_filter("status:pending", now=NOW).matches(stale)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("status:bogus", "status: 'bogus' is not a status"),
        ("status:", "status: needs a value"),
        ("to:abc", "to: 'abc' is not part of a number"),
        ("since:tomorrow-ish", "since: cannot read 'tomorrow-ish'"),
        ("until:25:00", "until: cannot read '25:00'"),
        ("since:2026-11-27 until:2026-11-26", "since: must come before until:"),
    ],
)
def test_what_cannot_be_read_says_which_term(text: str, says: str) -> None:
    with pytest.raises(FilterError) as caught:
        parse_filter(text, now=NOW)
    assert str(caught.value).startswith(says)


def test_a_description_names_every_term() -> None:
    feed_filter = parse_filter("status:sent channel:sms to:6591 batch:b-1 ref since:2h", now=NOW)
    text = describe(feed_filter)
    for part in ("status sent", "channel sms", "6591", "batch b-1", "“ref”", "since 2026-11-27"):
        assert part in text
    assert describe(EVERYTHING) == ""


@given(st.text(max_size=60))
def test_any_text_is_read_or_refused_with_a_reason(text: str) -> None:
    try:
        feed_filter = parse_filter(text, now=NOW)
    except FilterError as error:
        assert str(error)
    else:
        assert isinstance(feed_filter, FeedFilter)
        feed_filter.matches(row())
