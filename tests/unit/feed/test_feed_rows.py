"""FeedStore: one row per message, forward only, counters, the newest-N bound, "no final
receipt" after 48 h, receipts per second: fed by the real console core."""

from __future__ import annotations

import itertools
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from console.core import Accepted, Changes, ConsoleCore, Delivery, SentSms
from console.feed.rows import NO_FINAL, STALE_AFTER, FeedRow, FeedStore, StoreDelta
from console.live.events import Event, MessageTimeline, receipt_from_event
from console.store import Message

AT = "2026-11-27T05:00:00.000Z"
T0 = 1_800_000_000.0


class Clock:
    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


_seqs = itertools.count(1)


def receipt(umid: str, state: str, *, second: int = 0, **extra: object) -> Event:
    status: dict[str, object] = {"state": state, "timestamp": f"2026-11-27T05:00:{second:02d}.00Z"}
    for name in ("errorCode", "errorMessage", "detail"):
        if name in extra:
            status[name] = extra.pop(name)
    payload = {"umid": umid, "destination": "+6591234567", "status": status, **extra}
    return Event(next(_seqs), AT, "SMS", "outbound_message_status_changed", payload)


def fed(clock: Clock | None = None, **options: object) -> tuple[ConsoleCore, FeedStore]:
    clock = clock or Clock()
    store = FeedStore(clock=clock, **options)  # type: ignore[arg-type]
    core = ConsoleCore(on_change=store.apply, clock=clock)
    return core, store


def send(core: ConsoleCore, *umids: str, batch: str | None = "b-1") -> None:
    core.record_sent(
        [SentSms(f"+659100{n:04d}", Accepted(u, f"ref-{u}")) for n, u in enumerate(umids)],
        "hello",
        batch_id=batch,
    )


def test_a_batch_sent_is_one_row_per_message_in_the_order_sent() -> None:
    core, store = fed()
    send(core, "a", "b", "c")
    assert [row.umid for row in store.order] == ["a", "b", "c"]
    row = store.get("b")
    assert row is not None
    assert (row.destination, row.client_message_id, row.batch_id, row.channel) == (
        "+6591000001",
        "ref-b",
        "b-1",
        "sms",
    )
    assert store.counts == Counter(queued=3)


def test_receipts_update_rows_in_place_never_adding_one_per_receipt() -> None:
    core, store = fed()
    send(core, "a", "b")
    core.apply_events(
        [
            receipt("a", "sent", second=1),
            receipt("b", "sent", second=1),
            receipt("a", "delivered", second=2, smsCount=2,
                    price={"total": 0.09, "perSms": 0.045, "currency": "EUR"}),
            receipt("b", "undelivered", second=3, errorCode=46, errorMessage="absent"),
        ]
    )  # fmt: skip
    assert len(store) == 2
    a, b = store.get("a"), store.get("b")
    assert a is not None and b is not None
    assert (a.status, a.sms_count, a.price, a.currency) == ("delivered", 2, 0.09, "EUR")
    assert (b.status, b.error_code) == ("undelivered", 46)
    assert store.counts == Counter(delivered=1, undelivered=1)
    assert store.final == 2
    assert store.rate.total == 4


def test_a_receipt_for_a_message_sent_elsewhere_is_a_row_with_what_it_tells() -> None:
    core, store = fed()
    core.apply_events([receipt("x", "sent", batchId="b-9", clientMessageId="theirs")])
    row = store.get("x")
    assert row is not None
    assert (row.destination, row.batch_id, row.client_message_id) == (
        "+6591234567",
        "b-9",
        "theirs",
    )
    assert row.at == T0


def test_a_receipt_that_beats_the_send_answer_keeps_its_status_and_gains_the_details() -> None:
    core, store = fed()
    core.apply_events([receipt("a", "delivered", second=2)])
    send(core, "a")
    row = store.get("a")
    assert row is not None and len(store) == 1
    assert (row.status, row.client_message_id, row.batch_id) == ("delivered", "ref-a", "b-1")
    assert store.counts == Counter(delivered=1)


def test_the_newest_rows_are_kept_and_the_rest_counted() -> None:
    core, store = fed(max_rows=3)
    send(core, *"abcde")
    assert [row.umid for row in store.order] == ["c", "d", "e"]
    assert (len(store), store.seen, store.dropped) == (3, 5, 2)
    assert sum(store.counts.values()) == 3
    core.apply_events([receipt("a", "delivered")])
    assert store.get("a") is None, "a late receipt for a message let go does not bring it back"
    assert len(store) == 3


def test_no_final_receipt_after_48_hours_until_one_comes() -> None:
    clock = Clock()
    core, store = fed(clock)
    send(core, "a", "b")
    core.apply_events([receipt("a", "sent")])
    clock.now += STALE_AFTER - 1
    assert not store.expire()
    clock.now += 1
    delta = store.expire()
    assert {row.umid for row, _ in delta.changed} == {"a", "b"}
    assert [before for _, before in delta.changed] == ["sent", "queued"]
    assert store.counts == Counter({NO_FINAL: 2})
    core.apply_events([receipt("a", "delivered", second=9)])
    a = store.get("a")
    assert a is not None and a.status == "delivered" and not a.stale
    assert store.counts == Counter({NO_FINAL: 1, "delivered": 1})
    assert not store.expire(), "a message is marked once"


def test_history_rows_merge_forward_only_and_old_pending_ones_are_late() -> None:
    clock = Clock()
    core, store = fed(clock)
    send(core, "a")
    core.apply_events([receipt("a", "delivered")])

    def stored(umid: str, status: str, created: float) -> Message:
        return Message(umid, f"ref-{umid}", "sms", "out", "+6590000000", "hi", status, created)

    rows = [
        FeedRow.from_stored(stored("a", "sent", T0 - 10)),
        FeedRow.from_stored(stored("old", "sent", T0 - 3 * 86_400)),
        FeedRow.from_stored(stored("mid", "undelivered", T0 - 60)),
        FeedRow.from_stored(Message(None, "c", "sms", "out", "+1", "x", "sent", T0)),
        FeedRow.from_stored(Message("in", None, "sms", "in", "+1", "hi", "received", T0)),
    ]
    delta = store.merge(row for row in rows if row is not None)
    assert delta.resorted
    assert [row.umid for row in store.order] == ["old", "mid", "a"]
    a = store.get("a")
    assert a is not None and a.status == "delivered", "the history never moves a row back"
    assert store.counts == Counter({"delivered": 1, "undelivered": 1, NO_FINAL: 1})


def test_listeners_get_one_delta_per_change_and_nothing_for_no_change() -> None:
    core, store = fed()
    deltas: list[StoreDelta] = []
    store.subscribe(deltas.append)
    send(core, "a")
    core.apply_events([receipt("a", "sent")])
    core.apply_events([receipt("a", "sent")])  # a duplicate moves nothing
    assert len(deltas) == 2
    assert [row.umid for row in deltas[0].added] == ["a"]
    assert [(row.umid, before) for row, before in deltas[1].changed] == [("a", "queued")]
    store.unsubscribe(deltas.append)
    core.apply_events([receipt("a", "delivered")])
    assert len(deltas) == 2


def test_a_status_lookup_moves_a_row() -> None:
    core, store = fed()
    send(core, "a")
    store.apply(Changes(deliveries={"a": Delivery("a", "delivered", sms_count=1)}, receipts=1))
    row = store.get("a")
    assert row is not None and (row.status, row.sms_count) == ("delivered", 1)


def test_the_store_needs_room_for_a_row() -> None:
    with pytest.raises(ValueError):
        FeedStore(max_rows=0)


# --- out of order and duplicated ------------------------------------------------------------

STATES = ["queued", "sent", "delivered", "undelivered", "rejected", "read"]
one_receipt = st.tuples(
    st.sampled_from(["m1", "m2", "m3", "m4"]),
    st.sampled_from(STATES),
    st.integers(min_value=0, max_value=9),
    st.sampled_from([None, "delivered_to_operator", "undelivered_to_recipient"]),
    st.sampled_from([None, 46, 36]),
)


@given(
    sent=st.lists(st.sampled_from(["m1", "m2", "m3", "m4"]), unique=True),
    receipts=st.lists(one_receipt, max_size=40),
    duplicates=st.lists(st.integers(min_value=0, max_value=39), max_size=10),
    cuts=st.lists(st.integers(min_value=0, max_value=50), max_size=6),
    order=st.randoms(use_true_random=False),
)
def test_out_of_order_and_duplicated_receipts_leave_the_right_status_and_counters(
    sent: list[str], receipts: list[tuple], duplicates: list[int], cuts: list[int], order
) -> None:
    """Whatever the order, duplication and batching of the receipts, and whether the send's
    answer comes before or after them, each row ends in the status that the receipts add up
    to, and the counters count exactly the rows' statuses."""
    events = [
        receipt(umid, state, second=second, **({"detail": detail} if detail else {}),
                **({"errorCode": code} if code else {}))
        for umid, state, second, detail, code in receipts
    ]  # fmt: skip
    events += [events[i] for i in duplicates if i < len(events)]  # 8x8 sending one twice
    events += [
        Event(next(_seqs), AT, e.namespace, e.event_type, e.payload)
        for e in events[: len(duplicates)]
    ]  # the same receipt again under a new relay seq
    order.shuffle(events)
    core, store = fed()
    bounds = sorted({0, len(events), *(c for c in cuts if c <= len(events))})
    send_at = order.randint(0, len(bounds) - 1)
    for index, (start, end) in enumerate(itertools.pairwise(bounds)):
        if index == send_at:
            send(core, *sent)
        core.apply_events(events[start:end])
    if send_at >= len(bounds) - 1:
        send(core, *sent)

    expected: dict[str, str] = {}
    for umid in {*sent, *(r[0] for r in receipts)}:
        timeline = MessageTimeline(umid)
        if umid in sent:
            timeline.apply(Accepted(umid).receipt(AT))
        for event in events:
            parsed = receipt_from_event(event)
            if parsed is not None and parsed.umid == umid:
                timeline.apply(parsed)
        assert timeline.state is not None
        expected[umid] = timeline.state
    assert {umid: row.status for umid, row in store.rows.items()} == expected
    assert store.counts == Counter(expected.values())
    assert store.rate.total == len(events)
