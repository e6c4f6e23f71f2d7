"""Persistent history: day-partitioned TinyDB files behind a write-behind, atomic storage.
No Textual here."""

from console.store.errors import HistoryClosed, HistoryError, HistoryLocked
from console.store.history import History
from console.store.ondemand import HistoryHold
from console.store.records import Conversation, DaySummary, Login, Message, Receipt, Room

__all__ = [
    "Conversation",
    "DaySummary",
    "History",
    "HistoryClosed",
    "HistoryError",
    "HistoryHold",
    "HistoryLocked",
    "Login",
    "Message",
    "Receipt",
    "Room",
]
