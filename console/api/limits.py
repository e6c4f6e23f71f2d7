"""8x8's documented limits (API.md), in one place for the client, the sandbox and the UI."""

from __future__ import annotations

BATCH_LIMIT = 10_000
"""Messages in one batch request (SMS and Chat Apps); more is 400, code 1100."""
