"""A Static told to show what it shows already does nothing.

``Static.update`` always asks for a new layout of the whole screen (its text may need more
lines), and a layout of the inbox costs the loop 30–70 ms (bench/shift.py's profile). The
reply box's hint was updated on every key typed with the same words: every key laid the
screen out again. So: nothing when the content is the same; a repaint alone when the widget's
height is fixed (a new text cannot change its size); a layout otherwise.
"""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static


def show(static: Static, content: Content | str) -> None:
    """`static` shows `content` (nothing is done when it shows it already)."""
    if isinstance(content, str):
        content = Content(content)
    if static.content == content:
        return
    height = static.styles.height
    fixed = height is not None and not height.is_auto and height.unit.name == "CELLS"
    static.update(content, layout=not fixed)
