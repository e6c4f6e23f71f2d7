"""FeedTable: the delivery feed's rows, drawn line by line (the toolong pattern).

A `ScrollView` whose virtual height is the number of rows its :class:`FeedView` shows:
`render_line` draws only the visible rows, each from an `LRUCache` of `Strip`\\ s keyed by the
row's version, so a row that did not change is never drawn again. Changes mark the table
dirty (:meth:`mark_dirty`); it then syncs at most `MAX_FPS` times a second: the view settles,
the cursor keeps its row, and in follow mode the newest row stays in view.

Keys move a cursor; moving it up (or scrolling up) pauses following, `end` or `f` resumes.
Enter asks to open the row (:class:`FeedTable.RowOpened`). No I/O: it only posts messages.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from textual import events
from textual.binding import Binding
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.timer import Timer
from textual.widget import Widget

from console.feed.columns import GAP, Layout, cells, layout, status_tone
from console.feed.rows import FeedRow
from console.feed.view import FeedView
from console.ui.scrolling import repaint_changed, scrolled, set_virtual_size

MAX_FPS = 30
LINE_CACHE = 256  # lines kept drawn: a few screens of rows


def fit(text: str, width: int, *, right: bool = False) -> str:
    """`text` in exactly `width` terminal cells (cut with an ellipsis when longer), as Rich
    measures them: drawing, so here beside the table rather than in the UI-free feed model."""
    size = cell_len(text)
    if size > width:
        return set_cell_size(text, max(width - 1, 0)) + "…" if width else ""
    pad = " " * (width - size)
    return pad + text if right else text + pad


class FeedTable(ScrollView, can_focus=True):
    """The feed's rows; follows the newest unless the agent moved away."""

    BINDINGS = [
        Binding("up,k", "cursor_up", "Up", show=False, id="feed.up", tooltip="Previous row."),
        Binding("down,j", "cursor_down", "Down", show=False, id="feed.down", tooltip="Next row."),
        Binding(
            "pageup", "page_up", "Page up", show=False, id="feed.page_up", tooltip="A page up."
        ),
        Binding(
            "pagedown",
            "page_down",
            "Page down",
            show=False,
            id="feed.page_down",
            tooltip="A page down.",
        ),
        Binding("home", "first", "First", show=False, id="feed.first", tooltip="Oldest row."),
        Binding(
            "end",
            "follow",
            "Follow",
            show=False,
            id="feed.end",
            tooltip="Back to the newest row, and keep following.",
        ),
        Binding(
            "enter",
            "open",
            "Timeline",
            id="feed.open",
            tooltip="Open the message's timeline: every receipt, the raw payload, ask 8x8.",
        ),
    ]
    DEFAULT_CSS = """
    FeedTable {
        height: 1fr;
        scrollbar-gutter: stable;
        overflow-x: hidden;
    }
    FeedTable > .feed-table--cursor { background: $block-cursor-background 60%; }
    FeedTable:focus > .feed-table--cursor {
        background: $block-cursor-background;
        color: $block-cursor-foreground;
        text-style: $block-cursor-text-style;
    }
    FeedTable > .feed-table--good { color: $text-success; }
    FeedTable > .feed-table--bad { color: $text-error; text-style: bold; }
    FeedTable > .feed-table--late { color: $text-warning; text-style: bold; }
    FeedTable > .feed-table--pending { color: $text-muted; }
    FeedTable > .feed-table--dim { color: $text-muted; }
    """
    COMPONENT_CLASSES = {
        "feed-table--cursor",
        "feed-table--good",
        "feed-table--bad",
        "feed-table--late",
        "feed-table--pending",
        "feed-table--dim",
    }

    # Following or not draws the same lines (sync repaints what moves): no repaint of its own,
    # else every space (Pause / Resume) redrew the whole table.
    following: reactive[bool] = reactive(True, init=False, repaint=False)
    reveal: reactive[bool] = reactive(False, init=False)

    @dataclass
    class RowOpened(Message):
        """The agent asked for a message's timeline."""

        umid: str

    @dataclass
    class FollowChanged(Message):
        """Following the newest row started or stopped."""

        following: bool

    @dataclass
    class CursorMoved(Message):
        """The agent moved the cursor (only the newest of a burst matters)."""

        cursor: int

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, FeedTable.CursorMoved)

    def __init__(self, view: FeedView, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.view = view
        self.cursor = -1
        self._cursor_row: FeedRow | None = None
        # A few screens of lines: each cached Strip carries Textual's own caches of the strips
        # made from it (crops, filters, styles), so 1,024 lines held about 7 strips each.
        self._lines: LRUCache[tuple[object, ...], Strip] = LRUCache(maxsize=LINE_CACHE)
        # What each line of the widget shows now (its cache key, as drawn): a sync repaints
        # only the lines whose key changed, not the whole table at every change of the view.
        self._shown: dict[int, tuple[object, ...] | None] = {}
        self._layout: Layout | None = None
        self._layout_width = -1
        self._drawn_version = -1
        self._dirty = False
        self._sync_timer: Timer | None = None
        self._last_sync = 0.0
        self.syncs = 0

    # -- data ----------------------------------------------------------------------------

    def show(self, view: FeedView) -> None:
        """Show another view (a new filter, a time range from the history)."""
        self.view = view
        self._lines.clear()
        self.cursor = -1
        self._cursor_row = None
        self.following = True
        self.sync()

    @property
    def cursor_row(self) -> FeedRow | None:
        return self._cursor_row

    def mark_dirty(self) -> None:
        """The view changed: sync soon, at most MAX_FPS times a second."""
        self._dirty = True
        if self._sync_timer is not None:
            return
        wait = self._last_sync + 1 / MAX_FPS - time.monotonic()
        self._sync_timer = self.set_timer(max(wait, 0.005), self._timed_sync, name="feed-sync")

    def _timed_sync(self) -> None:
        self._sync_timer = None
        if self._dirty:
            self.sync()

    def sync(self) -> None:
        """Bring the drawing up to date with the view (at most MAX_FPS a second)."""
        self._dirty = False
        self._last_sync = time.monotonic()
        self.syncs += 1
        view = self.view
        view.settle()
        rows = view.rows
        count = len(rows)
        width = self.scrollable_content_region.width or self.size.width
        # No new layout of the screen, and no repaint of lines that did not change (below).
        set_virtual_size(self, Size(width, count), repaint=False)
        if self.following or self._cursor_row is None:
            self.cursor = count - 1 if self.following else min(max(self.cursor, 0), count - 1)
        else:
            index = view.index_of(self._cursor_row)
            if index is None:  # filtered out or let go: stay at the same place
                index = min(max(self.cursor, 0), count - 1)
            shift = index - self.cursor
            self.cursor = index
            if shift:  # rows came or went above: the cursor's row stays where the agent saw it
                self._scroll_now(self.scroll_offset.y + shift)
        self._cursor_row = rows[self.cursor] if 0 <= self.cursor < count else None
        if self.following:
            self._scroll_now(max(count - self.scrollable_content_region.height, 0))
        self._drawn_version = view.version
        self._repaint_changed()

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        scrolled(self, old_value, new_value)

    def _scroll_now(self, y: int) -> None:
        """Scroll before this frame is drawn (Textual's default waits for the next refresh:
        every sync in follow mode painted two frames, the second one the whole table)."""
        self.scroll_to(y=y, animate=False, force=True, immediate=True)

    def _line_key(self, y: int, width: int, today: date) -> tuple[object, ...] | None:
        """The cache key of what line `y` shows (None: no row there)."""
        index = self.scroll_offset.y + y
        rows = self.view.rows
        if not 0 <= index < len(rows):
            return None
        return self._row_key(rows[index], index == self.cursor, width, today)

    def _row_key(
        self, row: FeedRow, is_cursor: bool, width: int, today: date
    ) -> tuple[object, ...]:
        """What a row's line is drawn from (the line cache's key, and what `_shown` keeps)."""
        return (row.seq, row.version, row.stale, is_cursor, self.reveal, width, today)

    def _repaint_changed(self) -> None:
        """Repaint the lines whose row, status or cursor changed since they were drawn: in
        follow mode while only statuses change (most of a batch's stream), the newest rows
        on screen seldom do."""
        width = self.scrollable_content_region.width
        today = date.fromtimestamp(self.view.store.clock())
        repaint_changed(self, self._shown, lambda y: self._line_key(y, width, today))

    # -- drawing ---------------------------------------------------------------------------

    def layout_for(self, width: int) -> Layout:
        current = self._layout
        if current is None or self._layout_width != width:
            current = self._layout = layout(width)
            self._layout_width = width
        return current

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._lines.clear()

    def on_resize(self, event: events.Resize) -> None:
        self._lines.clear()
        self.sync()

    def watch_reveal(self) -> None:
        self._lines.clear()
        self.refresh()

    def render_line(self, y: int) -> Strip:
        index = self.scroll_offset.y + y
        rows = self.view.rows
        width = self.scrollable_content_region.width
        if not 0 <= index < len(rows):
            self._shown[y] = None
            return Strip.blank(width, self.rich_style)
        row = rows[index]
        is_cursor = index == self.cursor
        today = date.fromtimestamp(self.view.store.clock())
        key = self._row_key(row, is_cursor, width, today)
        self._shown[y] = key
        strip = self._lines.get(key)
        if strip is None:
            strip = self._draw(row, width, today, is_cursor)
            self._lines[key] = strip
        return strip

    def _draw(self, row: FeedRow, width: int, today: date, is_cursor: bool) -> Strip:
        base = self.rich_style
        if is_cursor:
            base = base + self.get_component_rich_style("feed-table--cursor", partial=True)
        chosen = self.layout_for(width)
        widths = {column.name: size for column, size in chosen.columns}
        values = cells(row, reveal=self.reveal, today=today, widths=widths)
        tone = self.get_component_rich_style(f"feed-table--{status_tone(row)}", partial=True)
        dim = self.get_component_rich_style("feed-table--dim", partial=True)
        gap = Segment(" " * GAP, base)
        segments: list[Segment] = []
        for position, (column, size) in enumerate(chosen.columns):
            if position:
                segments.append(gap)
            text = fit(values[column.name], size, right=column.right)
            style = base
            if column.name == "status" or (column.name == "error" and values["error"]):
                style = base + tone
            elif column.name in ("time", "batch", "price", "segments"):
                style = base + dim
            segments.append(Segment(text, style))
        # Neighbours of one style joined (a column and the gap after it): the same line with
        # half the segments, each of which Textual filters, cuts and encodes at every repaint.
        return Strip(segments).adjust_cell_length(width, base).simplify()

    # -- moving ----------------------------------------------------------------------------

    def watch_following(self, following: bool) -> None:
        self.post_message(self.FollowChanged(following))
        if following:
            self.sync()

    def _move_to(self, index: int) -> None:
        count = len(self.view.rows)
        if not count:
            return
        self.cursor = min(max(index, 0), count - 1)
        self._cursor_row = self.view.rows[self.cursor]
        height = self.scrollable_content_region.height
        top = self.scroll_offset.y
        if self.cursor < top:
            self._scroll_now(self.cursor)
        elif self.cursor >= top + height:
            self._scroll_now(self.cursor - height + 1)
        self._repaint_changed()  # the cursor's old and new lines (a scroll: all of them)
        self.post_message(self.CursorMoved(self.cursor))

    def pause(self) -> None:
        if self.following:
            self.following = False

    def action_cursor_up(self) -> None:
        self._catch_up()
        self.pause()
        self._move_to(self.cursor - 1)

    def action_cursor_down(self) -> None:
        self._catch_up()
        self._move_to(self.cursor + 1)

    def action_page_up(self) -> None:
        self._catch_up()
        self.pause()
        self._move_to(self.cursor - max(self.scrollable_content_region.height - 1, 1))

    def action_page_down(self) -> None:
        self._catch_up()
        self._move_to(self.cursor + max(self.scrollable_content_region.height - 1, 1))

    def action_first(self) -> None:
        self._catch_up()
        self.pause()
        self._move_to(0)

    def action_follow(self) -> None:
        self.following = True
        self.sync()

    def _catch_up(self) -> None:
        """A key acts on what the view holds now, not on the last repaint."""
        if self._dirty or self._drawn_version != self.view.version:
            self.sync()

    def action_open(self) -> None:
        self._catch_up()
        row = self._cursor_row
        if row is None:
            self.notify("No message here yet: nothing to open.", severity="warning")
            return
        self.post_message(self.RowOpened(row.umid))

    def on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        self.pause()

    def on_click(self, event: events.Click) -> None:
        index = event.y + self.scroll_offset.y
        if not 0 <= index < len(self.view.rows):
            return
        self.pause()
        if index == self.cursor and event.chain >= 2:
            self.action_open()
            return
        self._move_to(index)


class FeedHeader(Widget):
    """The column titles of a FeedTable, laid out for the table's width."""

    DEFAULT_CSS = """
    FeedHeader {
        height: 1;
        text-style: bold;
        background: $panel;
        color: $foreground;
    }
    """

    def __init__(self, table: FeedTable, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.table = table

    def render_line(self, y: int) -> Strip:
        base = self.rich_style
        width = self.table.scrollable_content_region.width or self.size.width
        chosen = self.table.layout_for(width)
        segments: list[Segment] = []
        for position, (column, size) in enumerate(chosen.columns):
            if position:
                segments.append(Segment(" " * GAP, base))
            segments.append(Segment(fit(column.heading(size), size, right=column.right), base))
        return Strip(segments).adjust_cell_length(self.size.width, base)
