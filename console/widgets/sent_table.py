"""SentTable: messages sent, one row per umid, status moving forward; `c` copies a umid,
`v` shows the numbers in full (masked otherwise, as in the Feed)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable
from textual.widgets.data_table import CellDoesNotExist, RowDoesNotExist

from console.core.inbox import mask_peer
from console.core.model import Delivery, Outbound
from console.ui.text import plain_text


class SentTable(DataTable[Text]):
    """Recent sends; rows are keyed by umid, so a delivery updates its row in place.
    Usable in any App: it only posts messages."""

    MAX_ROWS = 500
    BINDINGS = [
        Binding(
            "c",
            "copy_umid",
            "Copy umid",
            id="sent.copy_umid",
            tooltip="Copy the selected message's umid (8x8's message id) to the clipboard.",
        ),
        Binding(
            "v",
            "toggle_reveal",
            "Numbers",
            id="sent.reveal",
            tooltip="Show the numbers in full, or masked again.",
        ),
    ]
    revealed = False  # numbers masked unless the agent asks (v)

    @dataclass
    class CopyRequested(Message):
        """The agent asked to copy a message's umid (the screen owns the clipboard call)."""

        table: SentTable
        umid: str

        @property
        def control(self) -> SentTable:
            return self.table

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._numbers: dict[str, str] = {}  # umid -> the destination in full

    def _number(self, number: str) -> Text:
        return plain_text(number if self.revealed else mask_peer(number))

    def action_toggle_reveal(self) -> None:
        self.revealed = not self.revealed
        with self.app.batch_update():
            for umid, number in self._numbers.items():
                if umid in self.rows:
                    self.update_cell(umid, "to", self._number(number))

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.zebra_stripes = True
        self.add_column("To", key="to", width=13)
        self.add_column("umid", key="umid", width=36)
        self.add_column("Status", key="status", width=44)
        self.add_column("Sent", key="sent", width=8)

    def add_sent(self, rows: Iterable[Outbound]) -> None:
        """Add messages; only the newest MAX_ROWS are kept, so a 10,000-number batch costs
        MAX_ROWS row inserts, not 10,000."""
        fresh = [row for row in list(rows)[-self.MAX_ROWS :] if row.umid not in self.rows]
        if not fresh:
            return
        with self.app.batch_update():
            overflow = self.row_count + len(fresh) - self.MAX_ROWS
            if overflow > 0:
                if overflow >= self.row_count:
                    self.clear()
                else:
                    for key in list(self.rows)[:overflow]:
                        self.remove_row(key)
                self._numbers = {k: v for k, v in self._numbers.items() if k in self.rows}
            for row in fresh:
                self._numbers[row.umid] = row.destination
                self.add_row(
                    self._number(row.destination),
                    plain_text(row.umid),
                    plain_text(row.delivery.label),
                    Text(datetime.fromtimestamp(row.sent_at).astimezone().strftime("%H:%M:%S")),
                    key=row.umid,
                )
            self.move_cursor(row=self.row_count - 1)

    def show_deliveries(self, deliveries: Mapping[str, Delivery]) -> int:
        """Update the rows of these messages (others are ignored); returns how many."""
        shown = 0
        if not deliveries or not self.row_count:
            return shown
        with self.app.batch_update():
            for umid, delivery in deliveries.items():
                if umid not in self.rows:
                    continue
                try:
                    self.update_cell(umid, "status", plain_text(delivery.label))
                except (RowDoesNotExist, CellDoesNotExist):
                    continue
                shown += 1
        return shown

    @property
    def selected_umid(self) -> str | None:
        if not self.row_count:
            return None
        row = self.coordinate_to_cell_key(self.cursor_coordinate).row_key
        return row.value

    def action_copy_umid(self) -> None:
        umid = self.selected_umid
        if umid is None:
            self.notify("No message selected: nothing was copied.", severity="warning")
            return
        self.post_message(self.CopyRequested(self, umid))
