"""History beyond the window in memory: reading older days on demand, changes to parts on
disk applied in the background, and memory let go when no longer needed."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from console.store import History
from console.store import storage as storage_module

NOW = 1_795_755_662.0  # 2026-11-27T05:01:02Z
DAY = 86_400.0


def clock() -> float:
    return NOW


def day(age: int) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(NOW - age * DAY))


def build(data_dir: Path, ages: range | tuple[int, ...] = range(10), per_day: int = 3) -> None:
    """`per_day` messages a day: sent ones (s<age>-<n>) and an inbound one in conversation c<n>."""
    with History.open(data_dir, clock=clock) as history:
        for age in ages:
            for n in range(per_day):
                at = NOW - age * DAY + n
                if n == 0:
                    history.record_message(
                        f"in{age}", None, "WhatsApp", "in", "+6590", f"Hello {age}", "received",
                        at, conversation_id=f"c{age % 2}",
                    )  # fmt: skip
                else:
                    history.record_message(
                        f"s{age}-{n}", f"cid{age}-{n}", "SMS", "out", "+6591", f"PIN {age}-{n}",
                        "sent", at,
                    )  # fmt: skip
        history.record_room("ref-old-0000001", "https://g/old", None, NOW - 5 * DAY, NOW)


def loaded_days(history: History) -> list[str]:
    return [summary.day for summary in history.days() if summary.loaded]


def test_only_the_window_is_in_memory_and_the_quick_queries_answer_from_it(
    data_dir: Path,
) -> None:
    build(data_dir)
    with History.open(data_dir, clock=clock, hot_messages=5) as history:
        assert loaded_days(history) == [day(0), day(1)]  # today, and enough for 5 messages
        assert [d.messages for d in history.days()] == [3] * 10
        assert [m.umid for m in history.recent_messages(100)] == [
            "s0-2", "s0-1", "in0", "s1-2", "s1-1", "in1",
        ]  # fmt: skip
        assert history.message_by_umid("s5-1") is None  # in memory only
        assert history.search_messages("PIN 5") == []
        assert history.rooms(10) == []


def test_scan_reads_every_day_newest_first_with_filters(data_dir: Path) -> None:
    build(data_dir)
    with History.open(data_dir, clock=clock, hot_messages=1) as history:
        chunks = list(history.scan_messages())
        assert [len(chunk) for chunk in chunks] == [3] * 10
        every = [m.umid for chunk in chunks for m in chunk]
        assert every[:4] == ["s0-2", "s0-1", "in0", "s1-2"]
        assert every[-1] == "in9"
        since, until = NOW - 4 * DAY, NOW - 2 * DAY + 1.5  # from 4 days ago to s2-1
        in_range = [m.umid for chunk in history.scan_messages(since, until) for m in chunk]
        assert in_range == ["s2-1", "in2", "s3-2", "s3-1", "in3", "s4-2", "s4-1", "in4"]
        assert [m.umid for m in history.find_messages(channel="whatsapp", limit=3)] == [
            "in0", "in1", "in2",
        ]  # fmt: skip
        assert [m.umid for m in history.find_messages(text="pin 7-")] == ["s7-2", "s7-1"]
        odd = history.find_messages(conversation_id="c1", limit=100)
        assert [m.umid for m in odd] == ["in1", "in3", "in5", "in7", "in9"]
        assert history.find_messages(text="nothing like it") == []
        assert history.find_messages(limit=0) == []
        assert loaded_days(history) == [day(0)]  # read, then let go


def test_a_scan_stops_reading_when_the_caller_stops(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build(data_dir)
    reads: list[str] = []
    real = storage_module.read_file

    def counting(path: Path, codec: object = None) -> object:
        reads.append(path.name)
        return real(path, codec)  # type: ignore[arg-type]

    with History.open(data_dir, clock=clock, hot_messages=1) as history:
        monkeypatch.setattr("console.store.loading.read_file", counting)
        assert len(history.find_messages(limit=7)) == 7  # today (memory), then two days
        assert reads == [f"{day(1)}.0.json", f"{day(2)}.0.json"]


def test_find_message_reads_its_part_and_sees_receipts_applied_in_the_background(
    data_dir: Path,
) -> None:
    build(data_dir)
    with History.open(data_dir, clock=clock, hot_messages=1, release_after=0) as history:
        assert history.apply_receipt("s6-1", "delivered", NOW, NOW + 1) is None  # on disk
        assert loaded_days(history) == [day(0)]
        history.flush()  # the writer loads day 6, applies the receipt, saves, lets it go
        history.flush()
        assert loaded_days(history) == [day(0)]
        message = history.find_message("s6-1")
        assert message is not None and message.status == "delivered"
        assert [r.state for r in message.timeline] == ["delivered"]
        assert history.find_message("no-such-umid") is None
    with History.open(data_dir, clock=clock) as again:
        message = again.message_by_umid("s6-1")
        assert message is not None and message.status == "delivered"


def test_an_old_message_replayed_merges_into_its_own_day(data_dir: Path) -> None:
    build(data_dir)
    with History.open(data_dir, clock=clock, hot_messages=1) as history:
        unread_before = {c.conversation_id: c.unread for c in history.conversations()}
        replayed = history.record_message(
            "in8", None, "WhatsApp", "in", "+6590", "Hello 8", "received", NOW - 8 * DAY,
            conversation_id="c0",
        )  # fmt: skip
        assert replayed.umid == "in8"
        history.record_message(
            None, "cid7-1", "SMS", "out", "+6591", "PIN 7-1", "delivered", NOW - 7 * DAY + 1
        )  # known by its clientMessageId only: its day is read to find it
        history.flush()
        assert {c.conversation_id: c.unread for c in history.conversations()} == unread_before
        assert [m.umid for m in history.find_messages(text="hello 8")] == ["in8"]
        [merged] = history.find_messages(text="PIN 7-1")
        assert (merged.umid, merged.status) == ("s7-1", "delivered")
        assert [d.messages for d in history.days()] == [3] * 10


def test_a_room_on_disk_is_updated_in_the_background(data_dir: Path) -> None:
    build(data_dir)
    with History.open(data_dir, clock=clock, hot_messages=1) as history:
        assert history.update_room("ref-old-0000001", status="ended") is None  # not in memory
        assert history.update_room("no-such-room", status="ended") is None
    with History.open(data_dir, clock=clock, max_age_days=30) as again:
        [room] = again.rooms(10)
        assert (room.call_reference, room.status) == ("ref-old-0000001", "ended")


def test_a_hold_keeps_a_range_in_memory_with_live_receipts_until_released(
    data_dir: Path,
) -> None:
    build(data_dir)
    with History.open(data_dir, clock=clock, hot_messages=1, release_after=0) as history:
        with history.hold(NOW - 4 * DAY, NOW - 3 * DAY + 1.5) as held:
            assert loaded_days(history) == [day(0), day(3), day(4)]
            assert history.apply_receipt("s3-2", "read", NOW, NOW) is not None  # in memory
            assert history.apply_receipt("s3-1", "read", NOW, NOW) is not None
            messages = held.messages()
            assert messages[0].status == "read"
            assert [m.umid for m in messages] == ["s3-1", "in3", "s4-2", "s4-1", "in4"]
            assert held.messages(limit=1, channel="whatsapp")[0].umid == "in3"
            history.flush()
            assert loaded_days(history) == [day(0), day(3), day(4)]  # held: kept
        history.flush()  # saved the receipt, and let the parts go
        assert loaded_days(history) == [day(0)]
        message = history.find_message("s3-2")
        assert message is not None and message.status == "read"


def test_a_busy_day_is_split_into_parts_and_a_receipt_rewrites_only_its_own(
    data_dir: Path, renames: list[str]
) -> None:
    with History.open(data_dir, clock=clock) as history:
        for n in range(4_500):
            history.record_message(f"u{n}", None, "SMS", "out", "+65", "x", "queued", NOW + n)
        history.flush()
        folder = data_dir / "history"
        assert sorted(p.name for p in folder.glob(f"{day(0)}.?.json")) == [
            f"{day(0)}.0.json", f"{day(0)}.1.json", f"{day(0)}.2.json",
        ]  # fmt: skip
        assert [d.messages for d in history.days()] == [4_500]
        renames.clear()
        history.apply_receipt("u2500", "sent", NOW, NOW)
        history.flush()
        assert renames == [f"{day(0)}.1.json"]
        assert [m.umid for m in history.recent_messages(2)] == ["u4499", "u4498"]


def test_conversation_messages_come_from_every_day_of_the_window(data_dir: Path) -> None:
    build(data_dir)
    with History.open(data_dir, clock=clock) as history:
        assert [m.umid for m in history.conversation_messages("c0", 3)] == ["in4", "in2", "in0"]


def test_conversations_take_new_fields_through_one_table(data_dir: Path) -> None:
    build(data_dir, ages=(0,))
    with History.open(data_dir, clock=clock) as history:
        changed = history.update_conversation("c0", name="Ana", peer="+6599")
        assert changed is not None and (changed.name, changed.peer) == ("Ana", "+6599")
        cleared = history.update_conversation("c0", name=None)
        assert cleared is not None and cleared.name is None
        assert history.update_conversation("nobody", name="x") is None
        with pytest.raises(ValueError, match="cannot change unread"):
            history.update_conversation("c0", unread=0)
        with pytest.raises(ValueError, match="cannot change last_activity"):
            history.update_conversation("c0", last_activity=0.0)


def test_the_inbox_state_of_a_conversation_survives_a_restart(data_dir: Path) -> None:
    build(data_dir, ages=(0, 1))
    note = {"agent": "ana", "text": "VIP: call back\nbefore 5", "at": NOW, "seq": 7}
    with History.open(data_dir, clock=clock) as history:
        history.update_conversation(
            "c0",
            assignee="ana",
            status="snoozed",
            snoozed_until=NOW + 3600,
            labels=["billing", "vip"],
            notes=[note],
            team_seq=7,
        )
        with pytest.raises(TypeError, match="labels"):
            history.update_conversation("c0", labels="vip")
    with History.open(data_dir, clock=clock) as history:
        kept = history.conversation("c0")
        assert kept is not None
        assert (kept.assignee, kept.status, kept.snoozed_until) == ("ana", "snoozed", NOW + 3600)
        assert (kept.labels, kept.notes, kept.team_seq) == (("billing", "vip"), (note,), 7)
        untouched = history.conversation("c1")
        assert untouched is not None
        assert (untouched.assignee, untouched.labels, untouched.team_seq) == (None, (), 0)


def test_receipts_keep_their_arrival_order_when_a_day_comes_into_memory_between_them(
    data_dir: Path,
) -> None:
    build(data_dir)
    with History.open(data_dir, clock=clock, hot_messages=1) as history:
        assert history.apply_receipt("s6-1", "sent", NOW, NOW) is None  # day 6 is on disk
        with history.hold(NOW - 6 * DAY, NOW - 5 * DAY):
            after = history.apply_receipt("s6-1", "delivered", NOW + 1, NOW + 1)
            assert after is not None
            assert [r.state for r in after.timeline] == ["sent", "delivered"]


def test_opening_reads_only_the_window_also_in_a_copied_folder(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Indexes name their part by size and time, which a copy that keeps times keeps."""
    build(data_dir)
    copy = tmp_path / "copy"
    shutil.copytree(data_dir, copy)  # new inodes, same sizes and times
    reads: list[str] = []
    real = storage_module.read_file

    def counting(path: Path, codec: object = None) -> object:
        reads.append(path.name)
        return real(path, codec)  # type: ignore[arg-type]

    monkeypatch.setattr("console.store.loading.read_file", counting)
    with History.open(copy, clock=clock, hot_messages=1) as history:
        assert reads == [f"{day(0)}.0.json"]
        assert len(history.find_messages(limit=100)) == 30


def test_the_history_in_memory_stays_within_its_bound_while_messages_keep_arriving(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A long shift of one day: the current parts and a few spare ones in memory, never the
    whole day; late receipts still reach the messages let go, with their payloads."""
    monkeypatch.setattr("console.store.partset.PART_LIMIT", 20)
    hot, spare = 30, 2
    with History.open(
        data_dir, clock=clock, hot_messages=hot, spare_parts=spare, flush_interval=3600
    ) as history:
        for n in range(600):  # 30 parts of one day
            umid = f"m{n}"
            history.record_message(umid, None, "SMS", "out", "+6591", "hi", "queued", NOW + n)
            history.apply_receipt(umid, "sent", NOW + n, NOW + n, raw={"umid": umid, "n": n})
            if n % 10 == 9:
                history.flush()
                parts = history.parts_in_memory()
                # the window: the newest parts holding `hot` messages (at most 3 of 20) and
                # the spare ones, whatever the day holds
                assert len(parts) <= 3 + spare
                assert sum(messages for _, messages in parts) <= (3 + spare) * 20
        assert [d.messages for d in history.days()] == [600]
        history.apply_receipt("m0", "delivered", NOW + 700, NOW + 700, raw={"late": True})
        history.flush()  # the writer loads m0's part, applies the receipt, saves it
        history.flush()
        message = history.find_message("m0")
        assert message is not None and message.status == "delivered"
        assert [r.raw for r in message.timeline] == ['{"umid":"m0","n":0}', '{"late":true}']
        assert len(history.todays_messages(1_000)) == 600, "the rest of today: on demand"
        # What the feed reads (statuses, no receipts): the same messages, in the same order.
        whole = history.todays_messages(1_000)
        heads = history.todays_messages(1_000, timelines=False)
        assert [(m.umid, m.status, m.status_at) for m in heads] == [
            (m.umid, m.status, m.status_at) for m in whole
        ]
        assert all(m.timeline for m in whole) and not any(m.timeline for m in heads)
        assert len(history.recent_messages(1_000)) < 100, "quick queries: the window only"


def test_a_conversation_s_messages_are_found_in_every_part_of_a_busy_day(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each part knows which conversations it may hold (compactly): a conversation's messages
    are found in every part let go, before and after a restart, and no other's."""
    monkeypatch.setattr("console.store.partset.PART_LIMIT", 150)
    with History.open(data_dir, clock=clock, hot_messages=10, flush_interval=3600) as history:
        for n in range(600):  # 4 parts of 150 messages, 200 conversations in each of them
            conversation = f"sms:+6591{n % 200:07d}"
            history.record_message(
                f"m{n}", None, "SMS", "out", "+6591", "hi", "queued", NOW + n,
                conversation_id=conversation,
            )  # fmt: skip
            if n % 50 == 49:
                history.flush()
        history.flush()
        found = history.find_messages(conversation_id="sms:+65910000007", limit=10)
        assert [m.umid for m in found] == ["m407", "m207", "m7"]
        assert history.find_messages(conversation_id="sms:+65919999999") == []
    with History.open(data_dir, clock=clock, hot_messages=10) as history:
        found = history.find_messages(conversation_id="sms:+65910000199", limit=10)
        assert [m.umid for m in found] == ["m599", "m399", "m199"]
