"""RoomService: video rooms through the Video Interaction API, for the Rooms screen and the
App's watch on open rooms. UI-free; run it inside a worker.

- :meth:`RoomService.create` creates a room (with the customer's phone and a call reference
  when given), converts 8x8's answer into the core's :class:`~console.core.rooms.RoomView`
  (its agent link included) and records it in the core, which keeps it in the history.
- :meth:`RoomService.calls` reads the call reports of one room (`GET /api/v1/call-logs`, then
  `GET /api/v1/calls/{id}` for the newest call) and tells the core what they say.
- :meth:`RoomService.refresh` asks the reports about every room still waiting for its guest.

The reports take an ``x-token``: a Video Interaction token of the account, made once per
session with `POST /api/v1/tokens` (an empty body creates no room). Like the SMS sender, this
is a core module that talks to the API: it converts the API's answers at this edge, so the
rest of the core never imports the API layer.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol

from console.api.errors import ApiError
from console.core.rooms import CallReport, RoomDraft, RoomView

if TYPE_CHECKING:
    from datetime import date

    from console.api.models import AgentToken, CallLog, CallLogPage, Room
    from console.core.model import Changes
    from console.core.service import ConsoleCore

log = logging.getLogger(__name__)


class VideoGateway(Protocol):
    """The part of the API client rooms need (`CpaasClient` is one)."""

    async def create_room(
        self, phone_number: str | None = None, call_reference: str | None = None
    ) -> Room: ...

    async def create_agent_token(self) -> AgentToken: ...

    async def call_logs(
        self,
        x_token: str,
        *,
        query: str | None = None,
        since: date | None = None,
        until: date | None = None,
        cursor: str | None = None,
    ) -> CallLogPage: ...

    async def call_detail(self, x_token: str, call_id: str) -> CallLog: ...


class RoomFailed(Exception):
    """A rooms request failed; `reason` is readable (8x8's answer, or what went wrong)."""

    def __init__(self, reason: str, *, field: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.field = field  # the form field 8x8 refused, when it says which


def _epoch(moment: datetime | None) -> float | None:
    return None if moment is None else moment.timestamp()


def report_from_api(call: CallLog, reference: str, now: float) -> CallReport:
    """A call report in the core's terms. 8x8's own reports say when a call finished and how
    long it lasted but not when the guest joined (the sandbox does): without that, a call with
    a duration had its guest join that long before it finished (or before now)."""
    guest = _epoch(call.guest_joined_at)
    finished = _epoch(call.finished_at)
    if guest is None and call.duration:
        guest = (finished if finished is not None else now) - call.duration
    return CallReport(
        call_id=call.call_id,
        reference=reference,
        created_at=_epoch(call.created_at),
        finished_at=finished,
        agent_joined_at=_epoch(call.agent_joined_at),
        guest_joined_at=guest,
        duration=call.duration,
        open=(call.status or "").upper() != "E" and finished is None,
        agent_rating=call.agent_rating,
        guest_rating=call.guest_rating,
    )


def _refused_field(error: ApiError) -> str | None:
    if error.code == 1002:  # invalid MSISDN
        return "phone"
    text = (error.message or "").lower()
    if "call_reference" in text or "reference" in text:
        return "reference"
    if "phone" in text:
        return "phone"
    return None


class RoomService:
    """Creates rooms and reads their call reports, recording what it learns in the core."""

    def __init__(self, gateway: VideoGateway, core: ConsoleCore, *, agent_name: str) -> None:
        self.gateway = gateway
        self.core = core
        self.agent_name = agent_name
        self._x_token: str | None = None

    async def create(self, draft: RoomDraft) -> RoomView:
        """Create the room; raises RoomFailed (never anything else) when it could not be. A
        phone under an active suspension is refused before anything is asked of 8x8: the
        room's invite is an SMS to it."""
        refusal = self.core.refusal([draft.phone]) if draft.phone else None
        if refusal is not None:
            raise RoomFailed(refusal, field="phone")
        try:
            room = await self.gateway.create_room(draft.phone, draft.reference)
        except ApiError as error:
            raise RoomFailed(error.readable, field=_refused_field(error)) from error
        except Exception as error:
            log.exception("creating a room failed unexpectedly")
            raise RoomFailed(f"unexpected error: {type(error).__name__}: {error}") from error
        view = RoomView(
            call_reference=room.call_reference or draft.reference or "",
            guest_link=room.guest_link,
            phone=draft.phone,
            created_at=room.created_at.timestamp(),
            expires_at=room.expires_at.timestamp(),
            agent_link=room.agent_link(self.agent_name),
        )
        await self.core.record_room_durably(view)
        return view

    async def _token(self) -> str:
        if self._x_token is None:
            self._x_token = (await self.gateway.create_agent_token()).auth_token
        return self._x_token

    async def calls(self, reference: str) -> list[CallReport]:
        """The calls of one room, newest first; raises RoomFailed when the reports fail."""
        try:
            token = await self._token()
            page = await self.gateway.call_logs(token, query=reference)
            found = [call for call in page.calls if call.reference == reference]
            if found:
                newest = await self.gateway.call_detail(token, found[0].call_id)
                found[0] = _merged(found[0], newest)
        except ApiError as error:
            raise RoomFailed(error.readable) from error
        now = self.core.now()
        reports = [report_from_api(call, reference, now) for call in found]
        self.core.apply_calls(report.seen for report in reports)
        return reports

    async def refresh(self) -> Changes | None:
        """Ask the reports about every room still waiting for its guest (one request);
        None when there was nothing to ask. Raises ApiError."""
        now = self.core.now()
        waiting = self.core.rooms.live(now)
        if not waiting:
            return None
        since = datetime.fromtimestamp(min(r.created_at for r in waiting), UTC).date()
        page = await self.gateway.call_logs(await self._token(), since=since)
        wanted = {room.call_reference for room in waiting}
        reports = [
            report_from_api(call, call.reference, now)
            for call in page.calls
            if call.reference is not None and call.reference in wanted
        ]
        return self.core.apply_calls(report.seen for report in reports)


def _merged(listed: CallLog, detail: CallLog) -> CallLog:
    """The list entry completed with what the detail adds (the detail wins where it speaks)."""
    import dataclasses

    updates = {
        name: value
        for name in (f.name for f in dataclasses.fields(detail))
        if (value := getattr(detail, name)) is not None and name not in ("call_id", "reference")
    }
    return dataclasses.replace(listed, **updates)
