"""History: what the screens record and read back, across a reopen."""

from __future__ import annotations

import gc
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from tinydb import TinyDB

from console.store import History, HistoryClosed
from console.store import storage as storage_module

T0 = 1_790_000_000.0  # 2026-09-21, a fixed "now" for these tests

CODECS = [storage_module.STDLIB_CODEC]
if storage_module.ORJSON_CODEC is not None:
    CODECS.append(storage_module.ORJSON_CODEC)


class Clock:
    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=CODECS, ids=lambda codec: codec.name)
def codec(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setattr(storage_module, "DEFAULT_CODEC", request.param)
    yield request.param.name


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def history(data_dir: Path, clock: Clock) -> Iterator[History]:
    opened = History.open(data_dir, clock=clock)
    yield opened
    opened.close()


def send(history: History, umid: str | None, at: float, **extra: object) -> None:
    fields: dict[str, object] = {
        "umid": umid,
        "client_message_id": f"cid-{umid}",
        "channel": "SMS",
        "direction": "out",
        "peer": "+6591234567",
        "text": f"message {umid}",
        "status": "queued",
        "created_at": at,
    }
    fields.update(extra)
    history.record_message(**fields)  # type: ignore[arg-type]


def test_everything_recorded_is_there_after_flush_and_reopen(
    data_dir: Path, clock: Clock, codec: str
) -> None:
    history = History.open(data_dir, clock=clock)
    history.record_login("acme-sub", "Asia Pacific", "abc123")
    history.record_room("ref-000001", "https://guest/1", "+6591234567", T0, T0 + 900)
    send(history, "u1", T0)
    history.apply_receipt("u1", "sent", "2026-09-21T14:13:21.500Z", T0 + 1, detail="to carrier")
    history.record_message(
        "u2", None, "WhatsApp", "in", "+6590000001", "Hi", "delivered", T0, conversation_id="c1"
    )
    history.upsert_conversation("c1", "WhatsApp", "+6590000001", "Ana")
    history.set_resume_point("ws://relay/events", 42)
    history.flush()
    # Simulate a crash after the flush: the files alone must carry everything, as TinyDB
    # reads them.
    folder = data_dir / "history"
    with TinyDB(folder / "2026-09-21.0.json") as part:
        assert {doc["umid"] for doc in part.table("messages").all()} == {"u1", "u2"}
        assert part.table("rooms").all()[0]["call_reference"] == "ref-000001"
    with TinyDB(folder / "conversations.json") as conversations:
        assert conversations.table("conversations").all()[0]["name"] == "Ana"
    with TinyDB(folder / "state.json") as state:
        assert state.table("logins").all()[0]["key_tail"] == "abc123"
        assert state.table("meta").all()[0]["resume"] == {"ws://relay/events": 42}
    history.close()

    with History.open(data_dir, clock=clock) as again:
        assert again.notices == []
        [login] = again.recent_logins(5)
        assert (login.subaccount, login.mode_label, login.key_tail) == (
            "acme-sub",
            "Asia Pacific",
            "abc123",
        )
        [room] = again.rooms(5)
        assert room.call_reference == "ref-000001" and room.expires_at == T0 + 900
        message = again.message_by_umid("u1")
        assert message is not None and message.status == "sent"
        assert message.timeline[0].detail == "to carrier"
        assert message.timeline[0].timestamp == T0 + 1.5  # the ISO string, as UTC epoch
        assert again.message_by_client_id("cid-u1") == message
        [conversation] = again.conversations(5)
        assert (conversation.name, conversation.unread) == ("Ana", 1)
        assert [m.umid for m in again.conversation_messages("c1", 10)] == ["u2"]
        assert again.resume_point("ws://relay/events") == 42


def test_close_saves_without_an_explicit_flush(data_dir: Path, clock: Clock) -> None:
    with History.open(data_dir, clock=clock, flush_interval=3600) as history:
        send(history, "u1", T0)
    with History.open(data_dir, clock=clock) as again:
        assert again.message_by_umid("u1") is not None


def test_the_writer_thread_saves_on_its_own(data_dir: Path, clock: Clock) -> None:
    with History.open(data_dir, clock=clock, flush_interval=0.02) as history:
        send(history, "u-background", T0)
        deadline = time.monotonic() + 5
        path = data_dir / "history" / "2026-09-21.0.json"
        while time.monotonic() < deadline:
            if path.exists() and b"u-background" in path.read_bytes():
                break
            time.sleep(0.01)
        assert b"u-background" in path.read_bytes()


def test_a_full_api_key_is_refused_and_never_reaches_the_disk(data_dir: Path, clock: Clock) -> None:
    key = "sk_test_FAKE_0123456789abcdefghijKLMNOP_zz9Q7x"
    with History.open(data_dir, clock=clock) as history:
        with pytest.raises(ValueError, match="last 6 characters"):
            history.record_login("acme", "Europe", key)
        with pytest.raises(ValueError):
            history.record_login("acme", "Europe", key[-7:])
        login = history.record_login("acme", "Europe", key[-6:])
        assert login.key_tail == "zz9Q7x"
        history.flush()
    files = [file for file in data_dir.rglob("*") if file.is_file()]
    assert any(b"zz9Q7x" in file.read_bytes() for file in files)
    for file in files:
        content = file.read_bytes()
        assert key.encode() not in content
        assert key[:-6].encode() not in content  # not even the part before the tail
        assert key[-7:].encode() not in content


def test_logging_in_again_refreshes_the_entry_instead_of_duplicating_it(
    history: History, clock: Clock
) -> None:
    history.record_login("acme", "Asia Pacific", "aaaaaa")
    clock.now += 10
    history.record_login("globex", "sandbox", None)
    clock.now += 10
    history.record_login("acme", "Asia Pacific", "aaaaaa")
    logins = history.recent_logins(5)
    assert [(login.subaccount, login.count) for login in logins] == [("acme", 2), ("globex", 1)]
    assert logins[0].at == T0 + 20
    assert logins[1].key_tail == ""
    assert len(history.recent_logins(1)) == 1


def test_rooms_newest_first_and_updates(history: History) -> None:
    history.record_room("ref-old-0001", "https://g/1", None, T0 - 100, T0 + 800)
    history.record_room("ref-new-0002", "https://g/2", "+6591234567", T0, T0 + 900)
    history.record_room("ref-mid-0003", "https://g/3", None, T0 - 50, T0 + 850)
    assert [room.call_reference for room in history.rooms(10)] == [
        "ref-new-0002",
        "ref-mid-0003",
        "ref-old-0001",
    ]
    assert [room.call_reference for room in history.rooms(1)] == ["ref-new-0002"]
    updated = history.update_room("ref-old-0001", guest_joined=True)
    assert updated is not None and updated.guest_joined and updated.guest_joined_at == T0
    assert history.update_room("no-such-room", guest_joined=True) is None
    with pytest.raises(ValueError, match="cannot change created_at"):
        history.update_room("ref-old-0001", created_at=T0)


def test_status_only_moves_forward_and_every_receipt_is_kept(history: History) -> None:
    send(history, "u1", T0)
    # delivered arrives before sent, then sent, then delivered again, then a late "queued"
    history.apply_receipt("u1", "delivered", T0 + 3, T0 + 3.5)
    history.apply_receipt("u1", "sent", T0 + 1, T0 + 4)
    history.apply_receipt("u1", "DELIVERED", T0 + 3, T0 + 5)
    message = history.apply_receipt("u1", "queued", T0, T0 + 6)
    assert message is not None
    assert message.status == "delivered"
    assert message.status_at == T0 + 3
    assert [r.state for r in message.timeline] == ["delivered", "sent", "delivered", "queued"]
    assert [r.received_at for r in message.timeline] == [T0 + 3.5, T0 + 4, T0 + 5, T0 + 6]
    read = history.apply_receipt("u1", "read", T0 + 9, T0 + 9)
    assert read is not None and read.status == "read"


def test_a_rejection_keeps_its_error_and_a_later_delivered_does_not_undo_it(
    history: History,
) -> None:
    send(history, "u1", T0)
    history.apply_receipt(
        "u1", "rejected", T0 + 1, T0 + 1, error_code=99, error_message="Omni Shield: fraud"
    )
    message = history.apply_receipt("u1", "undelivered", T0 + 2, T0 + 2)
    assert message is not None
    assert (message.status, message.error_code, message.error_message) == (
        "rejected",
        99,
        "Omni Shield: fraud",
    )
    assert len(message.timeline) == 2


def test_receipts_that_beat_the_send_reply_are_applied_when_the_message_is_recorded(
    history: History,
) -> None:
    assert history.apply_receipt("early", "sent", T0 + 1, T0 + 1) is None
    assert history.apply_receipt("early", "delivered", T0 + 2, T0 + 2) is None
    send(history, "early", T0)
    message = history.message_by_umid("early")
    assert message is not None and message.status == "delivered"
    assert [r.state for r in message.timeline] == ["sent", "delivered"]


def test_a_message_recorded_before_its_umid_is_known_is_merged_not_duplicated(
    history: History,
) -> None:
    history.record_message(None, "cid-7", "SMS", "out", "+6591234567", "hi", "queued", T0)
    history.record_message("umid-7", "cid-7", "SMS", "out", "+6591234567", "hi", "queued", T0)
    assert len(history.recent_messages(10)) == 1
    by_umid = history.message_by_umid("umid-7")
    assert by_umid is not None and by_umid == history.message_by_client_id("cid-7")


def test_unread_counts_follow_inbound_messages_and_reset_when_read(
    history: History, clock: Clock
) -> None:
    def inbound(umid: str, conversation: str, at: float) -> None:
        history.record_message(
            umid,
            None,
            "WhatsApp",
            "in",
            "+6590000001",
            f"text {umid}",
            "delivered",
            at,
            conversation_id=conversation,
        )

    inbound("a1", "conv-a", T0 + 1)
    inbound("b1", "conv-b", T0 + 2)
    inbound("a2", "conv-a", T0 + 3)
    inbound("a2", "conv-a", T0 + 3)  # replayed by the stream: not counted twice
    send(history, "a3", T0 + 4, conversation_id="conv-a")  # our reply: activity, not unread
    conversations = history.conversations(10)
    assert [(c.conversation_id, c.unread) for c in conversations] == [("conv-a", 2), ("conv-b", 1)]
    assert conversations[0].last_text == "message a3"
    assert conversations[0].last_direction == "out"
    assert [m.umid for m in history.conversation_messages("conv-a", 10)] == ["a1", "a2", "a3"]
    assert [m.umid for m in history.conversation_messages("conv-a", 2)] == ["a2", "a3"]
    history.mark_conversation_read("conv-a")
    assert [c.unread for c in history.conversations(10)] == [0, 1]
    inbound("b2", "conv-b", T0 + 5)
    assert [(c.conversation_id, c.unread) for c in history.conversations(10)] == [
        ("conv-b", 2),
        ("conv-a", 0),
    ]
    history.upsert_conversation("conv-b", "WhatsApp", "+6590000001", "Budi")
    conversation = history.conversation("conv-b")
    assert conversation is not None and (conversation.name, conversation.unread) == ("Budi", 2)


def test_search_is_case_insensitive_newest_first_and_limited(history: History) -> None:
    for index, text in enumerate(["Your PIN is 1234", "pin reset", "Hello", "Spinning"]):
        history.record_message(
            f"u{index}", None, "SMS", "out", "+6591234567", text, "queued", T0 + index
        )
    assert [m.text for m in history.search_messages("PIN", 10)] == [
        "Spinning",
        "pin reset",
        "Your PIN is 1234",
    ]
    assert [m.text for m in history.search_messages("pin", 2)] == ["Spinning", "pin reset"]
    assert history.search_messages("nothing like this", 10) == []


def test_recent_messages_are_ordered_by_creation_time_and_filter_by_channel(
    history: History,
) -> None:
    send(history, "late", T0 + 10)
    send(history, "early", T0 - 10, channel="WhatsApp")  # recorded later, created earlier
    send(history, "middle", T0)
    assert [m.umid for m in history.recent_messages(10)] == ["late", "middle", "early"]
    assert [m.umid for m in history.recent_messages(2)] == ["late", "middle"]
    assert [m.umid for m in history.recent_messages(10, channel="whatsapp")] == ["early"]
    assert history.recent_messages(0) == []


def test_bad_inputs_are_refused_with_a_reason(history: History) -> None:
    with pytest.raises(ValueError, match="direction"):
        history.record_message("u", None, "SMS", "sideways", "+65", "x", "queued", T0)
    with pytest.raises(ValueError, match="umid or a client_message_id"):
        history.record_message(None, None, "SMS", "out", "+65", "x", "queued", T0)
    with pytest.raises(ValueError, match="ISO-8601"):
        send(history, "u", "yesterday")
    with pytest.raises(ValueError, match="finite"):
        send(history, "u", float("nan"))


def test_text_with_a_lone_surrogate_cannot_break_saving(data_dir: Path, clock: Clock) -> None:
    with History.open(data_dir, clock=clock) as history:
        send(history, "u1", T0, text="broken \ud83d emoji and a good one 😀")
        history.flush()
    with History.open(data_dir, clock=clock) as again:
        message = again.message_by_umid("u1")
        assert message is not None and message.text.endswith("good one 😀")


def test_a_closed_history_refuses_writes(data_dir: Path, clock: Clock) -> None:
    history = History.open(data_dir, clock=clock)
    history.close()
    history.close()  # idempotent
    with pytest.raises(HistoryClosed):
        send(history, "u1", T0)


def test_records_are_batched_and_a_flush_writes_only_the_files_that_changed(
    data_dir: Path, clock: Clock, renames: list[str]
) -> None:
    with History.open(data_dir, clock=clock, flush_interval=3600) as history:
        history.record_login("acme", "sandbox", None)
        send(history, "yesterday", T0 - 86_400)
        history.flush()
        renames.clear()
        for index in range(1000):
            send(history, f"u{index}", T0 + index)
            history.apply_receipt(f"u{index}", "sent", T0 + index, T0 + index)
        assert renames == []  # nothing written yet: all in memory
        history.flush()
        # today's part and its index (new umids), not yesterday's, not the small files
        assert sorted(renames) == ["2026-09-21.0.index.json", "2026-09-21.0.json"]
        renames.clear()
        history.apply_receipt("u7", "delivered", T0 + 9, T0 + 9)
        history.flush()
        assert renames == ["2026-09-21.0.json"]  # no new umid: the index stays
        assert history.flush() is False  # nothing new, nothing written
        renames.clear()
    assert renames == []


def test_writes_racing_the_writer_thread_lose_nothing(data_dir: Path, clock: Clock) -> None:
    errors: list[str] = []
    history = History.open(
        data_dir, clock=clock, flush_interval=0.001, on_write_error=errors.append
    )
    reader_failures: list[BaseException] = []
    stop = threading.Event()

    def reader() -> None:
        try:
            while not stop.is_set():
                history.recent_messages(50)
                history.search_messages("message 1", 5)
                history.conversations(5)
        except BaseException as error:  # pragma: no cover - reported below
            reader_failures.append(error)

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        for index in range(3000):
            send(history, f"u{index}", T0 + index, conversation_id=f"c{index % 10}")
            history.apply_receipt(f"u{index}", "sent", T0 + index, T0 + index)
            history.apply_receipt(f"u{index}", "delivered", T0 + index, T0 + index)
    finally:
        stop.set()
        thread.join()
        history.close()
    assert errors == [] and reader_failures == []
    with History.open(data_dir, clock=clock, hot_messages=5000) as again:  # all in memory
        messages = again.recent_messages(5000)
        assert len(messages) == 3000
        assert {m.status for m in messages} == {"delivered"}
        assert all(len(m.timeline) == 2 for m in messages)
        assert sum(len(again.conversation_messages(f"c{i}", 5000)) for i in range(10)) == 3000


def test_opening_leaves_the_garbage_collector_enabled(data_dir: Path, clock: Clock) -> None:
    with History.open(data_dir, clock=clock) as history:
        send(history, "u1", T0)
    with History.open(data_dir, clock=clock):
        assert gc.isenabled()


def test_resume_points_are_kept_per_relay(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from console.store import History

    with History.open(tmp_path) as history:
        assert history.resume_point("ws://a/events") == 0
        history.set_resume_point("ws://a/events", 41)
        history.set_resume_point("ws://b/events", 7)
        history.set_resume_point("ws://a/events", 42)
    with History.open(tmp_path) as history:
        assert history.resume_point("ws://a/events") == 42
        assert history.resume_point("ws://b/events") == 7
        assert history.resume_point("ws://c/events") == 0


def test_a_flush_saves_every_file_as_of_one_moment_so_a_resume_point_never_runs_ahead(
    data_dir: Path, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Receipts and the resume point that covers them, recorded while a flush writes, go to
    the next flush together: state.json never says an event was handled before its receipt
    is saved."""
    writing, go = threading.Event(), threading.Event()
    real_write = storage_module.WriteBehindStorage._write

    def slow_write(self: storage_module.WriteBehindStorage, *args: object) -> None:
        if self.path.name.startswith("2026-") and not go.is_set():
            writing.set()
            go.wait(5)
        real_write(self, *args)  # type: ignore[arg-type]

    history = History.open(data_dir, clock=clock, flush_interval=3600)
    try:
        send(history, "u1", T0)
        history.set_resume_point("ws://relay/events", 1)
        monkeypatch.setattr(storage_module.WriteBehindStorage, "_write", slow_write)
        flusher = threading.Thread(target=history.flush)
        flusher.start()
        assert writing.wait(5)
        history.apply_receipt("u1", "delivered", T0 + 1, T0 + 1)  # event 2
        history.set_resume_point("ws://relay/events", 2)
        go.set()
        flusher.join()
        state = json.loads((data_dir / "history" / "state.json").read_bytes())
        assert state["meta"]["1"]["resume"] == {"ws://relay/events": 1}
        history.flush()
        state = json.loads((data_dir / "history" / "state.json").read_bytes())
        assert state["meta"]["1"]["resume"] == {"ws://relay/events": 2}
    finally:
        go.set()
        history.close()
    with History.open(data_dir, clock=clock) as again:
        message = again.message_by_umid("u1")
        assert message is not None and message.status == "delivered"
