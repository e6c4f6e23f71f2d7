"""The sandbox's WhatsApp window (console/sandbox/templates.py), without a server: open for
exactly 24 hours after the customer's last message, for that customer only, never moved back
by an older message, never opened by anything but the customer; off, everything goes."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from console.sandbox.templates import SESSION_EXPIRED, WINDOW, TemplateBook
from console.sandbox.world import CHANNEL_IDS

T0 = 1_800_000_000.0
JANE, OMAR = "+6591234567", "+6598765432"


def book(enforce: bool = True) -> TemplateBook:
    return TemplateBook(dict(CHANNEL_IDS), enforce_window=enforce)


def test_the_24th_hour() -> None:
    window = book()
    assert not window.window_open(JANE, T0), "never wrote: closed"
    window.customer_wrote(JANE, T0)
    assert window.window_open(JANE, T0)
    assert window.window_open(JANE, T0 + WINDOW - 0.001)
    assert not window.window_open(JANE, T0 + WINDOW), "exactly 24 hours: closed"
    assert not window.window_open(OMAR, T0), "one customer's window is theirs"
    assert not window.window_open(None, T0)


def test_an_older_message_never_moves_it_back_and_off_means_open() -> None:
    window = book()
    window.customer_wrote(JANE, T0 + 100)
    window.customer_wrote(JANE, T0)  # arrives late
    assert window.window_open(JANE, T0 + 100 + WINDOW - 1)
    assert book(enforce=False).window_open(OMAR, T0 + 10 * WINDOW)
    assert SESSION_EXPIRED == (61, "SessionExpired", "rejected_by_operator")


@given(
    writes=st.lists(st.floats(0, 10 * WINDOW, allow_nan=False), min_size=0, max_size=6),
    later=st.floats(0, 10 * WINDOW, allow_nan=False),
)
def test_open_exactly_while_the_latest_message_is_under_24_hours_old(
    writes: list[float], later: float
) -> None:
    window = book()
    for at in writes:
        window.customer_wrote(JANE, T0 + at)
    now = T0 + later
    latest = max((T0 + at for at in writes), default=None)
    expected = latest is not None and now - latest < WINDOW
    assert window.window_open(JANE, now) == expected
