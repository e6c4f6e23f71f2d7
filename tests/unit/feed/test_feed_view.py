"""FeedView follows its store incrementally and always equals a fresh filter of it."""

from __future__ import annotations

from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from console.core import Changes, Delivery
from console.core.model import Outbound
from console.feed.query import FeedFilter, parse_filter
from console.feed.rows import NO_FINAL, STALE_AFTER, FeedStore
from console.feed.view import FeedView

T0 = 1_800_000_000.0


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


def outbound(umid: str, at: float, *, channel: str = "sms", batch: str = "b-1") -> Outbound:
    return Outbound(
        umid, f"+6591{umid[-4:].rjust(4, '0')}", "hi", at, Delivery(umid, "queued"),
        channel, f"ref-{umid}", batch,
    )  # fmt: skip


def check(view: FeedView) -> None:
    expected = [row for row in view.store.order if view.filter.matches(row)]
    assert len(view) == len(expected)
    assert [row.umid for row in view.rows] == [row.umid for row in expected]
    assert +view.counts == Counter(row.status for row in expected)


def test_no_filter_is_the_store_itself() -> None:
    store = FeedStore()
    view = FeedView(store)
    store.apply(Changes(sent=(outbound("a", T0), outbound("b", T0))))
    assert view.rows is store.order and len(view) == 2
    assert not view.filtered


def test_a_status_filter_follows_rows_in_and_out() -> None:
    store = FeedStore()
    view = FeedView(store, parse_filter("status:sent", now=T0))
    store.apply(Changes(sent=tuple(outbound(f"m{n}", T0 + n) for n in range(5))))
    assert len(view) == 0
    store.apply(Changes(deliveries={"m3": Delivery("m3", "sent"), "m1": Delivery("m1", "sent")}))
    assert [row.umid for row in view.rows] == ["m1", "m3"], "kept in time order"
    store.apply(Changes(deliveries={"m1": Delivery("m1", "delivered")}))
    assert [row.umid for row in view.rows] == ["m3"]
    assert view.counts == Counter(sent=1)
    assert view.rebuilds == 1, "only the filter change rebuilt"
    check(view)


def test_index_of_finds_a_row_or_says_it_is_not_shown() -> None:
    store = FeedStore()
    view = FeedView(store, parse_filter("status:queued", now=T0))
    store.apply(Changes(sent=tuple(outbound(f"m{n}", T0 + n) for n in range(4))))
    row = store.get("m2")
    assert row is not None and view.index_of(row) == 2
    store.apply(Changes(deliveries={"m2": Delivery("m2", "sent")}))
    assert view.index_of(row) is None


def test_a_big_delta_rebuilds_once_when_read() -> None:
    store = FeedStore()
    view = FeedView(store, FeedFilter(statuses=frozenset({"sent"})))
    store.apply(Changes(sent=tuple(outbound(f"m{n:04d}", T0) for n in range(1000))))
    moved = {f"m{n:04d}": Delivery(f"m{n:04d}", "sent") for n in range(900)}
    store.apply(Changes(deliveries=moved))
    before = view.rebuilds
    assert len(view) == 900
    assert view.rebuilds == before + 1
    check(view)


FILTERS = [
    "", "status:sent", "status:final", "status:nofinal,queued", "channel:wa",
    "m1", "to:65910", "batch:b-2", "status:pending channel:sms",
]  # fmt: skip
MOVES = ["sent", "delivered", "undelivered", "read"]
operation = st.one_of(
    st.tuples(
        st.just("send"), st.integers(0, 30), st.integers(-5, 5), st.sampled_from(["sms", "wa"])
    ),
    st.tuples(st.just("move"), st.integers(0, 30), st.sampled_from(MOVES), st.just("")),
    st.tuples(st.just("time"), st.integers(0, 1), st.just(""), st.just("")),
    st.tuples(st.just("filter"), st.sampled_from(FILTERS), st.just(""), st.just("")),
)


@settings(max_examples=150)
@given(st.lists(operation, max_size=40), st.integers(2, 12))
def test_the_view_always_equals_a_fresh_filter_of_the_store(ops: list, max_rows: int) -> None:
    clock = Clock()
    store = FeedStore(max_rows=max_rows, clock=clock)
    view = FeedView(store)
    for kind, a, b, c in ops:
        if kind == "send":
            at = clock.now + b
            batch = "b-2" if a % 3 == 0 else "b-1"
            store.apply(Changes(sent=(outbound(f"m{a}", at, channel=c, batch=batch),)))
        elif kind == "move":
            store.apply(Changes(deliveries={f"m{a}": Delivery(f"m{a}", b)}))
        elif kind == "time":
            clock.now += STALE_AFTER if a else 1
            store.expire()
        else:
            view.set_filter(parse_filter(a, now=clock.now))
        check(view)
    assert all(row.status != NO_FINAL or not row.final for row in store.order)
