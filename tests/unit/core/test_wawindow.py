"""WhatsApp's 24-hour window: open, closing, closed around the 24-hour boundary, what the
agent may send in each state, and the words the inbox shows (header, row marker, refusal)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from console.core.wawindow import (
    CLOSING_WITHIN,
    WINDOW,
    ReplyKind,
    Window,
    WindowState,
    allowed_replies,
    free_form_refusal,
    span,
    window_at,
    window_label,
    window_marker,
)

T0 = 1_800_000_000.0  # a fixed moment: no test reads the wall clock
HOUR = 3600.0

moments = st.floats(min_value=0, max_value=4e9, allow_nan=False, allow_infinity=False)
offsets = st.floats(min_value=-10 * WINDOW, max_value=10 * WINDOW, allow_nan=False)


@pytest.mark.parametrize(
    ("elapsed", "state", "left", "closed_for"),
    [
        (0.0, WindowState.OPEN, WINDOW, 0.0),
        (HOUR, WindowState.OPEN, 23 * HOUR, 0.0),
        (WINDOW - CLOSING_WITHIN - 0.001, WindowState.OPEN, CLOSING_WITHIN + 0.001, 0.0),
        (WINDOW - CLOSING_WITHIN, WindowState.CLOSING, CLOSING_WITHIN, 0.0),
        (WINDOW - 1.0, WindowState.CLOSING, 1.0, 0.0),
        (WINDOW - 0.001, WindowState.CLOSING, 0.001, 0.0),
        (WINDOW, WindowState.CLOSED, 0.0, 0.0),  # exactly 24 hours: closed
        (WINDOW + 0.001, WindowState.CLOSED, 0.0, 0.001),
        (WINDOW + 2 * HOUR, WindowState.CLOSED, 0.0, 2 * HOUR),
        (-HOUR, WindowState.OPEN, WINDOW, 0.0),  # a message stamped ahead of our clock
    ],
)
def test_the_window_around_its_boundaries(
    elapsed: float, state: WindowState, left: float, closed_for: float
) -> None:
    window = window_at("whatsapp", T0, T0 + elapsed)
    assert window.state is state
    assert window.left == pytest.approx(left, abs=1e-6)
    assert window.closed_for == pytest.approx(closed_for, abs=1e-6)


@pytest.mark.parametrize("channel", ["sms", "viber", "rcs", "line", ""])
def test_other_channels_have_no_window_and_reply_freely(channel: str) -> None:
    window = window_at(channel, T0 - 10 * WINDOW, T0)
    assert window == Window(WindowState.NONE)
    assert allowed_replies(window) == {ReplyKind.FREE_FORM}
    assert window_label(window) is None and window_marker(window) is None
    assert free_form_refusal(window) is None


def test_an_unknown_last_message_leaves_both_kinds_to_8x8() -> None:
    window = window_at("whatsapp", None, T0)
    assert window.state is WindowState.UNKNOWN
    assert allowed_replies(window) == {ReplyKind.FREE_FORM, ReplyKind.TEMPLATE}
    assert window_marker(window) is None
    assert "not known" in (window_label(window) or "")


def test_one_second_before_and_at_the_24th_hour() -> None:
    before = window_at("whatsapp", T0, T0 + WINDOW - 1)
    at = window_at("whatsapp", T0, T0 + WINDOW)
    assert ReplyKind.FREE_FORM in allowed_replies(before)
    assert allowed_replies(at) == {ReplyKind.TEMPLATE}
    assert free_form_refusal(before) is None
    refusal = free_form_refusal(at)
    assert refusal == "WA window closed <1m ago: only a template reaches them · ctrl+t"
    assert len(refusal) <= 76, "it fits the reply box's hint line at 80 columns"


def test_labels_say_the_time_left_and_since_when_it_is_closed() -> None:
    assert window_label(window_at("whatsapp", T0, T0 + 20 * HOUR + 48 * 60)) == (
        "WA window 3h12m left"
    )
    assert window_label(window_at("whatsapp", T0, T0 + WINDOW + 2 * HOUR + 59)) == (
        "WA window closed 2h ago"
    )
    assert window_marker(window_at("whatsapp", T0, T0 + HOUR)) == "◷23h"
    assert window_marker(window_at("whatsapp", T0, T0 + WINDOW - 42 * 60)) == "◷42m"
    assert window_marker(window_at("whatsapp", T0, T0 + WINDOW - 5)) == "◷1m"
    assert window_marker(window_at("whatsapp", T0, T0 + WINDOW)) == "◷shut"


@pytest.mark.parametrize(
    ("seconds", "said"),
    [
        (-5, "<1m"),
        (0, "<1m"),
        (59.9, "<1m"),
        (60, "1m"),
        (3599, "59m"),
        (3600, "1h"),
        (3660, "1h01m"),
        (11_520, "3h12m"),
        (86_399, "23h59m"),
        (86_400, "1d"),
        (90_000, "1d1h"),
    ],
)
def test_span(seconds: float, said: str) -> None:
    assert span(seconds) == said


@given(last=moments, offset=offsets)
def test_the_window_is_open_exactly_for_24_hours_after_the_last_message(
    last: float, offset: float
) -> None:
    now = last + offset
    window = window_at("whatsapp", last, now)
    elapsed = max(0.0, now - last)
    assert window.is_open == (elapsed < WINDOW)
    assert (window.state is WindowState.CLOSED) == (elapsed >= WINDOW)
    assert 0.0 <= window.left <= WINDOW
    assert window.closed_for >= 0.0
    if window.is_open:
        assert window.left == pytest.approx(WINDOW - elapsed, rel=1e-9, abs=1e-3)
        assert (window.state is WindowState.CLOSING) == (window.left <= CLOSING_WITHIN)
    # exactly one way to write to the customer once it is closed, and always a template
    kinds = allowed_replies(window)
    assert ReplyKind.TEMPLATE in kinds
    assert (ReplyKind.FREE_FORM in kinds) == window.is_open
    assert (free_form_refusal(window) is None) == window.is_open


@given(last=moments, first=st.floats(0, 3 * WINDOW), more=st.floats(0, 3 * WINDOW))
def test_time_only_moves_the_window_towards_closed(last: float, first: float, more: float) -> None:
    earlier = window_at("whatsapp", last, last + first)
    later = window_at("whatsapp", last, last + first + more)
    assert later.left <= earlier.left + 1e-6
    if not earlier.is_open:
        assert not later.is_open


@given(last=moments, newer=st.floats(0, 3 * WINDOW), now_after=st.floats(0, 3 * WINDOW))
def test_a_new_customer_message_never_shortens_the_window(
    last: float, newer: float, now_after: float
) -> None:
    now = last + newer + now_after
    old = window_at("whatsapp", last, now)
    new = window_at("whatsapp", last + newer, now)
    assert new.left >= old.left - 1e-6
    assert new.is_open or not old.is_open


@given(st.floats(min_value=-1e9, max_value=1e9, allow_nan=False))
def test_span_is_short_and_never_negative(seconds: float) -> None:
    said = span(seconds)
    assert said and not said.startswith("-") and len(said) <= 9


def test_8x8s_session_expired_closes_the_window_whatever_the_count_says() -> None:
    # a reply trashed (receipt 61) after the customer's last message: closed now
    trashed = window_at("whatsapp", T0, T0 + HOUR, expired_at=T0 + 30)
    assert trashed.state is WindowState.CLOSED and trashed.closed_for == 0.0
    assert allowed_replies(trashed) == {ReplyKind.TEMPLATE}
    # not known when the customer wrote (a restart), but 8x8 said so: closed
    assert window_at("whatsapp", None, T0, expired_at=T0 - 5).state is WindowState.CLOSED
    # the customer wrote again after it: open again, counted from their message
    again = window_at("whatsapp", T0 + 60, T0 + HOUR, expired_at=T0 + 30)
    assert again.state is WindowState.OPEN
    assert again.left == pytest.approx(WINDOW - HOUR + 60)
    # long after the count closed it too: how long ago the count says
    late = window_at("whatsapp", T0, T0 + WINDOW + 2 * HOUR, expired_at=T0 + WINDOW + HOUR)
    assert late.closed_for == pytest.approx(2 * HOUR)
    # other channels have no window, whatever a receipt says
    assert window_at("viber", T0, T0, expired_at=T0).state is WindowState.NONE


@given(last=moments, offset=offsets, expired=offsets)
def test_a_session_expired_after_the_last_message_always_means_closed(
    last: float, offset: float, expired: float
) -> None:
    window = window_at("whatsapp", last, last + offset, expired_at=last + abs(expired))
    assert window.state is WindowState.CLOSED
    assert free_form_refusal(window) is not None
