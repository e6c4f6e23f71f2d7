"""SentTable: the messages sent from this screen, one row per umid, status moving forward."""

from __future__ import annotations

from datetime import datetime

from textual.widgets import DataTable
from textual.widgets.data_table import CellDoesNotExist, RowDoesNotExist

from console.delivery import status_label
from console.ui.text import plain_text


class SentTable(DataTable[str]):
    """Recent sends; `set_status` updates a row in place (rows are keyed by umid)."""

    MAX_ROWS = 500

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.zebra_stripes = True
        self.add_column("To", key="to", width=13)
        self.add_column("umid", key="umid", width=36)
        self.add_column("Status", key="status", width=44)
        self.add_column("Sent", key="sent", width=8)

    def add_sent(self, rows: list[tuple[str, str, datetime, str]]) -> None:
        """Add (umid, destination, sent at, status) rows; only the newest MAX_ROWS are kept,
        so a 10,000-number batch costs MAX_ROWS row inserts, not 10,000."""
        fresh = [row for row in rows[-self.MAX_ROWS :] if row[0] not in self.rows]
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
            for umid, destination, sent_at, status in fresh:
                self.add_row(
                    plain_text(destination),
                    plain_text(umid),
                    plain_text(status),
                    sent_at.astimezone().strftime("%H:%M:%S"),
                    key=umid,
                )
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
            self.update_cell(umid, "status", plain_text(label))
        except (RowDoesNotExist, CellDoesNotExist, KeyError):
            return False
        return True
