"""The 8x8 API client (`CpaasClient`), its typed requests and results, and its errors; and
connecting (`console.api.session`: login, the embedded sandbox).

Every name here is loaded on first use (PEP 562): importing `console.api.session` at start-up
must not pay for the models and errors (~30 ms), nor `CpaasClient` for httpx.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from console.api.client import CpaasClient
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
    )
    from console.api.models import (
        AgentToken,
        CallLog,
        CallLogPage,
        ChatAccepted,
        ChatChannel,
        ChatMessage,
        ChatUser,
        MessageStatus,
        Price,
        Room,
        SmsAccepted,
        SmsBatchResult,
        SmsDetails,
        SmsMessage,
        SmsTemplate,
    )

_WHERE = {
    "CpaasClient": "client",
    **dict.fromkeys(
        (
            "ApiError",
            "BatchTooLarge",
            "NetworkError",
            "NotFound",
            "RateLimited",
            "RequestTimedOut",
            "ServerError",
            "Unauthenticated",
            "UnexpectedResponse",
            "ValidationFailed",
        ),
        "errors",
    ),
    **dict.fromkeys(
        (
            "AgentToken",
            "CallLog",
            "CallLogPage",
            "ChatAccepted",
            "ChatChannel",
            "ChatMessage",
            "ChatUser",
            "MessageStatus",
            "Price",
            "Room",
            "SmsAccepted",
            "SmsBatchResult",
            "SmsDetails",
            "SmsMessage",
            "SmsTemplate",
        ),
        "models",
    ),
}

__all__ = [
    "AgentToken",
    "ApiError",
    "BatchTooLarge",
    "CallLog",
    "CallLogPage",
    "ChatAccepted",
    "ChatChannel",
    "ChatMessage",
    "ChatUser",
    "CpaasClient",
    "MessageStatus",
    "NetworkError",
    "NotFound",
    "Price",
    "RateLimited",
    "RequestTimedOut",
    "Room",
    "ServerError",
    "SmsAccepted",
    "SmsBatchResult",
    "SmsDetails",
    "SmsMessage",
    "SmsTemplate",
    "Unauthenticated",
    "UnexpectedResponse",
    "ValidationFailed",
    "errors",
    "models",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"console.api.{module}"), name)
