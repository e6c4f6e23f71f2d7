"""How a delivery status reads to an agent: a glyph and words, never colour alone (pure)."""

from __future__ import annotations

GLYPHS = {
    "queued": "◌",
    "sent": "→",
    "delivered": "✓",
    "read": "✓✓",
    "undelivered": "✗",
    "rejected": "⊘",
    "failed": "✗",
}

# 8x8 delivery error codes (SMS receipts). 8x8 sends errorMessage too; these add the
# meaning an agent can act on where the code is well known.
ERROR_MEANINGS = {
    1: "unknown subscriber",
    9: "illegal subscriber",
    11: "cannot receive SMS",
    13: "barred by the subscriber",
    15: "invalid destination",
    21: "not supported by network",
    27: "phone off or out of range",
    31: "subscriber busy",
    34: "operator system failure",
    36: "expired before delivery",
    46: "subscriber not reachable",
    47: "subscriber briefly away",
    48: "operator refused content",
    61: "network timeout",
    99: "Omni Shield: likely fraud",
}
# 8x8's Messaging Apps receipt codes where they mean something else than the SMS ones.
CHAT_ERROR_MEANINGS = {
    61: "WhatsApp window closed",  # 8x8: SessionExpired, 24 hours after the customer wrote
}


def explain_error(code: int | None, message: str | None = None, channel: str = "sms") -> str:
    """'46 subscriber not reachable' — the code and its meaning (or 8x8's own message); a
    chat channel's receipt codes read from Messaging Apps' table."""
    if code is None:
        return message or ""
    chat = CHAT_ERROR_MEANINGS.get(code) if channel not in ("sms", "") else None
    meaning = chat or ERROR_MEANINGS.get(code) or _as_meaning(message) or "no description"
    return f"{code} {meaning}"


def _as_meaning(message: str | None) -> str:
    """8x8's own message in the table's voice: 'Subscriber busy' reads 'subscriber busy';
    an acronym or a name keeps its capitals ('SMSC down', 'AbsentSubscriber')."""
    text = (message or "").strip()
    if len(text) > 1 and text[0].isupper() and text[1].islower() and " " in text:
        return text[0].lower() + text[1:]
    return text


def status_label(
    state: str,
    *,
    error_code: int | None = None,
    error_message: str | None = None,
    channel: str = "sms",
) -> str:
    """e.g. '✓ delivered', '✗ undelivered · 46 subscriber not reachable'."""
    label = f"{GLYPHS.get(state, '?')} {state}"
    if error_code is not None or (error_message and state in {"undelivered", "rejected"}):
        label += f" · {explain_error(error_code, error_message, channel)}"
    return label
