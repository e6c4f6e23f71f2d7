"""ConversationList: the inbox's rows, two lines each, drawn only where they are visible, so
tens of thousands of conversations scroll and update as fast as a dozen.

A row: the customer (name, or the number masked), the channel's glyph and word, the age of
the last message, the unread count; then the last message's first line, the assignee and the
labels. Text from customers goes through console.ui.text.clean, never markup. The widget
only draws what it is given (`show`) and posts messages; it reads nothing itself.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from rich.segment import Segment
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from console.core.inbox import (
    OPEN,
    SNOOZED,
    Conversation,
    age_label,
    channel_glyph,
    channel_word,
    waiting_label,
)
from console.core.wawindow import WindowState, window_at, window_marker
from console.ui.scrolling import repaint_changed, scrolled, set_virtual_size
from console.ui.text import clean

ROW_HEIGHT = 2
LATE_AFTER = 15 * 60.0  # seconds a customer may wait before the row says so in bold
ROW_CACHE = 256  # rows kept drawn: a few screens of conversations


def _fit(left: Text, right: Text, width: int) -> Text:
    """`left` cut to leave room for `right`, which is flush with the right edge."""
    room = max(0, width - right.cell_len - 1)
    if left.cell_len > room:
        left.truncate(room, overflow="ellipsis")
    gap = max(1, width - left.cell_len - right.cell_len)
    line = Text(no_wrap=True, end="")
    line.append_text(left)
    line.append(" " * gap)
    line.append_text(right)
    line.truncate(width)
    return line


def row_lines(
    conversation: Conversation, width: int, now: float, late_after: float = LATE_AFTER
) -> tuple[Text, Text]:
    """The two lines of a row (pure: snapshot-testable). A customer waiting for a reply
    shows '⏳ 12m'; past `late_after` seconds it is '⚠ 25m', in bold."""
    unread = conversation.unread
    first = Text(no_wrap=True, end="")
    first.append("● " if unread else "  ", style="bold")
    first.append(clean(conversation.customer), style="bold" if unread else "")
    right = Text(no_wrap=True, end="")
    right.append(f"{channel_glyph(conversation.channel)} {channel_word(conversation.channel)}")
    right.append(f"  {age_label(max(0.0, now - conversation.last_activity)):>3}")
    right.append(f"  {unread:>3}" if unread else "     ", style="bold reverse" if unread else "")
    second = Text(no_wrap=True, end="", style="dim" if not unread else "")
    arrow = "↩ " if conversation.last_direction == "out" else "  "
    second.append("  " + arrow + clean(conversation.first_line))
    tail = Text(no_wrap=True, end="")
    waiting = waiting_label(conversation, now)
    if waiting is not None:
        assert conversation.waiting_since is not None
        late = now - conversation.waiting_since >= late_after
        tail.append(waiting.replace("⏳", "⚠") if late else waiting, style="bold" if late else "")
        tail.append(" ")
    window = window_at(conversation.channel, conversation.last_inbound_at, now)
    marker = window_marker(window)  # WhatsApp's 24-hour window: '◷3h', '◷42m', '◷shut'
    if marker is not None:
        tail.append(marker, style="bold" if window.state is not WindowState.OPEN else "")
        tail.append(" ")
    status = conversation.status_at(now)
    if status != OPEN:
        word = status
        if status == SNOOZED and conversation.snoozed_until is not None:
            word += " until " + time.strftime("%H:%M", time.localtime(conversation.snoozed_until))
        tail.append(f"[{word}] ", style="italic")
    tail.append("@" + clean(conversation.assignee) if conversation.assignee else "unassigned")
    for label in conversation.labels[:3]:
        tail.append(" #" + label)
    if len(conversation.labels) > 3:
        tail.append(f" +{len(conversation.labels) - 3}")
    return _fit(first, right, width), _fit(second, tail, width)


def _drawn(row: Conversation) -> tuple[object, ...]:
    """What a row's drawing depends on: the conversation as compared, and what it shows
    without comparing it (since when the customer waits, WhatsApp's window)."""
    return (row, row.waiting_since, row.last_inbound_at)


class ConversationList(ScrollView, can_focus=True):
    """Rows of conversations; a cursor row; Enter or a click opens one."""

    late_after = LATE_AFTER  # the screen sets the agent's own ([inbox] reply_within)

    DEFAULT_CSS = """
    ConversationList {
        background: $surface;
        overflow-x: hidden;
    }
    ConversationList > .conversation-list--cursor {
        background: $boost;
    }
    ConversationList:focus > .conversation-list--cursor {
        background: $accent;
        color: $text;
    }
    ConversationList > .conversation-list--opened {
        background: $primary-muted;
    }
    ConversationList > .conversation-list--empty {
        color: $text-muted;
        text-style: italic;
    }
    """
    COMPONENT_CLASSES = {
        "conversation-list--cursor",
        "conversation-list--opened",
        "conversation-list--empty",
    }
    BINDINGS = [
        Binding("up,k", "move(-1)", "Up", show=False, id="list.up", tooltip="Previous row."),
        Binding("down,j", "move(1)", "Down", show=False, id="list.down", tooltip="Next row."),
        Binding(
            "pageup", "page(-1)", "Page up", show=False, id="list.page_up", tooltip="A page up."
        ),
        Binding(
            "pagedown",
            "page(1)",
            "Page down",
            show=False,
            id="list.page_down",
            tooltip="A page down.",
        ),
        Binding("home", "jump(0)", "First", show=False, id="list.first", tooltip="First row."),
        Binding("end", "jump(-1)", "Last", show=False, id="list.last", tooltip="Last row."),
        Binding(
            "enter",
            "select",
            "Open",
            show=False,
            id="list.open",
            tooltip="Open the conversation.",
        ),
    ]

    @dataclass
    class Highlighted(Message):
        """The cursor moved to a conversation (None: the list is empty)."""

        list: ConversationList
        conversation_id: str | None

        @property
        def control(self) -> ConversationList:
            return self.list

    @dataclass
    class Selected(Message):
        """The agent opened a conversation (Enter or a click)."""

        list: ConversationList
        conversation_id: str

        @property
        def control(self) -> ConversationList:
            return self.list

    def __init__(self, *, id: str | None = None, empty: str = "No conversations.") -> None:
        super().__init__(id=id)
        self.rows: list[Conversation] = []
        self._positions: dict[str, int] = {}
        self.cursor = 0
        self.opened: str | None = None
        self.empty = empty
        self._now = time.time()
        # A few screens of rows (each Strip carries Textual's caches of the strips made from it)
        self._cache: LRUCache[tuple[object, ...], tuple[Strip, Strip]] = LRUCache(ROW_CACHE)
        self._epoch = 0  # counts the clearings of the cache (ages moved on, a new width)
        # What each line shows now (as drawn): a change repaints only the lines it changed.
        self._shown: dict[int, tuple[object, ...]] = {}

    # -- what to show ------------------------------------------------------------------

    @property
    def cursor_id(self) -> str | None:
        if 0 <= self.cursor < len(self.rows):
            return self.rows[self.cursor].conversation_id
        return None

    def show(self, rows: list[Conversation], now: float, *, keep: str | None = None) -> None:
        """Show these rows; the cursor stays on the same conversation (or `keep`) if it is
        still listed, else on the same position."""
        wanted = keep or self.cursor_id
        before = self.cursor_id
        self.rows = rows
        self._positions = {row.conversation_id: n for n, row in enumerate(rows)}
        if now - self._now >= 30:
            self._clear()  # ages moved on
        self._now = now
        if wanted in self._positions:
            self.cursor = self._positions[wanted]
        self.cursor = max(0, min(self.cursor, len(rows) - 1))
        size = Size(self.scrollable_content_region.width, max(1, len(rows)) * ROW_HEIGHT)
        set_virtual_size(self, size, repaint=False)  # the lines that changed: below
        self._scroll_cursor_into_view()
        self._repaint_changed()
        if self.cursor_id != before:
            self.post_message(self.Highlighted(self, self.cursor_id))

    def tick(self, now: float) -> None:
        """Time passed: ages and snoozes read anew."""
        self._now = now
        self._clear()
        self.refresh()

    def set_opened(self, conversation_id: str | None) -> None:
        self.opened = conversation_id
        self._repaint_changed()

    def move_to(self, conversation_id: str) -> bool:
        position = self._positions.get(conversation_id)
        if position is None:
            return False
        self._set_cursor(position)
        return True

    # -- drawing -----------------------------------------------------------------------

    def _clear(self) -> None:
        self._cache.clear()
        self._epoch += 1

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._clear()  # a theme or class change: the rows' colours are drawn anew

    def _line_key(self, y: int, width: int) -> tuple[object, ...]:
        """What line `y` shows: its row (the object, replaced when it changes), the part of
        it, and how it is drawn."""
        if not self.rows:
            return (self._epoch, width, y == 0 and self.empty)
        index, part = divmod(y + self.scroll_offset.y, ROW_HEIGHT)
        if index >= len(self.rows):
            return (self._epoch, width, None)
        row = self.rows[index]
        cursor = index == self.cursor
        opened = row.conversation_id == self.opened
        return (self._epoch, width, _drawn(row), part, cursor, opened, self.has_focus)

    def _repaint_changed(self) -> None:
        """Repaint only the lines whose key changed since they were drawn (a message moves
        its conversation up: the rows it passed; a label: its own row)."""
        width = self.scrollable_content_region.width
        repaint_changed(self, self._shown, lambda y: self._line_key(y, width))

    def render_line(self, y: int) -> Strip:
        _, scroll_y = self.scroll_offset
        width = self.scrollable_content_region.width  # beside the scrollbar, never under it
        self._shown[y] = self._line_key(y, width)
        if not self.rows:
            if y == 0:
                style = self.get_component_rich_style("conversation-list--empty")
                text = Text(" " + self.empty, style=style, no_wrap=True, end="")
                text.truncate(width)
                return Strip(list(text.render(self.app.console))).extend_cell_length(width)
            return Strip.blank(width, self.rich_style)
        index, part = divmod(y + scroll_y, ROW_HEIGHT)
        if index >= len(self.rows):
            return Strip.blank(width, self.rich_style)
        row = self.rows[index]
        cursor = index == self.cursor
        opened = row.conversation_id == self.opened
        key = (_drawn(row), width, cursor, opened, self.has_focus)
        strips = self._cache.get(key)
        if strips is None:
            strips = self._render_row(row, width, cursor, opened)
            self._cache[key] = strips
        return strips[part]

    def _render_row(
        self, row: Conversation, width: int, cursor: bool, opened: bool
    ) -> tuple[Strip, Strip]:
        base = self.rich_style
        if opened:
            base = base + self.get_component_rich_style("conversation-list--opened")
        if cursor:
            base = base + self.get_component_rich_style("conversation-list--cursor")
        console = self.app.console
        out: list[Strip] = []
        for line in row_lines(row, width, self._now, self.late_after):
            segments = [
                Segment(segment.text, base + segment.style if segment.style else base)
                for segment in line.render(console)
                if segment.text
            ]
            line = Strip(segments).extend_cell_length(width, base).crop(0, width)
            out.append(line.simplify())  # neighbours of one style joined: fewer to repaint
        return out[0], out[1]

    def on_resize(self, event: events.Resize) -> None:
        self._clear()
        width = self.scrollable_content_region.width
        self.virtual_size = Size(width, max(1, len(self.rows)) * ROW_HEIGHT)

    # -- moving ------------------------------------------------------------------------

    def _set_cursor(self, position: int) -> None:
        if not self.rows:
            return
        position = max(0, min(position, len(self.rows) - 1))
        if position == self.cursor:
            return
        self.cursor = position
        self._scroll_cursor_into_view()
        self._repaint_changed()  # the old and new cursor rows (a scroll: all of them)
        self.post_message(self.Highlighted(self, self.cursor_id))

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        scrolled(self, old_value, new_value)

    def _scroll_cursor_into_view(self) -> None:
        height = self.scrollable_content_region.height or self.size.height
        top = self.cursor * ROW_HEIGHT
        if top < self.scroll_y:
            self.scroll_to(y=top, animate=False, immediate=True)
        elif top + ROW_HEIGHT > self.scroll_y + height:
            self.scroll_to(y=top + ROW_HEIGHT - height, animate=False, immediate=True)

    def action_move(self, step: int) -> None:
        self._set_cursor(self.cursor + step)

    def action_page(self, direction: int) -> None:
        rows = max(1, (self.size.height or ROW_HEIGHT) // ROW_HEIGHT)
        self._set_cursor(self.cursor + direction * rows)

    def action_jump(self, where: int) -> None:
        self._set_cursor(where if where >= 0 else len(self.rows) - 1)

    def action_select(self) -> None:
        conversation_id = self.cursor_id
        if conversation_id is not None:
            self.post_message(self.Selected(self, conversation_id))

    def on_click(self, event: events.Click) -> None:
        index = (event.y + int(self.scroll_y)) // ROW_HEIGHT
        if 0 <= index < len(self.rows):
            self._set_cursor(index)
            self.post_message(self.Selected(self, self.rows[index].conversation_id))
