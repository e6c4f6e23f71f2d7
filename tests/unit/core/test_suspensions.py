"""Suspensions: mandatory expiry, operator and prefix matching, lifting, expiry by an
injected clock, what the history keeps, and the sender refusing before it sends."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from console.core.sending import SmsDraft, SmsSender, Suspended
from console.core.service import ConsoleCore
from console.core.suspensions import (
    MAX_DURATION,
    Suspension,
    SuspensionError,
    Suspensions,
    parse_duration,
    parse_target,
)

INDOSAT = "+62857111111"
TELKOMSEL = "+62811111111"


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def test_targets_and_durations_as_typed() -> None:
    assert parse_target("+62 857") == ("prefix", "+62857", None)
    assert parse_target("Indosat Ooredoo Hutchison (id)") == (
        "operator",
        "Indosat Ooredoo Hutchison",
        "ID",
    )
    assert parse_target("ID Telkomsel") == ("operator", "Telkomsel", "ID")
    assert parse_target("sg:SingTel") == ("operator", "SingTel", "SG")
    for bad in ("", "Telkomsel", "+62x", "+", "IDN Telkomsel"):
        with pytest.raises(SuspensionError):
            parse_target(bad)
    assert parse_duration("30m") == 1800 and parse_duration("2h") == 7200
    assert parse_duration("1d") == 86_400 and parse_duration("45") == 2700
    for bad in ("", "0", "-5m", "forever", "31d", "１h"):
        with pytest.raises(SuspensionError):
            parse_duration(bad)


def test_an_operator_suspension_blocks_its_numbers_until_it_expires() -> None:
    clock = Clock()
    kept: list[list[Suspension]] = []
    book = Suspensions(clock=clock, on_change=kept.append)
    item = book.add("operator", "Indosat Ooredoo Hutchison", "ID", 3600)
    assert kept and kept[-1] == [item]
    assert book.blocking(INDOSAT) == item and book.blocking(TELKOMSEL) is None
    refusal = book.refusal([TELKOMSEL, INDOSAT, INDOSAT])
    assert refusal is not None
    assert "operator Indosat Ooredoo Hutchison (ID)" in refusal and INDOSAT in refusal
    assert "until" in refusal and "(and 1 more number)" in refusal
    clock.now += 3599
    assert book.blocking(INDOSAT) == item
    clock.now += 1  # expired by itself
    assert book.blocking(INDOSAT) is None and book.refusal([INDOSAT]) is None
    assert book.active() == [] and book.all() == [item]  # still listed, as past


def test_a_prefix_suspension_is_lifted_early() -> None:
    clock = Clock()
    book = Suspensions(clock=clock)
    item = book.add("prefix", "+62811", None, 600)
    assert book.blocking(TELKOMSEL) == item and book.blocking(INDOSAT) is None
    lifted = book.lift(item.id)
    assert lifted is not None and lifted.lifted_at == clock.now
    assert book.blocking(TELKOMSEL) is None and book.lift(item.id) is None


def test_an_expiry_is_mandatory() -> None:
    book = Suspensions(clock=Clock())
    for duration in (0, -1, MAX_DURATION + 1):
        with pytest.raises(SuspensionError):
            book.add("prefix", "+62", None, duration)


@given(st.text(max_size=30))
def test_any_typed_target_is_parsed_or_refused_with_a_message(text: str) -> None:
    try:
        kind, target, country = parse_target(text)
    except SuspensionError as error:
        assert str(error)
        return
    assert kind in ("operator", "prefix") and target
    assert (country is None) == (kind == "prefix")


def test_a_kept_document_round_trips_and_garbage_is_skipped() -> None:
    item = Suspensions(clock=Clock()).add("operator", "SingTel", "SG", 60)
    assert Suspension.from_doc(item.as_doc()) == item
    for bad in (
        {},
        {"kind": "x"},
        {**item.as_doc(), "expires_at": "soon"},
        {**item.as_doc(), "id": 5},
    ):
        assert Suspension.from_doc(bad) is None


class Gateway:
    def __init__(self) -> None:
        self.calls = 0

    async def send_sms(self, message):  # pragma: no cover - must never be called here
        self.calls += 1
        raise AssertionError("sent despite a suspension")

    async def send_sms_batch(self, messages=None, *, client_batch_id=None, include_messages=True):
        self.calls += 1
        raise AssertionError("sent despite a suspension")


async def test_the_sender_refuses_a_suspended_destination_before_sending() -> None:
    clock = Clock()
    core = ConsoleCore(clock=clock)
    core.suspensions.add("operator", "Indosat Ooredoo Hutchison", "ID", 900)
    gateway = Gateway()
    sender = SmsSender(gateway, core)
    with pytest.raises(Suspended) as caught:
        async for _ in sender.send(SmsDraft((TELKOMSEL, INDOSAT), "123456", "ref-1")):
            pass
    assert gateway.calls == 0 and caught.value.unsent == (TELKOMSEL, INDOSAT)
    assert "suspended until" in caught.value.reason


def test_the_core_keeps_suspensions_and_feedback_in_the_history(tmp_path) -> None:
    from console.store import History

    clock = Clock()
    with History.open(tmp_path) as history:
        core = ConsoleCore(history=history, clock=clock)
        item = core.suspensions.add("prefix", "+62857", None, 600)
        core.record_feedback("umid-1", "success")
    with History.open(tmp_path) as history:
        again = ConsoleCore(history=history, clock=clock)
        assert again.suspensions.all() == [item]
        assert again.feedback == {"umid-1": "success"}
        clock.now += 600
        assert again.refusal([INDOSAT]) is None


async def test_a_room_invite_to_a_suspended_number_is_refused_before_8x8_is_asked() -> None:
    from console.core.rooms import RoomDraft
    from console.core.roomservice import RoomFailed, RoomService

    class Video:
        calls = 0

        async def create_room(self, phone, reference):  # type: ignore[no-untyped-def]
            Video.calls += 1
            raise AssertionError("asked 8x8 despite a suspension")

    core = ConsoleCore(clock=Clock())
    core.suspensions.add("prefix", "+62857", None, 600)
    service = RoomService(Video(), core, agent_name="jane")  # type: ignore[arg-type]
    with pytest.raises(RoomFailed) as caught:
        await service.create(RoomDraft(INDOSAT, "CASE-123456"))
    assert caught.value.field == "phone" and "suspended until" in caught.value.reason
    assert Video.calls == 0


async def test_an_inbox_sms_reply_to_a_suspended_number_is_refused() -> None:
    from console.core.inbox import Conversation
    from console.core.replying import ReplyFailed, ReplySender

    core = ConsoleCore(clock=Clock())
    core.suspensions.add("operator", "Indosat Ooredoo Hutchison", "ID", 600)
    gateway = Gateway()
    replier = ReplySender(None, SmsSender(gateway, core), core)  # type: ignore[arg-type]
    conversation = Conversation("sms:" + INDOSAT, "sms", INDOSAT)
    with pytest.raises(ReplyFailed) as caught:
        await replier.reply(conversation, "We are on it", "ref-2")
    assert "operator Indosat Ooredoo Hutchison (ID)" in caught.value.reason
    assert gateway.calls == 0
