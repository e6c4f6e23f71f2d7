"""App-wide messages, named as past-tense facts."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from console.session import Session


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
