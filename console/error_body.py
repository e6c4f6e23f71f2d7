"""8x8's common error body, as the servers here write it (the sandbox and the relay).

``{"code": int, "message": str, "errorId": uuid, "timestamp": "yyyy-MM-ddTHH:mm:ss.ffZ"}``
for every status >= 400 (common_models.json, ``error-responce``). ``console.api.errors``
reads the same body on the client side. Pure and cheap to import; beside the packages rather
than in ``console.api``, so the relay (``console.live``) needs nothing from the API client.
"""

from __future__ import annotations

import time
import uuid
from typing import Any


def format_timestamp(epoch: float | None = None) -> str:
    """8x8's timestamp format, ``yyyy-MM-ddTHH:mm:ss.ffZ`` (UTC, hundredths of a second)."""
    if epoch is None:
        epoch = time.time()
    whole = int(epoch)
    hundredths = int((epoch - whole) * 100)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)) + f".{hundredths:02d}Z"


def error_body(code: int, message: str) -> dict[str, Any]:
    """A fresh error body: a new ``errorId`` and the current time."""
    return {
        "code": code,
        "message": message,
        "errorId": str(uuid.uuid4()),
        "timestamp": format_timestamp(),
    }
