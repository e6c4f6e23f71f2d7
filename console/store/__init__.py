"""Persistent history (TinyDB behind a write-behind, atomic storage). No Textual here."""

from console.store.history import (
    Conversation,
    History,
    HistoryClosed,
    HistoryError,
    HistoryLocked,
    Login,
    Message,
    Receipt,
    Room,
)

__all__ = [
    "Conversation",
    "History",
    "HistoryClosed",
    "HistoryError",
    "HistoryLocked",
    "Login",
    "Message",
    "Receipt",
    "Room",
]
