"""App-wide messages, named as past-tense facts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.message import Message

from console.session import Session

if TYPE_CHECKING:
    from console.store import History


@dataclass
class SessionStarted(Message):
    """The console is logged in and the API client is ready."""

    session: Session


@dataclass
class ConnectFailed(Message):
    """Logging in failed; `reason` is readable by an agent."""

    reason: str


@dataclass
class StreamChanged(Message):
    """The live event stream delivered a batch, a gap notice or a state change."""

    item: object


@dataclass
class HistoryOpened(Message):
    """The history is open (with notices such as a corrupt file moved aside)."""

    history: History


@dataclass
class HistoryWriteFailed(Message):
    """A flush to disk failed (disk full, permissions); posted from the writer thread."""

    reason: str


@dataclass
class HistoryUnavailable(Message):
    """The history could not be opened; the console runs without saving."""

    reason: str
