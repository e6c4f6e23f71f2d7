"""8x8's error bodies (and things that aren't) become ApiErrors with readable sentences."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from console.api.errors import (
    ApiError,
    BatchTooLarge,
    NetworkError,
    NotFound,
    RateLimited,
    RequestTimedOut,
    ServerError,
    Unauthenticated,
    UnexpectedResponse,
    ValidationFailed,
    error_from_response,
    parse_error_body,
    parse_retry_after,
)


def body(code: object, message: object, error_id: object = "4b1c-id") -> bytes:
    return json.dumps(
        {"code": code, "message": message, "errorId": error_id, "timestamp": "2026-07-23T10:00Z"}
    ).encode()


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (400, ValidationFailed),
        (401, Unauthenticated),
        (404, NotFound),
        (429, RateLimited),
        (500, ServerError),
        (502, ServerError),
        (503, ServerError),
        (403, ApiError),
        (409, ApiError),
        (426, ApiError),
    ],
)
def test_status_picks_the_error_kind(status, kind):
    error = error_from_response(status, {}, body(1000, "x"))
    assert type(error) is kind
    assert error.status == status


def test_8x8_body_fields_are_kept():
    error = error_from_response(
        400, {}, body(1002, "Invalid MSISDN format (not E.164 international number)")
    )
    assert error.code == 1002
    assert error.message == "Invalid MSISDN format (not E.164 international number)"
    assert error.error_id == "4b1c-id"
    assert error.readable == (
        "8x8 rejected the request (code 1002): "
        "Invalid MSISDN format (not E.164 international number)."
    )
    assert str(error) == error.readable


def test_unauthenticated_sentences():
    bad_key = error_from_response(401, {}, body(1200, "Request was not authenticated properly"))
    assert bad_key.readable == (
        "The API key was refused (8x8 code 1200): check the key and sub-account."
    )
    wrong_sub = error_from_response(401, {}, body(1001, "not yours"))
    assert wrong_sub.readable == (
        "The API key does not own this sub-account (8x8 code 1001): check the sub-account."
    )
    no_body = error_from_response(401, {}, b"")
    assert no_body.readable == "The API key was refused: check the key and sub-account."


def test_not_found_sentence():
    error = error_from_response(404, {}, body(1300, "Message not found"))
    assert error.readable == "Not found (8x8 code 1300): Message not found."


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"<html><body><h1>502 Bad Gateway</h1></body></html>", "Bad Gateway"),
        (b"upstream connect error\nreset reason: overflow", "upstream connect error"),
        (b"", "Bad Gateway"),
        (b"\xff\xfe\x00\x1b[31mgarbage", "\ufffd\ufffd[31mgarbage"),
        (b'["a", "list"]', "Bad Gateway"),
        (b'{"detail": "gateway said no"}', "gateway said no"),
        (b'{"code": 2000}', "Bad Gateway"),
    ],
    ids=["html", "text", "empty", "binary-and-escapes", "json-list", "other-json", "no-message"],
)
def test_bodies_that_are_not_8x8s_are_tolerated(raw, message):
    error = error_from_response(502, {}, raw)
    assert isinstance(error, ServerError)
    assert error.message == message
    assert error.readable.startswith("8x8 had a server error (HTTP 502")


def test_code_given_as_a_string_or_bool():
    assert parse_error_body(body("1002", "x"))[0] == 1002
    assert parse_error_body(body(True, "x"))[0] is None
    assert parse_error_body(body(1002, "x", error_id=17))[2] is None


def test_a_huge_message_is_clipped_to_one_line():
    code, message, _ = parse_error_body(body(1004, "word\n" * 500))
    assert code == 1004
    assert "\n" not in message
    assert len(message) <= 300 and message.endswith("…")


def test_server_error_sentence_has_attempts_and_error_id():
    error = error_from_response(503, {}, body(2000, "Internal error"), attempts=4)
    assert error.readable == (
        "8x8 had a server error (HTTP 503, code 2000) after 4 attempts: "
        "try again shortly (error id 4b1c-id)."
    )
    once = error_from_response(500, {}, b"")
    assert once.readable == "8x8 had a server error (HTTP 500): try again shortly."


def test_other_4xx_sentence():
    error = error_from_response(426, {}, body(1019, "Upgrade your plan"))
    assert error.readable == "8x8 refused the request (HTTP 426, code 1019): Upgrade your plan."


# ---------------------------------------------------------------------------- 429


def test_retry_after_header_in_seconds():
    error = error_from_response(429, {"Retry-After": "7"}, body(429, "Quota exceeded."))
    assert isinstance(error, RateLimited)
    assert error.retry_after == 7.0
    assert error.readable == "Too many requests: 8x8 asks to wait 7 s before trying again."


def test_retry_after_header_is_case_insensitive_in_plain_dicts():
    error = error_from_response(429, {"retry-after": "2.5"}, b"")
    assert error.retry_after == 2.5


def test_retry_after_as_an_http_date():
    when = datetime.now(UTC) + timedelta(seconds=20)
    seconds = parse_retry_after(format_datetime(when, usegmt=True))
    assert 18 <= seconds <= 20


def test_retry_after_from_8x8s_message_when_the_header_is_missing():
    error = error_from_response(
        429, {}, body(429, "Quota exceeded. Please try again in 3 second(s).")
    )
    assert error.retry_after == 3.0


@pytest.mark.parametrize("value", [None, "", "soon", "nan"])
def test_retry_after_defaults_to_one_second(value):
    assert parse_retry_after(value) == 1.0


@pytest.mark.parametrize("value", ["0", "-5"])
def test_retry_after_never_zero_so_retries_cannot_spin(value):
    assert parse_retry_after(value) == 0.25


def test_retry_after_in_the_past_is_the_minimum():
    past = format_datetime(datetime.now(UTC) - timedelta(minutes=5), usegmt=True)
    assert parse_retry_after(past) == 0.25


def test_rate_limited_after_waiting_says_so():
    error = RateLimited("Quota exceeded.", retry_after=10, waited=30.4, status=429)
    assert error.readable == "Too many requests: retried for 30 s, still limited."


# ---------------------------------------------------------------------------- no response


def test_network_sentences():
    assert NetworkError("refused", host="sms.8x8.com").readable == (
        "No network: could not reach sms.8x8.com."
    )
    timed_out = RequestTimedOut("ReadTimeout", host="sms.8x8.com", timeout=10.0, attempts=4)
    assert isinstance(timed_out, NetworkError)
    assert timed_out.status is None
    assert timed_out.readable == (
        "No answer from sms.8x8.com within 10 s (4 attempts): the network or 8x8 is slow."
    )
    assert RequestTimedOut("x", host="h", timeout=0.5).readable == (
        "No answer from h within 0.5 s: the network or 8x8 is slow."
    )


def test_unexpected_response_sentence():
    error = UnexpectedResponse("missing umid", status=200, host="127.0.0.1:8800")
    assert error.readable == (
        "127.0.0.1:8800 answered in a way this console does not understand (HTTP 200): "
        "is it really 8x8 or the sandbox?"
    )


def test_batch_too_large_is_both_a_value_error_and_code_1100():
    error = BatchTooLarge(10_001)
    assert isinstance(error, ValueError) and isinstance(error, ValidationFailed)
    assert error.code == 1100 and error.status is None
    assert error.readable == (
        "A batch takes at most 10,000 messages (8x8 code 1100): "
        "this one has 10,001, so send it in parts."
    )


def test_repr_names_the_kind_and_fields():
    error = error_from_response(400, {}, body(1002, "bad"))
    assert repr(error) == (
        "ValidationFailed(status=400, code=1002, message='bad', error_id='4b1c-id')"
    )
