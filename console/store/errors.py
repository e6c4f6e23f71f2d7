"""What can go wrong with the history, as exceptions whose message is meant for the user."""

from __future__ import annotations

from pathlib import Path


class HistoryError(Exception):
    """The history cannot be used; the message is meant for the user as it is."""


class HistoryLocked(HistoryError):
    """Another live console (this process or another one) already has this data folder open."""

    def __init__(self, data_dir: Path, pid: int | None = None) -> None:
        holder = f"agent-console (process {pid})" if pid else "agent-console"
        super().__init__(
            f"Another {holder} is already using the history in {data_dir}. "
            "Close that console first, or start this one with --data-dir pointing to another "
            "folder (that console then keeps its own history there)."
        )
        self.data_dir = data_dir
        self.pid = pid


class HistoryClosed(HistoryError):
    """A write was attempted after `close()`."""


class CorruptHistory(Exception):
    """A history file cannot be used as it is; the message says why."""
