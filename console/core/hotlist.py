"""The hotlist: who is waiting, in one line ("3 new · Jane Tan 2 · +65…5432 1"), like
weechat's. Customers' messages are announced here instead of a toast while the agent types,
so nothing is drawn over the reply box; the line stays until the conversations are read.
And the recent notices, which the palette's "Notifications" lists. Pure."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the key bar draws this line on the first screen: the inbox loads later
    from console.core.inbox import Conversation

MAX_NOTICES = 50


def waiting(conversations: Iterable[Conversation], me: str) -> list[Conversation]:
    """Conversations with unread messages that are this agent's or nobody's, newest first."""
    found = [c for c in conversations if c.unread > 0 and (c.assignee is None or c.assignee == me)]
    found.sort(key=lambda c: c.last_activity, reverse=True)
    return found


def hotlist_line(conversations: Iterable[Conversation], me: str, width: int) -> str:
    """'N new · Name count · …' within `width` characters, whole entries only ('+K more'
    when some do not fit); '' when nobody is waiting."""
    found = waiting(conversations, me)
    if not found:
        return ""
    total = sum(c.unread for c in found)
    line = f"{total:,} new"
    for index, conversation in enumerate(found):
        entry = f" · {conversation.customer} {conversation.unread}"
        rest = len(found) - index - 1
        more = f" · +{rest} more" if rest else ""
        if len(line) + len(entry) + len(more) > width:
            return line + f" · +{len(found) - index} more"
        line += entry
    return line


@dataclass(frozen=True, slots=True)
class Notice:
    at: float
    title: str
    text: str


class Notices:
    """The console's recent notices (toasts and hotlist announcements), newest last."""

    def __init__(self, limit: int = MAX_NOTICES) -> None:
        self._kept: deque[Notice] = deque(maxlen=limit)

    def add(self, at: float, title: str, text: str) -> None:
        self._kept.append(Notice(at, title, text))

    def recent(self) -> list[Notice]:
        return list(reversed(self._kept))

    def __len__(self) -> int:
        return len(self._kept)
