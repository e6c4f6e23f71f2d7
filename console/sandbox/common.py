"""Reading requests, shared by every route: the JSON body, query numbers, dates and URLs.

This is where hostile input stops. A body is read up to ``MAX_BODY`` (by its announced
length, then counted while it arrives) and parsed strictly: not UTF-8, NaN or Infinity, a
lone surrogate (``"\\ud800"``), nesting deeper than 1,024 levels or a number out of range
is a 400 before any handler sees it, so no field of any route can carry them further.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import orjson
from starlette.requests import Request

from .errors import INVALID_PARAMETER, TOO_LARGE, ApiError, bad_request

MAX_BODY = 32 * 1024 * 1024
_ASCII_DIGITS = re.compile(r"[0-9]+")


def _too_large() -> ApiError:
    return ApiError(413, TOO_LARGE, "Request size must not exceed 32 MB")


async def read_body(request: Request, limit: int = MAX_BODY) -> bytes:
    """The raw body, refused (413) as soon as it is known to exceed ``limit`` bytes."""
    announced = request.headers.get("content-length")
    if announced is not None and _ASCII_DIGITS.fullmatch(announced) and int(announced) > limit:
        raise _too_large()
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large()
        chunks.append(chunk)
    return b"".join(chunks)


def parse_json(raw: bytes) -> Any:
    """Strict JSON (RFC 8259): what a strict parser elsewhere would also accept."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        raise bad_request(INVALID_PARAMETER, f"Request body is not valid JSON: {error}") from None


async def read_json(request: Request, *, allow_empty: bool = False) -> Any:
    """The request's JSON body; an empty body is ``{}`` when ``allow_empty``."""
    raw = await read_body(request)
    if not raw.strip():
        if allow_empty:
            return {}
        raise bad_request(INVALID_PARAMETER, "Request body is required")
    return parse_json(raw)


def require_object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise bad_request(INVALID_PARAMETER, "Request body must be a JSON object")
    return body


def query_id(request: Request, name: str, *, max_digits: int = 18) -> int | None:
    """A numeric id from the query (ASCII digits only, at most ``max_digits``), or None."""
    value = request.query_params.get(name)
    if value is None:
        return None
    if not _ASCII_DIGITS.fullmatch(value) or len(value) > max_digits:
        raise bad_request(INVALID_PARAMETER, f"{name} must be a number of 1 to {max_digits} digits")
    return int(value)


def parse_datetime(value: Any) -> float | None:
    """An ISO 8601 date-time as epoch seconds; None for None. Raises ValueError if invalid."""
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise ValueError("not a date-time string")
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        return moment.timestamp()
    except OverflowError as error:
        raise ValueError(str(error)) from None


def is_http_url(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:  # e.g. "http://[" (an unclosed IPv6 host)
        return False
    return parts.scheme in ("http", "https") and bool(parts.netloc)
