"""HTTP pieces the relay's routes share: 8x8's error bodies, constant-time secret checks,
header and body reading (console/live/relay.py and console/live/ingest.py use them; the
sandbox answers its 404/405 through :func:`http_error` too)."""

from __future__ import annotations

import hmac
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from console.error_body import error_body

DEFAULT_MAX_BODY = 64 * 1024

CLOSE_POLICY_VIOLATION = 1008
CLOSE_SERVICE_RESTART = 1012
CLOSE_TRY_AGAIN_LATER = 1013

# 8x8 error codes used in error bodies
CODE_INVALID_PARAMETER = 1000
CODE_FORBIDDEN = 1001  # as the sandbox answers a sub-account the key does not own
CODE_UNAUTHENTICATED = 1200
CODE_NOT_FOUND = 1300
CODE_INTERNAL = 2000


def error(
    status: int, code: int, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(error_body(code, message), status_code=status, headers=headers)


async def http_error(request: Request, exc: Exception) -> Response:
    """404 and 405 (and any other HTTPException) as 8x8's error body, not plain text; the
    sandbox answers its own the same way."""
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        return error(404, CODE_NOT_FOUND, "Resource not found", exc.headers)
    if exc.status_code == 405:
        return error(405, CODE_INVALID_PARAMETER, "Method not allowed", exc.headers)
    code = CODE_INTERNAL if exc.status_code >= 500 else CODE_INVALID_PARAMETER
    return error(exc.status_code, code, str(exc.detail), exc.headers)


def same_secret(supplied: bytes | None, expected: bytes) -> bool:
    if supplied is None:
        hmac.compare_digest(expected, expected)  # keep the timing of the two paths alike
        return False
    return hmac.compare_digest(supplied, expected)


def short(error: BaseException) -> str:
    """An error in one short line (for the one log line an outage gets)."""
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= 200 else text[:199] + "…"


def bearer(scope: Any) -> bytes | None:
    """The token of an ``Authorization: Bearer <token>`` header, or None."""
    value = header(scope, b"authorization")
    if value is None:
        return None
    scheme, _, token = value.partition(b" ")
    return token.strip() if scheme.lower() == b"bearer" else None


def header(scope: Any, name: bytes) -> bytes | None:
    """The raw value of a request header, or None (also None when it is sent twice)."""
    found: bytes | None = None
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            if found is not None:
                return None
            found = value
    return found


def too_large(max_body: int) -> JSONResponse:
    return error(413, CODE_INVALID_PARAMETER, f"Request body exceeds {max_body} bytes")


async def read_body(request: Request, max_body: int) -> bytes | Response:
    """The body, or the error answer when it is over ``max_body`` (declared or counted)."""
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            declared_size = int(declared)
        except ValueError:
            return error(400, CODE_INVALID_PARAMETER, "Content-Length is not a number")
        if declared_size > max_body:
            return too_large(max_body)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_body:
            return too_large(max_body)
        chunks.append(chunk)
    return b"".join(chunks)
