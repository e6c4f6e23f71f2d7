"""SentTable: the messages sent from this screen, one row per umid, status moving forward."""

from __future__ import annotations

from datetime import datetime

from textual.widgets import DataTable
from textual.widgets.data_table import CellDoesNotExist, RowDoesNotExist

from console.delivery import status_label


class SentTable(DataTable[str]):
    """Recent sends; `set_status` updates a row in place (rows are keyed by umid)."""

    MAX_ROWS = 500

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.zebra_stripes = True
        self.add_column("Sent", key="sent", width=8)
        self.add_column("To", key="to", width=14)
        self.add_column("Status", key="status", width=34)
        self.add_column("umid", key="umid")

    def add_sent(self, umid: str, destination: str, sent_at: datetime, status: str) -> None:
        if umid in self.rows:
            return
        self.add_row(
            sent_at.astimezone().strftime("%H:%M:%S"),
            destination,
            status,
            umid,
            key=umid,
        )
        while self.row_count > self.MAX_ROWS:
            self.remove_row(next(iter(self.rows)))
        self.move_cursor(row=self.row_count - 1)

    def set_status(
        self,
        umid: str,
        state: str,
        *,
        error_code: int | None = None,
        error_message: str | None = None,
    ) -> bool:
        label = status_label(state, error_code=error_code, error_message=error_message)
        try:
            self.update_cell(umid, "status", label)
        except (RowDoesNotExist, CellDoesNotExist, KeyError):
            return False
        return True
