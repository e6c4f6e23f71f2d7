"""The notification policy, without Textual: what the console says when a customer writes,
a colleague assigns a conversation or a snooze runs out, and where it says it (a toast, or
only the hotlist line and the palette's "Notifications" while the agent is at work).

The console's announcer (console/controllers/announcer.py) asks these and shows the result.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:  # loaded with the core, after the first frame (the App imports this first)
    from console.core.inbox import Conversation, Inbox
    from console.core.model import Changes

TOAST_MIN_WIDTH = 100  # narrower, a customer's message is never a toast (the hotlist says it)
Severity = Literal["information", "warning", "error"]


@dataclass(frozen=True, slots=True)
class Notice:
    text: str
    title: str
    severity: Severity = "information"


def at_work(*, typing: bool, in_dialog: bool, mode: str, width: int) -> bool:
    """The agent is typing, in a dialog, in the inbox (whose list shows it) or on a narrow
    terminal: a customer's message goes to the hotlist line, not a toast."""
    return typing or in_dialog or mode == "inbox" or width < TOAST_MIN_WIDTH


def inbound_text(changes: Changes, inbox: Inbox) -> str | None:
    """One line for the customers' messages of `changes` (None when there are none)."""
    if not changes.inbound:
        return None
    count = len(changes.inbound)
    first = changes.inbound[-1]
    conversation = inbox.get(first.conversation_id)
    who = conversation.customer if conversation is not None else first.peer
    if count == 1:
        line = first.text.strip().split("\n", 1)[0]
        from console.core.inbox import channel_word

        return f"{who} on {channel_word(first.channel)}: {line[:120]}"
    customers = len({m.conversation_id for m in changes.inbound})
    return f"{count} new messages from {customers} customer(s)"


def customer_of(inbox: Inbox, conversation_id: str) -> str:
    """The customer of a conversation, for a notice (its id when it is not known here)."""
    conversation = inbox.get(conversation_id)
    return conversation.customer if conversation is not None else conversation_id


def team_notices(changes: Changes, inbox: Inbox) -> list[Notice]:
    """A colleague gave this agent a conversation, or took one first."""
    from console.live.team import ASSIGNED

    me = inbox.me
    found = []
    for change in changes.team:
        action = change.action
        if action.kind != ASSIGNED:
            continue
        who = customer_of(inbox, action.conversation_id)
        if change.lost_to is not None and action.agent == me:
            found.append(Notice(f"{change.lost_to} took {who} first.", "Not yours", "warning"))
        elif change.lost_to is None and action.assignee == me and action.agent != me:
            found.append(Notice(f"Assigned to you by {action.agent}: {who}.", "Assigned to you"))
    return found


def woken(inbox: Inbox, before: float, now: float) -> list[Conversation]:
    """The snoozes of this agent's (or of nobody's) that ran out between `before` and `now`."""
    me = inbox.me
    return [c for c in inbox.wakes(before, now) if c.assignee is None or c.assignee == me]


def snooze_notice(woke: list[Conversation]) -> Notice | None:
    if len(woke) == 1:
        return Notice(f"{woke[0].customer} is back in the inbox.", "Snooze over")
    if woke:
        return Notice(f"{len(woke)} snoozed conversations are back in the inbox.", "Snooze over")
    return None
