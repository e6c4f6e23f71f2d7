"""The 8x8 API client (`CpaasClient`), its typed requests and results, and its errors.

`console.api.errors` and `console.api.models` are pure and cheap to import; `CpaasClient`
(which imports httpx) is loaded on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:
    from console.api.client import CpaasClient

__all__ = [
    "AgentToken",
    "ApiError",
    "BatchTooLarge",
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
]


def __getattr__(name: str) -> Any:
    if name == "CpaasClient":
        from console.api.client import CpaasClient

        return CpaasClient
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
