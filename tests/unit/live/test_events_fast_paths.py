"""The receipt path's shortcuts answer exactly as the general rules: a state's rank, a state
normalised, a price read (one object for a batch's equal prices), a receipt without its
payload, a timeline that lets go of one receipt's payload."""

from __future__ import annotations

import math
from dataclasses import fields, replace
from types import MappingProxyType

from hypothesis import given, settings
from hypothesis import strategies as st

from console.live import events
from console.live.events import (
    NO_RAW,
    STATES,
    MessageTimeline,
    Price,
    Receipt,
    normalize_state,
    rank,
)

RANKS = {
    "unknown": 0,
    "queued": 10,
    "sent": 20,
    "undelivered": 40,
    "failed": 41,
    "rejected": 42,
    "delivered": 50,
    "read": 60,
}


def rank_by_the_rules(state: str, detail: str | None = None) -> int:
    """The forward-only rank as the module's docstring states it, without any shortcut."""
    state = state.strip().lower()
    if state == "delivered" and detail is not None and detail.lower() == "delivered_to_operator":
        return 30
    return RANKS.get(state, 0)


state_texts = st.one_of(
    st.sampled_from([*STATES, "Delivered", " SENT ", "QUEUED", "ok", "", " "]),
    st.text(max_size=12),
)
detail_texts = st.one_of(
    st.none(),
    st.sampled_from(["delivered_to_operator", "DELIVERED_TO_OPERATOR", "delivered_to_recipient"]),
    st.text(max_size=12),
)


@settings(max_examples=400, deadline=None)
@given(state_texts, detail_texts)
def test_rank_answers_as_the_rules_for_any_state_and_detail(state: str, detail: str | None) -> None:
    assert rank(state, detail) == rank_by_the_rules(state, detail)
    assert rank(state, detail) == rank_by_the_rules(state, detail), "asked again (remembered)"


@settings(max_examples=300, deadline=None)
@given(state_texts)
def test_a_state_normalised_is_trimmed_and_lower_case_every_time(state: str) -> None:
    assert normalize_state(state) == state.strip().lower()
    assert normalize_state(state) == state.strip().lower()


def price_by_the_rules(value: object) -> Price | None:
    if not isinstance(value, dict):
        return None

    def number(item: object) -> float | None:
        if isinstance(item, bool) or not isinstance(item, int | float | str):
            return None
        try:
            result = float(item)
        except ValueError:
            return None
        return result if math.isfinite(result) else None

    total, currency = number(value.get("total")), value.get("currency")
    if total is None or not isinstance(currency, str) or not currency.strip():
        return None
    return Price(total, currency.strip(), number(value.get("perSms")))


amounts = st.one_of(
    st.none(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.0, 0.037, 0.05]),
    st.integers(-3, 3),
    st.booleans(),
    st.sampled_from(["0.037", "x", " 1 "]),
)
prices = st.fixed_dictionaries(
    {},
    optional={
        "total": amounts,
        "perSms": amounts,
        "currency": st.one_of(st.sampled_from(["EUR", " USD ", "", " "]), st.integers()),
    },
)


def same_price(a: Price | None, b: Price | None) -> bool:
    if a is None or b is None:
        return a is b
    return repr(a) == repr(b)  # -0.0 and 0.0 told apart


@settings(max_examples=500, deadline=None)
@given(st.lists(prices, min_size=1, max_size=6))
def test_a_price_read_is_the_price_the_payload_says_even_when_shared(
    payloads: list[dict[str, object]],
) -> None:
    for payload in [*payloads, *payloads]:  # each seen twice: the second may be remembered
        assert same_price(Price.from_payload(payload), price_by_the_rules(payload)), payload


def test_a_price_of_minus_zero_is_not_taken_for_zero() -> None:
    for total in (0.0, -0.0, 0.0):
        price = Price.from_payload({"total": total, "perSms": -total, "currency": "EUR"})
        assert price is not None and price.per_sms is not None
        assert math.copysign(1, price.total) == math.copysign(1, total)
        assert math.copysign(1, price.per_sms) == math.copysign(1, -total)


def test_a_batch_of_equal_prices_is_one_object() -> None:
    first = Price.from_payload({"total": 0.037, "perSms": 0.037, "currency": "EUR"})
    again = Price.from_payload({"total": 0.037, "perSms": 0.037, "currency": "EUR"})
    assert first is not None and first is again


receipts = st.builds(
    Receipt,
    umid=st.sampled_from(["m-1", "m-2"]),
    state=st.sampled_from(STATES),
    namespace=st.sampled_from(["SMS", "ChatApps"]),
    received_at=st.just("2024-05-01T10:00:00.000Z"),
    provider_timestamp=st.one_of(st.none(), st.just("2024-05-01T09:59:59.1Z")),
    detail=st.one_of(st.none(), st.just("delivered_to_operator")),
    error_code=st.one_of(st.none(), st.integers(0, 99)),
    error_message=st.one_of(st.none(), st.just("Subscriber not reachable")),
    channel=st.sampled_from(["sms", None]),
    client_message_id=st.one_of(st.none(), st.just("ref-1")),
    seq=st.one_of(st.none(), st.integers(1, 10**6)),
    source=st.sampled_from(["webhook", "api", "lookup"]),
    raw=st.one_of(st.just(NO_RAW), st.just({"umid": "m-1", "status": {"state": "sent"}})),
    destination=st.one_of(st.none(), st.just("+6591234567")),
    batch_id=st.one_of(st.none(), st.just("b-1")),
    sms_count=st.one_of(st.none(), st.integers(1, 10)),
    price=st.one_of(st.none(), st.just(Price(0.037, "EUR", 0.037))),
)


@settings(max_examples=200, deadline=None)
@given(receipts)
def test_a_receipt_without_its_payload_is_the_same_receipt_in_every_other_field(
    receipt: Receipt,
) -> None:
    stripped = receipt.without_raw()
    assert stripped.raw is NO_RAW
    for item in fields(Receipt):
        if item.name != "raw":
            assert getattr(stripped, item.name) == getattr(receipt, item.name), item.name
    assert stripped == replace(receipt, raw=NO_RAW)


def webhook(seq: int, state: str) -> Receipt:
    payload = {"umid": "m-1", "status": {"state": state}, "seq": seq}
    return Receipt("m-1", state, "SMS", "2024-05-01T10:00:00.000Z", seq=seq, raw=payload)


def test_a_timeline_lets_go_of_one_receipts_payload_and_keeps_the_newer_ones() -> None:
    timeline = MessageTimeline("m-1")
    sent, delivered = webhook(1, "sent"), webhook(2, "delivered")
    timeline.apply(sent)
    timeline.apply(delivered)
    timeline.drop_raw_of(sent)
    assert [bool(r.raw) for r in timeline.receipts] == [False, True]
    assert timeline.current is delivered, "the current receipt is untouched"
    timeline.drop_raw_of(delivered)
    assert not any(r.raw for r in timeline.receipts)
    assert timeline.current is not None and timeline.current.state == "delivered"
    assert timeline.current is timeline.receipts[1], "current is the receipt kept"
    assert timeline.apply(webhook(3, "read")), "order kept after a payload let go"


def test_the_shared_tables_stay_bounded() -> None:
    for n in range(events._SHARED_MAX + 10):
        normalize_state(f"state-{n}")
    assert len(events._NORMALIZED) <= events._SHARED_MAX


def parse_by_json_alone(text: str) -> object:
    """What parse_message answers by the rules: the standard library decodes the message (a
    decoder such as orjson reads an integer beyond 64 bits as a float), each frame is read
    by the general rules of console.live.frames."""
    import json as std_json

    from console.live.events import FrameError
    from console.live.frames import parse_frame

    try:
        decoded = std_json.loads(text)
    except (ValueError, RecursionError):
        return ("FrameError", None)  # not JSON (the decoder's wording may differ)
    try:
        items = decoded if isinstance(decoded, list) else [decoded]
        # A read-only view of each frame: Event.from_frame's general path, field by field.
        return [parse_frame(MappingProxyType(i) if type(i) is dict else i) for i in items]
    except FrameError as error:
        return ("FrameError", str(error))


json_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**70), 2**70),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(max_size=5),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=8,
)
frames = st.fixed_dictionaries(
    {},
    optional={
        "seq": st.one_of(st.integers(-1, 2**66), st.booleans(), st.just("7")),
        "receivedAt": st.one_of(st.just("2024-05-01T10:00:00.123Z"), st.integers()),
        "namespace": st.sampled_from(["SMS", "ChatApps", 3]),
        "eventType": st.just("outbound_message_status_changed"),
        "payload": st.one_of(st.dictionaries(st.text(max_size=3), json_values, max_size=3)),
        "type": st.sampled_from(["heartbeat", "gap", "nonsense"]),
        "since": st.integers(0, 9),
        "resumesAt": st.integers(0, 9),
    },
)


events_frames = st.fixed_dictionaries(
    {
        "seq": st.one_of(st.integers(-2, 3), st.integers(1, 2**63 - 1)),
        "receivedAt": st.one_of(st.just("2024-05-01T10:00:00.123Z"), st.none()),
        "namespace": st.just("SMS"),
        "eventType": st.just("outbound_message_status_changed"),
        "payload": st.dictionaries(st.text(max_size=3), json_values, max_size=3),
    }
)


@settings(max_examples=400, deadline=None)
@given(
    st.one_of(st.lists(st.one_of(frames, events_frames), max_size=4), frames, json_values),
    st.sampled_from(["", "", " x"]),
)
def test_a_message_reads_as_the_rules_read_it(value: object, tail: str) -> None:
    import json as std_json

    from console.live.events import FrameError
    from console.live.frames import parse_message

    text = std_json.dumps(value) + tail  # NaN and Infinity included, as json writes them
    try:
        answer: object = parse_message(text)
    except FrameError as error:
        answer = ("FrameError", str(error))
    expected = parse_by_json_alone(text)
    if isinstance(expected, tuple) and expected[1] is None:
        assert isinstance(answer, tuple) and answer[0] == "FrameError"
    else:
        assert repr(answer) == repr(expected)  # repr: a NaN in a payload reads as itself
