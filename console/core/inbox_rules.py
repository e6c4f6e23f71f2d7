"""The inbox's rules for what the agent types, without Textual: how long a reply or a note
may be, how a label answer reads ("vip, billing -old"), how the list's filters cycle, and the
checks the inbox's dialogs run on an answer. The inbox screen asks these; unit-tested."""

from __future__ import annotations

from collections.abc import Callable

from console.core.inbox import OPEN, PENDING, RESOLVED, SNOOZED
from console.live.team import MAX_NOTE, MAX_REPLY, label_name
from console.sms import analyze

STATUS_CYCLE: tuple[str | None, ...] = (OPEN, PENDING, SNOOZED, RESOLVED, None)
CHANNEL_CYCLE: tuple[str | None, ...] = (None, "whatsapp", "viber", "sms")
MAX_SMS_SEGMENTS = 10


def reply_problem(channel: str, text: str) -> str | None:
    """Why a reply (stripped, not empty) cannot go out on `channel`, or None: an SMS of at
    most 10 segments; on the chat apps 8x8's limit, which is also what the team log keeps."""
    if channel == "sms":
        analysis = analyze(text)
        if analysis.too_long:
            return f"{analysis.segments} segments: an SMS has at most {MAX_SMS_SEGMENTS}."
        return None
    if len(text) > MAX_REPLY:
        return f"{len(text):,} characters: a reply holds at most {MAX_REPLY:,}."
    return None


def note_problem(text: str) -> str | None:
    """Why a note cannot be saved as typed, or None: the team log keeps notes of MAX_NOTE."""
    if not text.strip():
        return "Write the note first."
    if len(text.strip()) > MAX_NOTE:
        return f"{len(text.strip()):,} characters: a note holds at most {MAX_NOTE:,}."
    return None


def label_changes(answer: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """'vip, billing -old' → (('vip', 'billing'), ('old',)); TeamError for a bad label,
    ValueError when none is named."""
    add: list[str] = []
    remove: list[str] = []
    for word in answer.replace(",", " ").split():
        (remove if word.startswith("-") else add).append(label_name(word.lstrip("-+")))
    if not add and not remove:
        raise ValueError("Name at least one label.")
    return tuple(add), tuple(remove)


def refusal(read: Callable[[str], object]) -> Callable[[str], str | None]:
    """A dialog's check from a reader that raises ValueError (TeamError, CannedError…) with
    the reason."""

    def check(answer: str) -> str | None:
        try:
            read(answer)
        except ValueError as error:
            return str(error).replace("'name'", "The name")
        return None

    return check


def next_in_cycle(cycle: tuple[str | None, ...], current: str | None) -> str | None:
    """The filter after `current` (the first when `current` is not in the cycle)."""
    try:
        return cycle[(cycle.index(current) + 1) % len(cycle)]
    except ValueError:
        return cycle[0]
