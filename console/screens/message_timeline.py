"""MessageTimelineScreen: one message's receipts, from the feed (Enter on a row).

Each receipt with the time 8x8 gave it and the time it arrived, where it came from, and
the raw payload of the one selected. `a` asks 8x8 where the message stands now
(``GET /messages/{umid}``) for a message whose receipts are missing; the answer is applied
like a receipt (forward only), so the feed's row moves too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import DataTable, Label, Static

from console.core.model import Changes
from console.feed.columns import error_text, mask_number, price_text, status_text
from console.feed.rows import FeedRow
from console.feed.timeline import (
    TimelineEntry,
    from_receipts,
    from_stored,
    merged,
    moment_text,
    raw_text,
)
from console.paths import styles_path
from console.ui.app_access import console_app
from console.ui.callbacks import subscribe
from console.ui.text import clean, plain, plain_text

if TYPE_CHECKING:
    from console.api.client import CpaasClient
    from console.live.events import Receipt
    from console.store import History
    from console.store import Message as StoredMessage


class MessageTimelineScreen(ModalScreen[None]):
    """Every receipt of one message, its raw payload, and 8x8's answer when asked."""

    CSS_PATH = styles_path("feed.tcss")
    BINDINGS = [
        Binding(
            "escape,q",
            "dismiss",
            "Close",
            id="timeline.close",
            tooltip="Back to the feed.",
        ),
        Binding(
            "a",
            "ask",
            "Ask 8x8",
            id="timeline.ask",
            tooltip="Ask 8x8 where this SMS stands now (GET /messages/{umid}).",
        ),
        Binding(
            "c",
            "copy_umid",
            "Copy umid",
            id="timeline.copy_umid",
            tooltip="Copy the message's umid.",
        ),
        Binding(
            "v",
            "toggle_reveal",
            "Numbers",
            id="timeline.reveal",
            tooltip="Show the number in full, or masked again.",
        ),
    ]

    app = console_app()

    @dataclass
    class StoredFound(Message):
        """The history's record of the message (read in a worker), or None."""

        message: StoredMessage | None

    @dataclass
    class Answered(Message):
        """8x8 answered the status lookup."""

        receipt: Receipt

    @dataclass
    class AskFailed(Message):
        reason: str

    def __init__(self, row: FeedRow, *, reveal: bool = False) -> None:
        super().__init__()
        self.row = row
        self.reveal = reveal
        self.entries: list[TimelineEntry] = []
        self.stored: list[TimelineEntry] = []
        self.asking = False

    def compose(self) -> ComposeResult:
        with Vertical(id="timeline-box"):
            yield Static("", id="timeline-facts", markup=False)
            yield DataTable(id="timeline-receipts", cursor_type="row", zebra_stripes=True)
            with VerticalScroll(id="timeline-raw-box"):
                yield Static("", id="timeline-raw", markup=False)
            yield Static("", id="timeline-lookup", markup=False)
            yield Label(
                "enter/↑↓ a receipt · a ask 8x8 · c copy umid · v numbers · esc close",
                id="timeline-keys",
                markup=False,
            )

    def on_mount(self) -> None:
        box = self.query_one("#timeline-box")
        box.border_title = plain(f"Message {self.row.umid}")
        table = self.query_one("#timeline-receipts", DataTable)
        table.add_column("8x8 time", key="provider")
        table.add_column("arrived", key="arrived")
        table.add_column("status", key="status")
        table.add_column("detail / error", key="detail")
        table.add_column("from", key="from")
        subscribe(self.app.core_changed, self, self._core_changed)
        history = self.app.history
        if history is not None:
            self.find_stored(history, self.row.umid)
        self.refresh_timeline()
        table.focus()

    # -- what it shows ---------------------------------------------------------------------

    def refresh_timeline(self) -> None:
        timeline = self.app.core.timeline(self.row.umid)
        live = from_receipts(timeline.receipts) if timeline is not None else []
        self.entries = merged(live, self.stored)
        self._show_facts()
        table = self.query_one("#timeline-receipts", DataTable)
        on_last = not table.row_count or table.cursor_row >= table.row_count - 1
        selected = len(self.entries) - 1 if on_last else table.cursor_row  # newest, if there
        table.clear()
        today = date.fromtimestamp(self.app.feed.clock())
        for index, entry in enumerate(self.entries):
            detail = " · ".join(part for part in (entry.detail or "", entry.error) if part)
            table.add_row(
                plain_text(moment_text(entry.provider_at, today)),
                plain_text(moment_text(entry.arrived_at, today)),
                plain_text(entry.status),
                plain_text(detail),
                plain_text(entry.origin),
                key=str(index),
            )
        if self.entries:
            table.move_cursor(row=min(max(selected, 0), len(self.entries) - 1))
        self._show_raw()

    def _show_facts(self) -> None:
        row = self.row
        number = clean(row.destination or "—")
        if not self.reveal and row.destination:
            number = mask_number(number)
        sent = datetime.fromtimestamp(row.at).astimezone().strftime("%Y-%m-%d %H:%M:%S")
        facts = [
            ("to", number),
            ("channel", clean(row.channel or "—")),
            ("clientMessageId", clean(row.client_message_id or "—")),
            ("batch", clean(row.batch_id or "—")),
            ("sent", sent),
            ("status", status_text(row) + (f" ({clean(row.detail)})" if row.detail else "")),
        ]
        if error_text(row):
            facts.append(("error", error_text(row)))
        if row.sms_count is not None:
            facts.append(("segments", str(row.sms_count)))
        if row.price is not None:
            facts.append(("price", price_text(row)))
        text = Text()
        for index, (label, value) in enumerate(facts):
            text.append("\n" if index else "")
            text.append(f"{label:<16}", style="bold")
            text.append(value)
        self.query_one("#timeline-facts", Static).update(text)

    @on(DataTable.RowHighlighted, "#timeline-receipts")
    def _show_raw(self) -> None:
        table = self.query_one("#timeline-receipts", DataTable)
        raw = self.query_one("#timeline-raw", Static)
        if not self.entries:
            raw.update(plain("No receipt yet for this message."))
            return
        index = min(max(table.cursor_row, 0), len(self.entries) - 1)
        entry = self.entries[index]
        numbers = [self.row.destination or ""]
        raw.update(plain(raw_text(entry, numbers=numbers, reveal=self.reveal), newlines=True))

    def _core_changed(self, changes: Changes) -> None:
        if self.row.umid in changes.deliveries or any(
            sent.umid == self.row.umid for sent in changes.sent
        ):
            self.refresh_timeline()

    @work(group="timeline-history", thread=True, exit_on_error=False, description="History")
    def find_stored(self, history: History, umid: str) -> None:
        """The history's record (receipts of earlier runs): may read a day from disk."""
        self.post_message(self.StoredFound(history.find_message(umid)))

    @on(StoredFound)
    def _stored_found(self, message: StoredFound) -> None:
        if message.message is not None:
            self.stored = from_stored(message.message)
            self.refresh_timeline()

    # -- actions -----------------------------------------------------------------------------

    def action_toggle_reveal(self) -> None:
        self.reveal = not self.reveal
        self._show_facts()
        self._show_raw()

    def action_copy_umid(self) -> None:
        self.app.copy_text(self.row.umid, f"the umid {self.row.umid}")

    def action_ask(self) -> None:
        lookup = self.query_one("#timeline-lookup", Static)
        session = self.app.session
        if session is None:
            lookup.update(plain("✗ Not connected: 8x8 cannot be asked now."))
            return
        if (self.row.channel or "sms") != "sms":
            lookup.update(
                plain(f"✗ 8x8 answers status lookups for SMS; this went by {self.row.channel}.")
            )
            return
        if self.asking:
            return
        self.asking = True
        lookup.update(plain("◌ Asking 8x8 where this message stands…"))
        self.ask(session.client, self.row.umid)

    @work(group="timeline-ask", exclusive=True, exit_on_error=False, description="Asking 8x8")
    async def ask(self, client: CpaasClient, umid: str) -> None:
        from console.api.errors import ApiError
        from console.core.lookup import look_up

        try:
            receipt = await look_up(client, umid)
        except ApiError as error:
            self.post_message(self.AskFailed(error.readable))
            return
        self.post_message(self.Answered(receipt))

    @on(Answered)
    def _answered(self, message: Answered) -> None:
        self.asking = False
        receipt = message.receipt
        before = self.row.status
        changes = self.app.core.apply_lookup(receipt)
        state = status_text_for(receipt.state)
        when = ""
        if receipt.provider_timestamp:
            when = f" at {clean(receipt.provider_timestamp)}"
        moved = (
            f"the feed now shows {self.row.status}"
            if changes.deliveries and self.row.status != before
            else "the feed already had this status, or a later one"
        )
        self.query_one("#timeline-lookup", Static).update(
            plain(f"8x8 says: {state}{when} — {moved}.")
        )
        self.refresh_timeline()

    @on(AskFailed)
    def _ask_failed(self, message: AskFailed) -> None:
        self.asking = False
        self.query_one("#timeline-lookup", Static).update(
            plain(f"✗ 8x8 could not answer: {message.reason}")
        )


def status_text_for(state: str) -> str:
    from console.feed.columns import STATUS_GLYPHS

    return f"{STATUS_GLYPHS.get(state, '?')} {state}"
