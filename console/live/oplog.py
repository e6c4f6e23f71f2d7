"""The relay's operator log: one line per event worth an on-call engineer's attention.

Lines come from the ``console.live`` loggers (and uvicorn's errors). Each carries an
``event`` name in ``extra`` (``start``, ``ready``, ``not_ready``, ``log_down``, ``log_up``,
``drain``, ``stopped``, ``subscriber_dropped``, ``webhooks_refused`` …) and, for
``--log-format json``, becomes one JSON object per line::

    {"time": "2026-12-06T18:00:00.123Z", "level": "warning", "logger": "console.live.relay",
     "event": "log_down", "message": "relay: cannot store events (…)", "error": "…"}

No line carries a secret: the relay never passes a token, a webhook secret or a Redis
password to the logger (a Redis URL is logged redacted, ``redis://***@host``).

:class:`RefusalTally` keeps refused webhooks from writing one line each: the first refusal
is said at once, then one summary line at most every ``interval`` seconds.
"""

from __future__ import annotations

import json
import logging
import sys
from collections import Counter
from collections.abc import Callable
from typing import Any, TextIO

from console.live.events import utc_iso

FORMATS = ("text", "json")
#: LogRecord attributes that are not "extra" fields.
_STANDARD = frozenset(
    vars(logging.LogRecord("", 0, "", 0, "", None, None)).keys() | {"message", "asctime"}
)
_LOGGERS = ("console.live", "uvicorn.error")


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, event, message and the extras."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": utc_iso(record.created),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": getattr(record, "event", None) or "log",
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and key != "event" and not key.startswith("_"):
                line[key] = value if isinstance(value, int | float | bool | None) else str(value)
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, separators=(",", ":"))


def configure(log_format: str, stream: TextIO | None = None) -> logging.Handler:
    """Send the relay's operator lines (INFO and up) to ``stream`` (stderr) as text or JSON;
    returns the handler (``remove`` takes it off again, for tests and embedding)."""
    if log_format not in FORMATS:
        raise ValueError(f"log format must be one of {', '.join(FORMATS)}")
    handler = logging.StreamHandler(stream or sys.stderr)
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(message)s"))
    for name in _LOGGERS:
        logger = logging.getLogger(name)
        logger.addHandler(handler)
        logger.propagate = False
    live = logging.getLogger("console.live")
    handler._saved_level = live.level  # type: ignore[attr-defined]
    live.setLevel(logging.INFO)
    return handler


def remove(handler: logging.Handler) -> None:
    """Undo :func:`configure`."""
    for name in _LOGGERS:
        logger = logging.getLogger(name)
        logger.removeHandler(handler)
        logger.propagate = True
    logging.getLogger("console.live").setLevel(getattr(handler, "_saved_level", logging.NOTSET))


class RefusalTally:
    """Refused webhooks said in bursts: the first at once, then a summary per ``interval``."""

    def __init__(
        self, logger: logging.Logger, clock: Callable[[], float], interval: float = 60.0
    ) -> None:
        self._logger = logger
        self._clock = clock
        self.interval = interval
        self._counts: Counter[str] = Counter()
        self._said_at: float | None = None

    def refused(self, product: str, reason: str) -> None:
        self._counts[f"{product}/{reason}"] += 1
        now = self._clock()
        if self._said_at is None or now - self._said_at >= self.interval:
            self.flush(now)

    def flush(self, now: float | None = None) -> None:
        """Say what was refused since the last line (nothing when nothing was)."""
        if not self._counts:
            return
        now = self._clock() if now is None else now
        total = sum(self._counts.values())
        detail = ", ".join(f"{key}: {n}" for key, n in sorted(self._counts.items()))
        self._logger.warning(
            "relay: refused %d webhook(s) (%s)",
            total,
            detail,
            extra={"event": "webhooks_refused", "refused": total, "detail": detail},
        )
        self._counts.clear()
        self._said_at = now

    def tick(self) -> None:
        """Called periodically: a burst that ended is summed up within ``interval``."""
        if self._said_at is not None and self._clock() - self._said_at >= self.interval:
            self.flush()
