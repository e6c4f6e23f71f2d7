"""Property tests: receipts in any order, any number of times, end in the same status."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from functools import reduce

from hypothesis import given, settings
from hypothesis import strategies as st

from console.live.events import STATES, MessageTimeline, Receipt, advance

UMID = "m-1"
DETAILS = [
    None,
    "delivered_to_operator",
    "delivered_to_recipient",
    "rejected_by_operator",
    "undelivered_to_recipient",
]

receipts = st.builds(
    Receipt,
    umid=st.just(UMID),
    state=st.sampled_from([*STATES, "ok", "error"]),
    namespace=st.sampled_from(["SMS", "ChatApps"]),
    received_at=st.sampled_from(["2024-05-01T10:00:00.000Z", "2024-05-01T10:00:01.000Z"]),
    provider_timestamp=st.one_of(
        st.none(), st.sampled_from(["2024-05-01T09:59:59.1Z", "2024-05-01T10:00:00.9Z"])
    ),
    detail=st.sampled_from(DETAILS),
    error_code=st.one_of(st.none(), st.sampled_from([0, 15, 46, 99])),
    channel=st.sampled_from(["sms", "whatsapp", None]),
    source=st.sampled_from(["webhook", "api"]),
)


@st.composite
def deliveries(draw: st.DrawFn) -> tuple[list[Receipt], list[Receipt]]:
    """Distinct receipts (distinct relay seqs), and the same ones reordered and duplicated."""
    base = draw(st.lists(receipts, min_size=1, max_size=12))
    numbered = [
        replace(r, seq=seq)  # each webhook has its own relay seq
        for seq, r in enumerate(base, start=1)
    ]
    repeats = draw(st.lists(st.sampled_from(numbered), max_size=12))
    shuffled = draw(st.permutations(numbered + repeats))
    return numbered, shuffled


def replay(receipt_list: list[Receipt]) -> MessageTimeline:
    timeline = MessageTimeline(UMID)
    for item in receipt_list:
        timeline.apply(item)
    return timeline


@settings(max_examples=300, deadline=None)
@given(deliveries())
def test_any_order_and_duplication_ends_in_the_same_state_and_keeps_every_receipt(
    case: tuple[list[Receipt], list[Receipt]],
) -> None:
    in_order, shuffled = case
    expected = replay(in_order)
    actual = replay(shuffled)
    assert actual.state == expected.state
    assert actual.current == expected.current
    # every receipt is kept once per relay event, whatever the order and repetition
    assert Counter(actual.receipts) == Counter(in_order)


@settings(max_examples=300, deadline=None)
@given(deliveries())
def test_provider_duplicates_with_new_seqs_are_all_kept_and_change_nothing(
    case: tuple[list[Receipt], list[Receipt]],
) -> None:
    in_order, shuffled = case
    resent = [replace(r, seq=(r.seq or 0) + 1000) for r in in_order]
    timeline = replay(shuffled + resent)
    assert timeline.state == replay(in_order).state
    assert len(timeline.receipts) == len(in_order) + len(resent)
    assert timeline.duplicate_count >= len(resent)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([*STATES, "ok"]), min_size=1, max_size=10), st.randoms())
def test_advance_is_order_independent_and_never_moves_back(states: list[str], rng) -> None:
    shuffled = states[:]
    rng.shuffle(shuffled)
    folded = reduce(advance, states, None)
    assert reduce(advance, shuffled, None) == folded
    status: str | None = None
    for state in shuffled:
        new = advance(status, state)
        if status is not None:
            assert advance(new, status) == new  # going back to the old state changes nothing
        status = new


@settings(max_examples=200, deadline=None)
@given(deliveries())
def test_apply_reports_a_change_exactly_when_the_state_changes(
    case: tuple[list[Receipt], list[Receipt]],
) -> None:
    _, shuffled = case
    timeline = MessageTimeline(UMID)
    for item in shuffled:
        before = timeline.state
        changed = timeline.apply(item)
        assert changed == (timeline.state != before)
