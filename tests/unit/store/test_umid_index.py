"""The history's umid → part index answers as a dict would, however many umids it seals."""

from __future__ import annotations

from hypothesis import example, given
from hypothesis import strategies as st

from console.store.catalog import PartKey
from console.store.umidindex import UmidIndex

KEYS = [PartKey(f"2026-12-0{day}", number) for day in range(1, 4) for number in range(3)]

operations = st.lists(
    st.tuples(
        st.sampled_from(["set", "pop"]),
        st.integers(0, 60).map(lambda n: f"umid-{n}"),
        st.sampled_from(KEYS),
    ),
    max_size=300,
)


@given(operations, st.integers(1, 8))
@example(  # set again after it was sealed, then taken out: the sealed entry goes too
    [
        ("set", "umid-1", KEYS[0]),
        ("set", "umid-0", KEYS[0]),
        ("set", "umid-1", KEYS[0]),
        ("pop", "umid-1", KEYS[0]),
    ],
    1,
)
def test_it_answers_as_a_dict_would(steps: list[tuple[str, str, PartKey]], recent: int) -> None:
    index, model = UmidIndex(recent), {}
    for action, umid, key in steps:
        if action == "set":
            index[umid] = key
            model[umid] = key
        else:
            assert index.pop(umid) == model.pop(umid, None)
    for n in range(61):
        umid = f"umid-{n}"
        assert index.get(umid) == model.get(umid)
        assert (umid in index) == (umid in model)


def test_a_shift_of_umids_costs_a_few_bytes_each_beyond_the_newest() -> None:
    index = UmidIndex(recent=1_000)
    for n in range(50_000):
        index[f"0a1b2c3d-{n:06d}-9e8f-7a6b5c4d3e2f"] = KEYS[n % len(KEYS)]
    assert len(index._recent) <= 1_000, "only the newest umids are kept as strings"
    sealed = sum(len(h) * h.itemsize + len(p) * p.itemsize for h, p in index._chunks)
    assert sealed <= 50_000 * 10
    assert index.get("0a1b2c3d-000007-9e8f-7a6b5c4d3e2f") == KEYS[7 % len(KEYS)]
    assert index.get("0a1b2c3d-049999-9e8f-7a6b5c4d3e2f") == KEYS[49_999 % len(KEYS)]
    assert index.get("never") is None
