"""The inbox's actions on a conversation (take, assign, unassign, resolve, reopen, snooze,
label, private note), the canned responses' editor, and the list's tabs, filters and search
over the whole history. A part of InboxScreen (console/screens/inbox.py): each action is a
team action, through the relay so every console agrees."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Input, Label

from console.core.canned import DEFAULT_TOML, parse
from console.core.drafts import NOTE
from console.core.inbox import OPEN, RESOLVED, SNOOZED, Conversation, Filters, Tab
from console.core.inbox_rules import (
    CHANNEL_CYCLE,
    STATUS_CYCLE,
    label_changes,
    next_in_cycle,
    note_problem,
    refusal,
)
from console.core.snooze import snooze_choice, snooze_options
from console.live.team import (
    ASSIGNED,
    LABELLED,
    NOTE_ADDED,
    STATUS_CHANGED,
    TeamAction,
    agent_name,
)
from console.screens.ask_dialog import AskDialog
from console.screens.note_dialog import NoteDialog
from console.ui.app_access import console_app
from console.ui.text import plain
from console.widgets.text_input import TextInput

if TYPE_CHECKING:
    from console.widgets.conversation_list import ConversationList


class InboxActions(Screen[None]):
    """The actions, filters and search of the inbox."""

    app = console_app()

    if TYPE_CHECKING:  # what InboxScreen (console/screens/inbox.py) holds
        filters: Filters
        opened: str | None
        listing: list[Conversation]
        found: frozenset[str]
        found_for: str
        _typing_at: float
        _viewing_at: float

        @property
        def conversations(self) -> ConversationList: ...
        def _refresh_list(self) -> None: ...

    @dataclass
    class SearchFound(Message):
        query: str
        conversations: frozenset[str]
        done: bool

    @on(Input.Changed, "#search")
    def _search_changed(self, event: Input.Changed) -> None:
        query = event.value.strip()
        self.filters = replace(self.filters, query=query)
        self._refresh_list()
        status = self.query_one("#search-status", Label)
        if len(query) < 2 or self.app.history is None:
            self.workers.cancel_group(self, "inbox-search")
            self.found, self.found_for = frozenset(), ""
            status.update("")
            return
        status.update("searching every day…")
        self.search_history(query)

    @work(group="inbox-search", exclusive=True, thread=True, exit_on_error=False)
    def search_history(self, query: str) -> None:
        """Every day of the history, newest first, read from disk where it is not in memory;
        the conversations found so far are shown as they come."""
        from textual.worker import get_current_worker

        worker = get_current_worker()
        history = self.app.history
        if history is None:
            return
        found: set[str] = set()
        for chunk in history.scan_messages(text=query):
            if worker.is_cancelled:
                return
            before = len(found)
            found.update(m.conversation_id for m in chunk if m.conversation_id)
            if len(found) != before:
                self.post_message(self.SearchFound(query, frozenset(found), False))
        if not worker.is_cancelled:
            self.post_message(self.SearchFound(query, frozenset(found), True))

    @on(SearchFound)
    def _search_found(self, message: SearchFound) -> None:
        if message.query != self.filters.query.strip():
            return
        self.found, self.found_for = message.conversations, message.query
        self._refresh_list()
        if message.done:
            count = len(message.conversations)
            said = f"in the messages of {count} conversation{'s' if count != 1 else ''}"
            self.query_one("#search-status", Label).update(plain(said))

    def _target(self) -> Conversation | None:
        """The conversation an action applies to: the list's row when the list has the
        focus, else the open conversation; None (and a word to the agent) when there is
        none."""
        inbox = self.app.core.inbox
        if self.conversations.has_focus or self.opened is None:
            found = inbox.get(self.conversations.cursor_id or "")
        else:
            found = inbox.get(self.opened)
        if found is None:
            self.notify("No conversation selected.", severity="warning")
        return found

    def _act(self, kind: str, conversation: Conversation, **fields: Any) -> None:
        me = self.app.core.inbox.me
        self.app.team_act(TeamAction(kind, conversation.conversation_id, me, **fields))

    def _act_on_target(self, kind: str, **fields: Any) -> None:
        conversation = self._target()
        if conversation is not None:
            self._act(kind, conversation, **fields)

    def _ask_then_act(
        self,
        kind: str,
        dialog: Callable[[Conversation], AskDialog],
        fields: Callable[[str], dict[str, Any]],
    ) -> None:
        """Ask about the target conversation; act with the fields its answer gives."""
        conversation = self._target()
        if conversation is None:
            return

        def done(answer: str | None) -> None:
            if answer is not None:
                self._act(kind, conversation, **fields(answer))

        self.app.push_screen(dialog(conversation), done)

    def action_take(self) -> None:
        """Take it as it is seen now: if a colleague took it first, it stays theirs and the
        agent is told (``was``: every console applies the first take only)."""
        conversation = self._target()
        if conversation is not None:
            me = self.app.core.inbox.me
            self._act(
                ASSIGNED, conversation, assignee=me, was=conversation.assignee, conditional=True
            )

    def action_unassign(self) -> None:
        self._act_on_target(ASSIGNED, assignee=None)

    def action_resolve(self) -> None:
        self._act_on_target(STATUS_CHANGED, status=RESOLVED)

    def action_reopen(self) -> None:
        self._act_on_target(STATUS_CHANGED, status=OPEN)

    def action_assign(self) -> None:
        inbox = self.app.core.inbox
        roster = inbox.roster(self.app.clock())  # me, who is online, then the others
        choices = [(m.label(inbox.me, self.app.customer_of), m.agent) for m in roster]
        self._ask_then_act(
            ASSIGNED,
            lambda conversation: AskDialog(
                f"Assign {conversation.customer} to",
                choices=choices,
                placeholder="or type a colleague's name",
                hint="Enter picks; Esc cancels.",
                check=refusal(lambda name: agent_name(name, "name")),
            ),
            lambda name: {"assignee": agent_name(name)},
        )

    def action_snooze(self) -> None:
        options = snooze_options(self.app.clock())

        def until(answer: str) -> float:
            return snooze_choice(answer, options, self.app.clock())

        self._ask_then_act(
            STATUS_CHANGED,
            lambda conversation: AskDialog(
                f"Snooze {conversation.customer} until",
                choices=[(label, f"at:{moment}") for label, moment in options],
                placeholder="or type 45m, 2h, 1d or 17:30",
                hint="It comes back on its own, or when the customer writes.",
                check=refusal(until),
            ),
            lambda answer: {"status": SNOOZED, "snoozed_until": round(until(answer), 3)},
        )

    def action_label(self) -> None:
        known = " ".join(self.app.core.inbox.labels()) or "none yet"
        self._ask_then_act(
            LABELLED,
            lambda conversation: AskDialog(
                f"Labels of {conversation.customer} "
                f"(now: {' '.join(f'#{x}' for x in conversation.labels) or 'none'})",
                placeholder="vip billing  (-vip removes)",
                hint=f"In use: {known}",
                check=refusal(label_changes),
            ),
            lambda answer: dict(zip(("add", "remove"), label_changes(answer), strict=True)),
        )

    def action_note(self) -> None:
        self._ask_then_act(
            NOTE_ADDED,
            lambda conversation: NoteDialog(
                conversation.conversation_id,
                f"Private note on {conversation.customer}",
                value=self.app.drafts.text(NOTE, conversation.conversation_id),
                hint="Only the team sees it. ctrl+j saves, Esc cancels.",
                check=note_problem,
            ),
            lambda text: {"text": text.strip()},
        )

    def action_edit_canned(self) -> None:
        def save(text: str | None) -> None:
            if text is not None:
                self.app.canned_store.save(text)

        dialog = AskDialog(
            "Canned responses (canned.toml in the config folder)",
            multiline=True,
            value=self.app.canned_store.text or DEFAULT_TOML,
            hint='shortcode = "text" under [responses]. ctrl+j saves, Esc cancels.',
            check=refusal(parse),
        )
        self.app.push_screen(dialog, save)

    def action_tab(self, tab: str) -> None:
        self.filters = replace(self.filters, tab=Tab(tab))
        self._refresh_list()

    def action_search(self) -> None:
        self.query_one("#search", TextInput).focus()

    def action_channel_filter(self) -> None:
        channel = next_in_cycle(CHANNEL_CYCLE, self.filters.channel)
        self.filters = replace(self.filters, channel=channel)
        self._refresh_list()

    def action_status_filter(self) -> None:
        status = next_in_cycle(STATUS_CYCLE, self.filters.status)
        self.filters = replace(self.filters, status=status)
        self._refresh_list()

    def action_label_filter(self) -> None:
        labels: tuple[str | None, ...] = (None, *self.app.core.inbox.labels())
        self.filters = replace(self.filters, label=next_in_cycle(labels, self.filters.label))
        self._refresh_list()
