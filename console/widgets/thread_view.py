"""ThreadView: one conversation's messages and notes, oldest first, following the newest while
the agent is at the bottom. It draws the entries it is given; customers' text is never markup
and never reaches the terminal as control characters (console.ui.text.clean)."""

from __future__ import annotations

import time
from collections.abc import Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from console.core.thread import Entry
from console.ui.text import clean

FOLLOW_WITHIN = 3  # lines from the bottom: still following new messages


def when(at: float, now: float) -> str:
    """'14:05' today, '27 Nov 14:05' before."""
    moment = time.localtime(at)
    if time.strftime("%Y%m%d", moment) == time.strftime("%Y%m%d", time.localtime(now)):
        return time.strftime("%H:%M", moment)
    return time.strftime("%d %b %H:%M", moment)


def thread_text(entries: Sequence[Entry], customer: str, me: str, now: float) -> Text:
    """The thread as one Text (pure: for tests and snapshots)."""
    text = Text(end="")
    if not entries:
        text.append("No messages in this conversation yet.", style="italic dim")
        return text
    for index, entry in enumerate(entries):
        if index:
            text.append("\n\n")
        stamp = when(entry.at, now)
        if entry.kind == "in":
            text.append(f"◀ {clean(customer)}", style="bold")
            text.append(f" · {stamp}", style="dim")
            text.append("\n" + clean(entry.text, newlines=True))
        elif entry.kind == "out":
            who = "you" if entry.agent in (None, me) else clean(entry.agent)
            text.append(f"▶ {who}", style="bold")
            text.append(f" · {stamp}", style="dim")
            if entry.delivery is not None:
                failed = entry.delivery.state in ("undelivered", "failed", "rejected")
                text.append(" · ")
                text.append(clean(entry.delivery.label), style="bold" if failed else "")
            text.append("\n" + clean(entry.text, newlines=True))
        else:
            text.append(f"✎ note by {clean(entry.agent or '?')}", style="bold italic")
            text.append(f" · {stamp} · only the team sees it", style="dim")
            text.append("\n" + clean(entry.text, newlines=True), style="italic")
    return text


class ThreadView(VerticalScroll, can_focus=True):
    """The open conversation's thread."""

    DEFAULT_CSS = """
    ThreadView {
        height: 1fr;
        padding: 0 1;
    }
    ThreadView > #thread-body {
        width: 1fr;
        height: auto;
    }
    """

    def compose(self) -> ComposeResult:
        yield Static(id="thread-body", markup=False)

    def show(self, entries: Sequence[Entry], customer: str, me: str, now: float) -> None:
        following = self.max_scroll_y - self.scroll_y <= FOLLOW_WITHIN
        self.query_one("#thread-body", Static).update(thread_text(entries, customer, me, now))
        if following:
            self.call_after_refresh(self.scroll_end, animate=False, immediate=True)
