"""Where the tracker's older messages stand: a bounded map that answers as a dict would for
its newest entries, never holds more than its limit, and costs a few bytes an entry."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from console.core.standing import Standing

steps = st.lists(
    st.tuples(st.booleans(), st.integers(0, 40), st.sampled_from(["sent", "delivered", "read"])),
    max_size=300,
)


@given(steps, st.integers(0, 30), st.integers(1, 10))
def test_the_newest_answer_as_a_dict_and_the_bound_holds(
    actions: list[tuple[bool, int, str]], limit: int, seal: int
) -> None:
    standing: Standing[str] = Standing(limit, seal=seal)
    model: dict[str, str] = {}  # insertion ordered: oldest first
    for is_set, n, value in actions:
        umid = f"umid-{n}"
        if is_set:
            model.pop(umid, None)
            model[umid] = value
            standing.set(umid, value)
        else:
            assert standing.pop(umid) == model.pop(umid, None) or umid not in standing
        assert len(standing) <= limit
        for umid, value in model.items():  # what it holds is right; the newest it holds
            got = standing.get(umid)
            assert got is None or got == value
        keep = max(limit - max(min(seal, limit // 8 or 1), 1), 0)
        for umid in list(model)[len(model) - min(keep, len(model)) :]:
            assert standing.get(umid) == model[umid]
        while len(model) > limit:
            model.pop(next(iter(model)))


def test_a_shift_of_older_messages_costs_a_few_bytes_each() -> None:
    standing: Standing[tuple[int, str]] = Standing(90_000)
    for n in range(250_000):
        standing.set(f"0a1b2c3d-{n:09d}-9e8f", (4, "delivered") if n % 10 else (5, "undelivered"))
    assert 90_000 - 8_192 <= len(standing) <= 90_000
    assert len(standing._recent) < 8_192, "the rest are sealed in arrays"
    assert standing.get("0a1b2c3d-000249999-9e8f") == (4, "delivered")
    assert standing.get("0a1b2c3d-000249990-9e8f") == (5, "undelivered")
    assert standing.get("0a1b2c3d-000000001-9e8f") is None


@given(steps, st.integers(0, 30), st.integers(1, 10))
def test_setting_a_umid_known_not_held_answers_as_setting_it(
    actions: list[tuple[bool, int, str]], limit: int, seal: int
) -> None:
    told: Standing[str] = Standing(limit, seal=seal)
    looked: Standing[str] = Standing(limit, seal=seal)
    for is_set, n, value in actions:
        umid = f"umid-{n}"
        if is_set:
            told.set(umid, value, new=umid not in told)
            looked.set(umid, value)
        else:
            assert told.pop(umid) == looked.pop(umid)
        assert len(told) == len(looked)
    for n in range(41):
        assert told.get(f"umid-{n}") == looked.get(f"umid-{n}")
