"""Webhook delivery: one lane per product and kind, each with its own queue and workers.

8x8 does not hold one product's webhooks behind another's batch, and neither does the
sandbox: SMS receipts, SMS inbound messages, Chat Apps receipts and Chat Apps inbound
messages each have a :class:`Lane` (a queue and ``workers`` workers). Each worker keeps its
own keep-alive connection to each target (poster.py), so a lane holds several connections
per target and a Chat Apps receipt posted behind 20,000 SMS receipts goes out at once.

Events for the same key (a message's umid) are delivered one after the other, in the order
they were posted: a ``delivered`` receipt waits until its ``sent`` receipt was accepted or
given up. A failed delivery (connection error, timeout, 4xx or 5xx) is retried after each
delay of the retry schedule (8x8: 1, 10, 30, 90 s), then given up; each webhook keeps its
own attempt count. The ``Authorization`` header is sent verbatim.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Final

import orjson

from .poster import Poster, PostError, Target
from .timeline import Timeline

log = logging.getLogger(__name__)

RECEIPTS: Final = "receipts"
INBOUND: Final = "inbound"
MAX_TARGETS = 1024  # parsed URLs kept (callback URLs are per message)


def encode_webhook(body: dict[str, Any]) -> bytes:
    """A webhook body as it is sent: compact UTF-8 JSON."""
    return orjson.dumps(body)


@dataclass(slots=True)
class _Job:
    url: str
    body: dict[str, Any]
    key: str
    lane: Lane
    authorization: str | None = None
    attempt: int = 0


@dataclass
class WebhookStats:
    posted: int = 0
    delivered: int = 0
    failed_attempts: int = 0
    given_up: int = 0

    @property
    def pending(self) -> int:
        """Events accepted but not yet delivered or given up."""
        return self.posted - self.delivered - self.given_up

    def as_dict(self) -> dict[str, int]:
        return {
            "posted": self.posted,
            "delivered": self.delivered,
            "failedAttempts": self.failed_attempts,
            "givenUp": self.given_up,
            "pending": self.pending,
        }


@dataclass(eq=False)
class Lane:
    """One product's webhooks of one kind: a queue and its own workers."""

    product: str
    kind: str
    queue: asyncio.Queue[_Job] = field(default_factory=asyncio.Queue)
    stats: WebhookStats = field(default_factory=WebhookStats)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"{self.product} {self.kind}"


class WebhookDispatcher:
    def __init__(
        self,
        timeline: Timeline,
        *,
        retry_delays: tuple[float, ...],
        workers: int = 4,
        timeout: float = 5.0,
    ) -> None:
        self._timeline = timeline
        self._retry_delays = retry_delays
        self._worker_count = workers  # per lane
        self._timeout = timeout
        self._lanes: dict[tuple[str, str], Lane] = {}
        self._waiting: dict[str, deque[_Job]] = {}  # key -> jobs posted after the one in flight
        self._targets: dict[tuple[str, str | None], Target] = {}
        self._started = False
        self.stats = WebhookStats()

    @property
    def pending(self) -> int:
        """Events accepted but not yet delivered or given up."""
        return self.stats.pending

    def lane_stats(self) -> dict[str, dict[str, int]]:
        return {lane.name: lane.stats.as_dict() for lane in self._lanes.values()}

    async def start(self) -> None:
        self._started = True
        for lane in self._lanes.values():
            self._start_workers(lane)

    async def close(self) -> None:
        self._started = False
        tasks = [task for lane in self._lanes.values() for task in lane.tasks]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for lane in self._lanes.values():
            lane.tasks = []

    def post(
        self,
        url: str,
        body: dict[str, Any],
        key: str,
        *,
        product: str,
        kind: str,
        authorization: str | None = None,
    ) -> None:
        """Queue one webhook on its product's lane; events with the same key keep their order.
        ``authorization`` is sent verbatim as the Authorization header (the account's
        webhook configuration says which: hooks.py)."""
        lane = self._lanes.get((product, kind))
        if lane is None:
            lane = self._lanes[(product, kind)] = Lane(product, kind)
            if self._started:
                self._start_workers(lane)
        self.stats.posted += 1
        lane.stats.posted += 1
        job = _Job(url, body, key, lane, authorization)
        waiting = self._waiting.get(key)
        if waiting is not None:
            waiting.append(job)
        else:
            self._waiting[key] = deque()
            lane.queue.put_nowait(job)

    def _start_workers(self, lane: Lane) -> None:
        lane.tasks = [
            asyncio.create_task(self._work(lane), name=f"sandbox-webhook-{lane.name}-{i}")
            for i in range(self._worker_count)
        ]

    def _finish(self, job: _Job) -> None:
        waiting = self._waiting.get(job.key)
        if waiting:
            follower = waiting.popleft()
            follower.lane.queue.put_nowait(follower)
        else:
            self._waiting.pop(job.key, None)

    def _settle(self, job: _Job, ok: bool) -> None:
        stats = job.lane.stats
        if ok:
            self.stats.delivered += 1
            stats.delivered += 1
            self._finish(job)
            return
        self.stats.failed_attempts += 1
        stats.failed_attempts += 1
        if job.attempt < len(self._retry_delays):
            delay = self._retry_delays[job.attempt]
            job.attempt += 1
            self._timeline.call_later(delay, job.lane.queue.put_nowait, job)
            return
        self.stats.given_up += 1
        stats.given_up += 1
        log.debug("sandbox gave up webhook to %s after %d attempts", job.url, job.attempt)
        self._finish(job)

    async def _work(self, lane: Lane) -> None:
        poster = Poster(self._timeout, min(2.0, self._timeout))
        try:
            while True:
                job = await lane.queue.get()
                try:
                    ok = await self._deliver(job, poster)
                except Exception:  # never let one bad event kill a worker
                    log.exception("sandbox webhook delivery crashed")
                    ok = False
                self._settle(job, ok)
        finally:
            poster.close()

    def _target(self, url: str, authorization: str | None) -> Target:
        target = self._targets.get((url, authorization))
        if target is None:
            target = Target.parse(url, authorization)
            if len(self._targets) < MAX_TARGETS:
                self._targets[(url, authorization)] = target
        return target

    async def _deliver(self, job: _Job, poster: Poster) -> bool:
        target = self._target(job.url, job.authorization)
        try:
            status = await poster.post(target, encode_webhook(job.body))
        except (PostError, TimeoutError, OSError):
            return False
        return 200 <= status < 300
