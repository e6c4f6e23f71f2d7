"""A ScrollView's scrollable size changed without laying the whole screen out again, and its
scrollbar repainted only when its thumb moves.

Setting ``virtual_size`` (a reactive with ``layout=True``) makes Textual lay out the whole
screen at its next refresh: measured with bench/shift.py, 30–70 ms of the UI loop each time
on the inbox (about 60 widgets), as often as a list gains a row — every new customer's
message, every feed repaint while a batch's rows arrive. A ScrollView that draws its own
lines needs none of it: its region on the screen is the same, only its scrollbars change.
So the size is set without the reactive's layout, the scrollbars updated (what Textual's
``_scroll_update`` does, which a layout would call), and the widget repainted. A scrollbar
that appears or disappears still asks for a layout (its ``show_*_scrollbar`` reactive does).

A scrollbar is a widget of its own, drawn again whole (every line of it) whenever its size,
window or position changes, although with tens of thousands of rows its thumb moves by an
eighth of a cell only every few hundred: while a batch streamed, the feed's and the inbox's
scrollbars were redrawn at every frame (1–3 ms each). Here the new values are set without
Textual's repaint, and the bar is repainted when the thumb it draws (ScrollBarRender's
arithmetic) moved. This leans on Textual's internals (pinned: textual==8.2.8):
``Widget._refresh_scrollbars``.
"""

from __future__ import annotations

from collections.abc import Callable
from math import ceil

from textual.geometry import Region, Size
from textual.scroll_view import ScrollView
from textual.scrollbar import ScrollBar, ScrollBarRender
from textual.widget import Widget

EIGHTHS = len(ScrollBarRender.VERTICAL_BARS)  # a thumb's ends move by 1/8 of a cell


def thumb(bar: ScrollBar) -> tuple[object, ...]:
    """What `bar` draws, as ScrollBarRender.render_bar computes it: its length, and its
    thumb's ends in eighths of a cell (None: no thumb)."""
    length = bar.size.height if bar.vertical else bar.size.width
    virtual = ceil(bar.window_virtual_size)
    window = ceil(bar.window_size if bar.window_size < bar.window_virtual_size else 0)
    if not (window and length and virtual and length != virtual):
        return (length, None)
    thumb_size = max(1, window / (virtual / length))
    where = (length - thumb_size) * (bar.position / (virtual - window))
    start = int(where * EIGHTHS)
    return (length, start, start + ceil(thumb_size * EIGHTHS))


def _set_bar(bar: ScrollBar, virtual: int, window: int, position: float | None = None) -> None:
    """Give `bar` new values; repaint it only if its thumb moved."""
    before = thumb(bar)
    bar.set_reactive(ScrollBar.window_virtual_size, virtual)
    bar.set_reactive(ScrollBar.window_size, window)
    if position is not None:
        bar.set_reactive(ScrollBar.position, bar.validate_position(position))
    if thumb(bar) != before:
        bar.refresh()


def set_scroll_position(view: ScrollView, y: float) -> None:
    """`view` scrolled to `y`: its vertical scrollbar follows (repainted if its thumb moved).
    For a ScrollView's ``watch_scroll_y`` (Textual's sets the position, always repainting)."""
    if view.show_vertical_scrollbar:
        bar = view.vertical_scrollbar
        _set_bar(bar, bar.window_virtual_size, bar.window_size, y)


def set_virtual_size(view: ScrollView, size: Size, *, repaint: bool = True) -> None:
    """`view`'s scrollable size is now `size`: scrollbars and repaint (unless the view
    repaints what changed itself: `repaint=False`), no screen layout."""
    if view.virtual_size == size:
        return
    view.set_reactive(Widget.virtual_size, size)
    if view.is_mounted and view.region:  # laid out once: the scrollbars are there to update
        _update_scrollbars(view, size)
        if repaint:
            view.refresh()
    else:
        view.refresh(layout=True)


def _update_scrollbars(view: ScrollView, size: Size) -> None:
    """Textual's ``Widget._scroll_update``, repainting a scrollbar only if its thumb moved."""
    view._refresh_scrollbars()  # which scrollbars show (one appearing asks for a layout)
    width, height = view.container_size
    if view.show_vertical_scrollbar and view.styles.scrollbar_size_vertical:
        window = height - view.scrollbar_size_horizontal
        _set_bar(view.vertical_scrollbar, size.height, window)
    if view.show_horizontal_scrollbar and view.styles.scrollbar_size_horizontal:
        window = width - view.scrollbar_size_vertical
        _set_bar(view.horizontal_scrollbar, size.width, window)
    view.scroll_x = view.validate_scroll_x(view.scroll_x)
    view.scroll_y = view.validate_scroll_y(view.scroll_y)


_UNDRAWN = object()  # a line not drawn yet: whatever it will show is a change


def repaint_changed(
    view: ScrollView, shown: dict[int, object], key: Callable[[int], object]
) -> None:
    """Repaint the runs of `view`'s lines whose `key` differs from the one they were drawn
    with (`shown`, which the view's ``render_line`` keeps by line): a ScrollView drawing its
    own lines repaints what changed, not itself whole. A scroll repaints everything by
    itself (Textual)."""
    region = view.scrollable_content_region
    width, height = region.width, region.height
    if not width or not height:
        view.refresh()
        return
    start = -1
    for y in range(height + 1):
        changed = y < height and shown.get(y, _UNDRAWN) != key(y)
        if changed and start < 0:
            start = y
        elif not changed and start >= 0:
            view.refresh(Region(0, start, view.size.width, y - start))
            start = -1


def scrolled(view: ScrollView, before: float, after: float) -> None:
    """For a ScrollView's ``watch_scroll_y``: Textual's sets the scrollbar's position (always
    repainting it) and repaints the view; here the bar is repainted only when its thumb
    moves, and the view only when it moved by a line."""
    set_scroll_position(view, after)
    if round(before) != round(after):
        view.refresh(view.size.region)
