"""What the header and the home screen show about the connection and the history: enums and
small frozen dataclasses (pure data, no Textual). The widgets render them."""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the stream's modules load with the stream, after the first frame
    from console.live.state import StreamState

GAP_LABEL_SECONDS = 60.0
"""How long "events may be missing since …" stays up once events flow again."""


class LoginState(StrEnum):
    STARTING = "starting"
    CONNECTING = "connecting"
    CONNECTED = "connected"
    FAILED = "failed"
    LOGGED_OUT = "logged out"  # no session: the login screen is where to go


class EventsState(StrEnum):
    OFF = "off"  # no relay to follow (``note`` says why)
    CONNECTING = "connecting"
    LIVE = "live"
    RECONNECTING = "reconnecting"  # ``attempt`` and ``error``
    GAP = "gap"  # some events may be missing since ``since``
    STOPPED = "stopped"  # the stream's worker ended; the palette restarts it


@dataclass(frozen=True, slots=True)
class EventsStatus:
    """The live-event stream as the header shows it."""

    state: EventsState = EventsState.OFF
    attempt: int = 0
    error: str = ""
    since: float | None = None  # GAP: when it was noticed (seconds since the epoch)
    note: str = ""  # OFF: why there is no stream

    @classmethod
    def from_stream(cls, state: StreamState) -> EventsStatus:
        from console.live.events import parse_iso
        from console.live.state import StreamPhase

        if state.state is StreamPhase.LIVE:
            return cls(EventsState.LIVE)
        if state.state is StreamPhase.RECONNECTING:
            return cls(EventsState.RECONNECTING, attempt=state.attempt, error=state.error or "")
        if state.state is StreamPhase.GAP:
            return cls(EventsState.GAP, since=parse_iso(state.at) or time.time())
        return cls(EventsState.CONNECTING)

    @property
    def label(self) -> str:
        """'live', 'reconnecting (attempt 2)', 'may be missing since 10:04:05 UTC', …"""
        match self.state:
            case EventsState.RECONNECTING:
                return f"reconnecting (attempt {self.attempt})"
            case EventsState.GAP:
                moment = time.gmtime(self.since if self.since is not None else 0)
                return f"may be missing since {time.strftime('%H:%M:%S', moment)} UTC"
            case _:
                return self.state.value

    @property
    def detail(self) -> str:
        """Why, when there is something to say (the home screen shows it)."""
        if self.state is EventsState.RECONNECTING:
            return self.error
        if self.state is EventsState.OFF:
            return self.note
        return ""

    def after_events(self, now: float) -> EventsStatus:
        """Events arrived: a gap shown long enough gives way to "live" again."""
        if self.state is EventsState.GAP and (
            self.since is None or now - self.since > GAP_LABEL_SECONDS
        ):
            return EventsStatus(EventsState.LIVE)
        return self


@dataclass(frozen=True, slots=True)
class ConnectionInfo:
    """The login and the event stream, as the header and the home screen show them."""

    state: LoginState = LoginState.STARTING
    target: str = ""
    subaccount: str = ""
    masked_key: str = ""
    detail: str = ""  # CONNECTING: what is under way; FAILED: why, readable
    server_url: str = ""
    events: EventsStatus = EventsStatus()
    demo: bool = False  # a sandbox, not 8x8: every header says so
    refused: str = ""  # FAILED: the field 8x8 refused ("key" or "subaccount")
    unreachable: bool = False  # FAILED: the service could not be reached (retry)

    @property
    def connected(self) -> bool:
        return self.state is LoginState.CONNECTED

    def with_events(self, events: EventsStatus) -> ConnectionInfo:
        """The same connection with a new stream status (only while connected)."""
        if not self.connected:
            return self
        return dataclasses.replace(self, events=events)


class HistoryState(StrEnum):
    OPENING = "opening"
    SAVED = "saved"
    NOT_SAVED = "not saved"  # could not be opened: this console runs without one
    NOT_SAVING = "not saving"  # open, but the last write failed (kept in memory, retried)


@dataclass(frozen=True, slots=True)
class HistoryStatus:
    state: HistoryState = HistoryState.OPENING
    folder: Path | None = None
    reason: str = ""

    @property
    def label(self) -> str:
        match self.state:
            case HistoryState.OPENING:
                return "opening…"
            case HistoryState.SAVED:
                return f"saved in {_tilde(self.folder)}" if self.folder else "saved"
            case _:
                return f"{self.state.value} — {self.reason}"


def _tilde(path: Path) -> str:
    """A path as the agent would type it: the home folder as ~."""
    try:
        return "~/" + str(Path(path).resolve().relative_to(Path.home().resolve()))
    except ValueError:
        return str(path)


@dataclass(frozen=True, slots=True)
class BalanceStatus:
    """The account's prepaid balance as last asked (every minute and after each send)."""

    amount: float | None = None
    currency: str | None = None
    problem: str | None = None  # why it is unknown (post-paid: 8x8's 403, or a failure)

    @property
    def label(self) -> str:
        if self.amount is not None:
            return f"{self.amount:,.2f} {self.currency or ''}".rstrip()
        if self.problem is not None:
            return f"unavailable ({self.problem})"
        return ""
