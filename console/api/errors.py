"""8x8 API failures as exceptions a screen can show.

Every failure of a `CpaasClient` call is an `ApiError`; its `readable` property is one
sentence a support agent understands. The parsing here is pure (status, headers, body bytes
in; exception out), so it is unit-tested without a server.

8x8's common error body is `{"code": int, "message": str, "errorId": uuid, "timestamp": ...}`
for every status >= 400 (common_models.json, `error-responce`). Bodies that are not JSON
(a proxy's HTML 502 page, a bare "Not Found") are tolerated: the message then comes from
the body's first line or the HTTP reason phrase.

The API key never appears here: errors are built from the response only.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from typing import Any

from console.api.limits import BATCH_LIMIT

MAX_MESSAGE_CHARS = 300
MIN_RETRY_AFTER = 0.25
DEFAULT_RETRY_AFTER = 1.0

# 8x8 codes with a meaning of their own (API.md "Everywhere").
CODE_SUBACCOUNT_NOT_OWNED = 1001
CODE_BULK_LIMIT = 1100
CODE_UNAUTHENTICATED = 1200

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_QUOTA_SECONDS = re.compile(r"try again in (\d+(?:\.\d+)?) second", re.IGNORECASE)


class ApiError(Exception):
    """A call to 8x8 (or the sandbox) failed. `readable` says what happened, in one sentence.

    `status` is the HTTP status (None when no response arrived), `code` and `message` come
    from 8x8's error body, `error_id` is the id 8x8 support asks for, `host` is the server we
    talked to, and `attempts` how many times the request was tried.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: int | None = None,
        error_id: str | None = None,
        host: str | None = None,
        attempts: int = 1,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.error_id = error_id
        self.host = host
        self.attempts = attempts

    @property
    def readable(self) -> str:
        return f"8x8 refused the request ({self._status_and_code()}): {_sentence(self.message)}"

    def __str__(self) -> str:
        return self.readable

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status={self.status!r}, code={self.code!r}, "
            f"message={self.message!r}, error_id={self.error_id!r})"
        )

    def _status_and_code(self) -> str:
        parts = []
        if self.status is not None:
            parts.append(f"HTTP {self.status}")
        if self.code is not None and self.code != self.status:
            parts.append(f"code {self.code}")
        return ", ".join(parts) or "no status"

    def _code_part(self, label: str = "8x8 code") -> str:
        """' (8x8 code 1200)' or '' when 8x8 gave no code."""
        if self.code is None or self.code == self.status:
            return ""
        return f" ({label} {self.code})"


class Unauthenticated(ApiError):
    """401: the key is wrong or missing (code 1200), or does not own the sub-account (1001)."""

    @property
    def readable(self) -> str:
        if self.code == CODE_SUBACCOUNT_NOT_OWNED:
            return (
                f"The API key does not own this sub-account{self._code_part()}: "
                "check the sub-account."
            )
        return f"The API key was refused{self._code_part()}: check the key and sub-account."


class ValidationFailed(ApiError):
    """400: 8x8 rejected the request's content; `code` and `message` say which field and why."""

    @property
    def readable(self) -> str:
        return f"8x8 rejected the request{self._code_part('code')}: {_sentence(self.message)}"


class BatchTooLarge(ValidationFailed, ValueError):
    """More than 10,000 messages in one batch: refused locally, nothing was sent.

    It is a `ValidationFailed` with 8x8's code 1100, so a screen treats it like the server's
    own answer, and a `ValueError`, because it is a caller's mistake caught before sending.
    """

    def __init__(self, count: int) -> None:
        super().__init__(
            f"A batch takes at most {BATCH_LIMIT:,} messages; this one has {count:,}.",
            code=CODE_BULK_LIMIT,
            attempts=0,
        )
        self.count = count

    @property
    def readable(self) -> str:
        return (
            f"A batch takes at most {BATCH_LIMIT:,} messages (8x8 code {CODE_BULK_LIMIT}): "
            f"this one has {self.count:,}, so send it in parts."
        )


class NotFound(ApiError):
    """404: no such message, batch or route."""

    @property
    def readable(self) -> str:
        return f"Not found{self._code_part()}: {_sentence(self.message)}"


class RateLimited(ApiError):
    """429: over 8x8's request rate. `retry_after` is what the server asked us to wait (s);
    `waited` is how long the client already waited on earlier 429s before giving up."""

    def __init__(
        self, message: str, *, retry_after: float, waited: float = 0.0, **kwargs: Any
    ) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after
        self.waited = waited

    @property
    def readable(self) -> str:
        if self.waited > 0:
            return f"Too many requests: retried for {self.waited:.0f} s, still limited."
        return (
            f"Too many requests: 8x8 asks to wait {_seconds(self.retry_after)} s "
            "before trying again."
        )


class ServerError(ApiError):
    """5xx: 8x8 failed on its side, still failing after the client's retries."""

    @property
    def readable(self) -> str:
        tries = f" after {self.attempts} attempts" if self.attempts > 1 else ""
        ref = f" (error id {self.error_id})" if self.error_id else ""
        return f"8x8 had a server error ({self._status_and_code()}){tries}: try again shortly{ref}."


class NetworkError(ApiError):
    """No HTTP answer at all: DNS failure, connection refused or reset, no route."""

    @property
    def readable(self) -> str:
        return f"No network: could not reach {self.host or 'the server'}."


class RequestTimedOut(NetworkError):
    """The server did not answer within the client's timeout, on every attempt."""

    def __init__(self, message: str, *, timeout: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.timeout = timeout

    @property
    def readable(self) -> str:
        within = f" within {_seconds(self.timeout)} s" if self.timeout is not None else ""
        tries = f" ({self.attempts} attempts)" if self.attempts > 1 else ""
        host = self.host or "the server"
        return f"No answer from {host}{within}{tries}: the network or 8x8 is slow."


class UnexpectedResponse(ApiError):
    """A 2xx answer we cannot read (not JSON, or missing fields): likely the wrong server."""

    @property
    def readable(self) -> str:
        return (
            f"{self.host or 'The server'} answered in a way this console does not understand "
            f"({self._status_and_code()}): is it really 8x8 or the sandbox?"
        )


def parse_error_body(body: bytes, reason: str = "") -> tuple[int | None, str, str | None]:
    """Return (code, message, error_id) from an error body; tolerate anything that isn't 8x8's."""
    data: Any = None
    if body:
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            data = None
    if isinstance(data, Mapping):
        code = _as_int(data.get("code"))
        message = data.get("message")
        if not isinstance(message, str) or not message.strip():
            # Some gateways say {"error": "..."} or {"detail": "..."}; take what is there.
            message = next(
                (v for k in ("detail", "error", "title") if isinstance(v := data.get(k), str)),
                reason,
            )
        error_id = data.get("errorId")
        return code, _clip(message), error_id if isinstance(error_id, str) else None
    if data is not None:  # JSON, but not an object: nothing worth showing
        return None, _clip(reason), None
    return None, _clip(_text_message(body) or reason), None


def parse_retry_after(value: str | None, message: str = "") -> float:
    """Seconds to wait from a Retry-After header (seconds or HTTP date) or 8x8's 429 text."""
    seconds: float | None = None
    if value:
        value = value.strip()
        try:
            seconds = float(value)
        except ValueError:
            try:
                when = parsedate_to_datetime(value)
            except (TypeError, ValueError):
                when = None
            if when is not None:
                if when.tzinfo is None:
                    when = when.replace(tzinfo=UTC)
                seconds = (when - datetime.now(UTC)).total_seconds()
    if seconds is None and (match := _QUOTA_SECONDS.search(message)):
        seconds = float(match.group(1))
    if seconds is None or seconds != seconds:  # missing or NaN
        return DEFAULT_RETRY_AFTER
    return max(MIN_RETRY_AFTER, seconds)


def error_from_response(
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    *,
    host: str | None = None,
    attempts: int = 1,
) -> ApiError:
    """Map an HTTP status >= 400 and 8x8's error body onto the matching ApiError subclass."""
    reason = _reason(status)
    code, message, error_id = parse_error_body(body, reason)
    common: dict[str, Any] = {
        "status": status,
        "code": code,
        "error_id": error_id,
        "host": host,
        "attempts": attempts,
    }
    if status == 401:
        return Unauthenticated(message, **common)
    if status == 400:
        return ValidationFailed(message, **common)
    if status == 404:
        return NotFound(message, **common)
    if status == 429:
        retry_after = parse_retry_after(_header(headers, "retry-after"), message)
        return RateLimited(message, retry_after=retry_after, **common)
    if status >= 500:
        return ServerError(message, **common)
    return ApiError(message, **common)


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is None:
        value = next((v for k, v in headers.items() if k.lower() == name), None)
    return value


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return f"HTTP {status}"


def _text_message(body: bytes) -> str:
    text = body.decode("utf-8", errors="replace").strip()
    if not text or text.startswith("<"):  # HTML error pages say nothing useful in one line
        return ""
    return text.splitlines()[0]


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def _clip(message: str) -> str:
    """One line, no control characters (no terminal escapes from a server), at most 300."""
    message = " ".join(_CONTROL.sub("", message).split())
    if len(message) > MAX_MESSAGE_CHARS:
        message = message[: MAX_MESSAGE_CHARS - 1].rstrip() + "…"
    return message


def _sentence(message: str) -> str:
    message = message.strip() or "no details given"
    return message if message.endswith((".", "!", "?", "…")) else message + "."


def _seconds(value: float | None) -> str:
    if value is None:
        return "?"
    return f"{value:.0f}" if value >= 10 or value == int(value) else f"{value:.1f}"
