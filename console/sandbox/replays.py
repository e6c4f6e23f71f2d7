"""Idempotent sends: a retried request with the same clientMessageId (or clientBatchId)
gets the first answer back and sends nothing twice.

8x8 is silent on this; the console's client retries timeouts and 5xx with the same
clientMessageId, so the sandbox answers as an idempotent API would. Kept per product
(SMS, Chat Apps) for the last 100,000 ids.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any


class ReplayCache:
    """First response by client-chosen id, bounded (oldest forgotten first)."""

    def __init__(self, limit: int = 100_000) -> None:
        self.limit = limit
        self._answers: OrderedDict[str, dict[str, Any]] = OrderedDict()

    def get(self, kind: str, client_id: Any) -> dict[str, Any] | None:
        if not isinstance(client_id, str) or not client_id:
            return None
        return self._answers.get(f"{kind}:{client_id}")

    def remember(self, kind: str, client_id: Any, answer: dict[str, Any]) -> None:
        if not isinstance(client_id, str) or not client_id:
            return
        self._answers[f"{kind}:{client_id}"] = answer
        while len(self._answers) > self.limit:
            self._answers.popitem(last=False)
