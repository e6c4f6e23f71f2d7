"""Request helpers shared by the product modules: JSON bodies, dates, URLs, limits."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import urlsplit

from starlette.requests import Request

from .errors import INVALID_PARAMETER, TOO_LARGE, ApiError, bad_request

MAX_BODY = 32 * 1024 * 1024


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


RecordT = TypeVar("RecordT")


def batch_answer(
    items: Iterable[Any],
    build: Callable[[Any], tuple[RecordT, float | None]],
    accept: Callable[[RecordT, float | None], None],
    accepted_item: Callable[[RecordT], dict[str, Any]],
    rejected_item: Callable[[Any, ApiError], dict[str, Any]],
    *,
    batch_id: str,
    client_batch_id: str | None,
    include: bool,
) -> dict[str, Any]:
    """Run a batch as 8x8 does (SMS and Chat Apps alike): each bad entry becomes a rejected
    item instead of failing the request; the answer counts both."""
    results: list[dict[str, Any]] = []
    accepted = rejected = 0
    for item in items:
        try:
            record, scheduled = build(item)
        except ApiError as error:
            rejected += 1
            if include:
                results.append(rejected_item(item, error))
            continue
        accept(record, scheduled)
        accepted += 1
        if include:
            results.append(accepted_item(record))
    return {
        "batchId": batch_id,
        "clientBatchId": client_batch_id,
        "acceptedCount": accepted,
        "rejectedCount": rejected,
        "messages": results if include else None,
    }
