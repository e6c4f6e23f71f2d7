"""A scrollbar is repainted only when the thumb it draws moved (console/ui/scrolling.py): the
thumb as `thumb` computes it must change whenever Textual's ScrollBarRender would draw the
bar differently, else a bar would stay drawn where it no longer is."""

from __future__ import annotations

from math import ceil
from types import SimpleNamespace

from hypothesis import given
from hypothesis import strategies as st
from textual.geometry import Size
from textual.scrollbar import ScrollBarRender

from console.ui.scrolling import thumb

lengths = st.integers(min_value=1, max_value=60)
amounts = st.integers(min_value=0, max_value=100_000)


def bar(length: int, virtual: int, window: int, position: float) -> SimpleNamespace:
    """What `thumb` reads of a vertical ScrollBar (position in 1/8 of a cell, as validated)."""
    return SimpleNamespace(
        size=Size(1, length),
        vertical=True,
        window_virtual_size=virtual,
        window_size=window,
        position=int(position * 8) / 8,
    )


def drawn(scrollbar: SimpleNamespace) -> list[object]:
    """The segments Textual draws for it (ScrollBar._render_bar, then render_bar)."""
    window = scrollbar.window_size if scrollbar.window_size < scrollbar.window_virtual_size else 0
    segments = ScrollBarRender.render_bar(
        size=scrollbar.size.height,
        virtual_size=ceil(scrollbar.window_virtual_size),
        window_size=ceil(window),
        position=scrollbar.position,
        vertical=True,
    )
    return list(segments.segments)


@given(
    lengths,
    amounts,
    st.integers(min_value=0, max_value=200),
    st.floats(0, 1),
    st.integers(min_value=0, max_value=300),
    st.floats(0, 300),
)
def test_the_same_thumb_is_the_same_drawing(
    length: int, virtual: int, window: int, where: float, more: int, moved: float
) -> None:
    """A list or a feed that grew a little and scrolled a little: where `thumb` says the
    bar looks the same, Textual draws the same segments."""
    one = bar(length, virtual, window, where * max(virtual - window, 0))
    grown = virtual + more
    other = bar(length, grown, window, min(one.position + moved, max(grown - window, 0)))
    if thumb(one) == thumb(other):  # type: ignore[arg-type]
        assert drawn(one) == drawn(other)


def test_a_few_rows_more_in_a_long_feed_do_not_move_the_thumb() -> None:
    """What the shortcut is for: 40,000 rows, 30 on screen, following the newest."""
    before = bar(30, 40_000, 30, 40_000 - 30)
    after = bar(30, 40_010, 30, 40_010 - 30)
    assert thumb(before) == thumb(after)  # type: ignore[arg-type]
    assert thumb(bar(30, 40_000, 30, 20_000)) != thumb(before)  # type: ignore[arg-type]
