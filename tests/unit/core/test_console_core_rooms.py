"""ConsoleCore and video rooms: created rooms, their invite SMS matched from live receipts,
the guest joining from the call reports, all kept in the history across a restart."""

from __future__ import annotations

import itertools
from pathlib import Path

from console.core import Accepted, Changes, ConsoleCore, SentSms
from console.core.rooms import CallSeen, RoomState, RoomView
from console.live.events import Event, utc_iso
from console.store import History

T0 = 1_800_000_000.0
PHONE = "+6591234567"
_seqs = itertools.count(1)


def receipt(umid: str, state: str, *, destination: str = "6591234567", at: float = T0 + 30):
    payload = {
        "umid": umid,
        "subAccountId": "acme",
        "source": "VideoCall",
        "destination": destination,
        "status": {"state": state, "timestamp": utc_iso(at)},
    }
    return Event(next(_seqs), utc_iso(at), "SMS", "outbound_message_status_changed", payload)


def created(reference: str = "CASE-000042", phone: str | None = PHONE) -> RoomView:
    return RoomView(
        call_reference=reference,
        guest_link=f"https://video-agent.8x8.com/guest/{reference}",
        phone=phone,
        created_at=T0,
        expires_at=T0 + 900,
        agent_link="https://video-agent.8x8.com/?user=ana&token=secret-token",
    )


def test_a_created_room_is_published_and_kept_in_the_history(tmp_path: Path) -> None:
    published: list[Changes] = []
    with History.open(tmp_path) as history:
        core = ConsoleCore(history=history, on_change=published.append, clock=lambda: T0)
        changes = core.record_room(created())
        assert published == [changes]
        assert list(changes.rooms) == ["CASE-000042"]
        assert core.rooms_newest()[0].agent_link is not None
        (stored,) = history.rooms()
        assert (stored.call_reference, stored.phone_number) == ("CASE-000042", PHONE)
        assert "token" not in stored.guest_link
    with History.open(tmp_path) as history:
        again = ConsoleCore(history=history, clock=lambda: T0 + 1)
        (room,) = again.rooms_newest()
        assert room.call_reference == "CASE-000042" and room.agent_link is None
        assert room.state(again.now()) is RoomState.WAITING


def test_the_invite_sms_receipts_move_the_room_and_survive_a_restart(tmp_path: Path) -> None:
    published: list[Changes] = []
    with History.open(tmp_path) as history:
        core = ConsoleCore(history=history, on_change=published.append, clock=lambda: T0)
        core.record_room(created())
        changes = core.apply_events([receipt("u-inv", "sent"), receipt("u-inv", "delivered")])
        assert changes.deliveries["u-inv"].state == "delivered"
        room = changes.rooms["CASE-000042"]
        assert room.invite.umid == "u-inv" and room.invite.state == "delivered"
        assert room.invite_label() == "✓ delivered · to +65••••4567"
        # a duplicate changes nothing about the room
        assert not core.apply_events([receipt("u-inv", "delivered")]).rooms
    with History.open(tmp_path) as history:
        (stored,) = history.rooms()
        assert (stored.invite_umid, stored.invite_status) == ("u-inv", "delivered")
        again = ConsoleCore(history=history)
        assert again.room("CASE-000042").invite.state == "delivered"  # type: ignore[union-attr]
        # and later receipts for it still reach the room after the restart
        late = again.apply_events([receipt("u-inv", "read")])
        assert late.rooms["CASE-000042"].invite.state == "read"


def test_the_console_s_own_sms_to_the_customer_is_not_the_invite() -> None:
    core = ConsoleCore(clock=lambda: T0)
    core.record_room(created())
    core.record_sent([SentSms(PHONE, Accepted("u-mine"))], "Hello")
    assert not core.apply_events([receipt("u-mine", "delivered")]).rooms
    invite = core.apply_events([receipt("u-inv", "sent")]).rooms["CASE-000042"]
    assert invite.invite.umid == "u-inv"


def test_an_own_sms_whose_receipt_came_first_is_given_back_when_the_reply_arrives() -> None:
    core = ConsoleCore(clock=lambda: T0)
    core.record_room(created())
    taken = core.apply_events([receipt("u-mine", "sent")]).rooms["CASE-000042"]
    assert taken.invite.umid == "u-mine"
    reply = core.record_sent([SentSms(PHONE, Accepted("u-mine"))], "Hello")
    assert reply.rooms["CASE-000042"].invite.umid is None
    assert core.apply_events([receipt("u-inv", "sent")]).rooms["CASE-000042"].invite.umid == (
        "u-inv"
    )


def test_a_room_without_a_phone_has_no_invite_and_other_receipts_pass_by() -> None:
    core = ConsoleCore(clock=lambda: T0)
    core.record_room(created(phone=None))
    changes = core.apply_events([receipt("u-1", "delivered")])
    assert changes.deliveries and not changes.rooms


def test_call_reports_mark_the_guest_joined_and_the_history_keeps_it(tmp_path: Path) -> None:
    with History.open(tmp_path) as history:
        core = ConsoleCore(history=history, clock=lambda: T0 + 100)
        core.record_room(created())
        changes = core.apply_calls([CallSeen("CASE-000042", "5001", T0 + 10, T0 + 50)])
        room = changes.rooms["CASE-000042"]
        assert room.state(core.now()) is RoomState.GUEST_JOINED
        assert not core.apply_calls([CallSeen("CASE-000042", "5001", T0 + 10, T0 + 50)])
    with History.open(tmp_path) as history:
        (stored,) = history.rooms()
        assert stored.guest_joined and stored.guest_joined_at == T0 + 50
        assert stored.agent_joined_at == T0 + 10
        again = ConsoleCore(history=history, clock=lambda: T0 + 100)
        assert again.room("CASE-000042").state(T0 + 100) is RoomState.GUEST_JOINED  # type: ignore[union-attr]
        assert again.room("CASE-000042").state(T0 + 900) is RoomState.EXPIRED  # type: ignore[union-attr]


def test_rooms_created_before_the_history_opened_join_those_it_holds(tmp_path: Path) -> None:
    with History.open(tmp_path) as history:
        ConsoleCore(history=history).record_room(created("EARLIER-0001"))
    core = ConsoleCore(clock=lambda: T0)
    core.record_room(created("THIS-RUN-001"))
    with History.open(tmp_path) as history:
        core.attach_history(history)
        assert {r.call_reference for r in core.rooms_newest()} == {"EARLIER-0001", "THIS-RUN-001"}
        assert {r.call_reference for r in history.rooms()} == {"EARLIER-0001", "THIS-RUN-001"}
