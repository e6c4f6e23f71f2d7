"""The Redis log's pure helpers: frames split around the seq the script writes, stream ids,
URLs without their password, key names. (The log itself is tested against a real
redis-server: tests/integration/live/test_log_conformance.py.)"""

from __future__ import annotations

import dataclasses

from hypothesis import given
from hypothesis import strategies as st

from console.live.events import Event
from console.live.redis_log import (
    frame_with_seq,
    redact_url,
    redis_version,
    seq_of,
    split_frame,
    stream_keys,
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


@given(
    seq=st.integers(1, 10**15),
    namespace=st.text(min_size=1, max_size=10),
    payload=st.dictionaries(st.text(max_size=8), json_values, max_size=5),
)
def test_the_frame_the_script_completes_is_the_event_with_its_seq(
    seq: int, namespace: str, payload: dict
) -> None:
    event = Event(0, "2024-05-01T10:00:00.123Z", namespace, "x", payload)
    text = frame_with_seq(seq, split_frame(event))
    assert text.startswith(f'{{"seq":{seq},"receivedAt":')
    assert Event.from_json(text) == dataclasses.replace(event, seq=seq)


def test_stream_ids_carry_the_seq() -> None:
    assert seq_of(b"17-0") == 17
    assert seq_of("123456789012-0") == 123456789012


def test_urls_are_shown_without_their_password() -> None:
    assert (
        redact_url("redis://:s3cret@redis.internal:6380/2") == "redis://***@redis.internal:6380/2"
    )
    assert redact_url("rediss://relay:pw@[::1]/0") == "rediss://***@[::1]/0"
    assert redact_url("redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/0"
    assert "pw" not in redact_url("redis://user:pw@host")


def test_both_keys_share_one_cluster_slot() -> None:
    assert stream_keys("floor-3") == ("{floor-3}:seq", "{floor-3}:events")


def test_redis_versions_compare_as_numbers() -> None:
    assert redis_version("7.0.15") == (7, 0, 15)
    assert redis_version("6.2.0") >= (6, 2) > redis_version("6.0.16")
    assert redis_version("10.0") > (6, 2)
    assert redis_version("x") == (0,)
