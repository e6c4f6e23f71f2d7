"""Video Interaction: tokens and rooms, the agent link, the guest page, call reports.

- A room is valid 15 minutes (scaled by speed) after creation.
- Opening the agent link ``/video/?user=<login>&token=<auth_token>`` marks the agent joined;
  for a room created with a phone number it also sends the SMS invite with the guest link,
  as a real SMS with its own receipts.
- Opening ``/video/guest/<code>`` marks the guest joined; an expired room answers 410.
- Call logs and details (``x-token`` header) follow the examples in 8x8's spec (it gives no
  schema) and add ``AgentJoinedAt`` / ``GuestJoinedAt``. ``Status`` is ``C`` while the room
  is open and ``E`` once it has expired (the sandbox's choice; 8x8 does not document it).
"""

from __future__ import annotations

import html
import secrets
import string
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from . import errors as E
from .common import query_id, read_json, require_object
from .errors import ApiError, bad_request, format_timestamp_ms, json_response
from .phones import PhoneError, parse_phone

if TYPE_CHECKING:
    from .world import World

ROOM_VALIDITY = 15 * 60.0
INVITE_SOURCE = "VideoCall"
PAGE_SIZE = 50
_ALPHABET = string.ascii_lowercase + string.digits


@dataclass(slots=True)
class Room:
    call_id: str
    code: str
    reference: str
    phone: str | None
    region: str | None
    token: str
    created_at: float  # wall clock
    expires_at: float  # wall clock, creation + 15 min / speed
    agent_user: str | None = None
    agent_joined_at: float | None = None
    guest_joined_at: float | None = None
    invite_umid: str | None = None

    def expired(self, now: float) -> bool:
        return now >= self.expires_at


class VideoRooms:
    def __init__(self, world: World) -> None:
        self.world = world
        self.tokens: dict[str, Room | None] = {}
        self.rooms: dict[str, Room] = {}  # by guest code
        self.calls: dict[str, Room] = {}  # by call id
        self._next_call = 5001

    @staticmethod
    def _code(length: int) -> str:
        return "".join(secrets.choice(_ALPHABET) for _ in range(length))

    def guest_link(self, base: str, room: Room) -> str:
        return f"{base}/video/guest/{room.code}"

    # -- API -------------------------------------------------------------------------------

    async def tokens_endpoint(self, request: Request) -> Response:
        body = require_object(await read_json(request, allow_empty=True))
        create_room = body.get("create_room", False)
        if not isinstance(create_room, bool):
            raise bad_request(E.INVALID_PARAMETER, "create_room must be true or false")
        phone_raw = body.get("phone_number")
        reference = body.get("call_reference")
        token = secrets.token_urlsafe(48)
        if not create_room:
            if phone_raw is not None or reference is not None:
                raise bad_request(
                    E.INVALID_PARAMETER,
                    "phone_number and call_reference need create_room: true",
                )
            self.tokens[token] = None
            return json_response({"auth_token": token})
        phone: str | None = None
        region: str | None = None
        if phone_raw is not None:
            if not isinstance(phone_raw, str) or not phone_raw.startswith("+"):
                raise bad_request(
                    E.INVALID_MSISDN, "phone_number must be an international number (+country…)"
                )
            try:
                parsed = parse_phone(phone_raw)
            except PhoneError as error:
                raise bad_request(E.INVALID_MSISDN, str(error)) from None
            phone, region = parsed.e164, parsed.region
        if reference is None:
            reference = self._code(10)
        elif not isinstance(reference, str) or not 8 <= len(reference) <= 20:
            raise bad_request(E.INVALID_PARAMETER, "call_reference must be 8 to 20 characters")
        now = self.world.clock.time()
        room = Room(
            call_id=str(self._next_call),
            code=self._code(12),
            reference=reference,
            phone=phone,
            region=region,
            token=token,
            created_at=now,
            expires_at=now + self.world.scaled(ROOM_VALIDITY),
        )
        self._next_call += 1
        self.tokens[token] = room
        self.rooms[room.code] = room
        self.calls[room.call_id] = room
        base = self.world.base_url or f"{request.url.scheme}://{request.headers.get('host', '')}"
        return json_response(
            {
                "call_reference": room.reference,
                "guest_link": self.guest_link(base, room),
                "auth_token": token,
            }
        )

    async def call_logs(self, request: Request) -> Response:
        params = request.query_params
        try:
            start = _date(params.get("from"))
            end = _date(params.get("to"))
        except ValueError:
            raise bad_request(E.INVALID_PARAMETER, "from and to must be yyyy-mm-dd dates") from None
        query = (params.get("q") or "").strip().lower()
        cursor = query_id(request, "cursor")
        rooms = sorted(self.calls.values(), key=lambda r: int(r.call_id), reverse=True)
        selected = []
        for room in rooms:
            day = datetime.fromtimestamp(room.created_at, UTC).date()
            if start is not None and day < start:
                continue
            if end is not None and day > end:
                continue
            if query and query not in room.reference.lower() and query not in (room.phone or ""):
                continue
            if cursor is not None and int(room.call_id) >= cursor:
                continue
            selected.append(room)
        page = selected[:PAGE_SIZE]
        return json_response(
            {
                "prevCursor": str(int(page[0].call_id) + 1) if page else None,
                "nextCursor": page[-1].call_id if len(selected) > PAGE_SIZE else None,
                "list": [self._log_entry(room) for room in page],
            }
        )

    async def call_detail(self, request: Request) -> Response:
        room = self.calls.get(request.path_params["call_id"])
        if room is None:
            raise ApiError(404, E.NOT_FOUND, "Call not found.")
        status, finished, duration = self._outcome(room)
        return json_response(
            {
                "CallId": room.call_id,
                "Reference": room.reference,
                "CreatedAt": format_timestamp_ms(room.created_at),
                "FinishedAt": finished,
                "Duration": duration,
                "Status": status,
                "AgentRating": None,
                "GuestRating": None,
                "Location": None,
                "Conversation": [],
                "AgentJoinedAt": _ms(room.agent_joined_at),
                "GuestJoinedAt": _ms(room.guest_joined_at),
            }
        )

    def _outcome(self, room: Room) -> tuple[str, str | None, int]:
        now = self.world.clock.time()
        ended = room.expired(now)
        end = room.expires_at if ended else now
        joined = [t for t in (room.agent_joined_at, room.guest_joined_at) if t is not None]
        duration = int(end - max(joined)) if len(joined) == 2 else 0
        return (
            ("E" if ended else "C"),
            (format_timestamp_ms(room.expires_at) if ended else None),
            max(0, duration),
        )

    def _log_entry(self, room: Room) -> dict[str, Any]:
        status, finished, duration = self._outcome(room)
        return {
            "CallId": room.call_id,
            "UserB_MSISDN": room.phone.lstrip("+") if room.phone else None,
            "CreatedAt": format_timestamp_ms(room.created_at),
            "FinishedAt": finished,
            "Duration": duration,
            "Status": status,
            "CountryISO2alpha": room.region,
            "Reference": room.reference,
            "Location": None,
            "AgentJoinedAt": _ms(room.agent_joined_at),
            "GuestJoinedAt": _ms(room.guest_joined_at),
        }

    # -- pages -----------------------------------------------------------------------------

    async def agent_page(self, request: Request) -> Response:
        user = request.query_params.get("user") or "agent"
        token = request.query_params["token"]  # checked by the route's VideoToken
        base = self.world.base_url or f"{request.url.scheme}://{request.headers.get('host', '')}"
        self.world.learn_base_url(request.url.scheme, request.headers.get("host"))
        room = self.tokens[token]
        if room is None:
            return _page(200, f"Signed in as {user}", "No room was created with this token.")
        if room.expired(self.world.clock.time()):
            return _page(410, "This room has expired", f"Room {room.reference} is closed.")
        self.agent_joins(room, user, base)
        link = self.guest_link(base, room)
        invited = (
            f"The invite was sent by SMS to {room.phone}." if room.phone else "Send the guest link."
        )
        return _page(
            200,
            f"{user} joined room {room.reference}",
            f"Guest link: <a href='{html.escape(link)}'>{html.escape(link)}</a>. "
            f"{html.escape(invited)}",
            escape=False,
        )

    def agent_joins(self, room: Room, user: str, base: str) -> None:
        if room.agent_joined_at is None:
            room.agent_joined_at = self.world.clock.time()
            room.agent_user = user
        if room.phone is not None and room.invite_umid is None:
            link = self.guest_link(base, room)
            text = f"Your video call with our support agent is ready. Join here: {link}"
            record = self.world.send_system_sms(room.phone, room.region, text, INVITE_SOURCE)
            room.invite_umid = record.umid
            if self.world.customers is not None:
                self.world.customers.on_video_invite(room.phone, room.code)

    async def guest_page(self, request: Request) -> Response:
        room = self.rooms.get(request.path_params["code"])
        if room is None:
            return _page(404, "Unknown link", "This video link does not exist.")
        if room.expired(self.world.clock.time()):
            return _page(
                410,
                "This video link has expired",
                "Video rooms are open for 15 minutes. Ask your agent for a new link.",
            )
        self.guest_joins(room)
        return _page(
            200,
            "You have joined the video call",
            f"Reference {room.reference}. Your agent can see that you are here.",
        )

    def guest_joins(self, room: Room) -> bool:
        now = self.world.clock.time()
        if room.expired(now):
            return False
        if room.guest_joined_at is None:
            room.guest_joined_at = now
        return True


def refused_page(error: ApiError) -> Response:
    """A page for a browser whose link was refused (a missing or unknown token)."""
    return _page(error.status, "This link cannot be opened", error.message)


def _ms(epoch: float | None) -> str | None:
    return None if epoch is None else format_timestamp_ms(epoch)


def _date(value: str | None) -> Any:
    if value is None or not value.strip():
        return None
    return datetime.strptime(value.strip(), "%Y-%m-%d").date()


def _page(status: int, title: str, text: str, *, escape: bool = True) -> HTMLResponse:
    body = html.escape(text) if escape else text
    return HTMLResponse(
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{html.escape(title)}</title>"
        "<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;"
        "padding:0 1rem;color:#222}h1{font-size:1.4rem}p{line-height:1.5}"
        "small{color:#777}</style></head><body>"
        f"<h1>{html.escape(title)}</h1><p>{body}</p>"
        "<p><small>agent-console sandbox · Video Interaction</small></p></body></html>",
        status_code=status,
    )
