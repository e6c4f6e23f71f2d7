"""The Shield's per-receipt path answers as its rules say: an observation's time is 8x8's
when readable, else when the receipt arrived; a message seen again keeps its earliest time
and its furthest state (console/core/traffic.py, on the UI loop for every receipt)."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from console.core.traffic import Observation, merge, observation_from_receipt, receipt_time
from console.live.events import rank

stamps = st.one_of(
    st.none(),
    st.integers(),
    st.sampled_from(
        [
            "2026-11-27T05:00:01.000Z",
            "1969-12-31T23:59:59Z",  # -1.0: a time like any other
            "1970-01-01T00:00:00Z",
            "not a time",
            "",
        ]
    ),
)


@settings(max_examples=200, deadline=None)
@given(stamps, st.sampled_from(["2026-11-27T05:00:00.000Z", "garbled", ""]))
def test_an_observation_takes_8x8s_time_else_when_it_arrived(
    stamp: object, received_at: str
) -> None:
    payload = {"destination": "6591234567", "status": {"state": "sent", "timestamp": stamp}}
    seen = observation_from_receipt("u-1", payload, "sent", None, received_at)
    expected = receipt_time(
        stamp if isinstance(stamp, str) else None, receipt_time(received_at, 0.0)
    )
    assert seen is not None and seen.at == expected and seen.destination == "+6591234567"


observations = st.builds(
    Observation,
    umid=st.just("u-1"),
    destination=st.sampled_from(["", "+6591234567", "+6599999999"]),
    at=st.floats(0, 100),
    state=st.sampled_from(["queued", "sent", "delivered", "undelivered", "rejected", "x"]),
    error_code=st.one_of(st.none(), st.integers(0, 99)),
    count=st.integers(1, 3),
)


@settings(max_examples=300, deadline=None)
@given(observations, observations)
def test_a_message_seen_again_keeps_its_earliest_time_and_furthest_state(
    old: Observation, new: Observation
) -> None:
    at = min(old.at, new.at)
    if (rank(new.state), new.state) > (rank(old.state), old.state):
        expected = replace(new, at=at, destination=old.destination or new.destination)
    else:
        expected = replace(old, at=at)
    assert merge(old, new) == expected
