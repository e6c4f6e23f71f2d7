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
    1: "unknown subscriber: the number does not exist",
    9: "illegal subscriber: the operator refused the number",
    11: "teleservice not provisioned: the number cannot receive SMS",
    13: "call barred: the subscriber blocks messages",
    15: "invalid destination number",
    21: "facility not supported by the network",
    27: "absent subscriber: phone off or out of coverage",
    31: "subscriber busy for SMS",
    34: "system failure at the operator",
    36: "expired: not delivered before the validity ran out",
    46: "subscriber not reachable",
    48: "operator rejected the message content",
    61: "network timeout",
    99: "rejected by 8x8 Omni Shield as likely fraud",
}


def explain_error(code: int | None, message: str | None = None) -> str:
    """'46 subscriber not reachable' — the code and its meaning (or 8x8's own message)."""
    if code is None:
        return message or ""
    meaning = ERROR_MEANINGS.get(code) or (message or "").strip() or "no description"
    return f"{code} {meaning}"


def status_label(
    state: str, *, error_code: int | None = None, error_message: str | None = None
) -> str:
    """e.g. '✓ delivered', '✗ undelivered · 46 subscriber not reachable'."""
    label = f"{GLYPHS.get(state, '?')} {state}"
    if error_code is not None or (error_message and state in {"undelivered", "rejected"}):
        label += f" · {explain_error(error_code, error_message)}"
    return label
