"""8x8's webhook envelope, as the relay's routes accept it: ``{namespace, eventType,
description?, payload}``, checked strictly before an event is numbered.

Pure: no I/O, no Textual (split from console/live/events.py, which holds the frames and the
status state machine).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from console.live.events import FrameError

#: The webhooks 8x8 sends, by namespace: the event types it posts there (8x8's "Webhook
#: object structure"; API.md). A relay route accepts only its own namespace's.
WEBHOOK_EVENT_TYPES: dict[str, tuple[str, ...]] = {
    "SMS": ("inbound_message_received", "outbound_message_status_changed"),
    "ChatApps": ("inbound_message_received", "outbound_message_status_changed"),
}
MAX_ENVELOPE_NAME = 64  # namespace, eventType
MAX_DESCRIPTION = 1_000


def _envelope_text(body: Mapping[str, Any], field: str, limit: int) -> str:
    """A short envelope string: bounded, and no control character (C0, DEL, C1) nor other
    unprintable one (a line or paragraph separator), so nothing a terminal acts on."""
    value = body.get(field)
    if not isinstance(value, str) or not value.strip():
        raise FrameError(f"'{field}' must be a non-empty string")
    if len(value) > limit:
        raise FrameError(f"'{field}' is longer than {limit:,} characters")
    if not value.isprintable():
        raise FrameError(f"'{field}' must not contain control characters")
    return value


@dataclass(frozen=True)
class WebhookEnvelope:
    """An 8x8 webhook body: ``{namespace, eventType, description?, payload}``.

    The envelope is checked strictly (its strings bounded and printable, the namespace and
    event type ones 8x8 sends); the payload is 8x8's event as 8x8 sent it: the console shows
    what it holds as text, whatever it holds."""

    namespace: str
    event_type: str
    payload: dict[str, Any]

    @classmethod
    def from_body(cls, body: Any, namespaces: Sequence[str] | None = None) -> WebhookEnvelope:
        """Validate a decoded webhook body, for a route that takes ``namespaces`` (default:
        any of 8x8's); raises FrameError with the reason (never echoing a hostile value)."""
        if not isinstance(body, dict):
            raise FrameError("the webhook body must be a JSON object")
        allowed = tuple(WEBHOOK_EVENT_TYPES) if namespaces is None else tuple(namespaces)
        namespace = _envelope_text(body, "namespace", MAX_ENVELOPE_NAME)
        event_type = _envelope_text(body, "eventType", MAX_ENVELOPE_NAME)
        description = body.get("description")
        if description is not None:
            if not isinstance(description, str):
                raise FrameError("'description' must be a string")
            if description:
                _envelope_text(body, "description", MAX_DESCRIPTION)
        payload = body.get("payload")
        if not isinstance(payload, dict):
            raise FrameError("'payload' must be a JSON object")
        if namespace not in allowed:
            raise FrameError(f"'namespace' must be {' or '.join(map(repr, allowed))} here")
        types = WEBHOOK_EVENT_TYPES[namespace]
        if event_type not in types:
            raise FrameError(f"'eventType' must be {' or '.join(types)} for {namespace}")
        return cls(namespace=namespace, event_type=event_type, payload=payload)
