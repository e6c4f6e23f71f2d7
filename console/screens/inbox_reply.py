"""The inbox's reply box: canned responses, the segment meter on SMS, the limits of a reply
(console/core/inbox_rules.py), sending on the conversation's channel in a worker, and the
"typing" presence the team sees. A part of InboxScreen (console/screens/inbox.py)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual import on, work
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Static, TextArea

from console.core.canned import CannedResponses
from console.core.drafts import REPLY
from console.core.inbox import Conversation, Filters
from console.core.inbox_rules import (
    reply_problem,
)
from console.live.team import (
    REPLIED,
    TYPING,
    TeamAction,
)
from console.messages import TextDrafted
from console.screens.templates import reply_refusal
from console.sms import analyze
from console.ui.app_access import console_app
from console.ui.statics import show as show_text
from console.ui.text import clean, plain
from console.widgets.reply_box import ReplyBox
from console.widgets.segment_meter import SegmentMeter

if TYPE_CHECKING:
    from console.core.thread import Thread
    from console.widgets.conversation_list import ConversationList

TYPING_EVERY = 4.0  # seconds between "typing" posts while the agent types


def new_reference() -> str:
    return f"ac-{uuid.uuid4().hex[:12]}"


class InboxReplying(Screen[None]):
    """The reply box's side of the inbox."""

    app = console_app()

    if TYPE_CHECKING:  # what InboxScreen (console/screens/inbox.py) holds
        filters: Filters
        opened: str | None
        thread: Thread | None
        listing: list[Conversation]
        found: frozenset[str]
        found_for: str
        _typing_at: float
        _viewing_at: float

        @property
        def conversations(self) -> ConversationList: ...
        def _refresh_list(self) -> None: ...

    @dataclass
    class ReplySent(Message):
        conversation_id: str
        umid: str
        channel: str
        text: str

    @dataclass
    class ReplyNotSent(Message):
        conversation_id: str
        reason: str

    @on(TextArea.Changed, "#reply")
    def _reply_changed(self) -> None:
        self._refresh_reply_hint()
        text = self.query_one("#reply", ReplyBox).text
        if self.opened is not None:
            self.post_message(TextDrafted(REPLY, self.opened, text))
        if self.app.team_wiring.poster is None or self.opened is None:
            return
        now = self.app.clock()
        if text.strip() and now - self._typing_at >= TYPING_EVERY:
            self._post_presence(TYPING, True)
        elif not text.strip() and self._typing_at:
            self._post_presence(TYPING, False)

    def _post_presence(self, kind: str, active: bool) -> None:
        if self.opened is None:
            return
        now = self.app.clock()
        if kind == TYPING:
            self._typing_at = now if active else 0.0
        else:
            self._viewing_at = now if active else 0.0
        me = self.app.core.inbox.me
        self.app.team_act(TeamAction(kind, self.opened, me, active=active))

    def _refresh_reply_hint(self) -> None:
        reply = self.query_one("#reply", ReplyBox)
        hint = self.query_one("#reply-hint", Static)
        hint.remove_class("-error")
        # The same words at nearly every key: updated only when they change (a layout of
        # the inbox each time held the loop 30–70 ms a key).
        typed = reply.shortcode()
        if typed is not None:
            matches = reply.responses.matching(typed[1])
            if matches:
                shown = "   ".join(f"/{m.shortcode} {clean(m.text)[:40]}" for m in matches[:4])
                show_text(hint, plain(f"Tab: {shown}"))
            else:
                show_text(hint, plain(f"No canned response /{typed[1]}…"))
        conversation = self.app.core.inbox.get(self.opened or "")
        closed = conversation is not None and reply_refusal(
            conversation, self.thread, self.app.clock()
        )  # WhatsApp's window: only a template (ctrl+t)
        if typed is None and closed:
            show_text(hint, plain("WhatsApp window closed: ctrl+t sends a template · Esc back"))
        elif typed is None:
            show_text(hint, plain("ctrl+j send · /shortcode then Tab: canned response · Esc back"))
        if conversation is not None and conversation.channel == "sms":
            self.query_one("#meter", SegmentMeter).show(analyze(reply.text))

    @on(ReplyBox.CannedUsed, "#reply")
    def _canned_used(self, message: ReplyBox.CannedUsed) -> None:
        if message.unknown:
            names = ", ".join("{{" + name + "}}" for name in message.unknown)
            self._reply_problem(f"/{message.shortcode}: {names} could not be filled in")

    @on(ReplyBox.CannedNotFound, "#reply")
    def _canned_not_found(self, message: ReplyBox.CannedNotFound) -> None:
        if message.candidates:
            self._reply_problem(
                f"/{message.typed} could be " + ", ".join(f"/{c}" for c in message.candidates)
            )
        else:
            self._reply_problem(f"No canned response /{message.typed}")

    def _reply_problem(self, text: str) -> None:
        hint = self.query_one("#reply-hint", Static)
        hint.update(plain("✗ " + text))
        hint.add_class("-error")

    def action_send(self) -> None:
        conversation = self.app.core.inbox.get(self.opened or "")
        if conversation is None:
            self.notify("Open a conversation first.", severity="warning")
            return
        reply = self.query_one("#reply", ReplyBox)
        text = reply.text.strip()
        refusal = reply_refusal(conversation, self.thread, self.app.clock())
        if refusal is not None:  # WhatsApp's window closed: a template only (ctrl+t)
            self._reply_problem(refusal)
            return
        if not text:
            self._reply_problem("Write a reply first.")
            reply.focus()
            return
        problem = reply_problem(conversation.channel, text)
        if problem is not None:
            self._reply_problem(problem)
            return
        if self.app.replier is None:
            self._reply_problem("Not connected yet: nothing was sent.")
            return
        reply.read_only = True
        self.query_one("#reply-hint", Static).update(plain("Sending…"))
        self.send_reply(conversation, text, new_reference())

    @work(group="inbox-reply", exit_on_error=False, description="Sending the reply")
    async def send_reply(self, conversation: Conversation, text: str, reference: str) -> None:
        from console.core.replying import ReplyFailed

        replier = self.app.replier
        if replier is None:
            self.post_message(self.ReplyNotSent(conversation.conversation_id, "not connected"))
            return
        try:
            replied = await replier.reply(conversation, text, reference)
        except ReplyFailed as failure:
            self.post_message(self.ReplyNotSent(conversation.conversation_id, failure.reason))
            return
        self.post_message(
            self.ReplySent(conversation.conversation_id, replied.umid, replied.channel, text)
        )

    @on(ReplySent)
    def _reply_sent(self, message: ReplySent) -> None:
        reply = self.query_one("#reply", ReplyBox)
        reply.read_only = False
        self.post_message(TextDrafted(REPLY, message.conversation_id, ""))  # sent: forgotten
        if message.conversation_id == self.opened:
            reply.clear()
            self._refresh_reply_hint()
        if self.app.team_wiring.poster is not None:
            me = self.app.core.inbox.me
            self.app.team_act(
                TeamAction(
                    REPLIED,
                    message.conversation_id,
                    me,
                    umid=message.umid,
                    channel=message.channel,
                    text=message.text,
                )
            )
            if self._typing_at:
                self._post_presence(TYPING, False)

    @on(ReplyNotSent)
    def _reply_not_sent(self, message: ReplyNotSent) -> None:
        self.query_one("#reply", ReplyBox).read_only = False
        self._reply_problem(f"Not sent: {message.reason}")
        self.notify(message.reason, title="Reply not sent", severity="error")

    def _canned_changed(self, responses: CannedResponses) -> None:
        self.query_one("#reply", ReplyBox).responses = responses
