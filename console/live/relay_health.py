"""The relay's readiness and restarts, and its watch on its event log.

Readiness: ``/readyz`` (console/live/admin.py) reports through :meth:`LogHealth.note_readiness`
(the ``ready`` gauge, one log line when it changes). A restart drains: :meth:`begin_drain`
(not ready, everything still served) then :meth:`drain` (each console gets what was queued
for it, then 1012; new consoles are turned away with 1012).

The watch on the event log: an outage is noticed (probed every
``health_interval`` s even when nothing is posted), said once (one log line when it begins,
one when it ends), counted (``log_errors_total``), and every console let go with 1013 so it
resumes with ``since=`` once the log is back. Also the periodic trim.

A mixin of :class:`console.live.relay.Relay`, which provides the state annotated below.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING, Any

from console.live.events import Event
from console.live.log import EventLog, LogError
from console.live.relay_http import short
from console.live.team import conversation_of

if TYPE_CHECKING:
    from console.live.fanout import Fanout
    from console.live.metrics import RelayMetrics
    from console.live.oplog import RefusalTally

logger = logging.getLogger("console.live.relay")

#: Why consoles are let go while the log cannot store (a websocket close reason: short).
LOG_DOWN = "the relay cannot store events now (its event log is unavailable)"


def _pumping(subscriber: Any) -> bool:
    pump = subscriber.pump
    return pump is not None and not pump.done()


class LogHealth:
    """Readiness and the drain, the health watch, the trim, and appends through the watch."""

    log: EventLog
    metrics: RelayMetrics
    refusals: RefusalTally
    health_interval: float
    trim_interval: float
    _log_down: str | None
    _down_by_probe: bool
    _ready: bool | None
    _subscribers: set[Any]
    _fanout: Fanout
    _handlers: set[asyncio.Task[Any]]
    _draining: bool
    _letting_go: bool
    close_timeout: float

    if TYPE_CHECKING:  # provided by the Relay

        def _drop(self, subscriber: Any, reason: str = "subscriber too slow") -> None: ...

        def _know(self, conversation_id: str | None) -> None: ...

    @property
    def draining(self) -> bool:
        """True from :meth:`begin_drain` on: ``/readyz`` answers 503."""
        return self._draining

    def begin_drain(self) -> None:
        """Stop being ready (``/readyz`` 503) so the load balancer routes new webhooks and
        consoles elsewhere; everything else is served as before until :meth:`drain`."""
        if self._draining:
            return
        self._draining = True
        self._ready, self.metrics.ready = False, 0  # the line below says "not ready"
        logger.warning(
            "relay: draining for a restart: not ready; consoles will be let go (1012) and "
            "resume on another relay with since=",
            extra={"event": "drain", "subscribers": len(self._subscribers)},
        )

    async def drain(self) -> None:
        """Let every console go after it has been sent what was queued for it (close 1012,
        "service restart": its EventStream reconnects at once, through the load balancer to
        another relay, with ``since=``); new consoles are refused (1012) from now on.
        Webhooks are still taken: what they store is in the log, where the consoles'
        ``since=`` finds it."""
        self.begin_drain()
        self._letting_go = True
        self._fanout.flush()  # what the fan-out holds back for its interval goes out too
        leaving = list(self._subscribers)
        self._subscribers.difference_update(leaving)  # nothing more is queued on them
        # Each console's pump sends what is queued; idle (its queue empty and not woken:
        # the last send is done), it is stopped, and its handler closes it with 1012. A
        # console that takes longer is closed anyway: it resumes from what it received.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self.close_timeout):
                while any(s.queue or s.wake.is_set() for s in leaving if _pumping(s)):
                    await asyncio.sleep(0.01)
        for subscriber in leaving:
            if subscriber.pump is not None:
                subscriber.pump.cancel()
        if self._handlers:
            await asyncio.wait(set(self._handlers), timeout=self.close_timeout + 1)

    def note_readiness(self, problem: str | None) -> None:
        """Record what ``/readyz`` said: the ``ready`` gauge, and one line when it changes."""
        ready = problem is None
        self.metrics.ready = 1 if ready else 0
        if ready == self._ready:
            return
        self._ready = ready
        if ready:
            logger.info("relay: ready", extra={"event": "ready"})
        else:
            logger.warning(
                "relay: not ready (%s)", problem, extra={"event": "not_ready", "reason": problem}
            )

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
