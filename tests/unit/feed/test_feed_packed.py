"""Rows packed (console/feed/packed.py) answer exactly as rows kept as objects would: for any
sequence of sends, receipts, history merges, evictions, expiry and filters, the packed store
and the plain one (plain_store.py, the store before packing) list the same rows, in the same
order, with the same fields, counters and filtered views; and a row someone holds stays the
row the store hands out."""

from __future__ import annotations

import gc
from collections import Counter
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from plain_store import PlainStore, PlainView

from console.core.model import Changes, Delivery, Outbound
from console.feed.packed import Chunk
from console.feed.query import EVERYTHING, FeedFilter, parse_filter
from console.feed.row import FIELDS, FeedRow
from console.feed.rows import FeedStore
from console.feed.view import FeedView
from console.live.events import Price

T0 = 1_800_000_000.0
STALE = 10.0
UUIDS = [f"0a1b2c3d-000{n % 3}-4000-8000-{n:012x}" for n in range(8)]  # as 8x8 writes them
# Short umids and UUIDs (a chunk of only UUIDs packs them as 16 bytes), and two that only
# look like one: uppercase, and a dash out of place.
UMIDS = [
    *(f"m{n}" for n in range(6)),
    *UUIDS,
    "0A1B2C3D-0000-4000-8000-00000000000A",
    "0a1b2c3d0-000-4000-8000-00000000000b",
]
STATES = ["queued", "sent", "delivered", "undelivered", "rejected", "failed"]
FILTERS = [
    "status:sent,queued",
    "status:nofinal,delivered",
    "status:final channel:whatsapp",
    "batch:b-2",
    "to:6591",
    "m1",
    "ref-m",
    "channel:sms status:pending",
    "to:9100",
    "700900 status:sent",
    "M1 REF",
    "0001-4000",  # across a UUID's dash
    "C3D-0002 status:sent",
    "8000-000000000005",
    "-",
    "0a1b2c3d0",  # the one with a dash out of place
]


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


def maybe(values: list[Any]) -> st.SearchStrategy[Any]:
    return st.none() | st.sampled_from(values)


deliveries = st.builds(
    lambda umid, state, detail, code, text, channel, number, ref, batch, count, price: Delivery(
        umid,
        state,
        detail=detail,
        error_code=code,
        error_message=text,
        channel=channel,
        destination=number,
        client_message_id=ref,
        batch_id=batch,
        sms_count=count,
        price=None if price is None else Price(price, "EUR"),
    ),
    st.sampled_from(UMIDS),
    st.sampled_from(STATES),
    maybe(["sent_to_operator", "delivered_to_recipient"]),
    maybe([46, 99]),
    maybe(["Subscriber not reachable"]),
    maybe(["sms", "whatsapp"]),
    maybe(["+6591000001", "+44 700-900", "+65 9100 0001"]),
    maybe(["ref-m1", "ref-x", "RÉF-m1"]),
    maybe(["b-1", "b-2"]),
    maybe([1, 2]),
    maybe([0.037, 1.0]),
)
sends = st.builds(
    lambda umid, at, number, ref, batch, state: Outbound(
        umid, number, "hi", T0 + at, Delivery(umid, state), "sms", ref, batch
    ),
    st.sampled_from(UMIDS),
    st.integers(-3, 6),
    st.sampled_from(["+6591000002", "+3361234"]),
    maybe(["ref-m2", "ref-y"]),
    maybe(["b-1", "b-2"]),
    st.sampled_from(["queued", "sent", "delivered"]),
)
history = st.tuples(  # FeedRows made when merged: a row's arrival number is its tie-break
    st.sampled_from(UMIDS),
    st.integers(-30, 6),
    st.sampled_from(STATES),
    maybe(["+6591000003", None]),
    maybe(["b-2"]),
    maybe([46]),
)
steps = st.one_of(
    st.tuples(st.just("send"), st.lists(sends, min_size=1, max_size=4)),
    st.tuples(st.just("receipts"), st.lists(deliveries, min_size=1, max_size=5)),
    st.tuples(st.just("merge"), st.lists(history, min_size=1, max_size=5)),
    st.tuples(st.just("clock"), st.sampled_from([-4.0, 1.0, 3.0, 6.0, 12.0])),
    st.tuples(st.just("expire"), st.none()),
    st.tuples(st.just("hold"), st.sampled_from(UMIDS)),
    st.tuples(st.just("collect"), st.none()),
)


def stored(
    umid: str, at: int, state: str, number: str | None, batch: str | None, code: int | None
) -> FeedRow:
    return FeedRow(umid, T0 + at, state, destination=number, batch_id=batch, error_code=code)


def fields(row: FeedRow) -> tuple[Any, ...]:
    return tuple(getattr(row, name) for name in FIELDS if name != "seq")


def same(plain: PlainStore, packed: FeedStore) -> None:
    assert [fields(row) for row in packed.order] == [fields(row) for row in plain.order]
    # An export's snapshot: the keys, then copies read out by key (rows sent at the same
    # time are frequent here: found among them by arrival).
    ats, seqs = packed.keys()
    copies = [packed.copy_by_key(key) for key in zip(ats, seqs, strict=True)]
    assert [None if row is None else fields(row)[:-1] for row in copies] == [
        fields(row)[:-1]
        for row in plain.order  # a copy's version starts again (FeedRow.copy)
    ]
    assert not any(copy is row for copy, row in zip(copies, packed.order, strict=True))
    assert len(packed) == len(plain) and packed.seen == plain.seen
    assert +packed.counts == +plain.counts
    assert packed.final == plain.final
    for umid in UMIDS:
        mine, theirs = packed.get(umid), plain.get(umid)
        assert (mine is None) == (theirs is None), umid
        if mine is not None and theirs is not None:
            assert fields(mine) == fields(theirs)
            index = packed.order.index_of(mine)
            assert index is not None and packed.order[index] is mine


def same_views(plain: PlainView, packed: FeedView) -> None:
    plain.settle()
    assert [fields(row) for row in packed.rows] == [fields(row) for row in plain.rows]
    ats, seqs = packed.keys()
    by_key = [packed.store.row_by_key(key) for key in zip(ats, seqs, strict=True)]
    assert [None if row is None else fields(row) for row in by_key] == [
        fields(row) for row in plain.rows
    ]
    assert len(packed) == len(plain)
    assert +packed.counts == +plain.counts
    for row in list(packed.rows)[:3]:
        index = packed.index_of(row)
        assert index is not None and packed.rows[index] is row


@settings(max_examples=300, deadline=None)
@given(
    st.lists(steps, max_size=30),
    st.integers(1, 12),
    st.integers(0, 3),
    st.integers(1, 4),
    st.sampled_from(FILTERS),
)
def test_the_packed_store_answers_as_the_plain_one(
    script: list[tuple[str, Any]], max_rows: int, hot: int, seal: int, text: str
) -> None:
    clock = Clock()
    plain = PlainStore(max_rows=max_rows, clock=clock, stale_after=STALE)
    packed = FeedStore(
        max_rows=max_rows, clock=clock, stale_after=STALE, hot_rows=hot, seal_rows=seal
    )
    feed_filter = parse_filter(text, now=T0)
    views = [
        (PlainView(plain, feed_filter), FeedView(packed, feed_filter)),
        (PlainView(plain), FeedView(packed)),
    ]
    held: dict[str, tuple[FeedRow, FeedRow]] = {}  # the packed store's row, the plain one's
    for kind, value in script:
        if kind == "send":
            plain.apply(Changes(sent=tuple(value)))
            packed.apply(Changes(sent=tuple(value)))
        elif kind == "receipts":
            changes = Changes(deliveries={d.umid: d for d in value}, receipts=len(value))
            plain.apply(changes)
            packed.apply(changes)
        elif kind == "merge":
            plain.merge([stored(*made) for made in value])
            packed.merge([stored(*made) for made in value])
        elif kind == "clock":
            clock.now += value
        elif kind == "expire":
            plain.expire()
            packed.expire()
        elif kind == "hold":
            row, twin = packed.get(value), plain.get(value)
            if row is not None and twin is not None:
                held[value] = (row, twin)
        else:
            gc.collect()
        same(plain, packed)
        for theirs, mine in views:
            same_views(theirs, mine)
        for umid, (row, twin) in held.items():  # the same row while it is kept, as objects
            assert (packed.get(umid) is row) == (plain.get(umid) is twin), umid
    for theirs, mine in views:
        mine.set_filter(EVERYTHING)
        theirs.set_filter(EVERYTHING)
        mine.set_filter(feed_filter)
        theirs.set_filter(feed_filter)
        same_views(theirs, mine)


def test_rows_past_the_newest_are_packed_and_read_back_whole() -> None:
    """A shift's worth of rows: all but the newest few are packed, and each reads back with
    every field it had; a late receipt for a packed one moves it and counts it."""
    clock = Clock()
    store = FeedStore(max_rows=50, clock=clock, hot_rows=4, seal_rows=8)
    sent = tuple(
        Outbound(f"u{n}", f"+6591{n:07d}", "hi", T0 + n, Delivery(f"u{n}", "sent"), "sms", f"r{n}")
        for n in range(60)
    )
    store.apply(Changes(sent=sent))
    store.expire()  # a change packs at most two chunks; the next ones catch up
    store.expire()
    assert len(store) == 50 and store.packed >= 40 and store.get("u9") is None
    row = store.get("u10")
    assert row is not None and (row.destination, row.client_message_id) == ("+65910000010", "r10")
    late = Delivery("u10", "undelivered", error_code=46, price=Price(0.037, "EUR"))
    store.apply(Changes(deliveries={"u10": late}))
    assert store.get("u10") is row and row.status == "undelivered" and row.price == 0.037
    assert store.counts == Counter(sent=49, undelivered=1)
    del row
    gc.collect()
    again = store.get("u10")
    assert again is not None and again.status == "undelivered" and again.error_code == 46
    view = FeedView(store, FeedFilter(statuses=frozenset({"undelivered"})))
    assert [r.umid for r in view.rows] == ["u10"]


def test_a_chunk_of_8x8_umids_keeps_each_in_16_bytes_and_finds_and_filters_them() -> None:
    """8x8's umids are UUIDs: a chunk of them keeps 16 bytes each, not 36 characters in its
    text, and still finds each, reads it back whole and filters by any part of it; a chunk with
    one umid written otherwise keeps them all as text."""
    uuids = [f"9f3c6a1e-5b2d-4c8e-a7f0-{n:012x}" for n in range(300)]
    rows = [
        FeedRow(umid, T0 + n, "sent", destination=f"+6591{n:07d}") for n, umid in enumerate(uuids)
    ]
    chunk = Chunk(rows)
    assert chunk.uuids is not None and len(chunk.uuids) == 16 * 300
    assert uuids[7] not in chunk.text and "+65910000007" in chunk.text
    assert [chunk.umid(place) for place in range(300)] == uuids
    assert chunk.find(uuids[123]) == 123 and chunk.find(uuids[123].upper()) is None
    assert chunk.row(5).umid == uuids[5] and chunk.row(5).destination == "+65910000005"
    assert [chunk.umid(p) for p in chunk.select(parse_filter("a7f0-00000000011", now=T0))] == [
        uuids[n] for n in range(0x110, 0x120)
    ]
    assert chunk.select(parse_filter("4C8E-A7F0-00000000002a", now=T0)) == [42]
    mixed = Chunk([*rows[:5], FeedRow("M-7", T0 + 9, "sent")])
    assert mixed.uuids is None and mixed.umid(2) == uuids[2] and mixed.find("M-7") == 5
