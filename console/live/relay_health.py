"""The relay's watch on its event log: an outage is noticed (probed every
``health_interval`` s even when nothing is posted), said once (one log line when it begins,
one when it ends), counted (``log_errors_total``), and every console let go with 1013 so it
resumes with ``since=`` once the log is back. Also the periodic trim.

A mixin of :class:`console.live.relay.Relay`, which provides the state annotated below.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from console.live.events import Event
from console.live.log import EventLog, LogError
from console.live.relay_http import short
from console.live.team import conversation_of

if TYPE_CHECKING:
    from console.live.metrics import RelayMetrics
    from console.live.oplog import RefusalTally

logger = logging.getLogger("console.live.relay")

#: Why consoles are let go while the log cannot store (a websocket close reason: short).
LOG_DOWN = "the relay cannot store events now (its event log is unavailable)"


class LogHealth:
    """The health watch, the trim and the appends that go through them."""

    log: EventLog
    metrics: RelayMetrics
    refusals: RefusalTally
    health_interval: float
    trim_interval: float
    _log_down: str | None
    _down_by_probe: bool
    _ready: bool | None
    _subscribers: set[Any]

    if TYPE_CHECKING:  # provided by the Relay

        def _drop(self, subscriber: Any, reason: str = "subscriber too slow") -> None: ...

        def _know(self, conversation_id: str | None) -> None: ...

    @property
    def log_down(self) -> str | None:
        """Why the log cannot store, during an outage; None while it can."""
        return self._log_down

    async def _trim_forever(self) -> None:
        while True:
            await asyncio.sleep(self.trim_interval)
            try:
                await self.log.trim()
            except LogError as error:
                self._log_failed(error, probe=True)
            except Exception:
                logger.exception("relay: trimming the event log failed")

    async def _watch_log(self) -> None:
        """Ask the log every ``health_interval`` s whether it answers, so that an outage is
        noticed (and consoles told) while nothing is being posted, and its end too."""
        while True:
            await asyncio.sleep(self.health_interval)
            self.refusals.tick()
            try:
                async with asyncio.timeout(max(1.0, self.health_interval * 2)):
                    bounds = await self.log.bounds()
            except (TimeoutError, LogError, OSError) as error:
                self._log_failed(error, probe=True)
            else:
                self.metrics.log_first_seq = bounds.oldest_seq
                self.metrics.log_last_seq = bounds.last_seq
                if self._down_by_probe:
                    self._log_back()

    def _log_failed(self, error: BaseException, *, probe: bool = False) -> None:
        """The log failed: said once per outage (one log line), and every console is let go
        with 1013 so that its stream shows it, and resumes with ``since=`` when it is back."""
        self.metrics.log_errors += 1
        self._down_by_probe = self._down_by_probe or probe
        if self._log_down is not None:
            return
        self._log_down = short(error)
        self.metrics.log_up = 0
        self.metrics.ready = 0  # /readyz says so too: this line stands for its "not ready"
        self._ready = False
        logger.warning(
            "relay: cannot store events (%s); answering 503 and closing event streams "
            "(1013) until the event log is back",
            self._log_down,
            extra={"event": "log_down", "error": self._log_down},
        )
        for subscriber in list(self._subscribers):
            self._drop(subscriber, LOG_DOWN)

    def _log_back(self) -> None:
        if self._log_down is None:
            return
        logger.warning(
            "relay: the event log is back after an outage (%s)",
            self._log_down,
            extra={"event": "log_up"},
        )
        self._log_down = None
        self._down_by_probe = False
        self.metrics.log_up = 1

    async def _append(self, namespace: str, event_type: str, payload: dict[str, Any]) -> Event:
        """Append through the health watch: a failure is said once, a success ends it."""
        try:
            event = await self.log.append(namespace, event_type, payload)
        except Exception as error:
            self._log_failed(error)
            raise
        self._log_back()
        self.metrics.events_appended[namespace] += 1
        self._know(conversation_of(event))
        return event
