"""The traffic ledger keeps its messages as columns and answers exactly as the ordered dict of
Observations it replaced (plain_ledger.py) for any sequence of messages seen."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from plain_ledger import PlainLedger

from console.core.traffic import Observation, TrafficLedger

seen = st.tuples(
    st.builds(
        Observation,
        st.sampled_from(["a", "b", "c", "d", "e", "f"]),
        st.sampled_from(["+6591234567", "+6281234567", ""]),
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
