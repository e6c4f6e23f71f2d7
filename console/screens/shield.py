"""ShieldScreen: Omni Shield's view of the sub-account's SMS traffic (country and operator
share against a baseline, volume spikes, code-99 rejections, delivery rate, OTP conversion)
and the console's suspensions.

The figures are computed in a thread worker from the core's traffic ledger (every SMS
receipt seen, any application's) and the history (this console's sends, on demand), and
arrive as a message; the view recomputes when the ledger moves, at most once a second.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable
from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import DataTable, Static

from console.core import shield as stats
from console.core.shield import ShareRow, ShieldReport
from console.core.suspensions import Suspension, SuspensionError
from console.core.traffic import Observation
from console.paths import styles_path
from console.screens.resume import SectionScreen
from console.screens.shield_dialogs import (
    FeedbackDialog,
    FeedbackRequest,
    SuspendDialog,
    SuspendRequest,
)
from console.ui.app_access import console_app
from console.ui.columns import ColumnNeed, fit_columns
from console.ui.text import clean, middle, plain_text
from console.widgets.key_bar import KeyBar
from console.widgets.session_bar import SessionBar
from console.widgets.tables import reselect, selected_key

now = time.time  # the Shield's clock (tests replace it)
WINDOW_CYCLE = ("1h", "24h", "7d")
BASELINE_CYCLE = ("last-week", "before")
HISTORY_TTL = 30.0  # seconds: the history's part is read again after this
TREND_WIDTH = 12
TREND_MIN = 6  # the narrowest sparkline worth showing
SPIKE_MARK = " ▲spike"
NAME_LEAST = 20  # an operator's name is cut (in the middle) only below this, once the
# less important columns have gone
# The operators' columns in display order, with how much each matters (0 most): at 80 columns
# the usual share and the delivery rate go first, the trend stays (console/ui/columns.py).
OPERATOR_COLUMNS = (
    ("operator", "Operator", 0),
    ("msgs", "Msgs", 3),
    ("share", "Share", 5),
    ("usual", "Usual", 7),
    ("move", "Move", 2),
    ("dlvd", "Dlvd", 6),
    ("rejected", "99", 4),
    ("trend", "Trend", 1),
)
FIGURES = ("msgs", "share", "usual", "move", "dlvd", "rejected")  # between name and trend


@dataclass(frozen=True)
class Inputs:
    window: str
    baseline: str
    at: float
    live: list[Observation]
    feedback: dict[str, str]


class ShieldScreen(SectionScreen):
    """The Shield section."""

    CSS_PATH = styles_path("shield.tcss")
    BINDINGS = [
        Binding(
            "w",
            "cycle_window",
            "Window",
            id="shield.window",
            tooltip="The traffic of the last hour, 24 h or 7 days",
        ),
        Binding(
            "b",
            "cycle_baseline",
            "Baseline",
            id="shield.baseline",
            tooltip="Compare with the same hours last week, or the 24 h before",
        ),
        Binding(
            "s",
            "suspend",
            "Suspend",
            id="shield.suspend",
            tooltip="Refuse sends to an operator or a number prefix until an expiry",
        ),
        Binding("l", "lift", "Lift", id="shield.lift", tooltip="Lift the selected suspension"),
        Binding(
            "o",
            "feedback",
            "OTP outcome",
            id="shield.feedback",
            tooltip="Tell 8x8 whether an OTP was entered (SMS feedback)",
        ),
    ]

    app = console_app()

    class Computed(Message):
        """A report, computed in a worker."""

        def __init__(self, report: ShieldReport, version: int) -> None:
            super().__init__()
            self.report = report
            self.version = version

    class FeedbackSent(Message):
        def __init__(self, umid: str, outcome: str, error: str | None) -> None:
            super().__init__()
            self.umid = umid
            self.outcome = outcome
            self.error = error

    def __init__(self) -> None:
        super().__init__()
        self.window = "1h"
        self.baseline = "last-week"
        self.report: ShieldReport | None = None
        self._seen_version = -1
        self._computing = False
        self._history_cache: tuple[tuple[str, str, float], float, list[Observation]]
        self._history_cache = (("", "", 0.0), 0.0, [])
        self._operator_layout: tuple[tuple[str, int], ...] = ()  # the columns shown

    def compose(self) -> ComposeResult:
        yield SessionBar("Shield")
        with VerticalScroll(id="shield-body"):
            yield Static(id="shield-summary", markup=False)
            yield DataTable(id="operators", cursor_type="row", zebra_stripes=True)
            yield DataTable(id="countries", cursor_type="row", zebra_stripes=True)
            yield Static(id="conversion", markup=False)
            yield DataTable(id="suspensions", cursor_type="row")
        yield KeyBar()

    def on_mount(self) -> None:
        operators = self.query_one("#operators", DataTable)
        operators.border_title = "Operators"
        for name, title, _rank in OPERATOR_COLUMNS:
            operators.add_column(plain_text(title), key=name)
        countries = self.query_one("#countries", DataTable)
        countries.border_title = "Countries"
        countries.add_columns("Country", "Msgs", "Share", "Usual", "Move", "Rejected 99")
        suspended = self.query_one("#suspensions", DataTable)
        suspended.border_title = "Suspensions (s suspend · l lift)"
        suspended.add_columns("Suspended", "Until", "State")
        self.query_one("#shield-summary", Static).update("Reading the traffic…")
        self._show_suspensions()
        self.app.history_ready.subscribe(self, lambda _history: self._recompute(force=True))
        self.set_interval(1.0, self._tick)
        self._recompute(force=True)

    def on_screen_resume(self) -> None:
        self._recompute(force=True)

    # -- computing ---------------------------------------------------------------------

    def _tick(self) -> None:
        self._show_suspensions()  # they expire by themselves
        if self.is_current and self.app.core.traffic.version != self._seen_version:
            self._recompute()

    def _recompute(self, force: bool = False) -> None:
        if self._computing and not force:
            return
        self._computing = True
        core = self.app.core
        inputs = Inputs(
            self.window, self.baseline, now(), core.traffic.snapshot(), dict(core.feedback)
        )
        self._compute(inputs, core.traffic.version)

    @work(thread=True, exclusive=True, group="shield", exit_on_error=False)
    def _compute(self, inputs: Inputs, version: int) -> None:
        window, base = stats.spans(inputs.window, inputs.baseline, inputs.at)
        kept = self._from_history(window, base, inputs.at)
        merged: dict[str, Observation] = {item.umid: item for item in kept}
        counted: list[Observation] = []  # older traffic, folded into counts (no umid)
        for item in inputs.live:  # what this run saw wins: it has the latest receipts
            if item.umid:
                merged[item.umid] = item
            else:
                counted.append(item)
        report = stats.report(
            [*merged.values(), *counted],
            inputs.at,
            inputs.window,
            inputs.baseline,
            inputs.feedback,
        )
        self.post_message(self.Computed(report, version))

    def _from_history(self, window: stats.Span, base: stats.Span, at: float) -> list[Observation]:
        """This console's sends of both spans, and what it heard of before it started, read
        again at most every HISTORY_TTL s (what it sent meanwhile is in the live ledger
        anyway)."""
        history = self.app.history
        if history is None or history.closed:
            return []
        since = self.app.core.traffic_since  # before it, the live ledger heard nothing
        if since is None:
            since = math.inf
        # Read again once the ledger hears its first receipt: what it hears is its to count.
        key = (self.window, self.baseline, since)
        cached_key, read_at, cached = self._history_cache
        if cached_key == key and 0 <= at - read_at < HISTORY_TTL:
            return cached
        found = stats.history_observations(history, base.start, base.end, since)
        found += stats.history_observations(history, window.start, window.end, since)
        self._history_cache = (key, at, found)
        return found

    @on(Computed)
    def _computed(self, message: Computed) -> None:
        self._computing = False
        self._seen_version = message.version
        self.report = message.report
        self._show(message.report)

    # -- showing -----------------------------------------------------------------------

    def _show(self, report: ShieldReport) -> None:
        self.query_one("#shield-summary", Static).update(_summary(report))
        operators = self.query_one("#operators", DataTable)
        # the row the agent chose stays chosen; a row nobody chose is the top one again
        selected = selected_key(operators) if operators.has_focus else None
        operators.clear()
        volume = {row.network.label: row for row in report.volume}
        cells = []
        for share in report.operators:
            row = volume.get(share.name)
            cells.append(
                (
                    share,
                    row,
                    (
                        str(share.count),
                        _percent(share.share),
                        _percent(share.baseline_share) if report.baseline_total else "—",
                        _move(share, report),
                        _percent(row.delivery_rate) if row and row.count else "—",
                        str(row.rejected_99) if row else "0",
                    ),
                )
            )
        names = [clean(share.name) for share, _, _ in cells]
        spike = any(row is not None and row.spike is not None for _, row, _ in cells)
        widths = fit_columns(
            _operator_needs(names, [figures for _, _, figures in cells], spike),
            (operators.size.width or self.size.width - 2) - 2,
        )
        layout = tuple(widths.items())
        if layout != self._operator_layout:  # columns dropped or back: the header changes
            self._operator_layout = layout
            operators.clear(columns=True)
            titles = {name: title for name, title, _ in OPERATOR_COLUMNS}
            for name, width in layout:
                operators.add_column(plain_text(titles[name]), key=name, width=width)
        trend_room = max(TREND_MIN, widths.get("trend", 0) - (len(SPIKE_MARK) if spike else 0))
        for (share, row, figures), name in zip(cells, names, strict=True):
            trend = Text(stats.sparkline(stats.resample(row.series, trend_room))) if row else ""
            if row is not None and row.spike is not None:
                trend.append(SPIKE_MARK, style="bold")
            values: dict[str, str | Text] = dict(zip(FIGURES, figures, strict=True))
            values["operator"] = Text(
                middle(name, widths.get("operator", len(name))),
                style="bold" if share.deviates else "",
            )
            values["trend"] = trend
            operators.add_row(*(values[column] for column in widths), key=share.name)
        reselect(operators, selected)
        countries = self.query_one("#countries", DataTable)
        selected = selected_key(countries) if countries.has_focus else None
        countries.clear()
        rejected = dict(report.rejections_by_country)
        for share in report.countries:
            countries.add_row(
                Text(share.name, style="bold" if share.deviates else ""),
                str(share.count),
                _percent(share.share),
                _percent(share.baseline_share) if report.baseline_total else "—",
                _move(share, report),
                str(rejected.get(share.name, 0)),
                key=share.name,
            )
        reselect(countries, selected)
        self.query_one("#conversion", Static).update(_conversion(report))

    def _show_suspensions(self) -> None:
        table = self.query_one("#suspensions", DataTable)
        selected = selected_key(table)
        table.clear()
        at = self.app.core.suspensions.clock()
        items = self.app.core.suspensions.all()
        for item in items:
            state = _state(item, at)
            table.add_row(plain_text(item.label), item.until(), state, key=item.id)
        if not items:
            table.add_row("none", "", "", key="-")
        reselect(table, selected)

    # -- actions -----------------------------------------------------------------------

    def action_cycle_window(self) -> None:
        self.window = WINDOW_CYCLE[(WINDOW_CYCLE.index(self.window) + 1) % len(WINDOW_CYCLE)]
        self._recompute(force=True)

    def action_cycle_baseline(self) -> None:
        index = BASELINE_CYCLE.index(self.baseline)
        self.baseline = BASELINE_CYCLE[(index + 1) % len(BASELINE_CYCLE)]
        self._recompute(force=True)

    def set_window(self, window: str) -> None:
        self.window = window
        self._recompute(force=True)

    def action_suspend(self) -> None:
        """Suspend: the operator selected in the table when the agent is in it, else the
        operator whose share rose most (what the agent is looking at), else a blank form."""
        self.app.push_screen(SuspendDialog(self._suspect()), self._suspend)

    def _suspect(self) -> str:
        operators = self.query_one("#operators", DataTable)
        if operators.has_focus:
            key = selected_key(operators)
            return key if key and not key.startswith("unknown") else ""
        report = self.report
        rising = [] if report is None else [row for row in report.operators if row.deviates]
        rising = [row for row in rising if row.points > 0 and not row.name.startswith("unknown")]
        return max(rising, key=lambda row: row.points).name if rising else ""

    def _suspend(self, request: SuspendRequest | None) -> None:
        if request is None:
            return
        try:
            item = self.app.core.suspensions.add(
                request.kind, request.target, request.country, request.seconds
            )
        except SuspensionError as error:
            self.app.notify(str(error), severity="error")
            return
        self._show_suspensions()
        self.app.notify(f"Suspended {item.label} until {item.until()}")

    def action_lift(self) -> None:
        table = self.query_one("#suspensions", DataTable)
        key = selected_key(table)
        active = self.app.core.suspensions.active()
        if key is None or key == "-":
            key = active[0].id if len(active) == 1 else None
        if key is None:
            self.app.notify("Select the suspension to lift (in the Suspensions table).")
            return
        lifted = self.app.core.suspensions.lift(key)
        if lifted is None:
            self.app.notify("That suspension is no longer active.")
        else:
            self.app.notify(f"Lifted: sending to {lifted.label} again")
        self._show_suspensions()

    def action_feedback(self) -> None:
        recent = self.app.core.recent_sent(1)
        self.app.push_screen(FeedbackDialog(recent[-1].umid if recent else ""), self._feedback)

    def _feedback(self, request: FeedbackRequest | None) -> None:
        if request is not None:
            self._send_feedback(request.umid, request.outcome)

    @work(group="shield-feedback", exit_on_error=False)
    async def _send_feedback(self, umid: str, outcome: str) -> None:
        session = self.app.session
        if session is None:
            self.post_message(self.FeedbackSent(umid, outcome, "Not connected: log in first."))
            return
        try:
            await session.client.send_feedback(umid, outcome)
        except Exception as error:
            reason = getattr(error, "readable", None) or str(error) or type(error).__name__
            self.post_message(self.FeedbackSent(umid, outcome, reason))
            return
        self.post_message(self.FeedbackSent(umid, outcome, None))

    @on(FeedbackSent)
    def _feedback_sent(self, message: FeedbackSent) -> None:
        if message.error is not None:
            self.app.notify(f"Feedback not sent: {message.error}", severity="error")
            return
        self.app.core.record_feedback(message.umid, message.outcome)
        self.app.notify(
            f"Recorded: OTP {'entered' if message.outcome == 'success' else 'not entered'}"
        )
        self._recompute(force=True)

    # -- the palette -------------------------------------------------------------------

    def palette_commands(self) -> Iterable[SystemCommand]:
        for window in WINDOW_CYCLE:
            yield SystemCommand(
                f"Shield: Show the {stats.WINDOW_LABELS[window]}",
                "Traffic of this window against its baseline",
                lambda window=window: self.set_window(window),
            )
        yield SystemCommand(
            "Shield: Change the baseline",
            "Same hours last week, or the 24 h before",
            self.action_cycle_baseline,
        )
        yield SystemCommand(
            "Shield: Suspend an operator or a number prefix",
            "Refuse sends to it until an expiry you choose",
            self.action_suspend,
        )
        yield SystemCommand(
            "Shield: Lift the selected suspension", "Send to it again now", self.action_lift
        )
        yield SystemCommand(
            "Shield: Record an OTP outcome",
            "Tell 8x8 whether an OTP was entered (SMS feedback); conversion shows here",
            self.action_feedback,
        )


def _operator_needs(
    names: list[str], figures: list[tuple[object, ...]], spike: bool
) -> list[ColumnNeed]:
    """What each operator column needs: the figures their widest cell, the name whole up to
    NAME_LEAST (cut in the middle below that), the trend its sparkline and spike mark."""
    needs = []
    longest = max((len(name) for name in names), default=8)
    for index, (name, title, rank) in enumerate(OPERATOR_COLUMNS):
        if name == "operator":
            least = max(len(title), min(longest, NAME_LEAST))
            needs.append(ColumnNeed(name, least, max(least, longest), rank))
        elif name == "trend":
            wide = TREND_WIDTH + (len(SPIKE_MARK) if spike else 0)
            needs.append(ColumnNeed(name, wide, wide, rank))
        else:
            cells = [len(str(row[index - 1])) for row in figures]
            width = max([len(title), *cells])
            needs.append(ColumnNeed(name, width, width, rank))
    return needs


def _percent(value: float) -> str:
    return f"{value * 100:.0f} %"


def _move(share: ShareRow, report: ShieldReport) -> Text:
    if not report.baseline_total:
        return Text("no baseline")
    points = share.points
    if not share.deviates:
        return Text(f"{points:+.0f} pp")
    arrow = "▲" if points > 0 else "▼"
    return Text(f"{arrow} {points:+.0f} pp", style="bold reverse")


def _summary(report: ShieldReport) -> Text:
    text = Text()
    text.append(f"{stats.WINDOW_LABELS[report.window_name]}", style="bold")
    text.append(" (w)  against ")
    text.append(stats.BASELINE_LABELS[report.baseline_name], style="bold")
    text.append(" (b)\n")
    text.append(f"{report.total:,} SMS seen · {report.baseline_total:,} in the baseline")
    text.append(f"   {stats.sparkline(stats.resample(report.series, 30))}\n")
    deviations = len(report.deviations)
    if deviations:
        text.append(f"⚠ {deviations} deviation{'s' if deviations != 1 else ''}", style="bold")
    else:
        text.append("✓ no deviation")
    text.append(" · ")
    spikes = len(report.spikes)
    text.append(
        f"{spikes} volume spike{'s' if spikes != 1 else ''}", style="bold" if spikes else ""
    )
    text.append(" · ")
    rejected = report.rejected_99
    text.append(f"{rejected:,} rejected by Omni Shield (99)", style="bold" if rejected else "")
    if not report.baseline_total:
        text.append("\nNo traffic in the baseline window: shares cannot be compared yet.")
    return text


def _conversion(report: ShieldReport) -> Text:
    conversion = report.conversion
    if conversion is None:
        return Text("OTP conversion: no feedback for this window's messages (o records one)")
    return Text(
        f"OTP conversion: {conversion.success} of {conversion.total} entered "
        f"({conversion.rate * 100:.0f} %) where feedback exists"
    )


def _state(item: Suspension, at: float) -> str:
    if item.lifted_at is not None:
        return "lifted"
    if item.active(at):
        left = int(item.expires_at - at)
        return f"● active, {left // 3600} h {left % 3600 // 60:02d} min left"
    return "expired"
