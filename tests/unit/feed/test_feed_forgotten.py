"""The feed's memory of rows let go: the newest are always remembered, the count stays bounded,
and nothing never let go is taken for one (so its late receipt still makes a row)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from console.feed.forgotten import Forgotten


@given(
    st.lists(st.integers(-(2**63), 2**63 - 1), max_size=400, unique=True),
    st.integers(1, 50),
    st.integers(1, 20),
)
def test_the_newest_are_remembered_within_the_bound(
    added: list[int], limit: int, seal: int
) -> None:
    forgotten = Forgotten(limit, seal=seal)
    # A row is let go once (the store never lists a umid it remembers letting go), so each
    # hash comes once; the newest `limit` of them are remembered, always.
    for n, key in enumerate(added):
        forgotten.add(key)
        assert len(forgotten) <= limit + seal
        assert all(kept in forgotten for kept in added[max(n + 1 - limit, 0) : n + 1])
    never = set(range(-5, 5)) - set(added)
    assert not any(key in forgotten for key in never)


def test_a_shift_of_rows_let_go_costs_8_bytes_each() -> None:
    forgotten = Forgotten(100_000)
    for n in range(250_000):
        forgotten.add(hash(f"umid-{n}"))
    assert 100_000 <= len(forgotten) <= 100_000 + 8_192
    assert hash("umid-249999") in forgotten and hash("umid-0") not in forgotten
    assert len(forgotten._newest) < 8_192, "the rest are sealed in arrays"
