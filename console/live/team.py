"""Team events: what consoles post to the relay about shared conversations, and what the
relay fans back out. Pure: no I/O, no Textual; the relay and the console both use it.

A console posts one action as JSON to ``POST /team/events`` (the relay's events token as
``Authorization: Bearer <token>``)::

    {"type": "assigned", "conversationId": "whatsapp:+6591234567", "agent": "ana",
     "assignee": "ana"}

Kinds and their fields (every kind has ``conversationId`` and ``agent``, who acted):

- ``assigned``: ``assignee`` (an agent's name, or null: unassigned); with ``was`` (the
  assignee the poster saw, or null) it is a *take*: every console applies it only while the
  conversation is still assigned to ``was``, so of two agents taking one conversation at
  once the first in the relay's order has it and the other is told who did.
- ``status_changed``: ``status`` (open, pending, resolved, snoozed); ``snoozedUntil`` (seconds
  since the epoch, between 2000 and 2200) with ``snoozed`` and only then.
- ``labelled``: ``add`` and ``remove``, lists of labels (at least one label in all).
- ``note_added``: ``text``, a private note for the team (never sent to the customer).
- ``replied``: ``umid``, ``channel`` and ``text`` of a reply an agent sent, so every console's
  thread shows it (its receipts arrive as 8x8 webhooks like any other).
- ``viewing`` and ``typing``: presence; ``active`` (default true) false when it stops.
- ``online``: presence of the agent at a console, with no ``conversationId``; ``idle``
  (seconds since the agent's last key). Consoles post it every 30 s; the team's roster.

The first five are kept: the relay numbers them in the same sequence as 8x8's webhooks
(namespace ``Team``, ``eventType`` the kind, ``payload`` the body), persists them, and fans
them out, so every console applies them in the same order and a console that reconnects
catches up on them with ``since=``. Presence is not kept: the relay fans it out at once as a
``presence`` frame without a seq (:meth:`Presence.to_frame`),
and a console forgets it after ``ttl`` seconds.

The relay stamps ``agent`` from the poster's own token when it serves an agents file
(console/live/agents.py), bounds ``snoozedUntil`` against its clock (:func:`snooze_problem`)
and takes a team event about a conversation it has never seen only when it can start one
(:data:`FIRST_KINDS`, :func:`conversation_id_problem`).

The body is validated completely (:meth:`TeamAction.from_body`) before anything is stored
or sent: an unknown kind or field, a wrong type, an overlong value is a :class:`TeamError`
naming the field.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import replace as _replace
from typing import Any

from console.live.events import Event, FrameError
from console.live.names import agent_name_problem

TEAM_NAMESPACE = "Team"

ASSIGNED = "assigned"
STATUS_CHANGED = "status_changed"
LABELLED = "labelled"
NOTE_ADDED = "note_added"
REPLIED = "replied"
VIEWING = "viewing"
TYPING = "typing"
ONLINE = "online"

KEPT_KINDS = (ASSIGNED, STATUS_CHANGED, LABELLED, NOTE_ADDED, REPLIED)
PRESENCE_KINDS = (VIEWING, TYPING, ONLINE)
KINDS = KEPT_KINDS + PRESENCE_KINDS

OPEN = "open"
PENDING = "pending"
RESOLVED = "resolved"
SNOOZED = "snoozed"
STATUSES = (OPEN, PENDING, RESOLVED, SNOOZED)

#: How long a console keeps showing presence it has not heard again (seconds).
PRESENCE_TTL = {VIEWING: 45.0, TYPING: 8.0, ONLINE: 75.0}
MAX_IDLE = 30 * 86_400.0  # an idle time beyond this is not believed

MAX_CONVERSATION_ID = 300
MAX_LABEL = 32
MAX_LABELS = 20
MAX_NOTE = 4_000
MAX_REPLY = 35_000
MAX_UMID = 100
MAX_CHANNEL = 32

#: Times a team event may name at all (2000-01-01 to 2200-01-01, seconds since the epoch);
#: the relay bounds them further against its clock (:func:`snooze_problem`).
EARLIEST_TIME = 946_684_800.0
LATEST_TIME = 7_258_118_400.0
#: A snooze ends within this long from now (the relay's clock) ...
MAX_SNOOZE = 366 * 86_400.0
#: ... and not further in the past than this (clocks differ a little between machines).
SNOOZE_SKEW = 300.0

#: The channels a conversation can be on: 8x8's (lower case, as its webhooks name them),
#: and ``chatapps`` for a Chat Apps message that named none.
CHANNELS = frozenset(
    {"sms", "whatsapp", "viber", "rcs", "line", "zalo", "facebook", "instagram", "wechat"}
    | {"chatapps"}
)
#: A customer as a conversation id names them: a number (E.164, with or without +) or a
#: channel's user id (letters, digits and + / = _ . -).
_PEER = re.compile(r"[A-Za-z0-9+/=_.\-]{1,128}")
#: What can start a conversation the relay has not seen: an agent taking (or handing) it, or
#: writing to the customer first. Notes, labels and statuses need a conversation to exist.
FIRST_KINDS = frozenset({"assigned", "replied"})

_LABEL = re.compile(r"[a-z0-9][a-z0-9_\-]*")
_COMMON = ("type", "conversationId", "agent")
_FIELDS: dict[str, tuple[str, ...]] = {
    ASSIGNED: ("assignee", "was"),
    STATUS_CHANGED: ("status", "snoozedUntil"),
    LABELLED: ("add", "remove"),
    NOTE_ADDED: ("text",),
    REPLIED: ("umid", "channel", "text"),
    VIEWING: ("active",),
    TYPING: ("active",),
    ONLINE: ("active", "idle"),
}


class TeamError(FrameError):
    """A team event is not valid; the message names the field and why."""


def agent_name(value: object, field: str = "agent") -> str:
    """An agent's name as teams see it: trimmed, printable, 1–64 characters."""
    problem = agent_name_problem(value, field)
    if problem is not None:
        raise TeamError(problem)
    assert isinstance(value, str)
    return value.strip()


def label_name(value: object) -> str:
    """A label as the inbox keeps it: lower case, spaces as '-', letters, digits, - and _."""
    if not isinstance(value, str):
        raise TeamError("a label must be a string")
    label = "-".join(value.strip().lower().split())
    if not label:
        raise TeamError("a label must not be empty")
    if len(label) > MAX_LABEL:
        raise TeamError(f"label {label[:MAX_LABEL]!r}… is longer than {MAX_LABEL} characters")
    if not _LABEL.fullmatch(label):
        raise TeamError(f"label {label!r} may hold only letters, digits, '-' and '_'")
    return label


def _text(body: Mapping[str, Any], field: str, limit: int, *, lines: bool = False) -> str:
    value = body.get(field)
    if not isinstance(value, str) or not value.strip():
        raise TeamError(f"'{field}' must be a non-empty string")
    if len(value) > limit:
        raise TeamError(f"'{field}' is longer than {limit:,} characters")
    if not lines and not value.isprintable():
        raise TeamError(f"'{field}' must not contain control characters")
    return value


def _labels(body: Mapping[str, Any], field: str) -> tuple[str, ...]:
    value = body.get(field, [])
    if not isinstance(value, list):
        raise TeamError(f"'{field}' must be a list of labels")
    if len(value) > MAX_LABELS:
        raise TeamError(f"'{field}' holds more than {MAX_LABELS} labels")
    return tuple(dict.fromkeys(label_name(item) for item in value))


@dataclass(frozen=True, slots=True)
class TeamAction:
    """One thing an agent did (or is doing) in a conversation, as posted and fanned out."""

    kind: str
    conversation_id: str
    agent: str
    assignee: str | None = None
    status: str | None = None
    snoozed_until: float | None = None
    add: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()
    text: str | None = None
    umid: str | None = None
    channel: str | None = None
    active: bool = True
    was: str | None = None  # a take: the assignee the poster saw (``conditional``)
    conditional: bool = False
    idle: float = 0.0  # online: seconds since the agent's last key

    @property
    def kept(self) -> bool:
        """Numbered and persisted by the relay (presence is not)."""
        return self.kind in KEPT_KINDS

    @classmethod
    def from_body(cls, body: object) -> TeamAction:
        """Validate a decoded body completely; raises TeamError naming what is wrong."""
        if not isinstance(body, Mapping):
            raise TeamError("a team event must be a JSON object")
        kind = body.get("type")
        if not isinstance(kind, str) or kind not in _FIELDS:
            raise TeamError(f"'type' must be one of {', '.join(KINDS)}")
        allowed = set(_COMMON) | set(_FIELDS[kind])
        unknown = sorted(str(name) for name in body if name not in allowed)
        if unknown:
            raise TeamError(f"{kind} does not take {', '.join(map(repr, unknown))}")
        if kind == ONLINE:
            if body.get("conversationId") not in (None, ""):
                raise TeamError("'online' is about no conversation")
            conversation_id = ""
        else:
            conversation_id = _text(body, "conversationId", MAX_CONVERSATION_ID)
            if ":" not in conversation_id.strip(":"):
                raise TeamError("'conversationId' must be '<channel>:<customer>'")
        action = cls(kind, conversation_id, agent_name(body.get("agent")))
        if kind == ASSIGNED:
            if "assignee" not in body:
                raise TeamError("'assignee' is required (null unassigns)")
            assignee = body["assignee"]
            action = _replace(
                action, assignee=None if assignee is None else agent_name(assignee, "assignee")
            )
            if "was" in body:
                was = body["was"]
                was = None if was is None else agent_name(was, "was")
                action = _replace(action, was=was, conditional=True)
            return action
        if kind == STATUS_CHANGED:
            status = body.get("status")
            if status not in STATUSES:
                raise TeamError(f"'status' must be one of {', '.join(STATUSES)}")
            until = body.get("snoozedUntil")
            if status == SNOOZED:
                if (
                    isinstance(until, bool)
                    or not isinstance(until, int | float)
                    or not math.isfinite(until)
                    or not EARLIEST_TIME <= until <= LATEST_TIME
                ):
                    raise TeamError("'snoozedUntil' must be a time (seconds since the epoch)")
                return _replace(action, status=status, snoozed_until=round(float(until), 3))
            if until is not None:
                raise TeamError("'snoozedUntil' goes only with status 'snoozed'")
            return _replace(action, status=status)
        if kind == LABELLED:
            add, remove = _labels(body, "add"), _labels(body, "remove")
            if not add and not remove:
                raise TeamError("'add' or 'remove' must name at least one label")
            return _replace(action, add=add, remove=remove)
        if kind == NOTE_ADDED:
            return _replace(action, text=_text(body, "text", MAX_NOTE, lines=True))
        if kind == REPLIED:
            return _replace(
                action,
                umid=_text(body, "umid", MAX_UMID),
                channel=_text(body, "channel", MAX_CHANNEL).lower(),
                text=_text(body, "text", MAX_REPLY, lines=True),
            )
        active = body.get("active", True)
        if not isinstance(active, bool):
            raise TeamError("'active' must be true or false")
        if kind == ONLINE:
            idle = body.get("idle", 0)
            if (
                isinstance(idle, bool)
                or not isinstance(idle, int | float)
                or not math.isfinite(idle)
                or not 0 <= idle <= MAX_IDLE
            ):
                raise TeamError("'idle' must be seconds since the agent's last key")
            return _replace(action, active=active, idle=round(float(idle), 1))
        return _replace(action, active=active)

    def to_body(self) -> dict[str, Any]:
        """The JSON body (what a console posts; a kept event's payload)."""
        body: dict[str, Any] = {"type": self.kind}
        if self.kind != ONLINE:
            body["conversationId"] = self.conversation_id
        body["agent"] = self.agent
        if self.kind == ASSIGNED:
            body["assignee"] = self.assignee
            if self.conditional:
                body["was"] = self.was
        elif self.kind == STATUS_CHANGED:
            body["status"] = self.status
            if self.status == SNOOZED:
                body["snoozedUntil"] = self.snoozed_until
        elif self.kind == LABELLED:
            body["add"] = list(self.add)
            body["remove"] = list(self.remove)
        elif self.kind == NOTE_ADDED:
            body["text"] = self.text
        elif self.kind == REPLIED:
            body.update(umid=self.umid, channel=self.channel, text=self.text)
        else:
            body["active"] = self.active
            if self.kind == ONLINE:
                body["idle"] = self.idle
        return body


def conversation_id_problem(conversation_id: str) -> str | None:
    """Why ``conversation_id`` cannot be a new conversation's id, or None when it can:
    ``<channel>:<customer>`` with one of 8x8's channels and a number or user id."""
    channel, _, peer = conversation_id.partition(":")
    if channel not in CHANNELS:
        return f"'conversationId' must start with a channel ({', '.join(sorted(CHANNELS))})"
    if not _PEER.fullmatch(peer):
        return "'conversationId' must name the customer by number or channel user id"
    return None


def snooze_problem(action: TeamAction, now: float) -> str | None:
    """Why the relay refuses this action's snooze at ``now``, or None."""
    until = action.snoozed_until
    if until is None:
        return None
    if until < now - SNOOZE_SKEW:
        return "'snoozedUntil' is in the past"
    if until > now + MAX_SNOOZE:
        return "'snoozedUntil' must be within a year from now"
    return None


def conversation_of(event: Event) -> str | None:
    """The conversation a relay event is about: a customer's message (as the inbox files it,
    console/core/inbound.py) or a team event; None for anything else (receipts)."""
    return conversation_in(event.namespace, event.event_type, event.payload)


def conversation_in(namespace: object, event_type: object, payload: object) -> str | None:
    """:func:`conversation_of` for a frame's fields as decoded (unchecked) JSON."""
    if not isinstance(payload, dict):
        return None
    if namespace == TEAM_NAMESPACE:
        found = payload.get("conversationId")
        return found if isinstance(found, str) and found else None
    if event_type != "inbound_message_received" or not isinstance(namespace, str):
        return None
    if namespace.lower() == "sms":
        peer = payload.get("source")
        return f"sms:{peer}" if isinstance(peer, str) and peer else None
    user, recipient = payload.get("user"), payload.get("recipient")
    user = user if isinstance(user, dict) else {}
    recipient = recipient if isinstance(recipient, dict) else {}
    peer = user.get("msisdn") or user.get("channelUserId")
    if not isinstance(peer, str) or not peer:
        return None
    channel = recipient.get("channel")
    channel = channel if isinstance(channel, str) and channel else "chatapps"
    return f"{channel.lower()}:{peer}"


def team_action(event: Event) -> TeamAction | None:
    """The team action a relay event carries, or None (not a team event, or not valid)."""
    if event.namespace != TEAM_NAMESPACE:
        return None
    try:
        action = TeamAction.from_body(event.payload)
    except TeamError:
        return None
    if action.kind != event.event_type or not action.kept:
        return None
    return action


@dataclass(frozen=True, slots=True)
class Presence:
    """A colleague viewing or typing in a conversation, for ``ttl`` seconds from ``at``."""

    action: TeamAction
    at: str  # when the relay fanned it out (ISO 8601, UTC)
    ttl: float

    def to_frame(self) -> dict[str, Any]:
        """``{"type": "presence", "kind": "typing", "conversationId", "agent", "active",
        "at", "ttl"}``."""
        body = self.action.to_body()
        body["kind"] = body.pop("type")
        return {"type": "presence", **body, "at": self.at, "ttl": self.ttl}

    @classmethod
    def from_frame(cls, frame: Mapping[str, Any]) -> Presence:
        """Read a presence frame; raises TeamError when it is not one."""
        body = {key: value for key, value in frame.items() if key not in ("type", "at", "ttl")}
        body["type"] = body.pop("kind", None)
        action = TeamAction.from_body(body)
        if action.kept:
            raise TeamError("a presence frame must be viewing, typing or online")
        at, ttl = frame.get("at"), frame.get("ttl")
        if not isinstance(at, str):
            raise TeamError("'at' must be a time")
        if isinstance(ttl, bool) or not isinstance(ttl, int | float) or not 0 < ttl <= 600:
            raise TeamError("'ttl' must be a number of seconds")
        return cls(action, at, float(ttl))
