"""8x8's common error body and the sandbox's one exception type for API errors."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import orjson
from starlette.responses import Response

from console.error_body import error_body, format_timestamp

__all__ = [
    "ApiError",
    "bad_request",
    "error_body",
    "error_response",
    "format_timestamp",
    "format_timestamp_ms",
    "json_response",
]

# Codes and messages from 8x8's "API Error codes" page (API.md lists the ones we use).
INVALID_PARAMETER = 1000
ILLEGAL_SUBACCOUNT = 1001
INVALID_MSISDN = 1002
INVALID_ENCODING = 1003
INVALID_TEXT = 1004
INVALID_SOURCE = 1005
INVALID_EXPIRY = 1006
INVALID_COUNTRY = 1009
INVALID_SCHEDULE = 1011
BULK_LIMIT = 1100
UNAUTHENTICATED = 1200
NOT_FOUND = 1300
INTERNAL = 2000
RATE_LIMITED = 429
TOO_LARGE = 7001


def format_timestamp_ms(epoch: float) -> str:
    """Video Interaction's timestamp format, ``yyyy-MM-ddTHH:mm:ss.fffZ``."""
    whole = int(epoch)
    millis = int((epoch - whole) * 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)) + f".{millis:03d}Z"


def json_response(
    data: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    """JSON with orjson: strict (no NaN, no lone surrogate can be written) and fast."""
    return Response(
        orjson.dumps(data), status_code=status, headers=headers, media_type="application/json"
    )


def error_response(
    status: int, code: int, message: str, headers: Mapping[str, str] | None = None
) -> Response:
    return json_response(error_body(code, message), status=status, headers=headers)


class ApiError(Exception):
    """An error the API answers with 8x8's common error body."""

    def __init__(
        self,
        status: int,
        code: int,
        message: str,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})

    def response(self) -> Response:
        return error_response(self.status, self.code, self.message, self.headers)


def bad_request(code: int, message: str) -> ApiError:
    return ApiError(400, code, message)
