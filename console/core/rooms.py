"""Video rooms as the console sees them: state from a clock, the SMS invite matched to its
room, what the call reports say, and the rules of the room form. Pure: no I/O, no Textual.

- A room is valid 15 minutes from its creation (8x8). Its state is ``waiting`` until the guest
  joins (``guest joined``), and ``expired`` once the 15 minutes are over, whatever happened.
- With a phone number, 8x8 texts the guest link when the agent opens the agent link. That SMS
  was not sent by this console, so nothing names it: its receipts are recognised by their
  destination (the room's phone), among SMS this console did not send, for the newest room to
  that number that has no invite yet and was created before the receipt. From then on the
  room follows that umid only, forward only (``console.live.events`` ranks).
- When the guest joined comes from the Video Interaction call reports (``CallSeen``).

:class:`RoomBook` holds the rooms (newest first) and applies all of that; the
:class:`~console.core.service.ConsoleCore` feeds it and keeps the history in step.
"""

from __future__ import annotations

import dataclasses
import math
import random
import string
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from console.core.delivery import status_label
from console.live.events import rank

ROOM_SECONDS = 15 * 60.0
REFERENCE_MIN = 8
REFERENCE_MAX = 20
INVITE_SLACK = 60.0  # clocks differ: a receipt up to a minute "before" the room still counts
INVITE_LATE = 60 * 60.0  # receipts for an invite keep coming after the room expired; a new
# invite match is only looked for up to an hour after the room's end


class RoomState(StrEnum):
    WAITING = "waiting"
    GUEST_JOINED = "guest joined"
    EXPIRED = "expired"


@dataclass(frozen=True, slots=True)
class Invite:
    """The SMS invite of a room, as its receipts tell it (no umid: none seen yet)."""

    umid: str | None = None
    state: str | None = None
    detail: str | None = None
    error_code: int | None = None
    error_message: str | None = None

    def moved_by(self, state: str, detail: str | None) -> bool:
        """Would this receipt move the invite forward?"""
        if self.state is None:
            return True
        return rank(state, detail) > rank(self.state, self.detail)


@dataclass(frozen=True, slots=True)
class RoomView:
    """One video room: what the API answered, and what the console learnt since."""

    call_reference: str
    guest_link: str
    phone: str | None
    created_at: float  # seconds since the epoch
    expires_at: float
    agent_link: str | None = field(default=None, repr=False, compare=False)  # this run only
    agent_joined_at: float | None = None
    guest_joined_at: float | None = None
    invite: Invite = Invite()
    call_id: str | None = None

    def state(self, now: float) -> RoomState:
        if now >= self.expires_at:
            return RoomState.EXPIRED
        if self.guest_joined_at is not None:
            return RoomState.GUEST_JOINED
        return RoomState.WAITING

    def remaining(self, now: float) -> float:
        """Seconds left before the room expires (never negative)."""
        return max(0.0, self.expires_at - now)

    def countdown(self, now: float) -> str:
        """'14:59 left', then 'expired'."""
        left = self.remaining(now)
        if left <= 0:
            return "expired"
        whole = math.ceil(left)  # 14:59.2 left shows 15:00 until a full second went by
        return f"{whole // 60:02d}:{whole % 60:02d} left"

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)

    def invite_label(self, now: float | None = None) -> str:
        """Whether the SMS invite was sent and delivered, in an agent's words (`now`: the room
        may have expired before anyone opened the agent link)."""
        if self.phone is None:
            return "none: no phone number (send the guest link yourself)"
        invite = self.invite
        if invite.state is None:
            if self.agent_joined_at is not None:
                return "◌ requested, no receipt yet"
            if now is not None and now >= self.expires_at:
                return "not sent: the agent link was not opened in time"
            return "sent by 8x8 when the agent link is opened"
        label = status_label(
            invite.state, error_code=invite.error_code, error_message=invite.error_message
        )
        return f"{label} · to {self.masked_phone}"


@dataclass(frozen=True, slots=True)
class CallSeen:
    """What a call report says about a room (by its reference)."""

    reference: str
    call_id: str | None = None
    agent_joined_at: float | None = None
    guest_joined_at: float | None = None


SECRET_PARAMETERS = frozenset({"token", "access_token", "key", "secret", "signature", "sig"})


def mask_link_secrets(link: str) -> str:
    """`link` as it may be shown: the values of its secret query parameters (the agent
    link's `token`) kept to their last 4 characters, so a screen, a screenshot or a shared
    screen never carries them whole. The link itself is opened and copied unmasked."""
    base, mark, query = link.partition("?")
    if not mark:
        return link
    fragment = ""
    if "#" in query:
        query, _, rest = query.partition("#")
        fragment = "#" + rest
    parts = []
    for part in query.split("&"):
        name, equals, value = part.partition("=")
        if equals and name.lower() in SECRET_PARAMETERS and value:
            value = "…" + value[-4:] if len(value) > 8 else "…"
        parts.append(f"{name}{equals}{value}")
    return f"{base}?{'&'.join(parts)}{fragment}"


def mask_phone(phone: str | None) -> str:
    """'+65••••4567': the first two digits and the last four of an international number."""
    if not phone:
        return "—"
    digits = "".join(char for char in phone if char.isdigit())
    if len(digits) <= 6:
        return "+" + "•" * len(digits)
    return f"+{digits[:2]}{'•' * (len(digits) - 6)}{digits[-4:]}"


def normalize_phone(value: object) -> str | None:
    """'+6591234567' from 8x8's '6591234567' or '+65 9123 4567'; None when not a number."""
    if not isinstance(value, str):
        return None
    digits = "".join(char for char in value if char.isdigit())
    return f"+{digits}" if digits else None


# -- the form -----------------------------------------------------------------------------

_SUGGESTION_ALPHABET = "".join(
    char for char in string.ascii_uppercase + string.digits if char not in "O0I1L"
)


def suggest_reference(rng: Callable[[], float] = random.random) -> str:
    """A call reference to offer: 'VC-' and 8 characters that read unambiguously aloud."""
    picks = (
        _SUGGESTION_ALPHABET[int(rng() * len(_SUGGESTION_ALPHABET)) % len(_SUGGESTION_ALPHABET)]
        for _ in range(8)
    )
    return "VC-" + "".join(picks)


def reference_problem(reference: str) -> str | None:
    """Why 8x8 would refuse this call reference (8–20 characters), or None."""
    length = len(reference)
    if length == 0:
        return None  # optional: 8x8 generates one
    if reference != reference.strip():
        return "No spaces at the start or end of the call reference."
    if not REFERENCE_MIN <= length <= REFERENCE_MAX:
        return (
            f"A call reference has {REFERENCE_MIN} to {REFERENCE_MAX} characters: "
            f"this one has {length}."
        )
    if not reference.isprintable():
        return "The call reference has characters that cannot be sent."
    return None


@dataclass(frozen=True, slots=True)
class PhoneCheck:
    """The room form's phone field: empty (fine), a number in E.164, or why not."""

    e164: str | None = None
    problem: str | None = None
    hint: str = ""


def check_room_phone(value: str, country: str = "") -> PhoneCheck:
    """The customer's phone: optional; international (or national with a country), checked
    with phonenumbers as the composer checks a destination."""
    from console.sms import check_destination

    raw = value.strip()
    if not raw:
        if country.strip():
            return PhoneCheck(hint="no phone: the country is not used")
        return PhoneCheck(hint="optional: +65…, or national with a country")
    check = check_destination(raw, country.strip() or None)
    if not check.ok or check.e164 is None:
        return PhoneCheck(problem=check.message, hint=check.message)
    return PhoneCheck(e164=check.e164, hint=f"✓ {check.message}")


@dataclass(frozen=True, slots=True)
class RoomDraft:
    """A room request that passed the form's checks."""

    phone: str | None = None
    reference: str | None = None


@dataclass(frozen=True, slots=True)
class RoomForm:
    """The verdict on the whole form: a draft, or a message per field (in form order)."""

    draft: RoomDraft | None
    problems: dict[str, str]


def check_room_form(phone: str, country: str, reference: str) -> RoomForm:
    """Check every field of the room form; `problems` keys: "phone", "country", "reference"."""
    problems: dict[str, str] = {}
    checked = check_room_phone(phone, country)
    if checked.problem is not None:
        field_id = "country" if checked.problem.startswith("Unknown country '") else "phone"
        problems[field_id] = checked.problem
    reference_issue = reference_problem(reference)
    if reference_issue is not None:
        problems["reference"] = reference_issue
    if problems:
        return RoomForm(None, problems)
    return RoomForm(RoomDraft(checked.e164, reference or None), {})


# -- filtering ----------------------------------------------------------------------------


def room_matches(room: RoomView, query: str, now: float) -> bool:
    """The history filter: words that all appear in the reference, the phone (digits, as
    typed with or without +), the state, or the guest link."""
    words = query.lower().split()
    if not words:
        return True
    haystack = " ".join(
        (
            room.call_reference.lower(),
            room.phone or "",
            room.state(now).value,
            room.guest_link.lower(),
        )
    )
    return all(word.lstrip("+") in haystack for word in words)


# -- the book -----------------------------------------------------------------------------


class RoomBook:
    """The rooms the console knows, by call reference (a reused reference: the newest room).

    Every method returns the rooms it changed (empty when nothing moved)."""

    def __init__(self, max_rooms: int = 500) -> None:
        self.max_rooms = max_rooms
        self._rooms: dict[str, RoomView] = {}
        self._by_invite: dict[str, str] = {}  # invite umid -> call reference

    def __len__(self) -> int:
        return len(self._rooms)

    def get(self, reference: str) -> RoomView | None:
        return self._rooms.get(reference)

    def newest(self, limit: int | None = None) -> list[RoomView]:
        rooms = sorted(self._rooms.values(), key=lambda room: room.created_at, reverse=True)
        return rooms if limit is None else rooms[:limit]

    def live(self, now: float) -> list[RoomView]:
        """Rooms still open whose guest has not joined yet (worth asking the reports about)."""
        return [room for room in self.newest() if room.state(now) is RoomState.WAITING]

    def add(self, room: RoomView) -> RoomView:
        """A room created now, or read back from the history (the newer wins a reference)."""
        known = self._rooms.get(room.call_reference)
        if known is not None and known.created_at > room.created_at:
            return known
        if known is not None and known.invite.umid:
            self._by_invite.pop(known.invite.umid, None)
        self._rooms[room.call_reference] = room
        if room.invite.umid:
            self._by_invite[room.invite.umid] = room.call_reference
        if len(self._rooms) > self.max_rooms:
            oldest = min(self._rooms.values(), key=lambda r: r.created_at)
            self._forget(oldest.call_reference)
        return room

    def _forget(self, reference: str) -> None:
        room = self._rooms.pop(reference)
        if room.invite.umid:
            self._by_invite.pop(room.invite.umid, None)

    def _replace(self, room: RoomView, **changes: object) -> RoomView:
        updated = dataclasses.replace(room, **changes)  # type: ignore[arg-type]
        self._rooms[room.call_reference] = updated
        return updated

    def invite_receipt(
        self,
        umid: str,
        destination: str | None,
        at: float,
        state: str,
        *,
        detail: str | None = None,
        error_code: int | None = None,
        error_message: str | None = None,
        ours: bool = False,
    ) -> RoomView | None:
        """Apply an SMS receipt if it is a room's invite; returns the room when it changed.

        `ours`: this console sent that SMS itself, so it is nobody's invite."""
        reference = self._by_invite.get(umid)
        room = self._rooms.get(reference) if reference is not None else None
        if room is None:
            if ours:
                return None
            room = self._invited_room(normalize_phone(destination), at)
            if room is None:
                return None
            self._by_invite[umid] = room.call_reference
        elif not room.invite.moved_by(state, detail):
            return None
        invite = Invite(umid, state, detail, error_code, error_message)
        return self._replace(room, invite=invite)

    def _invited_room(self, phone: str | None, at: float) -> RoomView | None:
        """The newest room waiting for its invite to `phone` at `at` (the first of `newest`
        that fits), found without sorting the rooms: asked for every SMS receipt another
        console or application sent, with up to `max_rooms` rooms read from the history."""
        if phone is None:
            return None
        found: RoomView | None = None
        for room in self._rooms.values():
            if (
                room.phone == phone
                and room.invite.umid is None
                and room.created_at - INVITE_SLACK <= at <= room.expires_at + INVITE_LATE
                and (found is None or room.created_at > found.created_at)
            ):
                found = room
        return found

    def disown(self, umids: Iterable[str]) -> list[RoomView]:
        """SMS this console sent itself were taken for invites (their receipt beat the send
        reply): give those rooms their invite back."""
        changed = []
        for umid in umids:
            reference = self._by_invite.pop(umid, None)
            room = self._rooms.get(reference) if reference is not None else None
            if room is not None:
                changed.append(self._replace(room, invite=Invite()))
        return changed

    def calls_seen(self, calls: Iterable[CallSeen]) -> list[RoomView]:
        """What the call reports say: who joined, when (earliest wins; never un-joined)."""
        changed: dict[str, RoomView] = {}
        for call in calls:
            room = changed.get(call.reference) or self._rooms.get(call.reference)
            if room is None:
                continue
            updates: dict[str, object] = {}
            if call.call_id and room.call_id != call.call_id:
                updates["call_id"] = call.call_id
            for name in ("agent_joined_at", "guest_joined_at"):
                seen = getattr(call, name)
                known = getattr(room, name)
                if seen is not None and (known is None or seen < known):
                    updates[name] = seen
            if updates:
                changed[call.reference] = self._replace(room, **updates)
        return list(changed.values())


@dataclass(frozen=True, slots=True)
class CallReport:
    """One call of a room as the Video Interaction reports tell it (times: epoch seconds)."""

    call_id: str
    reference: str
    created_at: float | None = None
    finished_at: float | None = None
    agent_joined_at: float | None = None
    guest_joined_at: float | None = None
    duration: int | None = None  # seconds both sides were in the call
    open: bool = True
    agent_rating: str | None = None
    guest_rating: str | None = None

    @property
    def seen(self) -> CallSeen:
        return CallSeen(self.reference, self.call_id, self.agent_joined_at, self.guest_joined_at)

    @property
    def duration_label(self) -> str:
        if self.duration is None:
            return "—"
        minutes, seconds = divmod(max(0, self.duration), 60)
        return f"{minutes} min {seconds:02d} s" if minutes else f"{seconds} s"
