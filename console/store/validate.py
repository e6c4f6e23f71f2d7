"""Checks on both sides of the disk: what callers pass in, and what a file gives back.

Inputs are normalised (times to UTC epoch floats, text made UTF-8-safe) or refused with a
reason. Documents read from a file are checked for the fields the history relies on; one that
fails makes its file unusable as it is (it is moved aside, never silently emptied).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from console.store.records import Doc

Timestamp = float | int | str | datetime

LOGINS = "logins"
ROOMS = "rooms"
MESSAGES = "messages"
CONVERSATIONS = "conversations"
META = "meta"

KEY_TAIL_LENGTH = 6

# --- inputs ----------------------------------------------------------------------------------


def rounded(value: float) -> float:
    return round(value, 3)


def to_ts(value: Timestamp, name: str) -> float:
    """A timestamp as UTC epoch seconds (float, ms precision).

    Accepts epoch seconds, a `datetime` (naive is taken as UTC) or an ISO-8601 string such as
    8x8's `"2026-11-27T05:01:02.123Z"`.
    """
    kind = type(value)  # the usual kinds asked first, exactly (twice for every receipt)
    if kind is float or kind is int:
        seconds = float(value)  # type: ignore[arg-type]
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"{name} is not an ISO-8601 time: {value!r}") from None
        seconds = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()
    elif isinstance(value, bool):
        raise TypeError(f"{name} must be a time, not a bool")
    elif isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        seconds = moment.timestamp()
    else:
        raise TypeError(f"{name} must be a float, datetime or ISO-8601 string")
    if not math.isfinite(seconds):
        raise ValueError(f"{name} must be finite")
    return round(seconds, 3)


def to_text(value: object, name: str) -> str:
    """A str that UTF-8 can encode (lone surrogates are replaced, so a save can never fail)."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, not {type(value).__name__}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return value.encode("utf-8", "replace").decode("utf-8")
    return value


try:  # optional and about ten times faster: this runs for every receipt
    import orjson
except ImportError:  # pragma: no cover - depends on the environment

    def _dumps(value: Mapping[str, Any]) -> str:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)

else:

    def _dumps(value: Mapping[str, Any]) -> str:
        return orjson.dumps(value, default=str, option=orjson.OPT_NON_STR_KEYS).decode()


MAX_RAW = 16_384  # characters of a receipt's payload kept (8x8's are well under 2,000)


def to_raw(value: Mapping[str, Any]) -> str:
    """A webhook payload as compact JSON text (what was kept of a receipt as it arrived).
    Values JSON cannot hold are written as text; one over MAX_RAW is cut (and says so)."""
    if not isinstance(value, Mapping):
        raise TypeError(f"raw must be a mapping, not {type(value).__name__}")
    text = to_text(_dumps(value), "raw")
    return text if len(text) <= MAX_RAW else text[: MAX_RAW - 1] + "…"


def to_state(value: object) -> str:
    return to_text(value, "state").strip().lower()


def to_key_tail(value: str | None) -> str:
    """At most the API key's last 6 characters; anything longer is refused, never stored."""
    tail = value or ""
    if not isinstance(tail, str) or len(tail) > KEY_TAIL_LENGTH:
        raise ValueError(
            f"key_tail takes at most the last {KEY_TAIL_LENGTH} characters of the API key, "
            "never the key itself."
        )
    return to_text(tail, "key_tail")


def to_seq(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError("seq must be a non-negative int")
    return value


# --- documents read back -----------------------------------------------------------------------

NUMBER = frozenset({int, float})
STR = frozenset({str})
OPTIONAL_STR = frozenset({str, type(None)})
_SEQUENCE = frozenset({list, tuple})

Types = dict[str, frozenset[type]]


def has_types(doc: Doc, types: Types) -> bool:
    """Every named field is there (or may be absent: NoneType among its types) and typed so."""
    get = doc.get
    return all(type(get(name)) in allowed for name, allowed in types.items())


LOGIN_TYPES: Types = {"at": NUMBER, "subaccount": STR, "mode_label": STR, "key_tail": STR}
OPTIONAL_NUMBER = frozenset({int, float, type(None)})
ROOM_TYPES: Types = {
    "created_at": NUMBER,
    "expires_at": NUMBER,
    "call_reference": STR,
    "guest_link": STR,
    "phone_number": OPTIONAL_STR,
    "guest_joined_at": OPTIONAL_NUMBER,
    "agent_joined_at": OPTIONAL_NUMBER,
    "invite_umid": OPTIONAL_STR,
    "invite_status": OPTIONAL_STR,
}


def valid_login(doc: Doc) -> bool:
    return has_types(doc, LOGIN_TYPES)


def valid_room(doc: Doc) -> bool:
    return has_types(doc, ROOM_TYPES)


def valid_message(doc: Doc) -> bool:
    get = doc.get
    return (
        type(get("created_at")) in NUMBER
        and type(get("status")) is str
        and type(get("direction")) is str
        and type(get("channel")) is str
        and type(get("peer")) is str
        and type(get("text")) is str
        and type(get("umid")) in OPTIONAL_STR
        and type(get("client_message_id")) in OPTIONAL_STR
        and type(get("conversation_id")) in OPTIONAL_STR
        and type(get("timeline", ())) in _SEQUENCE
    )


def valid_meta(doc: Doc) -> bool:
    resume = doc.get("resume", {})
    return type(resume) is dict and all(
        type(k) is str and type(v) is int for k, v in resume.items()
    )


Validator = Callable[[Doc], bool]
