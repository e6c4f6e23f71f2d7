"""The feed's rows as the history has them, built off the UI loop (`FeedStore.from_history`)
and handed to the feed whole (`take_over`): the same rows, order and counts as a merge on
the loop gave, and views of the feed follow."""

from __future__ import annotations

from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from console.core import Accepted, ConsoleCore, SentSms
from console.feed.query import parse_filter
from console.feed.rows import NO_FINAL, STALE_AFTER, FeedRow, FeedStore
from console.feed.view import FeedView
from console.store import Message

T0 = 1_800_000_000.0
SMALL = {"hot_rows": 4, "seal_rows": 4}  # packing shows with a handful of rows


def clock() -> float:
    return T0


def stored(umid: str, status: str, created: float, peer: str = "+6590000000") -> Message:
    return Message(umid, f"ref-{umid}", "sms", "out", peer, "hi", status, created)


def newest_first(messages: list[Message]) -> list[Message]:
    """As History.todays_messages gives them: newest first, ties in the order recorded."""
    return sorted(messages, key=lambda message: message.created_at, reverse=True)


def merged_on_the_loop(messages: list[Message], max_rows: int, **options: int) -> FeedStore:
    """The way the feed screen built its rows before: the history's rows merged in one go."""
    store = FeedStore(max_rows=max_rows, clock=clock, **options)
    rows = [FeedRow.from_stored(message) for message in newest_first(messages)]
    store.merge(row for row in rows if row is not None)
    return store


def test_the_window_lists_the_historys_messages_oldest_first_packed_and_judged() -> None:
    messages = [stored(f"m{n:02d}", "delivered", T0 - 600 + n) for n in range(20)]
    messages.append(stored("late", "sent", T0 - STALE_AFTER - 1))  # no final receipt in 48 h
    messages.append(Message("in", None, "sms", "in", "+1", "hi", "received", T0))  # inbound
    window = FeedStore.from_history(newest_first(messages), max_rows=100, clock=clock, **SMALL)

    assert [row.umid for row in window.order] == ["late"] + [f"m{n:02d}" for n in range(20)]
    assert window.history_loaded
    assert window.packed >= len(window) - (4 + 4), "all but the newest rows packed already"
    assert window.counts == Counter({"delivered": 20, NO_FINAL: 1})
    late = window.get("late")
    assert late is not None and late.status == NO_FINAL


def test_messages_sent_at_the_same_time_keep_the_order_they_were_recorded_in() -> None:
    """A batch's messages share their sent time: listed in the order sent, as live rows are."""
    batch = [stored(f"b{n}", "sent", T0 - 5) for n in range(10)]
    window = FeedStore.from_history(newest_first(batch), max_rows=100, clock=clock, **SMALL)
    assert [row.umid for row in window.order] == [f"b{n}" for n in range(10)]


def test_a_window_beyond_the_feeds_rows_keeps_the_newest_and_counts_the_rest() -> None:
    messages = [stored(f"m{n:02d}", "delivered", T0 - 100 + n) for n in range(30)]
    window = FeedStore.from_history(newest_first(messages), max_rows=12, clock=clock, **SMALL)
    assert [row.umid for row in window.order] == [f"m{n:02d}" for n in range(18, 30)]
    assert (len(window), window.seen) == (12, 30)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["queued", "sent", "delivered", "undelivered", "read"]),
            st.integers(0, 40),  # seconds before now: ties are frequent
        ),
        max_size=40,
    ),
    st.integers(1, 30),
)
def test_built_in_a_thread_or_merged_on_the_loop_the_feed_is_the_same(
    messages: list[tuple[str, int]], max_rows: int
) -> None:
    history = [
        stored(f"u{n}", status, T0 - age * 3_600, peer=f"+65900000{n:02d}")
        for n, (status, age) in enumerate(messages)
    ]
    window = FeedStore.from_history(newest_first(history), max_rows=max_rows, clock=clock, **SMALL)
    before = merged_on_the_loop(history, max_rows, **SMALL)
    before.expire()

    def shown(store: FeedStore) -> list[tuple[str, str, float]]:
        return [(row.umid, row.status, row.at) for row in store.order]

    assert shown(window) == shown(before)
    assert window.counts == before.counts
    assert (len(window), window.seen) == (len(before), before.seen)


def test_an_empty_feed_takes_the_window_over_and_its_views_follow() -> None:
    feed = FeedStore(max_rows=50, clock=clock, **SMALL)
    everything = FeedView(feed)
    undelivered = FeedView(feed, parse_filter("status:undelivered", now=T0))
    counts = everything.counts
    history = [
        stored(f"m{n}", "delivered" if n % 3 else "undelivered", T0 - 99 + n) for n in range(12)
    ]
    window = FeedStore.from_history(newest_first(history), max_rows=50, clock=clock, **SMALL)

    assert feed.take_over(window)

    assert [row.umid for row in everything.rows] == [f"m{n}" for n in range(12)]
    assert [row.umid for row in undelivered.rows] == ["m0", "m3", "m6", "m9"]
    assert everything.counts is counts and counts == Counter({"delivered": 8, "undelivered": 4})
    assert feed.history_loaded
    found = feed.get("m3")
    assert found is not None and found.status == "undelivered"


def test_a_feed_taken_over_moves_on_with_live_receipts() -> None:
    feed = FeedStore(max_rows=50, clock=clock, **SMALL)
    core = ConsoleCore(on_change=feed.apply, clock=clock)
    history = [stored(f"m{n}", "sent", T0 - 60 + n) for n in range(10)]
    window = FeedStore.from_history(newest_first(history), max_rows=50, clock=clock, **SMALL)
    assert feed.take_over(window)

    core.record_sent([SentSms("+6591000001", Accepted("new", "ref-new"))], "hi")
    from console.core import Changes, Delivery

    feed.apply(Changes(deliveries={"m0": Delivery("m0", "delivered")}, receipts=1))
    assert [row.umid for row in feed.order][-1] == "new"
    oldest = feed.get("m0")
    assert oldest is not None and oldest.status == "delivered", "a packed row moved on"
    assert feed.counts == Counter({"sent": 9, "delivered": 1, "queued": 1})


def test_a_feed_with_rows_already_is_left_as_it_is() -> None:
    """Rows the feed has (a send recorded before the history opened) are never replaced: the
    window is not taken over, and the feed screen merges the history's rows as before."""
    feed = FeedStore(max_rows=50, clock=clock, **SMALL)
    core = ConsoleCore(on_change=feed.apply, clock=clock)
    core.record_sent([SentSms("+6591000001", Accepted("early", "ref-early"))], "hi")
    window = FeedStore.from_history([stored("m0", "sent", T0 - 5)], max_rows=50, clock=clock)

    assert not feed.take_over(window)
    assert [row.umid for row in feed.order] == ["early"]
    assert not feed.history_loaded


def test_a_window_of_another_size_is_not_taken_over() -> None:
    feed = FeedStore(max_rows=50, clock=clock)
    window = FeedStore.from_history([stored("m0", "sent", T0 - 5)], max_rows=10, clock=clock)
    assert not feed.take_over(window)
    assert len(feed) == 0
