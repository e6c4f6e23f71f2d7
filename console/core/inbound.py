"""Customer messages arriving through the relay, as one shape for every channel (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from console.live.events import INBOUND_RECEIVED, Event


@dataclass(frozen=True)
class InboundMessage:
    """A customer wrote in: on which channel, who, what, and when (8x8's timestamp)."""

    umid: str
    channel: str  # sms | whatsapp | viber | …, lower-case as in 8x8's webhooks
    peer: str  # the customer's number or channel user id
    name: str | None
    text: str
    timestamp: str | None
    channel_id: str | None = None  # the business's channel it came to (Chat Apps' recipient)

    @property
    def conversation_id(self) -> str:
        return f"{self.channel}:{self.peer}"


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def parse_inbound(event: Event) -> InboundMessage | None:
    """The customer message in a relay event, or None when it is not one (or is malformed)."""
    if event.event_type != INBOUND_RECEIVED:
        return None
    payload = event.payload
    umid = _text(payload.get("umid"))
    if umid is None:
        return None
    if event.namespace.lower() == "sms":
        peer = _text(payload.get("source"))
        if peer is None:
            return None
        return InboundMessage(
            umid=umid,
            channel="sms",
            peer=peer,
            name=None,
            text=str(payload.get("body") or ""),
            timestamp=_text(payload.get("timestamp")),
        )
    user = payload.get("user") if isinstance(payload.get("user"), dict) else {}
    recipient = payload.get("recipient") if isinstance(payload.get("recipient"), dict) else {}
    content = payload.get("content") if isinstance(payload.get("content"), dict) else {}
    peer = _text(user.get("msisdn")) or _text(user.get("channelUserId"))
    if peer is None:
        return None
    text = _text(content.get("text")) or _text(content.get("url")) or f"[{payload.get('type')}]"
    return InboundMessage(
        umid=umid,
        channel=(_text(recipient.get("channel")) or "chatapps").lower(),
        peer=peer,
        name=_text(user.get("name")),
        text=text,
        timestamp=_text(payload.get("timestamp")),
        channel_id=_text(recipient.get("channelId")),
    )
