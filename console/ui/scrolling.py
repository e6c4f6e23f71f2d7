"""A ScrollView's scrollable size changed without laying the whole screen out again.

Setting ``virtual_size`` (a reactive with ``layout=True``) makes Textual lay out the whole
screen at its next refresh: measured with bench/shift.py, 30–70 ms of the UI loop each time
on the inbox (about 60 widgets), as often as a list gains a row — every new customer's
message, every feed repaint while a batch's rows arrive. A ScrollView that draws its own
lines needs none of it: its region on the screen is the same, only its scrollbars change.
So the size is set without the reactive's layout, the scrollbars updated (Textual's
``_scroll_update``, what a layout would call), and the widget repainted. A scrollbar that
appears or disappears still asks for a layout (its ``show_*_scrollbar`` reactive does).
"""

from __future__ import annotations

from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.widget import Widget


def set_virtual_size(view: ScrollView, size: Size) -> None:
    """`view`'s scrollable size is now `size`: scrollbars and repaint, no screen layout."""
    if view.virtual_size == size:
        return
    view.set_reactive(Widget.virtual_size, size)
    if view.is_mounted and view.region:  # laid out once: the scrollbars are there to update
        view._scroll_update(size)
        view.refresh()
    else:
        view.refresh(layout=True)
