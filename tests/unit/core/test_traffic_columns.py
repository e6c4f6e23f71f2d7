"""The traffic ledger keeps its messages as columns and answers exactly as the ordered dict of
Observations it replaced (plain_ledger.py) for any sequence of messages seen."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from plain_ledger import PlainLedger

from console.core import traffic
from console.core.traffic import Observation, TrafficLedger

# Short umids, 8x8's (UUIDs: kept as 16 bytes), and two that only look like one.
UUIDS = [f"5f0c2a9e-7d41-4b3a-9e2f-{n:012x}" for n in (1, 2, 0xABC)]
UMIDS = ["a", "b", "c", "d", *UUIDS, UUIDS[0].upper(), UUIDS[1].replace("-", " ", 1)]
# Numbers of up to 16 characters are kept in 16 bytes; others as they are.
NUMBERS = ["+6591234567", "+6281234567", "", "+123456789012345", "+1234567890123456", "+65٩١٢"]

seen = st.tuples(
    st.builds(
        Observation,
        st.sampled_from(UMIDS),
        st.sampled_from(NUMBERS),
        st.sampled_from([0.0, 30.0, 61.0, 125.0]),
        st.sampled_from(["queued", "sent", "delivered", "undelivered", "rejected", "read"]),
        st.sampled_from([None, 99, 46]),
        st.sampled_from([1, 1, 3]),
    ),
    st.booleans(),
)


@settings(max_examples=300)
@given(st.lists(seen, max_size=40), st.integers(1, 5), st.integers(1, 4))
def test_the_columns_answer_as_the_ordered_dict(
    script: list[tuple[Observation, bool]], kept: int, folded: int
) -> None:
    plain, ledger = PlainLedger(kept, folded), TrafficLedger(kept, folded)
    for observation, ours in script:
        plain.observe(observation, ours=ours)
        ledger.observe(observation, ours=ours)
        assert ledger.snapshot() == plain.snapshot()
        assert ledger.snapshot(ours=False) == plain.snapshot(ours=False)
        assert (len(ledger), ledger.folded) == (len(plain), plain.folded)
        assert (ledger.version > 0) == (plain.version > 0)


@settings(max_examples=200)
@given(st.lists(seen, max_size=40), st.integers(1, 5), st.integers(1, 4))
def test_umids_whose_keys_clash_are_kept_apart(
    script: list[tuple[Observation, bool]], kept: int, folded: int
) -> None:
    """Two umids sharing a key (their hash: 1 in 2**64) are still two messages."""
    clashing = traffic._key
    traffic._key = lambda umid: len(umid) % 3  # a few keys for every umid
    try:
        plain, ledger = PlainLedger(kept, folded), TrafficLedger(kept, folded)
        for observation, ours in script:
            plain.observe(observation, ours=ours)
            ledger.observe(observation, ours=ours)
            assert ledger.snapshot() == plain.snapshot()
            assert len(ledger) == len(plain)
    finally:
        traffic._key = clashing
