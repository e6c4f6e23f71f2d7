"""8x8's common error body: moved to :mod:`console.error_body`, where the relay and the
sandbox read it without the API client; this name stays so existing imports keep working."""

from __future__ import annotations

from console.error_body import error_body, format_timestamp

__all__ = ["error_body", "format_timestamp"]
