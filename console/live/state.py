"""The event stream's state, as values (pure: no websockets import, cheap for the UI)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from console.live.events import GapNotice, utc_iso


class StreamPhase(StrEnum):
    CONNECTING = "connecting"
    LIVE = "live"
    RECONNECTING = "reconnecting"
    GAP = "gap"


@dataclass(frozen=True)
class StreamState:
    """A change in the connection's state, for the header.

    - ``connecting``: the first attempt is under way.
    - ``live``: connected, frames arriving.
    - ``reconnecting``: the connection failed or dropped; ``attempt`` (1, 2, ...) is the
      next try, ``error`` says why, ``retry_in`` is the backoff delay in seconds.
    - ``gap``: the relay could not replay everything; ``gap`` says which events.
    ``at`` is when the state began (ISO UTC).
    """

    state: StreamPhase
    attempt: int = 0
    error: str | None = None
    retry_in: float | None = None
    gap: GapNotice | None = None
    last_seq: int | None = None
    at: str = field(default_factory=utc_iso)
