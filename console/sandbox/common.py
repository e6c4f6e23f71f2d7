"""Request helpers shared by the product modules: JSON bodies, dates, URLs, limits."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request

from .errors import INVALID_PARAMETER, TOO_LARGE, ApiError, bad_request

MAX_BODY = 32 * 1024 * 1024
BATCH_LIMIT = 10_000


async def read_json(request: Request, *, allow_empty: bool = False) -> Any:
    """The request's JSON body; an empty body is ``{}`` when ``allow_empty``."""
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > MAX_BODY:
        raise ApiError(413, TOO_LARGE, "Request size must not exceed 32 MB")
    raw = await request.body()
    if len(raw) > MAX_BODY:
        raise ApiError(413, TOO_LARGE, "Request size must not exceed 32 MB")
    if not raw.strip():
        if allow_empty:
            return {}
        raise bad_request(INVALID_PARAMETER, "Request body is required")
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, ValueError):
        raise bad_request(INVALID_PARAMETER, "Request body is not valid JSON") from None


def require_object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise bad_request(INVALID_PARAMETER, "Request body must be a JSON object")
    return body


def parse_datetime(value: Any) -> float | None:
    """An ISO 8601 date-time as epoch seconds; None for None. Raises ValueError if invalid."""
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise ValueError("not a date-time string")
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def is_http_url(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)
