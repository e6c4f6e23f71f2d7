"""InboxScreen: the team's conversations with customers on WhatsApp, Viber and SMS.

The list (tabs Mine / Unassigned / All with their counts, filters by channel, status and
label, a search over the whole history), the open conversation's thread with live delivery
states, a reply box with canned responses (and the segment meter on SMS), and the actions,
each one key away: take, assign, unassign, resolve, reopen, snooze, label, private note,
next conversation with activity.

The screen builds on the core through the App: `app.core.inbox` for the state, the
`core_changed` Signal for every change, `app.team_act` for actions (through the relay, so
every console agrees), `app.replier` to reply. Disk and network work runs in workers.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Label, Static

from console.core.canned import variables
from console.core.context import SentLine, context_lines, same_customer
from console.core.drafts import REPLY
from console.core.inbox import (
    Conversation,
    Filters,
    Tab,
    channel_glyph,
    channel_word,
    mask_peer,
)
from console.core.model import Changes
from console.core.thread import Thread
from console.live.team import (
    REPLIED,
    TYPING,
    VIEWING,
)
from console.messages import ConversationShown
from console.paths import styles_path
from console.screens.inbox_actions import InboxActions
from console.screens.inbox_reply import InboxReplying
from console.screens.resume import SectionScreen
from console.screens.templates import header_words, offer_templates, reply_title
from console.ui.app_access import console_app
from console.ui.callbacks import subscribe
from console.ui.sections import SECTION_BY_MODE
from console.ui.statics import show as show_text
from console.ui.text import plain
from console.widgets.conversation_list import ConversationList
from console.widgets.key_bar import KeyBar
from console.widgets.reply_box import ReplyBox
from console.widgets.segment_meter import SegmentMeter
from console.widgets.session_bar import SessionBar
from console.widgets.text_input import QUERY_MAX, TextInput
from console.widgets.thread_view import ThreadView

if TYPE_CHECKING:
    from console.store import History
    from console.store import Message as StoredMessage

NARROW = 110  # columns: below this the list and the thread take turns
ROOMY = 140  # columns: from this the customer's panel stands beside the thread
THREAD_LIMIT = 200  # messages read when a conversation opens
VIEWING_EVERY = 30.0  # seconds between "viewing" posts while a conversation is open
LIST_DELAY = 0.05  # seconds from a change to the list shown again (changes come in bursts)
# While customers keep writing (LIST_BURST listings within LIST_WINDOW seconds), the list
# (its order, the tabs' counts) is shown again at most every LIST_EVERY seconds: each listing
# reads and sorts the whole inbox and redraws the rows that moved, 5-10 ms of the loop; at a
# floor's rate that was 20 times a second, faster than anyone reads. Out of a stream, an
# agent's action or a customer's message shows at once.
LIST_BURST = 8
LIST_WINDOW = 2.0  # > (LIST_BURST - 1) * LIST_EVERY: a stream stays throttled
LIST_EVERY = 0.25


# The actions' keys and footer labels; their palette names and help are the section's
# commands (console/ui/sections.py), so the palette, the footer and the README agree. The
# footer shows the actions on a conversation; search and filters are keys and commands too.
KEYS: tuple[tuple[str, str, str, bool], ...] = (
    ("take", "t", "Take", True),
    ("assign", "a", "Assign", True),
    ("unassign", "u", "Unassign", True),
    ("resolve", "r", "Resolve", True),
    ("reopen", "o", "Reopen", True),
    ("snooze", "s", "Snooze", True),
    ("label", "l", "Label", True),
    ("note", "p", "Note", True),
    ("next", "n", "Next", True),
    ("search", "slash", "Search", False),
    ("channel_filter", "c", "Channel", False),
    ("status_filter", "v", "Status", False),
    ("label_filter", "g", "Label filter", False),
    ("toggle_context", "i", "Customer", False),
    ("template", "ctrl+t", "Template", False),  # WhatsApp templates: screens/templates.py
)
HELP = {action: help_text for _, help_text, action in SECTION_BY_MODE["inbox"].commands}


class InboxScreen(InboxReplying, InboxActions, SectionScreen):
    """The shared inbox: the list and the open conversation here; the reply box and the
    actions, filters and search in their own parts (inbox_reply.py, inbox_actions.py)."""

    CSS_PATH = styles_path("inbox.tcss")
    BINDINGS = [
        *(
            Binding(key, action, label, id=f"inbox.{action}", tooltip=HELP[action] + ".", show=show)
            for action, key, label, show in KEYS
        ),
        *(
            Binding(
                str(number),
                f"tab('{tab.value}')",
                tab.title,
                id=f"inbox.tab_{tab.value}",
                show=False,
                tooltip=f"Show the {tab.title} tab.",
            )
            for number, tab in enumerate(Tab, 1)
        ),
        Binding(
            "escape",
            "back",
            "Back",
            id="inbox.back",
            show=False,
            tooltip="From the reply to the thread, from the thread to the list.",
        ),
        Binding(
            "ctrl+j,alt+enter",
            "send",
            "Send",
            id="inbox.send",
            priority=True,
            tooltip="Send the reply on the conversation's channel.",
        ),
    ]

    app = console_app()

    @dataclass
    class ThreadLoaded(Message):
        conversation_id: str
        messages: list[StoredMessage]
        first: bool = True  # the days in memory (then, maybe, the older days)

    @dataclass
    class ContextFound(Message):
        """What the history says was last sent to the opened conversation's customer."""

        conversation_id: str
        sent: list[SentLine]

    def __init__(self) -> None:
        super().__init__()
        self.filters = Filters(tab=Tab.ALL)
        self.opened: str | None = None
        self.thread: Thread | None = None
        self.listing: list[Conversation] = []
        self.found: frozenset[str] = frozenset()
        self.found_for = ""
        self._list_due = False
        self._listed: deque[float] = deque(maxlen=LIST_BURST)  # when (monotonic) last shown
        # What the tab line and the filter line show: while customers' messages stream in,
        # the list refreshes many times a second; a line is repainted only when it changed.
        self._shown_tabs = ""
        self._shown_filters = ""
        self._thread_due = False
        self._typing_at = 0.0
        self._viewing_at = 0.0
        self._last_tick = 0.0
        self._restoring = True  # reopen the conversation a dropped session left open

    # -- layout ------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield SessionBar("Inbox")
        yield Static(id="tabs")
        with Horizontal(id="search-row"):
            yield Label("Search", classes="field-label")
            yield TextInput(
                placeholder="name, number, label, any message",
                id="search",
                compact=True,
                max_length=QUERY_MAX,
                what="The search",
            )
            yield Label("", id="search-status", markup=False)
            yield Static(id="filters", markup=False)
        yield Static("", id="team-note", markup=False)
        with Horizontal(id="inbox-body"):
            yield ConversationList(id="conversations", empty="No conversations here.")
            with Vertical(id="thread-pane"):
                yield Static("", id="thread-header", markup=False)
                yield ThreadView(id="thread")
                yield Static("", id="presence", markup=False)
                yield ReplyBox(id="reply")
                yield Static("", id="reply-hint", markup=False)
                yield SegmentMeter(id="meter")
            yield Static("", id="context", markup=False)
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#reply", ReplyBox).border_title = "Reply"
        self.conversations.late_after = self.app.settings.reply_within
        subscribe(self.app.core_changed, self, self._core_changed)
        self.app.history_ready.subscribe(self, self._history_ready)
        self.app.canned_store.changed.subscribe(self, self._canned_changed)
        self.app.drafts_restored.subscribe(self, lambda _: self._restore_opened())
        self.watch(self.app, "connection", lambda _: self._show_team_note(), init=False)
        self._last_tick = self.app.clock()
        self.set_interval(1.0, self._tick)
        self._layout(self.size.width)
        self._refresh_list()
        self._show_thread_pane()
        self._show_team_note()
        self.query_one("#conversations", ConversationList).focus()
        self._restore_opened()

    def on_resize(self, event: events.Resize) -> None:
        self._layout(event.size.width)

    def _layout(self, width: int) -> None:
        self.set_class(width < NARROW, "-narrow")
        self.set_class(width >= ROOMY, "-roomy")  # room for the customer beside the thread

    def on_screen_resume(self) -> None:
        self._refresh_list()  # what came while hidden (it was only noted)
        if self._thread_due:
            self._show_thread()
        if self.opened is not None:
            self._mark_read(self.opened)

    # -- the list ----------------------------------------------------------------------

    @property
    def conversations(self) -> ConversationList:
        return self.query_one("#conversations", ConversationList)

    def _schedule_list(self) -> None:
        if not self._list_due:
            self._list_due = True
            if self.shown:  # hidden: listed again when the inbox comes back
                wait = LIST_DELAY
                listed, now = self._listed, time.monotonic()
                if len(listed) == LIST_BURST and now - listed[0] < LIST_WINDOW:  # a stream
                    wait = max(wait, listed[-1] + LIST_EVERY - now)
                self.set_timer(wait, self._refresh_list)

    def _refresh_list(self) -> None:
        self._list_due = False
        self._listed.append(time.monotonic())
        inbox = self.app.core.inbox
        now = self.app.clock()
        also = self.found if self.found_for == self.filters.query.strip() else ()
        self.listing = inbox.listing(self.filters, now, also=also)
        self.conversations.show(self.listing, now)
        counts = inbox.counts(self.filters, now)
        parts = []
        for tab in Tab:
            count = counts[tab]
            label = f"{tab.title} {count.conversations}"
            if count.unread:
                label += f" · {count.unread} unread"
            style = "reverse bold" if tab is self.filters.tab else "bold"
            parts.append(f"[@click=screen.tab('{tab.value}')][{style}] {label} [/][/]")
        tabs = "  ".join(parts)
        if tabs != self._shown_tabs:  # one line high: it repaints alone, no new layout
            self._shown_tabs = tabs
            self.query_one("#tabs", Static).update(tabs, layout=False)
        status = self.filters.status or "any status"
        channel = channel_word(self.filters.channel) if self.filters.channel else "all channels"
        label = f"#{self.filters.label}" if self.filters.label else "any label"
        filters = f"{status} · {channel} · {label}"
        if filters != self._shown_filters:
            self._shown_filters = filters
            self.query_one("#filters", Static).update(filters)

    def _tick(self) -> None:
        """Once a second: snoozes that ran out, presence that expired, ages."""
        now = self.app.clock()
        inbox = self.app.core.inbox
        woke = inbox.wakes(self._last_tick, now)
        if woke or int(now) // 30 != int(self._last_tick) // 30:
            self.conversations.tick(now)
            self._refresh_list()
        minute = int(now) // 60 != int(self._last_tick) // 60
        self._last_tick = now
        if self.opened is not None:
            if minute:
                self._show_header()  # WhatsApp's window: its time left
            self._show_presence()
            if self.app.team_wiring.poster is not None and now - self._viewing_at >= VIEWING_EVERY:
                self._post_presence(VIEWING, True)

    def _history_ready(self, _history: History) -> None:
        self._refresh_list()
        self._restore_opened()

    def _restore_opened(self) -> None:
        """Open the conversation the agent had open (this run, or before a dropped session),
        its reply draft in the box, once the inbox knows it."""
        wanted = self.app.drafts.conversation
        if not self._restoring or self.opened is not None or wanted is None:
            return
        if self.app.core.inbox.get(wanted) is None:
            return  # not known yet: the history or the relay may bring it
        self._restoring = False
        self.open_conversation(wanted)
        self.query_one("#reply", ReplyBox).focus()

    # -- live changes ------------------------------------------------------------------

    def _core_changed(self, changes: Changes) -> None:
        if changes.conversations or changes.inbound:
            self._schedule_list()
        thread = self.thread
        opened = self.opened
        if thread is None or opened is None:
            return
        deliveries = {}
        for team in changes.team:
            umid = team.action.umid
            if team.action.kind == REPLIED and umid:
                delivery = self.app.core.delivery(umid)
                if delivery is not None:
                    deliveries[umid] = delivery
        changed = thread.apply(changes, self.app.clock(), deliveries)
        if opened in changes.conversations:
            conversation = self.app.core.inbox.get(opened)
            if conversation is not None:
                changed |= thread.set_notes(conversation.notes)
            self._show_header()
            self._show_presence()
            if self.is_current and any(m.conversation_id == opened for m in changes.inbound):
                self._mark_read(opened)
        if changed:
            self._schedule_thread()

    def _schedule_thread(self) -> None:
        if not self._thread_due:
            self._thread_due = True
            if self.shown:  # hidden: shown when the inbox comes back
                self.set_timer(0.05, self._show_thread)

    # -- opening a conversation --------------------------------------------------------

    @on(ConversationList.Selected, "#conversations")
    def _selected(self, message: ConversationList.Selected) -> None:
        self.open_conversation(message.conversation_id)
        self.query_one("#thread", ThreadView).focus()

    def open_conversation(self, conversation_id: str) -> None:
        if self.opened is not None and self.opened != conversation_id:
            self._leave()
        conversation = self.app.core.inbox.get(conversation_id)
        if conversation is None:
            return
        self.opened = conversation_id
        self.thread = Thread(conversation_id)
        self.thread.set_notes(conversation.notes)
        self.conversations.set_opened(conversation_id)
        self.conversations.move_to(conversation_id)
        self._restoring = False
        self.post_message(ConversationShown(conversation_id))
        reply = self.query_one("#reply", ReplyBox)
        reply.clear()
        drafted = self.app.drafts.text(REPLY, conversation_id)
        if drafted:
            reply.load_text(drafted)
            reply.move_cursor(reply.document.end)
        reply.responses = self.app.canned_store.responses
        reply.values = variables(
            name=conversation.name,
            agent=self.app.core.inbox.me,
            channel=channel_word(conversation.channel),
            number=conversation.peer,
        )
        self.add_class("-reading")
        self._show_thread_pane()
        self._show_header()
        self._show_thread()
        self._show_presence()
        self._refresh_reply_hint()
        self._mark_read(conversation_id)
        if self.app.team_wiring.poster is not None:
            self._post_presence(VIEWING, True)
        self._show_context([])
        if self.app.history is not None:
            self.load_thread(conversation_id)
            self.load_context(conversation)

    @work(group="inbox-thread", exclusive=True, exit_on_error=False, description="Thread")
    async def load_thread(self, conversation_id: str) -> None:
        """Read the thread after every history update already handed over (so nothing the
        core published is missing), off the UI loop; then, if the days in memory hold less
        than a thread's worth, the older days from disk (in a thread)."""
        future = self.app.core.after_writes(
            lambda history: history.conversation_messages(conversation_id, THREAD_LIMIT)
        )
        try:
            messages = await asyncio.wrap_future(future)
        except LookupError:
            return
        self.post_message(self.ThreadLoaded(conversation_id, messages))
        history = self.app.history
        if history is None or len(messages) >= THREAD_LIMIT:
            return
        older = await asyncio.to_thread(
            history.find_messages, conversation_id=conversation_id, limit=THREAD_LIMIT
        )
        if len(older) > len(messages):
            self.post_message(self.ThreadLoaded(conversation_id, older, first=False))

    @work(group="inbox-context", exclusive=True, exit_on_error=False, thread=True)
    def load_context(self, conversation: Conversation) -> None:
        """The last messages sent to this customer on any channel, from the history (in a
        thread: it reads the parts kept in memory, and the rest of today from disk when they
        hold fewer)."""
        history = self.app.history
        if history is None:
            return
        ids = [
            c.conversation_id
            for c in list(self.app.core.inbox.conversations.values())
            if same_customer(conversation.peer, c.peer)
        ]
        midnight = self.app.clock() // 86_400 * 86_400
        sent: list[SentLine] = []
        for cid in ids:
            messages = history.conversation_messages(cid, 20)
            if len(messages) < 20:  # the history keeps only its newest parts in memory
                today = history.find_messages(conversation_id=cid, since=midnight, limit=20)
                if len(today) > len(messages):
                    messages = today[::-1]  # oldest first, as from memory
            sent += [
                SentLine(m.channel, m.text, m.status, m.created_at)
                for m in messages
                if m.direction == "out"
            ]
        self.post_message(self.ContextFound(conversation.conversation_id, sent))

    @on(ContextFound)
    def _context_found(self, message: ContextFound) -> None:
        if message.conversation_id == self.opened:
            self._show_context(message.sent)

    def _show_context(self, sent: list[SentLine]) -> None:
        """The customer beside the thread: other conversations, rooms, last sends."""
        panel = self.query_one("#context", Static)
        conversation = self.app.core.inbox.get(self.opened or "")
        if conversation is None:
            panel.update("")
            return
        core = self.app.core
        lines = context_lines(
            conversation, core.inbox.conversations.values(), core.rooms.newest(), sent,
            self.app.clock(),
        )  # fmt: skip
        panel.update("\n".join(lines))

    def action_template(self) -> None:
        offer_templates(self)

    def action_toggle_context(self) -> None:
        self.toggle_class("-no-context")

    @on(ThreadLoaded)
    def _thread_loaded(self, message: ThreadLoaded) -> None:
        if message.conversation_id != self.opened or self.thread is None:
            return
        self.thread.add_stored(message.messages)
        self._show_thread()
        if message.first:
            self._mark_read_remote(message.messages)

    def _mark_read(self, conversation_id: str) -> None:
        self.app.core.mark_read(conversation_id)

    def _mark_read_remote(self, messages: list[StoredMessage]) -> None:
        """Chat Apps marks the newest customer message read (WhatsApp's blue ticks)."""
        conversation = self.app.core.inbox.get(self.opened or "")
        inbound = [m for m in messages if m.direction == "in" and m.umid]
        latest = max(inbound, key=lambda m: m.created_at, default=None)
        if conversation is not None and latest is not None and latest.umid:
            self.mark_read_remote(conversation, latest.umid)

    @work(group="inbox-read", exclusive=True, exit_on_error=False, description="Mark read")
    async def mark_read_remote(self, conversation: Conversation, umid: str) -> None:
        from console.api.errors import ApiError

        replier = self.app.replier
        if replier is None:
            return
        try:
            await replier.mark_read(conversation, umid)
        except ApiError:
            return  # the customer's ticks stay grey; nothing the agent needs to act on

    def _leave(self) -> None:
        """The agent leaves the open conversation (presence ends)."""
        if self.app.team_wiring.poster is not None and self.opened is not None:
            if self._typing_at:
                self._post_presence(TYPING, False)
            self._post_presence(VIEWING, False)
        self._typing_at = 0.0
        self._viewing_at = 0.0

    def _show_thread_pane(self) -> None:
        opened = self.opened is not None
        self.set_class(opened, "-open")  # the customer's panel shows beside an open thread
        for selector in ("#presence", "#reply", "#reply-hint", "#thread-header"):
            self.query_one(selector).display = opened
        conversation = self.app.core.inbox.get(self.opened or "")
        self.query_one("#meter").display = (
            conversation is not None and conversation.channel == "sms"
        )
        if not opened:
            self.query_one("#thread-body", Static).update(
                plain("Open a conversation: ↑/↓ and Enter, or n for the next unread one.")
            )

    def _show_header(self) -> None:
        conversation = self.app.core.inbox.get(self.opened or "")
        if conversation is None:
            return
        now = self.app.clock()
        parts = [
            conversation.customer,
            f"{channel_glyph(conversation.channel)} {channel_word(conversation.channel)}",
            header_words(conversation, self.thread, now) or "",  # WhatsApp's window
            mask_peer(conversation.peer),
            f"@{conversation.assignee}" if conversation.assignee else "unassigned",
            conversation.status_at(now),
        ]
        if conversation.labels:
            parts.append(" ".join(f"#{label}" for label in conversation.labels))
        # shown again with each thread change (WhatsApp's window): updated only if it changed
        show_text(
            self.query_one("#thread-header", Static), plain(" · ".join(p for p in parts if p))
        )
        title = reply_title(conversation, self.thread, now)  # WhatsApp's window
        reply = self.query_one("#reply", ReplyBox)
        if str(reply.border_title) != title:  # it opened or closed: the hint says so too
            reply.border_title = plain(title)
            self._refresh_reply_hint()

    def _show_thread(self) -> None:
        self._thread_due = False
        conversation = self.app.core.inbox.get(self.opened or "")
        if self.thread is None or conversation is None:
            return
        self.query_one("#thread", ThreadView).show(
            self.thread.entries(), conversation.customer, self.app.core.inbox.me, self.app.clock()
        )
        self._show_header()  # WhatsApp's window may show in the thread (read; a receipt 61)

    def _show_presence(self) -> None:
        line = self.query_one("#presence", Static)
        if self.opened is None:
            show_text(line, "")
            return
        seen = self.app.core.inbox.presence(self.opened, self.app.clock())
        typing = [s.agent for s in seen if s.kind == TYPING]
        viewing = [s.agent for s in seen if s.kind == VIEWING]
        words = []
        if typing:
            words.append(f"{' and '.join(typing)} {'is' if len(typing) == 1 else 'are'} replying…")
        if viewing:
            words.append(f"{' and '.join(viewing)} {'is' if len(viewing) == 1 else 'are'} viewing")
        show_text(line, plain(" · ".join(words)))  # no new layout when it says the same
        line.set_class(bool(typing), "-typing")

    def _show_team_note(self) -> None:
        note = self.query_one("#team-note", Static)
        connected = self.app.connection.connected
        alone = connected and self.app.team_wiring.poster is None
        note.display = alone
        if alone:
            note.update(
                "Team features (assignment shared with colleagues, who is viewing or replying) "
                "need the relay: this inbox is yours alone. Start with --relay, or with "
                "--server on a shared sandbox."
            )

    def action_next(self) -> None:
        after = self.opened or self.conversations.cursor_id
        found = self.app.core.inbox.next_with_activity(self.listing, after)
        if found is None:
            self.notify("No other conversation has unread messages.")
            return
        self.open_conversation(found.conversation_id)
        self.query_one("#thread", ThreadView).focus()

    def action_back(self) -> None:
        focused = self.focused
        if isinstance(focused, ReplyBox):
            self.query_one("#thread", ThreadView).focus()
        elif isinstance(focused, TextInput):
            self.conversations.focus()
        elif self.opened is not None:
            self._leave()
            self.opened = None
            self.post_message(ConversationShown(None))
            self.thread = None
            self.remove_class("-reading")
            self.conversations.set_opened(None)
            self._show_thread_pane()
            self.conversations.focus()

    def on_key(self, event: events.Key) -> None:
        """Enter on the thread moves to the reply box (Esc comes back)."""
        if event.key == "enter" and isinstance(self.focused, ThreadView):
            self.query_one("#reply", ReplyBox).focus()
            event.stop()
