"""Replies from the inbox, on the conversation's own channel: Chat Apps for WhatsApp, Viber
and the other chat channels; the SMS API (through SmsSender, so a reply is an SMS like the
composer's) for SMS. UI-free; run it in a worker. Each answer is recorded in the core with
its conversation, so the thread shows it through ``core_changed``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from console.api.errors import ApiError
from console.api.models import ChatAccepted, ChatChannel, ChatMessage
from console.api.templates import Template
from console.core.inbox import CHANNEL_WORDS
from console.core.model import SentSms
from console.core.sending import SendFailed, SmsDraft, SmsSender
from console.core.templates import content, sent_text, values_problem
from console.core.tracker import Accepted

if TYPE_CHECKING:
    from console.core.inbox import Conversation
    from console.core.service import ConsoleCore

log = logging.getLogger(__name__)

#: The channel names Chat Apps takes in a `channels` list.
CHAT_CHANNELS = {"whatsapp": "WhatsApp", "viber": "Viber", "rcs": "RCS", "line": "Line"}
#: Channels whose inbound messages Chat Apps can mark read.
MARKS_READ = frozenset({"whatsapp"})


class ChatGateway(Protocol):
    """The part of the API client a chat reply needs (`CpaasClient` is one)."""

    async def send_chat(self, message: ChatMessage) -> ChatAccepted: ...

    async def list_templates(self, account_id: str, channel_id: str) -> list[Template]: ...

    async def mark_read(self, umid: str) -> None: ...


class ReplyFailed(Exception):
    """The reply was not sent; `reason` is readable."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Replied:
    """A reply the API took: its umid (the thread shows it through the core)."""

    umid: str
    channel: str
    text: str


class ReplySender:
    """Sends a conversation's replies and marks its messages read."""

    def __init__(
        self,
        chat: ChatGateway,
        sms: SmsSender,
        core: ConsoleCore,
        *,
        account_id: str | None = None,
        channel_ids: Mapping[str, str] | None = None,
    ) -> None:
        self.chat = chat
        self.sms = sms
        self.core = core
        self.account_id = account_id  # the account whose WhatsApp templates are listed
        self.channel_ids = dict(channel_ids or {})  # the session's, e.g. a sandbox's

    async def reply(self, conversation: Conversation, text: str, reference: str) -> Replied:
        """Send `text` to the conversation's customer on its channel. Raises ReplyFailed."""
        if conversation.channel == "sms":
            return await self._sms(conversation, text, reference)
        return await self._chat(conversation, text, self._message(conversation, reference, text))

    def _message(
        self, conversation: Conversation, reference: str, text: str | None, **fields: Any
    ) -> ChatMessage:
        channel = CHAT_CHANNELS.get(conversation.channel)
        if channel is None:
            word = CHANNEL_WORDS.get(conversation.channel, conversation.channel)
            raise ReplyFailed(f"replies on {word} are not supported by this console")
        peer = conversation.peer
        by_number = peer.startswith("+") or peer.isdigit()
        return ChatMessage(
            msisdn=(peer if peer.startswith("+") else f"+{peer}") if by_number else None,
            channel_user_id=None if by_number else peer,
            text=text,
            client_message_id=reference,
            channels=(ChatChannel(channel),),
            **fields,
        )

    async def templates(self, conversation: Conversation) -> list[Template]:
        """The WhatsApp templates of the channel the customer wrote to. Raises ReplyFailed
        (no account or channel known, or the API's error, readable)."""
        if conversation.channel != "whatsapp":
            raise ReplyFailed("templates are WhatsApp's; this conversation is not on WhatsApp")
        channel_id = (
            conversation.channel_id
            or self.core.inbox.channel_id("whatsapp")
            or self.channel_ids.get("whatsapp")
        )
        if self.account_id is None:
            raise ReplyFailed("the account id is not known (set account_id in config.toml)")
        if channel_id is None:
            raise ReplyFailed("the WhatsApp channel is not known yet: no customer has written")
        try:
            return await self.chat.list_templates(self.account_id, channel_id)
        except ApiError as error:
            raise ReplyFailed(error.readable) from error

    async def send_template(
        self, conversation: Conversation, template: Template, values: list[str], reference: str
    ) -> Replied:
        """Send an approved WhatsApp template with its values (checked first: nothing is
        sent when they do not fit). Raises ReplyFailed."""
        problem = values_problem(template, values)
        if problem is not None:
            raise ReplyFailed(problem)
        text = sent_text(template, values)
        message = self._message(
            conversation, reference, None, type="template", template=content(template, values)
        )
        return await self._chat(conversation, text, message)

    async def _chat(self, conversation: Conversation, text: str, message: ChatMessage) -> Replied:
        peer = conversation.peer
        try:
            answer = await self.chat.send_chat(message)
        except ApiError as error:
            raise ReplyFailed(error.readable) from error
        except Exception as error:
            log.exception("a chat reply failed unexpectedly")
            raise ReplyFailed(f"unexpected error: {type(error).__name__}: {error}") from error
        accepted = Accepted(
            umid=answer.umid,
            client_message_id=answer.client_message_id,
            channel=conversation.channel,
        )
        await self.core.record_sent_durably(
            [SentSms(peer, accepted)], text, conversation_id=conversation.conversation_id
        )
        return Replied(answer.umid, conversation.channel, text)

    async def _sms(self, conversation: Conversation, text: str, reference: str) -> Replied:
        draft = SmsDraft(
            (conversation.peer,), text, reference, conversation_id=conversation.conversation_id
        )
        answers: list[SentSms] = []
        try:
            async for progress in self.sms.send(draft):
                answers.extend(progress.sent)
        except SendFailed as failure:
            raise ReplyFailed(failure.reason) from failure
        if not answers:
            raise ReplyFailed("the SMS API did not answer for the message")
        accepted = answers[0].accepted
        if accepted.refused:
            raise ReplyFailed(accepted.reason or "the SMS was refused")
        return Replied(accepted.umid, "sms", text)

    async def mark_read(self, conversation: Conversation, umid: str) -> bool:
        """Tell the channel the customer's message was read (WhatsApp's blue ticks); False
        where the channel has no such thing. Raises ApiError."""
        if conversation.channel not in MARKS_READ:
            return False
        await self.chat.mark_read(umid)
        return True
