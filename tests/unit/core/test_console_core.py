"""ConsoleCore without a UI and without a server: events and sends in, Changes out."""

from __future__ import annotations

import itertools
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from console.core import Accepted, Changes, ConsoleCore, SentSms
from console.live.events import Event, GapNotice
from console.store import History

AT = "2026-11-27T05:00:00.000Z"
RELAY = "wss://relay.example.com/events"
_seqs = itertools.count(1)


def receipt(umid: str, state: str, *, second: int = 0, **status: object) -> Event:
    payload = {
        "umid": umid,
        "subAccountId": "acme",
        "destination": "+6591234567",
        "status": {"state": state, "timestamp": f"2026-11-27T05:00:{second:02d}.00Z", **status},
    }
    return Event(next(_seqs), AT, "SMS", "outbound_message_status_changed", payload)


def inbound(umid: str, text: str, *, peer: str = "+6591234567") -> Event:
    payload = {
        "umid": umid,
        "timestamp": "2026-11-27T05:01:00.00Z",
        "user": {"msisdn": peer, "name": "Jane"},
        "recipient": {"channel": "WhatsApp", "channelId": "wa"},
        "type": "text",
        "content": {"text": text},
    }
    return Event(next(_seqs), AT, "ChatApps", "inbound_message_received", payload)


@pytest.fixture
def core(history: History, published: list[Changes]) -> ConsoleCore:
    return ConsoleCore(history=history, on_change=published.append, clock=lambda: 1_800_000_000.0)


def sent(umid: str, number: str = "+6591234567", **kwargs: object) -> SentSms:
    return SentSms(number, Accepted(umid, f"cid-{umid}", **kwargs))  # type: ignore[arg-type]


def test_a_batch_of_receipts_is_one_change_with_one_delivery_per_message(
    core: ConsoleCore, published: list[Changes]
) -> None:
    events = [
        receipt("u-1", "sent", second=1),
        receipt("u-2", "sent", second=1),
        receipt("u-1", "delivered", second=2),
        receipt("u-2", "undelivered", second=3, errorCode=46, errorMessage="absent"),
    ]
    changes = core.apply_events(events)
    assert published == [changes]
    assert list(changes.deliveries) == ["u-1", "u-2"]
    assert changes.deliveries["u-1"].state == "delivered"
    assert changes.deliveries["u-2"].label == "✗ undelivered · 46 subscriber not reachable"
    assert not changes.sent and not changes.inbound and changes.gap is None


def test_receipts_that_move_nothing_change_no_delivery_but_are_counted(
    core: ConsoleCore, published: list[Changes]
) -> None:
    core.apply_events([receipt("u-1", "delivered", second=5)])
    published.clear()
    changes = core.apply_events([receipt("u-1", "sent", second=1), receipt("u-1", "queued")])
    assert not changes.deliveries and not changes.sent
    assert changes.receipts == 2, "late receipts still count towards receipts per second"
    assert published == [changes]
    assert not core.apply_events([]), "no events, nothing to publish"
    delivery = core.delivery("u-1")
    assert delivery is not None and delivery.state == "delivered"


def test_the_latest_move_of_a_message_comes_last(core: ConsoleCore) -> None:
    changes = core.apply_events(
        [receipt("a", "sent"), receipt("b", "sent"), receipt("a", "delivered", second=2)]
    )
    assert list(changes.deliveries) == ["b", "a"]


def test_receipts_reach_the_history(core: ConsoleCore, history: History) -> None:
    core.record_sent([sent("u-1")], "hello")
    core.apply_events([receipt("u-1", "sent", second=1), receipt("u-1", "delivered", second=2)])
    stored = history.message_by_umid("u-1")
    assert stored is not None
    assert stored.status == "delivered"
    assert [r.state for r in stored.timeline] == ["sent", "delivered"]


def test_inbound_messages_are_recorded_as_conversations(
    core: ConsoleCore, history: History
) -> None:
    changes = core.apply_events([inbound("in-1", "Hi, where is my parcel?")])
    assert [m.text for m in changes.inbound] == ["Hi, where is my parcel?"]
    assert changes.inbound[0].conversation_id == "whatsapp:+6591234567"
    conversation = history.conversation("whatsapp:+6591234567")
    assert conversation is not None and conversation.unread == 1 and conversation.name == "Jane"
    stored = history.message_by_umid("in-1")
    assert stored is not None and stored.direction == "in"


def test_a_bad_event_is_skipped_and_the_rest_applied(
    tmp_path: Path, published: list[Changes]
) -> None:
    class BrokenHistory:
        """A history whose write fails for one message (a disk or a bug, it must not matter)."""

        def __init__(self, inner: History) -> None:
            self.inner = inner

        def apply_receipt(self, umid: str, *args: object, **kwargs: object) -> None:
            if umid == "bad":
                raise ValueError("cannot store this one")
            self.inner.apply_receipt(umid, *args, **kwargs)  # type: ignore[arg-type]

        def __getattr__(self, name: str) -> object:
            return getattr(self.inner, name)

    with History.open(tmp_path) as history:
        core = ConsoleCore(history=BrokenHistory(history), on_change=published.append)  # type: ignore[arg-type]
        changes = core.apply_events([receipt("bad", "sent"), receipt("good", "sent")])
    assert changes.skipped == 1
    assert list(changes.deliveries) == ["good"]


def test_the_resume_point_follows_the_relay_and_never_the_embedded_sandbox(
    core: ConsoleCore, history: History
) -> None:
    events = [receipt("u-1", "sent"), receipt("u-1", "delivered", second=1)]
    core.apply_events(events)
    assert core.resume_point() is None, "no relay followed: nothing saved"
    core.follow(RELAY)
    assert core.resume_point() == 0, "a first connection replays what the relay keeps"
    core.apply_events(events)
    assert history.resume_point(RELAY) == events[-1].seq
    assert core.resume_point() == events[-1].seq
    core.follow(None)
    core.apply_events([receipt("u-2", "sent")])
    assert history.resume_point(RELAY) == events[-1].seq


def test_a_gap_moves_the_resume_point_past_what_is_missing(
    core: ConsoleCore, history: History, published: list[Changes]
) -> None:
    core.follow(RELAY)
    notice = GapNotice.describe(since=10, resumes_at=50)
    changes = core.apply_gap(notice)
    assert changes.gap == notice and published == [changes]
    assert history.resume_point(RELAY) == 49


def test_sends_become_outbound_rows_with_their_delivery(
    core: ConsoleCore, history: History, published: list[Changes]
) -> None:
    changes = core.record_sent(
        [sent("u-1"), sent("u-2", "+6591234568", refused=True, reason="Invalid MSISDN")],
        "Your parcel is on its way",
        batch_id="b-1",
    )
    assert published == [changes]
    first, second = changes.sent
    assert (first.umid, first.destination, first.delivery.state) == ("u-1", "+6591234567", "queued")
    assert first.batch_id == "b-1" and first.client_message_id == "cid-u-1"
    assert first.sent_at == 1_800_000_000.0
    assert second.delivery.state == "rejected"
    assert second.delivery.label == "⊘ rejected · Invalid MSISDN"
    stored = history.message_by_umid("u-2")
    assert stored is not None and stored.status == "rejected"
    assert stored.error_message == "Invalid MSISDN"


def test_a_receipt_that_beat_the_send_response_shows_on_the_row(core: ConsoleCore) -> None:
    core.apply_events([receipt("u-1", "delivered", second=3)])
    changes = core.record_sent([sent("u-1")], "fast")
    assert changes.sent[0].delivery.state == "delivered"


def test_recent_sends_come_from_the_history_oldest_first(tmp_path: Path) -> None:
    with History.open(tmp_path) as history:
        clock = iter([100.0, 200.0])
        first = ConsoleCore(history=history, clock=lambda: next(clock))
        first.record_sent([sent("old")], "one")
        first.record_sent([sent("new-1"), sent("new-2")], "two")
        first.apply_events([receipt("old", "delivered", second=1)])
        again = ConsoleCore(history=history)  # a console started later: nothing in memory
        rows = again.recent_sent(10)
    assert [(row.umid, row.text, row.delivery.state) for row in rows] == [
        ("old", "one", "delivered"),
        ("new-1", "two", "queued"),
        ("new-2", "two", "queued"),  # a batch (one timestamp) keeps its order
    ]
    assert rows[0].sent_at == 100.0


def test_a_login_before_the_history_opens_is_recorded_when_it_does(tmp_path: Path) -> None:
    core = ConsoleCore()
    core.logged_in("acme", "8x8 Asia", "abcdef-key-123456")
    core.record_sent([sent("u-1")], "kept in memory")
    assert core.delivery("u-1") is not None
    with History.open(tmp_path) as history:
        core.attach_history(history)
        [login] = history.recent_logins()
    assert (login.subaccount, login.mode_label, login.key_tail) == ("acme", "8x8 Asia", "123456")


STATES = ("queued", "sent", "delivered", "undelivered", "rejected")


@given(
    st.lists(
        st.tuples(st.sampled_from(["a", "b", "c"]), st.sampled_from(STATES), st.integers(0, 9)),
        max_size=30,
    ),
    st.integers(1, 8),
)
def test_any_batching_ends_with_what_one_batch_would_show(
    receipts: list[tuple[str, str, int]], size: int
) -> None:
    """However the relay splits the receipts into batches, the last delivery published for
    each message is where one batch of all of them leaves it."""
    events = [receipt(umid, state, second=second) for umid, state, second in receipts]
    batched = ConsoleCore()
    last: dict[str, str] = {}
    for start in range(0, len(events), size):
        for umid, delivery in batched.apply_events(events[start : start + size]).deliveries.items():
            last[umid] = delivery.state
    whole = ConsoleCore().apply_events(events)
    assert last == {umid: delivery.state for umid, delivery in whole.deliveries.items()}


def test_history_updates_can_leave_the_ui_loop_in_order_one_hand_over_per_batch(
    history: History,
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    handed: list[int] = []
    with ThreadPoolExecutor(1) as writes:

        def background(job):  # type: ignore[no-untyped-def]
            handed.append(1)
            return writes.submit(job)

        core = ConsoleCore(history=history, background=background)
        core.follow(RELAY)
        core.record_sent([sent("u-1"), sent("u-2")], "hello")
        events = [receipt("u-1", "sent", second=1), receipt("u-1", "delivered", second=2)]
        changes = core.apply_events([*events, inbound("in-1", "hi")])
        assert changes.deliveries["u-1"].state == "delivered", "the answer does not wait"
    assert handed == [1, 1], "one hand-over for the sends, one for the batch"
    stored = history.message_by_umid("u-1")
    assert stored is not None and stored.status == "delivered"
    assert history.message_by_umid("in-1") is not None
    assert history.resume_point(RELAY) == events[-1].seq + 1


def test_a_failing_history_update_in_the_background_is_logged_not_raised(
    history: History, caplog: pytest.LogCaptureFixture
) -> None:
    jobs: list[object] = []
    core = ConsoleCore(history=history, background=lambda job: jobs.append(job))
    core.apply_events([receipt("u-1", "sent")])
    history.close()  # a write now fails (HistoryClosed)
    for job in jobs:
        job()  # type: ignore[operator]
    assert "a history update failed" in caplog.text


def test_a_delivery_carries_what_its_receipt_tells(core: ConsoleCore) -> None:
    event = receipt("u-9", "delivered", second=4)
    event.payload.update(
        batchId="b-7", clientMessageId="ref-1", smsCount=2,
        price={"total": 0.09, "perSms": 0.045, "currency": "EUR"},
    )  # fmt: skip
    delivery = core.apply_events([event]).deliveries["u-9"]
    assert (delivery.destination, delivery.batch_id, delivery.client_message_id) == (
        "+6591234567",
        "b-7",
        "ref-1",
    )
    assert delivery.sms_count == 2
    assert delivery.price is not None and delivery.price.total == 0.09
    assert delivery.received_at == AT
    assert delivery.provider_timestamp == "2026-11-27T05:00:04.00Z"


def test_a_batch_counts_its_receipts_duplicates_included(core: ConsoleCore) -> None:
    events = [receipt("u-1", "sent"), receipt("u-1", "sent"), inbound("in-1", "hi")]
    changes = core.apply_events(events)
    assert changes.receipts == 2
    assert list(changes.deliveries) == ["u-1"]


def test_a_status_lookup_moves_a_message_forward_only(
    core: ConsoleCore, history: History, published: list[Changes]
) -> None:
    from console.live.events import Receipt

    core.record_sent([sent("u-5")], "hello")
    answer = Receipt("u-5", "delivered", "SMS", AT, provider_timestamp=AT, source="lookup")
    changes = core.apply_lookup(answer)
    assert changes.deliveries["u-5"].state == "delivered"
    assert changes.receipts == 1 and published[-1] is changes
    timeline = core.timeline("u-5")
    assert timeline is not None and [r.source for r in timeline.receipts] == ["api", "lookup"]
    stored = history.message_by_umid("u-5")
    assert stored is not None and stored.status == "delivered"
    older = Receipt("u-5", "sent", "SMS", AT, provider_timestamp=AT, source="lookup")
    assert not core.apply_lookup(older).deliveries, "a lookup never moves a status back"


def test_the_shield_knows_when_its_live_ledger_heard_its_first_receipt() -> None:
    """Before it, what the console heard of is the history's alone (the Shield reads it
    there); from it on, the live ledger counts every receipt."""
    core = ConsoleCore()
    assert core.traffic_since is None
    core.apply_events([receipt("u-1", "delivered", second=3)])
    assert core.traffic_since == datetime.fromisoformat(AT.replace("Z", "+00:00")).timestamp()
    core.apply_events([receipt("u-2", "delivered", second=9)])
    assert core.traffic_since == datetime.fromisoformat(AT.replace("Z", "+00:00")).timestamp()
