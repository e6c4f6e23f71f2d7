"""FeedScreen: delivery statuses arriving live, one row per message.

The rows live in the App's :class:`~console.feed.rows.FeedStore` (fed by ``app.core_changed``
from the console's start); this screen shows them through a :class:`FeedView` (the filter)
in a :class:`FeedTable` that draws only what is visible, at most 30 times a second. Older
days come from the history in a worker when the filter asks for a time range. Every action
is a key, and a palette command ("Feed: …", listed with the section in ui/sections.py).
"""

from __future__ import annotations

import time
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rich.cells import cell_len
from textual import getters, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Input, Label, Sparkline, Static
from textual.worker import get_current_worker

from console.core.model import Changes
from console.feed.query import EVERYTHING, FeedFilter, FilterError, describe, parse_filter
from console.feed.rows import FeedRow, FeedStore
from console.feed.sequences import Picked
from console.feed.summary import FeedFacts, counters_line, rate_label, state_line
from console.feed.view import FeedView
from console.paths import styles_path
from console.screens.resume import SectionScreen
from console.ui.app_access import console_app
from console.ui.callbacks import subscribe
from console.ui.clipboard import MIN_SECRET
from console.ui.slicing import TimeSlice
from console.ui.state import ConnectionInfo, LoginState
from console.ui.text import plain
from console.widgets.feed_table import FeedHeader, FeedTable
from console.widgets.key_bar import KeyBar
from console.widgets.session_bar import SessionBar
from console.widgets.text_input import QUERY_MAX, TextInput

if TYPE_CHECKING:
    from console.store import History

SPARK_SECONDS = 120
SUMMARY_INTERVAL = 0.25
FILTER_DELAY = 0.3
EXPORT_SLICE = 0.004  # seconds of the UI loop per slice of rows read out for an export
ExportKeys = tuple[FeedStore, "array[float]", "array[int]"]  # the rows to export, by key


class _ExportStopped(Exception):
    """The export's worker was cancelled (the console is quitting): no file is written."""


class FeedScreen(SectionScreen):
    """The live delivery feed."""

    CSS_PATH = styles_path("feed.tcss")
    BINDINGS = [
        Binding(
            "slash",
            "focus_filter",
            "Filter",
            id="feed.filter",
            tooltip="Type a filter: status:, channel:, to:, batch:, since:, until:, or a umid.",
        ),
        Binding(
            "f",
            "follow",
            "Follow",
            id="feed.follow",
            tooltip="Follow the newest message (scrolling up pauses).",
        ),
        # One key, one label at a time: "Pause" while following, "Resume" while paused.
        # Priority: taken as the App receives the key, not after it has gone down to the
        # table and bubbled back up through every queue on the way (one loop turn each: under
        # a stream, 100–200 ms). Typed into the filter it is a space (check_action).
        Binding(
            "space",
            "pause",
            "Pause",
            id="feed.pause",
            tooltip="Stay on the current row while new messages arrive.",
            priority=True,
        ),
        Binding(
            "space",
            "resume",
            "Resume",
            id="feed.resume",
            tooltip="Follow the newest message again.",
            priority=True,
        ),
        Binding(
            "v",
            "toggle_reveal",
            "Numbers",
            id="feed.reveal",
            tooltip="Show the destination numbers in full, or masked again.",
        ),
        Binding(
            "x",
            "export(False)",
            "Export CSV",
            id="feed.export",
            tooltip="Export the messages the filter shows to CSV, numbers masked.",
        ),
        Binding(
            "X",
            "export(True)",
            "Export with numbers",
            id="feed.export_numbers",
            show=False,
            tooltip="Export the messages the filter shows to CSV, numbers in full.",
        ),
        Binding(
            "c",
            "copy_umid",
            "Copy umid",
            id="feed.copy_umid",
            show=False,
            tooltip="Copy the selected message's umid.",
        ),
        Binding(
            "escape",
            "leave_filter",
            "Back",
            id="feed.leave_filter",
            show=False,
            tooltip="Leave the filter field for the rows.",
        ),
    ]

    app = console_app()
    table = getters.query_one("#feed-table", FeedTable)

    @dataclass
    class WindowLoaded(Message):
        """The history's window (today and the newest before it) read in a worker."""

        rows: list[FeedRow]

    @dataclass
    class RangeLoaded(Message):
        """A time range read from the history in a worker: the newest rows, and how many
        messages the range holds in all."""

        feed_filter: FeedFilter
        rows: list[FeedRow]
        total: int

    @dataclass
    class Exported(Message):
        path: Path
        count: int
        reveal: bool

    @dataclass
    class ExportFailed(Message):
        reason: str

    def __init__(self) -> None:
        super().__init__()
        self.store: FeedStore = self.app.feed
        self.view = FeedView(self.store)
        self.range_store: FeedStore | None = None
        self.filter: FeedFilter = EVERYTHING
        self.loading = ""
        self._summary_timer: Timer | None = None
        self._filter_timer: Timer | None = None
        self._window_loading = False
        self._behind = False  # changes came while hidden: caught up on resume
        self._lines: dict[str, str] = {}  # what each summary line shows (by widget id)
        self._table_seen: FeedTable | None = None  # check_action, without a query per read
        self._export_slice_size = TimeSlice(EXPORT_SLICE)

    def compose(self) -> ComposeResult:
        yield SessionBar("Feed")
        with Horizontal(id="feed-filter-row"):
            yield Label("Filter", classes="field-label")
            yield TextInput(
                placeholder="status:undelivered channel:sms to:+6591 batch:… since:2h, or a ref",
                id="feed-filter",
                compact=True,
                max_length=QUERY_MAX,
                what="The filter",
            )
            yield Label("", id="feed-filter-hint", markup=False)
        yield Static("", id="feed-state", markup=False)
        yield Static("", id="feed-counters", markup=False)
        with Horizontal(id="feed-rate-row"):
            yield Label("", id="feed-rate", markup=False)
            yield Sparkline([], id="feed-sparkline")
        table = FeedTable(self.view, id="feed-table")
        yield FeedHeader(table, id="feed-header")
        yield table
        yield KeyBar()

    def on_mount(self) -> None:
        subscribe(self.app.core_changed, self, self._core_changed)
        self.app.history_ready.subscribe(self, self._history_ready)
        self.watch(self.app, "connection", self._connection_changed, init=False)
        if self.app.history is not None:
            self._history_ready(self.app.history)
        self.set_interval(1.0, self._each_second, name="feed-second")
        self.store.expire()
        self.table.focus()
        self.table.sync()
        self._each_second()

    def on_unmount(self) -> None:
        self.view.close()

    # -- what arrives ----------------------------------------------------------------------

    def _core_changed(self, changes: Changes) -> None:
        """The App's store has applied the change already; a time range from the history
        follows it too. Then only mark things for the next (throttled) repaint."""
        if self.range_store is not None:
            self.range_store.apply(changes)
        if not self.shown:  # hidden: brought up to date when the feed comes back
            self._behind = True
            return
        self.table.mark_dirty()
        self._schedule_summary()

    def on_screen_resume(self) -> None:
        """Back on the terminal: what changed while hidden, at once (before the first
        repaint): the table's size and place (no work per row), the summary lines."""
        if self._behind:
            self._behind = False
            self._each_second()  # stale rows, the rate, the summary
            self.table.sync()

    def _history_ready(self, history: History) -> None:
        if not self.store.history_loaded and not self._window_loading:
            self._window_loading = True
            self.load_window(history, self.store.max_rows)

    @work(
        group="feed-window",
        exclusive=True,
        thread=True,
        exit_on_error=False,
        description="Reading recent messages",
    )
    def load_window(self, history: History, limit: int) -> None:
        """Today's messages and the newest before (today's older parts are read from disk),
        for a feed that had rows before the history opened; otherwise the thread that opened
        the history built them (controllers/history.py) and the feed took them over."""
        messages = history.todays_messages(limit, timelines=False)
        rows = [row for row in map(FeedRow.from_stored, messages) if row is not None]
        self.post_message(self.WindowLoaded(rows))

    @on(WindowLoaded)
    def _window_loaded(self, message: WindowLoaded) -> None:
        self.store.merge(message.rows)
        self.store.history_loaded = True
        self.table.mark_dirty()
        self._schedule_summary()

    def _connection_changed(self, _info: ConnectionInfo) -> None:
        self._schedule_summary()

    def _each_second(self) -> None:
        """Messages turn "no final receipt" as time passes; the sparkline moves on (once
        the feed is back, when hidden)."""
        if not self.shown:
            self._behind = True
            return
        changed = bool(self.store.expire())
        if self.range_store is not None:
            changed = bool(self.range_store.expire()) or changed
        if changed:
            self.table.mark_dirty()
        now = self.store.clock()
        rate = self.store.rate
        self.query_one("#feed-sparkline", Sparkline).data = rate.per_second(now, SPARK_SECONDS)
        self._show_line(
            self.query_one("#feed-rate", Label),
            rate_label(rate.last_second(now), rate.peak(now, SPARK_SECONDS), SPARK_SECONDS),
        )
        self.show_summary()

    # -- the summary lines -----------------------------------------------------------------

    def _schedule_summary(self) -> None:
        if self._summary_timer is None:
            self._summary_timer = self.set_timer(SUMMARY_INTERVAL, self._summary_due)

    def _summary_due(self) -> None:
        self._summary_timer = None
        self.show_summary()

    def facts(self) -> FeedFacts:
        info = self.app.connection
        events = info.events
        view = self.table.view
        shown = len(view)
        store = view.store
        newer = 0
        if not self.table.following and shown:
            newer = max(shown - 1 - self.table.cursor, 0)
        range_label = ""
        if self.range_store is not None and view.store is self.range_store:
            range_label = "from the history"
        return FeedFacts(
            stream_state=events.state.value if info.state is LoginState.CONNECTED else "",
            stream_label=events.label,
            following=self.table.following,
            shown=shown,
            kept=len(store),
            seen=store.seen,
            bound=store.max_rows,
            newer_below=newer,
            filtered=view.filtered,
            loading=self.loading,
            range_label=range_label,
        )

    def show_summary(self) -> None:
        facts = self.facts()
        state = self.query_one("#feed-state", Static)
        self._show_line(state, state_line(facts))
        self._show_line(
            self.query_one("#feed-counters", Static),
            counters_line(
                self.table.view.counts, filtered_from=facts.kept if facts.filtered else 0
            ),
        )
        state.set_class(facts.stream_state not in ("live", "off"), "-warning")

    def _show_line(self, widget: Static, text: str) -> None:
        """Show `text` (plain) in a summary line. While receipts stream in, these lines change
        several times a second; a change that keeps the line's height repaints the line alone
        instead of laying the whole screen out again (a quarter of a repaint's cost)."""
        key = widget.id or ""
        shown = self._lines.get(key)
        if text == shown:
            return
        self._lines[key] = text
        width = max(widget.size.width, 1)

        def rows(line: str) -> int:
            return -(-cell_len(line) // width)

        same_height = shown is not None and rows(text) == rows(shown)
        widget.update(plain(text), layout=not same_height)

    @on(FeedTable.FollowChanged)
    @on(FeedTable.CursorMoved)
    def _follow_changed(self) -> None:
        self.show_summary()
        self.refresh_bindings()

    # -- the filter ------------------------------------------------------------------------

    @on(Input.Changed, "#feed-filter")
    def _filter_typed(self) -> None:
        if self._filter_timer is not None:
            self._filter_timer.stop()
        self._filter_timer = self.set_timer(FILTER_DELAY, self._filter_due)

    def _filter_due(self) -> None:
        self._filter_timer = None
        self.apply_filter_text(self.query_one("#feed-filter", Input).value)

    @on(Input.Submitted, "#feed-filter")
    def _filter_submitted(self) -> None:
        if self._filter_timer is not None:
            self._filter_timer.stop()
            self._filter_timer = None
        if self.apply_filter_text(self.query_one("#feed-filter", Input).value):
            self.table.focus()

    def apply_filter_text(self, text: str) -> bool:
        """Read the filter line; show what is wrong at the field, or apply it."""
        hint = self.query_one("#feed-filter-hint", Label)
        try:
            feed_filter = parse_filter(text, now=self.store.clock())
        except FilterError as error:
            hint.update(plain(f"✗ {error}"))
            hint.set_class(True, "-error")
            return False
        hint.update(plain(describe(feed_filter)))
        hint.set_class(False, "-error")
        self.set_filter(feed_filter)
        return True

    def set_filter(self, feed_filter: FeedFilter) -> None:
        if feed_filter == self.filter:
            return
        self.filter = feed_filter
        history = self.app.history
        if feed_filter.has_range and history is not None:
            self.loading = f"reading {_range_words(feed_filter)} from the history…"
            self.load_range(history, feed_filter, self.store.max_rows)
        else:
            self.workers.cancel_group(self, "feed-range")
            self.loading = ""
            self.range_store = None
        self._show_view(self.store)

    def _show_view(self, store: FeedStore) -> None:
        old = self.view
        self.view = FeedView(store, self.filter)
        old.close()
        self.table.show(self.view)
        self.show_summary()

    @work(
        group="feed-range",
        exclusive=True,
        thread=True,
        exit_on_error=False,
        description="Reading a time range from the history",
    )
    def load_range(self, history: History, feed_filter: FeedFilter, limit: int) -> None:
        """The range's messages from the history, newest first, day by day (older days are
        read from disk and let go); stops reading rows at `limit` but counts them all."""
        worker = get_current_worker()
        rows: list[FeedRow] = []
        total = 0
        for chunk in history.scan_messages(feed_filter.since, feed_filter.until, timelines=False):
            if worker.is_cancelled:
                return
            for message in chunk:
                if message.direction != "out" or not message.umid:
                    continue
                total += 1
                if len(rows) < limit:
                    row = FeedRow.from_stored(message)
                    if row is not None:
                        rows.append(row)
        self.post_message(self.RangeLoaded(feed_filter, rows, total))

    @on(RangeLoaded)
    def _range_loaded(self, message: RangeLoaded) -> None:
        if message.feed_filter != self.filter:
            return  # the agent typed another filter meanwhile
        store = FeedStore(max_rows=self.store.max_rows, clock=self.store.clock)
        store.merge(message.rows)
        # This run's rows in the range: found by sent time (packed ones are not read out
        # unless they are in it), then copied (a row belongs to one store).
        wanted = message.feed_filter
        ats, seqs, _ = self.store.select(FeedFilter(since=wanted.since, until=wanted.until))
        live = [row.copy() for row in Picked(self.store, ats, seqs)]
        store.merge(live)
        store.dropped = max(message.total - len(message.rows), 0)
        self.range_store = store
        self.loading = ""
        self._show_view(store)

    # -- actions ---------------------------------------------------------------------------

    def action_focus_filter(self) -> None:
        self.query_one("#feed-filter", Input).focus()

    def action_leave_filter(self) -> None:
        self.table.focus()

    def action_follow(self) -> None:
        self.table.action_follow()

    def action_pause(self) -> None:
        self.table.pause()
        self._follow_changed()  # the footer's label now, not after FollowChanged's trip

    def action_resume(self) -> None:
        self.table.action_follow()
        self._follow_changed()

    def action_toggle_follow(self) -> None:
        """The palette's "pause or follow": whichever the feed is not doing."""
        if self.table.following:
            self.table.pause()
        else:
            self.table.action_follow()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Space pauses while following and resumes while paused; the footer shows which."""
        if action not in ("pause", "resume"):
            return True
        if isinstance(self.focused, Input):  # space typed into the filter
            return False
        table = self._table_seen
        if table is None or not table.is_attached:  # once: the key bar reads this per repaint
            found = self.query(FeedTable)
            if not found:
                return action == "pause"  # following until the table is there
            table = self._table_seen = found.first()
        following = table.following
        return following if action == "pause" else not following

    def action_toggle_reveal(self) -> None:
        self.table.reveal = not self.table.reveal
        self.notify(
            "Numbers shown in full." if self.table.reveal else "Numbers masked again.",
            title="Feed",
        )

    def action_clear_filter(self) -> None:
        self.query_one("#feed-filter", Input).value = ""
        self.apply_filter_text("")

    def action_use_filter(self, text: str) -> None:
        self.query_one("#feed-filter", Input).value = text
        self.apply_filter_text(text)

    def action_open(self) -> None:
        self.table.action_open()

    def action_copy_umid(self) -> None:
        row = self.table.cursor_row
        if row is None:
            self.notify("No message selected: nothing was copied.", severity="warning")
            return
        self.app.copy_text(row.umid, f"the umid {row.umid}")

    def action_export(self, reveal: bool = False) -> None:
        """The rows shown now, to a CSV file: their keys are taken here (array copies), the
        rows read out a slice at a time as the writer's thread asks (console/feed/export.py)."""
        view = self.table.view
        ats, seqs = view.keys()
        if not ats:
            self.notify("No message matches the filter: nothing to export.", severity="warning")
            return
        from console.loop_turns import running_turns
        from console.paths import data_dir

        folder = (self.app.settings.data_dir or data_dir()) / "exports"
        secrets = [secret for secret in self.app.copier.secrets() if len(secret) >= MIN_SECRET]
        turns = running_turns()  # the writer's thread gives way to the loop's long turns
        give_way = None if turns is None else turns.give_way
        self.export_csv(folder, (view.store, ats, seqs), reveal, secrets, give_way)

    @work(group="feed-export", thread=True, exit_on_error=False, description="Exporting CSV")
    def export_csv(
        self,
        folder: Path,
        keys: ExportKeys,
        reveal: bool,
        secrets: list[str],
        give_way: Callable[[], object] | None = None,
    ) -> None:
        from console.feed.export import paced, write_csv

        total = len(keys[1])
        worker = get_current_worker()
        written = 0

        def rows() -> Iterator[FeedRow]:
            nonlocal written
            start = 0
            while start < total:
                if worker.is_cancelled:
                    raise _ExportStopped  # the file is never left half written
                chunk, start = self.app.call_from_thread(self._export_slice, keys, start)
                written += len(chunk)
                yield from chunk

        try:
            path = write_csv(
                folder,
                paced(rows(), give_way=give_way),
                now=self.store.clock(),
                reveal=reveal,
                secrets=secrets,
            )
        except _ExportStopped:
            return
        except OSError as error:
            self.post_message(self.ExportFailed(f"{error.strerror or error} ({folder})"))
            return
        self.post_message(self.Exported(path, written, reveal))

    def _export_slice(self, keys: ExportKeys, start: int) -> tuple[list[FeedRow], int]:
        """On the UI loop: the rows to export from `start`, as many as a few ms read out."""
        from console.feed.export import read_out

        store, ats, seqs = keys
        stop = min(start + self._export_slice_size.size(), len(ats))
        began = time.perf_counter()
        rows = read_out(store, ats, seqs, start, stop)
        self._export_slice_size.took(stop - start, time.perf_counter() - began)
        return rows, stop

    @on(Exported)
    def _exported(self, message: Exported) -> None:
        noun = "message" if message.count == 1 else "messages"
        numbers = "numbers in full" if message.reveal else "numbers masked"
        self.notify(
            f"{message.count:,} {noun} ({numbers}) in {message.path}",
            title="Feed exported",
            timeout=12,
        )

    @on(ExportFailed)
    def _export_failed(self, message: ExportFailed) -> None:
        self.notify(
            f"The CSV could not be written: {message.reason}",
            title="Export failed",
            severity="error",
        )

    @on(FeedTable.RowOpened)
    def _open_row(self, message: FeedTable.RowOpened) -> None:
        from console.screens.message_timeline import MessageTimelineScreen

        row = self.table.view.store.get(message.umid)
        if row is None:
            return
        self.app.push_screen(MessageTimelineScreen(row, reveal=self.table.reveal))


def _range_words(feed_filter: FeedFilter) -> str:
    text = describe(FeedFilter(since=feed_filter.since, until=feed_filter.until))
    return text.replace(" · ", " ")
