"""The send journal: an accepted send is on disk (one fsync) before the console shows it; the
writer folds it into the day parts and drops it; a reopened history replays what is left,
never twice. And a receipt for a message the history does not know makes its row."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from console.store import History
from console.store import journal as journal_module
from console.store.journal import Journal, ReceiptRow, SentRow, room_entry, sent_entry

NOW = 1_800_000_000.0


def clock() -> float:
    return NOW


def rows(count: int, *, prefix: str = "u", refused: int | None = None) -> list[SentRow]:
    return [
        SentRow(
            f"{prefix}{n}",
            f"ref-{prefix}{n}",
            "sms",
            f"+659100{n:04d}",
            n == refused,
            "blocked" if n == refused else None,
        )
        for n in range(count)
    ]


def open_idle(data_dir: Path) -> History:
    """A history whose writer never flushes on its own (a kill before the flush)."""
    return History.open(data_dir, clock=clock, flush_interval=3600)


def killed_copy(data_dir: Path, tmp_path: Path, name: str = "after-kill") -> Path:
    """What the disk holds now, as a console killed at this moment would leave it."""
    copy = tmp_path / name
    shutil.copytree(data_dir, copy)
    return copy


def journal_files(data_dir: Path) -> list[str]:
    return sorted(path.name for path in (data_dir / "history").glob("sends-*.journal"))


def test_a_batch_is_one_journal_line_and_one_fsync(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fsyncs: list[int] = []
    real_fsync = os.fsync
    monkeypatch.setattr(journal_module.os, "fsync", lambda fd: (fsyncs.append(fd), real_fsync(fd)))
    with open_idle(data_dir) as history:
        history.record_sent(rows(1, prefix="first"), "first", NOW)  # opens the segment
        fsyncs.clear()
        history.record_sent(rows(500), "hello", NOW, batch_id="b-1")
        assert len(fsyncs) == 1
        [name] = journal_files(data_dir)
        content = (data_dir / "history" / name).read_bytes()
        assert content.count(b"\n") == 2 and content.count(b"hello") == 1
        assert len(history.recent_messages(1_000)) == 501


def test_a_send_survives_a_kill_before_any_flush(data_dir: Path, tmp_path: Path) -> None:
    with open_idle(data_dir) as history:
        history.record_sent(rows(3, refused=1), "hello", NOW, batch_id="b-1")
        history.record_room("room-0001", "https://g/1", "+6591", NOW, NOW + 900, durable=True)
        copy = killed_copy(data_dir, tmp_path)
    with History.open(copy, clock=clock) as reopened:
        messages = {m.umid: m for m in reopened.recent_messages(10)}
        assert set(messages) == {"u0", "u1", "u2"}
        assert messages["u0"].text == "hello" and messages["u0"].batch_id == "b-1"
        assert messages["u0"].client_message_id == "ref-u0"
        assert messages["u1"].status == "rejected"
        assert messages["u1"].error_message == "blocked"
        assert [room.call_reference for room in reopened.rooms()] == ["room-0001"]
    assert journal_files(copy) == [], "the replay is saved, then the journal dropped"


def test_the_flush_folds_the_journal_into_the_parts_and_drops_it(
    data_dir: Path, tmp_path: Path
) -> None:
    with open_idle(data_dir) as history:
        history.record_sent(rows(2), "hello", NOW)
        assert len(journal_files(data_dir)) == 1
        history.flush()
        assert journal_files(data_dir) == []
        history.record_sent(rows(2, prefix="v"), "again", NOW)
        assert len(journal_files(data_dir)) == 1, "the next send starts the next segment"
        copy = killed_copy(data_dir, tmp_path)
    with History.open(copy, clock=clock) as reopened:
        assert sorted(m.umid for m in reopened.recent_messages(10)) == ["u0", "u1", "v0", "v1"]


def test_a_replay_of_what_the_parts_already_hold_duplicates_nothing(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Killed after the parts were saved but before the journal was dropped."""
    monkeypatch.setattr(Journal, "drop_through", lambda self, segment: None)
    with open_idle(data_dir) as history:
        history.record_sent(rows(3, refused=2), "hello", NOW, conversation_id="sms:+65")
        history.record_room("room-0001", "https://g/1", None, NOW, NOW + 900, durable=True)
        history.apply_receipt("u0", "delivered", NOW + 1, NOW + 1)
        history.flush()
        copy = killed_copy(data_dir, tmp_path)
    assert journal_files(copy)
    for _ in range(2):  # replayed twice (the drop never happens here): still the same
        with History.open(copy, clock=clock) as reopened:
            messages = reopened.recent_messages(10)
            assert sorted(m.umid for m in messages) == ["u0", "u1", "u2"]
            by_umid = {m.umid: m for m in messages}
            assert by_umid["u0"].status == "delivered", "the status never moves back"
            assert [r.state for r in by_umid["u2"].timeline] == ["rejected"], "one refusal"
            assert len(reopened.rooms()) == 1
            assert len(reopened.conversation_messages("sms:+65")) == 3


def test_a_line_cut_short_by_a_kill_is_skipped_and_said(data_dir: Path, tmp_path: Path) -> None:
    with open_idle(data_dir) as history:
        history.record_sent(rows(2), "kept", NOW)
        copy = killed_copy(data_dir, tmp_path)
    [name] = journal_files(copy)
    with open(copy / "history" / name, "ab") as handle:
        handle.write(b'{"k":"sent","at":1,"text":"never shown","m":[["x","y"')
    with History.open(copy, clock=clock) as reopened:
        assert sorted(m.umid for m in reopened.recent_messages(10)) == ["u0", "u1"]
        assert any("send journal" in notice for notice in reopened.notices)


def test_a_receipt_for_an_unknown_message_makes_its_row(data_dir: Path) -> None:
    row = ReceiptRow("sms", "+6591234567", "other-ref", "b-9")
    with History.open(data_dir, clock=clock) as history:
        message = history.apply_receipt("theirs", "delivered", NOW, NOW, row=row)
        assert message is not None
        assert (message.peer, message.text, message.status) == ("+6591234567", "", "delivered")
        assert (message.batch_id, message.client_message_id) == ("b-9", "other-ref")
        assert message.heard_only, "not sent by this console"
        history.apply_receipt("theirs", "delivered", NOW, NOW + 1, row=row)  # twice: one row
    with History.open(data_dir, clock=clock) as again:
        [kept] = again.recent_messages(10)
        assert kept.umid == "theirs" and kept.status == "delivered" and len(kept.timeline) == 2


def test_a_row_made_from_a_receipt_is_completed_when_the_send_is_recorded(
    data_dir: Path,
) -> None:
    """The common race: the receipt beats the send's answer."""
    with History.open(data_dir, clock=clock) as history:
        history.apply_receipt(
            "u0", "sent", NOW + 1, NOW + 1, row=ReceiptRow("sms", "+6591000000", "ref-u0")
        )
        history.record_sent(rows(1), "hello", NOW, batch_id="b-1", conversation_id="sms:+65")
    with History.open(data_dir, clock=clock) as again:
        [message] = again.recent_messages(10)
        assert (message.text, message.status, message.batch_id) == ("hello", "sent", "b-1")
        assert not message.heard_only
        assert message.conversation_id == "sms:+65"
        assert again.find_messages(text="hello")[0].umid == "u0"


@settings(max_examples=40)
@given(
    lines=st.lists(
        st.one_of(
            st.builds(
                sent_entry,
                st.lists(
                    st.builds(
                        SentRow,
                        st.text(min_size=1, max_size=8),
                        st.none() | st.text(max_size=8),
                        st.sampled_from(["sms", "whatsapp"]),
                        st.text(max_size=16),
                        st.booleans(),
                        st.none() | st.text(max_size=8),
                    ),
                    max_size=4,
                ),
                st.text(max_size=40),
                st.floats(0, 2e9),
            ),
            st.builds(
                room_entry,
                st.text(max_size=20),
                st.text(),
                st.none() | st.text(),
                st.floats(0, 2e9),
                st.floats(0, 2e9),
            ),
        ),
        max_size=6,
    )
)
def test_the_journal_reads_back_what_it_wrote(
    tmp_path_factory: pytest.TempPathFactory, lines
) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path_factory.mktemp("journal")
    journal = Journal(folder)
    journal.load()
    for entry in lines:
        journal.append([entry])
    journal.seal()
    journal.close()
    read, damaged = Journal(folder).load()
    assert damaged == 0
    assert read == lines
