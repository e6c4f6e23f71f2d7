"""The inbox's state, UI-free: conversations with their assignee, status, labels, notes and
unread count, the Mine / Unassigned / All tabs with their counts, filters, and who is viewing
or typing where. Pure: no I/O, no Textual; time comes from the caller.

Every console applies the same relay events (customers' messages, team events) in the relay's
order, so every console holds the same shared state. A conversation remembers the seq of the
last relay event applied to it (``seq``), and an event at or below it is a replay and changes
nothing: whatever point a console resumes from (its saved state, a reconnect that replays
what it already had), it ends in the same state. The relay's order is the truth: two agents
taking one conversation at once end with whoever's event the relay numbered last.

What is only this console's: the unread count (each agent reads for themself) and presence,
which expires on its own.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from console.core.inbound import InboundMessage
from console.live.team import (
    ASSIGNED,
    LABELLED,
    MAX_LABELS,
    NOTE_ADDED,
    ONLINE,
    OPEN,
    PENDING,
    PRESENCE_TTL,
    REPLIED,
    RESOLVED,
    SNOOZED,
    STATUS_CHANGED,
    STATUSES,
    TYPING,
    Presence,
    TeamAction,
)

MAX_NOTES = 200  # notes kept per conversation (the oldest go first)

CHANNEL_WORDS = {
    "whatsapp": "WhatsApp",
    "viber": "Viber",
    "sms": "SMS",
    "rcs": "RCS",
    "line": "LINE",
    "zalo": "Zalo",
    "facebook": "Messenger",
    "instagram": "Instagram",
    "wechat": "WeChat",
}
CHANNEL_GLYPHS = {"whatsapp": "◆", "viber": "◈", "sms": "✉"}
DEFAULT_GLYPH = "◇"


class Tab(StrEnum):
    MINE = "mine"
    UNASSIGNED = "unassigned"
    ALL = "all"

    @property
    def title(self) -> str:
        return {"mine": "Mine", "unassigned": "Unassigned", "all": "All"}[self.value]


def channel_word(channel: str) -> str:
    return CHANNEL_WORDS.get(channel, channel.capitalize() or "?")


def channel_glyph(channel: str) -> str:
    return CHANNEL_GLYPHS.get(channel, DEFAULT_GLYPH)


def mask_peer(peer: str) -> str:
    """A customer's number (or channel id) with its middle hidden: '+65••••4567'."""
    if len(peer) <= 6:
        return peer[:1] + "•" * max(0, len(peer) - 1)
    head = 3 if peer.startswith("+") else 2
    return peer[:head] + "•" * (len(peer) - head - 4) + peer[-4:]


def waiting_label(conversation: Conversation, now: float) -> str | None:
    """'⏳ 12m' while an open conversation's customer waits for a reply, else None."""
    if conversation.waiting_since is None or conversation.status_at(now) != OPEN:
        return None
    return f"⏳ {age_label(max(0.0, now - conversation.waiting_since))}"


def age_label(seconds: float) -> str:
    """How long ago, in one short word: 'now', '4m', '3h', '2d', '5w'."""
    if seconds < 60:
        return "now"
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{minutes}m"
    hours = minutes // 60
    if hours < 24:
        return f"{hours}h"
    days = hours // 24
    return f"{days}d" if days < 14 else f"{days // 7}w"


IDLE_AFTER = 300.0  # seconds without a key before an online colleague shows as idle


def split_conversation_id(conversation_id: str) -> tuple[str, str]:
    """'whatsapp:+6591234567' → ('whatsapp', '+6591234567')."""
    channel, _, peer = conversation_id.partition(":")
    return channel, peer


@dataclass(frozen=True, slots=True)
class Note:
    """A private note: for the team, never sent to the customer."""

    agent: str
    text: str
    at: float
    seq: int | None = None


@dataclass(frozen=True, slots=True)
class Conversation:
    """One conversation as the inbox shows it (a row, and the thread's header)."""

    conversation_id: str
    channel: str
    peer: str
    name: str | None = None
    last_activity: float = 0.0
    last_text: str | None = None
    last_direction: str | None = None
    unread: int = 0
    assignee: str | None = None
    status: str = OPEN
    snoozed_until: float | None = None
    labels: tuple[str, ...] = ()
    notes: tuple[Note, ...] = ()
    seq: int = 0  # the last relay event applied to it
    # Since when the customer has waited for a first or next reply (None: answered last).
    # Each console's own view, like unread (not compared, not shared): kept in memory, and
    # at start the last message's time when the customer wrote last.
    waiting_since: float | None = field(default=None, compare=False)
    # When the customer last wrote (WhatsApp's 24-hour window, core/wawindow.py) and to which
    # of the business's channels; this console's own view too (at start: known only when
    # the customer wrote last).
    last_inbound_at: float | None = field(default=None, compare=False)
    channel_id: str | None = field(default=None, compare=False)

    def status_at(self, now: float) -> str:
        """The status as of `now`: a snooze that has run out is open again."""
        if self.status == SNOOZED and (self.snoozed_until is None or now >= self.snoozed_until):
            return OPEN
        return self.status

    @property
    def customer(self) -> str:
        """The customer's name, or the number masked."""
        return self.name or mask_peer(self.peer)

    @property
    def first_line(self) -> str:
        text = (self.last_text or "").strip()
        return text.split("\n", 1)[0] if text else ""

    def shared(self) -> dict[str, Any]:
        """The team's part, as the history keeps it (None where unset)."""
        return {
            "assignee": self.assignee,
            "status": self.status,
            "snoozed_until": self.snoozed_until,
            "labels": list(self.labels),
            "notes": [
                {"agent": n.agent, "text": n.text, "at": n.at, "seq": n.seq} for n in self.notes
            ],
            "team_seq": self.seq,
        }

    def shared_since(self, before: Conversation | None) -> dict[str, Any]:
        """Only the team fields that differ from `before` (all of them for a new one): what
        the history needs to write after a change."""
        everything = before is None
        out: dict[str, Any] = {}
        if everything or before.assignee != self.assignee:
            out["assignee"] = self.assignee
        if everything or before.status != self.status:
            out["status"] = self.status
        if everything or before.snoozed_until != self.snoozed_until:
            out["snoozed_until"] = self.snoozed_until
        if everything or before.labels != self.labels:
            out["labels"] = list(self.labels)
        if everything or before.notes != self.notes:
            out["notes"] = self.shared()["notes"]
        if everything or before.seq != self.seq:
            out["team_seq"] = self.seq
        return out


class StoredConversation(Protocol):
    """What the inbox reads from the history (`console.store.Conversation` is one)."""

    conversation_id: str
    channel: str
    peer: str
    name: str | None
    last_activity: float
    unread: int
    last_text: str | None
    last_direction: str | None
    assignee: str | None
    status: str | None
    snoozed_until: float | None
    labels: tuple[str, ...]
    notes: tuple[dict[str, Any], ...]
    team_seq: int


def _notes(entries: Iterable[Any]) -> tuple[Note, ...]:
    notes: list[Note] = []
    for entry in entries:
        if isinstance(entry, Note):
            notes.append(entry)
        elif isinstance(entry, dict) and isinstance(entry.get("text"), str):
            seq = entry.get("seq")
            notes.append(
                Note(
                    str(entry.get("agent") or "?"),
                    entry["text"],
                    float(entry.get("at") or 0.0),
                    seq if isinstance(seq, int) else None,
                )
            )
    return tuple(notes[-MAX_NOTES:])


def from_stored(stored: StoredConversation) -> Conversation:
    status = stored.status if stored.status in STATUSES else OPEN
    return Conversation(
        conversation_id=stored.conversation_id,
        channel=stored.channel,
        peer=stored.peer,
        name=stored.name,
        last_activity=stored.last_activity,
        last_text=stored.last_text,
        last_direction=stored.last_direction,
        unread=stored.unread,
        assignee=stored.assignee,
        status=status,
        snoozed_until=stored.snoozed_until if status == SNOOZED else None,
        labels=tuple(stored.labels),
        notes=_notes(stored.notes),
        seq=stored.team_seq,
        waiting_since=stored.last_activity if stored.last_direction == "in" else None,
        last_inbound_at=stored.last_activity if stored.last_direction == "in" else None,
    )


# ----------------------------------------------------------------------------- applying


def lost_take(conversation: Conversation | None, action: TeamAction) -> bool:
    """A take (an assignment made on what its agent saw) of a conversation that has been
    assigned to someone else since: every console leaves it with its assignee."""
    if action.kind != ASSIGNED or not action.conditional:
        return False
    now = conversation.assignee if conversation is not None else None
    return now != action.was and now != action.assignee


def apply_action(
    conversation: Conversation, action: TeamAction, seq: int | None, at: float
) -> Conversation:
    """The conversation after a kept team action (pure). `seq` None: applied locally (no
    relay), which never moves the conversation's seq."""
    replace = dataclasses.replace
    kind = action.kind
    if kind == ASSIGNED:
        if lost_take(conversation, action):  # someone else's since: it stays theirs
            changed = conversation
        else:
            changed = replace(conversation, assignee=action.assignee)
    elif kind == STATUS_CHANGED:
        assert action.status is not None
        until = action.snoozed_until if action.status == SNOOZED else None
        changed = replace(conversation, status=action.status, snoozed_until=until)
    elif kind == LABELLED:
        labels = [label for label in conversation.labels if label not in action.remove]
        labels += [label for label in action.add if label not in labels]
        changed = replace(conversation, labels=tuple(sorted(labels)[:MAX_LABELS]))
    elif kind == NOTE_ADDED:
        note = Note(action.agent, action.text or "", at, seq)
        changed = replace(conversation, notes=(*conversation.notes, note)[-MAX_NOTES:])
    elif kind == REPLIED:
        changed = replace(conversation, waiting_since=None)  # answered
        if at >= conversation.last_activity:
            changed = replace(
                changed, last_activity=at, last_text=action.text, last_direction="out"
            )
    else:
        return conversation
    return changed if seq is None else replace(changed, seq=seq)


def apply_inbound(
    conversation: Conversation, message: InboundMessage, seq: int | None, at: float
) -> Conversation:
    """A customer wrote: one more unread, the conversation's latest line, and a resolved or
    snoozed conversation is open again (the customer is waiting)."""
    waiting = conversation.waiting_since
    if waiting is None or conversation.last_direction != "in":
        waiting = at  # the customer starts waiting with their first unanswered message
    changes: dict[str, object] = {
        "unread": conversation.unread + 1,
        "name": message.name or conversation.name,
        "waiting_since": min(waiting, at),
        "last_inbound_at": max(at, conversation.last_inbound_at or at),
        "channel_id": message.channel_id or conversation.channel_id,
    }
    if conversation.status in (RESOLVED, SNOOZED):
        changes.update(status=OPEN, snoozed_until=None)
    if at >= conversation.last_activity:
        changes.update(last_activity=at, last_text=message.text, last_direction="in")
    if seq is not None:
        changes["seq"] = seq
    # One copy, not one per change: dataclasses.replace is ~7 µs (a burst of 1,000 customers'
    # messages made 3,000 of them on the UI loop).
    return dataclasses.replace(conversation, **changes)  # type: ignore[arg-type]


# ----------------------------------------------------------------------------- the inbox


@dataclass(frozen=True, slots=True)
class Filters:
    """What the list shows: a tab, and optionally one channel, status, label, and a query
    (name, number, labels or the last message, ignoring case). `status` None: every status."""

    tab: Tab = Tab.ALL
    channel: str | None = None
    status: str | None = OPEN
    label: str | None = None
    query: str = ""


@dataclass(frozen=True, slots=True)
class TabCount:
    conversations: int
    unread: int


@dataclass(frozen=True, slots=True)
class Seen:
    """A colleague in a conversation: viewing it, or typing a reply."""

    agent: str
    kind: str  # viewing | typing


@dataclass(frozen=True, slots=True)
class Member:
    """One agent of the team as the roster shows them."""

    agent: str
    online: bool
    idle: float | None = None  # seconds since their last key, when online
    viewing: str | None = None  # the conversation they have open, if any

    def label(self, me: str, customer_of: Any = None) -> str:
        """'ana (you)', 'bob · online · in Jane Tan', 'cleo · idle 12m', 'dave · offline'."""
        if self.agent == me:
            return f"{self.agent} (you)"
        if not self.online:
            return f"{self.agent} · offline"
        idle = self.idle or 0.0
        state = "online" if idle < IDLE_AFTER else f"idle {age_label(idle)}"
        if self.viewing is not None:
            where = customer_of(self.viewing) if customer_of is not None else self.viewing
            return f"{self.agent} · {state} · in {where}"
        return f"{self.agent} · {state}"


@dataclass
class Inbox:
    """Every conversation, applied events, and presence. `me` is this agent's name."""

    me: str
    conversations: dict[str, Conversation] = field(default_factory=dict)
    _presence: dict[str, dict[tuple[str, str], float]] = field(default_factory=dict)
    _online: dict[str, tuple[float, float]] = field(default_factory=dict)  # until, idle since

    def __len__(self) -> int:
        return len(self.conversations)

    def get(self, conversation_id: str) -> Conversation | None:
        return self.conversations.get(conversation_id)

    def load(self, stored: Iterable[StoredConversation]) -> None:
        """Take the history's conversations (what this console knew before)."""
        for record in stored:
            current = self.conversations.get(record.conversation_id)
            loaded = from_stored(record)
            if current is None or loaded.seq >= current.seq:
                self.conversations[record.conversation_id] = loaded

    def _conversation(self, conversation_id: str, at: float) -> Conversation:
        current = self.conversations.get(conversation_id)
        if current is None:
            channel, peer = split_conversation_id(conversation_id)
            current = Conversation(conversation_id, channel, peer, last_activity=at)
        return current

    def apply_action(self, action: TeamAction, seq: int | None, at: float) -> Conversation | None:
        """Apply a kept team action (seq None: locally, without a relay); returns the
        conversation when it changed, None for a replay."""
        current = self._conversation(action.conversation_id, at)
        if seq is not None and seq <= current.seq:
            return None
        changed = apply_action(current, action, seq, at)
        if changed == self.conversations.get(action.conversation_id):
            return None
        self.conversations[action.conversation_id] = changed
        if action.kind == REPLIED:
            self._forget(action.conversation_id, action.agent, TYPING)
        return changed

    def apply_inbound(
        self, message: InboundMessage, seq: int | None, at: float
    ) -> Conversation | None:
        """A customer's message (seq None: not from the relay); None for a replay."""
        current = self._conversation(message.conversation_id, at)
        if seq is not None and seq <= current.seq:
            return None
        changed = apply_inbound(current, message, seq, at)
        self.conversations[message.conversation_id] = changed
        return changed

    def record_reply(self, conversation_id: str, text: str, at: float) -> Conversation:
        """This console sent a reply (its team event, if any, follows through the relay)."""
        current = self._conversation(conversation_id, at)
        changed = dataclasses.replace(current, waiting_since=None)  # answered
        if at >= current.last_activity:
            changed = dataclasses.replace(
                changed, last_activity=at, last_text=text, last_direction="out"
            )
        self.conversations[conversation_id] = changed
        return changed

    def mark_read(self, conversation_id: str) -> Conversation | None:
        """This agent read the conversation; None when there was nothing unread."""
        current = self.conversations.get(conversation_id)
        if current is None or not current.unread:
            return None
        changed = dataclasses.replace(current, unread=0)
        self.conversations[conversation_id] = changed
        return changed

    def reset_seqs(self) -> None:
        """The relay's log restarted (its numbering begins again): forget every seq."""
        for key, conversation in self.conversations.items():
            if conversation.seq:
                self.conversations[key] = dataclasses.replace(conversation, seq=0)

    # -- presence ----------------------------------------------------------------------

    def apply_presence(self, presence: Presence, now: float) -> bool:
        """A colleague started or stopped viewing or typing; True when it changed anything
        this agent sees (their own presence is not shown to them)."""
        action = presence.action
        if action.kind == ONLINE:
            return self._apply_online(presence, now)
        if action.agent == self.me:
            return False
        key = (action.agent, action.kind)
        seen = self._presence.setdefault(action.conversation_id, {})
        if not action.active:
            return seen.pop(key, None) is not None
        known = key in seen and seen[key] > now
        seen[key] = now + min(presence.ttl, PRESENCE_TTL.get(action.kind, presence.ttl))
        if action.kind == "viewing":  # viewing one conversation means leaving the others
            for other, agents in self._presence.items():
                if other != action.conversation_id:
                    agents.pop(key, None)
        return not known

    def _apply_online(self, presence: Presence, now: float) -> bool:
        action = presence.action
        was_online = self._is_online(action.agent, now)
        if not action.active:
            self._online.pop(action.agent, None)
            return was_online
        ttl = min(presence.ttl, PRESENCE_TTL[ONLINE])
        self._online[action.agent] = (now + ttl, now - action.idle)
        return not was_online

    def _is_online(self, agent: str, now: float) -> bool:
        seen = self._online.get(agent)
        return seen is not None and seen[0] > now

    def roster(self, now: float) -> list[Member]:
        """The team: this agent first, then colleagues online (the least idle first, with
        the conversation they have open), then those seen before and offline, by name."""
        viewing: dict[str, str] = {}
        for conversation_id, seen in self._presence.items():
            for (agent, kind), until in seen.items():
                if kind == "viewing" and until > now:
                    viewing[agent] = conversation_id
        online = [
            Member(agent, True, max(now - idle_since, 0.0), viewing.get(agent))
            for agent, (until, idle_since) in self._online.items()
            if until > now and agent != self.me
        ]
        online.sort(key=lambda m: (m.idle or 0.0, m.agent.casefold()))
        here = {m.agent for m in online} | {self.me}
        offline = [Member(a, False) for a in self.agents() if a not in here]
        return [Member(self.me, True, 0.0), *online, *offline]

    def _forget(self, conversation_id: str, agent: str, kind: str) -> None:
        seen = self._presence.get(conversation_id)
        if seen is not None:
            seen.pop((agent, kind), None)

    def presence(self, conversation_id: str, now: float) -> list[Seen]:
        """Colleagues in the conversation now: typing first, then viewing, by name."""
        seen = self._presence.get(conversation_id)
        if not seen:
            return []
        for key in [key for key, until in seen.items() if until <= now]:
            del seen[key]
        typing = {agent for agent, kind in seen if kind == TYPING}
        out = [Seen(agent, TYPING) for agent in sorted(typing)]
        out += [
            Seen(agent, "viewing")
            for agent, kind in sorted(seen)
            if kind != TYPING and agent not in typing
        ]
        return out

    def next_presence_expiry(self, now: float) -> float | None:
        """When the next shown presence runs out (the screen refreshes then)."""
        times = [
            until for seen in self._presence.values() for until in seen.values() if until > now
        ]
        return min(times, default=None)

    # -- the list ----------------------------------------------------------------------

    def _in_tab(self, conversation: Conversation, tab: Tab) -> bool:
        if tab is Tab.MINE:
            return conversation.assignee == self.me
        if tab is Tab.UNASSIGNED:
            return conversation.assignee is None
        return True

    def _matches(self, conversation: Conversation, filters: Filters, now: float) -> bool:
        if filters.channel is not None and conversation.channel != filters.channel:
            return False
        if filters.status is not None and conversation.status_at(now) != filters.status:
            return False
        if filters.label is not None and filters.label not in conversation.labels:
            return False
        query = filters.query.strip().casefold()
        if query:
            haystack = " ".join(
                (
                    conversation.name or "",
                    conversation.peer,
                    conversation.last_text or "",
                    " ".join(conversation.labels),
                    conversation.assignee or "",
                )
            ).casefold()
            return query in haystack
        return True

    def listing(
        self, filters: Filters, now: float, *, also: Iterable[str] = ()
    ) -> list[Conversation]:
        """The conversations the list shows, most recent activity first. `also`: ids found
        by a search of the messages, shown whatever their last line says."""
        extra = set(also)
        query_free = dataclasses.replace(filters, query="") if extra else filters
        found = [
            conversation
            for conversation in self.conversations.values()
            if self._in_tab(conversation, filters.tab)
            and (
                self._matches(conversation, filters, now)
                or (
                    conversation.conversation_id in extra
                    and self._matches(conversation, query_free, now)
                )
            )
        ]
        found.sort(key=lambda c: (c.last_activity, c.conversation_id), reverse=True)
        return found

    def counts(self, filters: Filters, now: float) -> dict[Tab, TabCount]:
        """Per tab: conversations under the other filters, and their unread messages."""
        totals = {tab: [0, 0] for tab in Tab}
        unfiltered = dataclasses.replace(filters, query="")
        for conversation in self.conversations.values():
            if not self._matches(conversation, unfiltered, now):
                continue
            for tab in Tab:
                if self._in_tab(conversation, tab):
                    total = totals[tab]
                    total[0] += 1
                    total[1] += conversation.unread
        return {tab: TabCount(*total) for tab, total in totals.items()}

    def channel_id(self, channel: str) -> str | None:
        """The business's channel id customers last wrote to on `channel` (e.g. WhatsApp's,
        for its templates), or None when none is known."""
        known = [c for c in self.conversations.values() if c.channel == channel and c.channel_id]
        latest = max(known, key=lambda c: c.last_inbound_at or 0.0, default=None)
        return latest.channel_id if latest is not None else None

    def labels(self) -> list[str]:
        """Every label in use, sorted."""
        return sorted({label for c in self.conversations.values() for label in c.labels})

    def agents(self) -> list[str]:
        """Every agent this console has seen assigned, noting or present; this agent first."""
        names = {c.assignee for c in self.conversations.values() if c.assignee}
        names |= {note.agent for c in self.conversations.values() for note in c.notes}
        names |= {agent for seen in self._presence.values() for agent, _ in seen}
        names |= set(self._online)
        names.discard(self.me)
        return [self.me, *sorted(names, key=str.casefold)]

    def next_with_activity(
        self, listing: list[Conversation], after: str | None
    ) -> Conversation | None:
        """The next conversation in `listing` after `after` that has unread messages, going
        round to the top; None when none has."""
        if not listing:
            return None
        start = 0
        for index, conversation in enumerate(listing):
            if conversation.conversation_id == after:
                start = index + 1
                break
        for conversation in _round(listing, start):
            if conversation.unread and conversation.conversation_id != after:
                return conversation
        return None

    def wakes(self, before: float, now: float) -> list[Conversation]:
        """Snoozed conversations whose snooze ran out in (before, now]."""
        return [
            c
            for c in self.conversations.values()
            if c.status == SNOOZED
            and c.snoozed_until is not None
            and before < c.snoozed_until <= now
        ]


def _round(items: list[Conversation], start: int) -> Iterator[Conversation]:
    yield from items[start:]
    yield from items[:start]


__all__ = [
    "OPEN",
    "PENDING",
    "RESOLVED",
    "SNOOZED",
    "STATUSES",
    "Conversation",
    "Filters",
    "Inbox",
    "Note",
    "Seen",
    "Tab",
    "TabCount",
]
