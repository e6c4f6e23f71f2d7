"""App-wide messages, named as past-tense facts. Workers post them; the App handles them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from console.api.keystore import KeyringStatus
    from console.api.session import Session
    from console.core.canned import CannedResponses
    from console.core.drafts import ComposeDraft, Drafts
    from console.feed.rows import FeedStore
    from console.live.events import Event, GapNotice
    from console.live.state import StreamState
    from console.live.team import Presence, TeamAction
    from console.store import History
    from console.store.drafts import DraftFile
    from console.ui.state import BalanceStatus


@dataclass
class SessionStarted(Message):
    """The console is logged in and the API client is ready."""

    session: Session


@dataclass
class ConnectFailed(Message):
    """Logging in failed, or the embedded sandbox stopped; `reason` is readable by an agent.
    `refused` names the field 8x8 refused ("key", "subaccount"); `unreachable`: no answer."""

    reason: str
    refused: str = ""
    unreachable: bool = False


@dataclass
class ConfigNotSaved(Message):
    """A choice could not be written to config.toml; `reason` is readable."""

    reason: str


@dataclass
class KeyringChecked(Message):
    """Whether an OS keyring backend can keep the API key here."""

    status: KeyringStatus


@dataclass
class SavedKeyFound(Message):
    """The keyring's key for a sub-account and region (None: none saved)."""

    subaccount: str
    region: str
    key: str | None = field(repr=False)


@dataclass
class KeyringSaved(Message):
    """Saving the key in the keyring ended: `error` says why it did not, readably."""

    error: str | None = None


@dataclass
class LinkOpened(Message):
    """A link was handed to the local browser (`opened`), or could not be."""

    url: str = field(repr=False)
    what: str
    opened: bool


@dataclass
class EventsReceived(Message):
    """The relay delivered new events (one websocket message: in seq order, never empty)."""

    events: tuple[Event, ...]
    replayed: bool = False  # the catch-up after since=, not events happening now


@dataclass
class EventsMissed(Message):
    """The relay could not replay some events: they may be missing."""

    notice: GapNotice


@dataclass
class PresenceReceived(Message):
    """A colleague started or stopped viewing or typing in a conversation (never numbered)."""

    presence: Presence


@dataclass
class StreamStateChanged(Message):
    """The event stream is connecting, live, reconnecting or past a gap. Only the newest
    state matters: a burst of them still queued is shown once."""

    state: StreamState

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, StreamStateChanged)


@dataclass
class HistoryOpened(Message):
    """The history is open (with notices such as a corrupt file moved aside), and the feed's
    rows as it has them, built in the same thread (None if they could not be read)."""

    history: History
    feed_window: FeedStore | None = None


@dataclass
class HistoryWriteFailed(Message):
    """A flush to disk failed (disk full, permissions); posted from the writer thread."""

    reason: str


@dataclass
class HistoryNoticed(Message):
    """Something the agent should know about the history found after it opened (a damaged
    file moved aside when an older day was read); posted from any thread."""

    text: str


@dataclass
class HistoryUnavailable(Message):
    """The history could not be opened; the console runs without saving."""

    reason: str


@dataclass
class TeamActionFailed(Message):
    """The relay did not take a team action (assignment, note…); `reason` is readable."""

    action: TeamAction
    reason: str


@dataclass
class CannedLoaded(Message):
    """The canned responses were read (or saved, to `saved_to`)."""

    responses: CannedResponses
    text: str
    saved_to: str | None = None


@dataclass
class CannedFailed(Message):
    """The canned responses file could not be read or saved; `reason` is readable."""

    reason: str


@dataclass
class BalanceAsked(Message):
    """8x8 answered the balance question for `session` (or failed: `status.problem`)."""

    session: object
    status: BalanceStatus


@dataclass
class DraftsLoaded(Message):
    """The drafts the last run left (maybe none) were read; `notice` when the file was
    damaged and moved aside. `file` saves them from now on (None: it could not be read)."""

    drafts: Drafts
    file: DraftFile | None
    notice: str | None = None


@dataclass
class TextDrafted(Message):
    """A screen's reply or note for a conversation is now `text` ("" when sent, cleared or
    discarded). Screens post it; the App keeps it with the drafts."""

    kind: str  # console.core.drafts.REPLY or NOTE
    conversation_id: str
    text: str


@dataclass
class ComposeDrafted(Message):
    """The composer's fields are now `draft` (None: sent or cleared)."""

    draft: ComposeDraft | None


@dataclass
class ConversationShown(Message):
    """The Inbox opened a conversation (None: closed it)."""

    conversation_id: str | None
