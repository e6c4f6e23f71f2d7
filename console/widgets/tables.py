"""Small helpers for DataTables whose rows are keyed and rebuilt: which row is selected,
and selecting it again after the rows were replaced."""

from __future__ import annotations

import contextlib

from textual.widgets import DataTable


def selected_key(table: DataTable) -> str | None:
    """The key of the row under the cursor, or None (no rows)."""
    if not table.row_count:
        return None
    try:
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
    except Exception:  # the cursor is outside the rows
        return None
    return None if key.value is None else str(key.value)


def reselect(table: DataTable, key: str | None) -> None:
    """Put the cursor back on the row with ``key``, if it is still there."""
    if key is not None:
        with contextlib.suppress(Exception):  # the row is gone
            table.move_cursor(row=table.get_row_index(key))
