"""The relay's operator endpoints: ``/healthz``, ``/readyz`` and ``/metrics``.

- ``GET /healthz``: 200 ``{"status": "ok"}`` whenever the process answers (a liveness
  probe: restart the relay only when this fails).
- ``GET /readyz``: 200 ``{"status": "ready"}`` when the relay can take webhooks and
  consoles: started, not draining for a restart, and its event log can store now (the log
  file's folder takes a new file; Redis answers within ``PROBE_TIMEOUT``). Otherwise 503
  ``{"status": "not ready", "reason": …}``. Load balancers route on it (deploy/haproxy).
- ``GET /metrics``: Prometheus' text format (console/live/metrics.py).

None needs a secret (they tell nothing a secret protects), so they are served either on
the relay's own port (``create_relay_app``'s default) or, with ``agent-console relay
--admin-host/--admin-port``, only on that other address (:func:`create_admin_app`), which
keeps them off the public side of the load balancer.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

if TYPE_CHECKING:
    from console.live.relay import Relay

#: How long ``/readyz`` waits for the log to answer.
PROBE_TIMEOUT = 1.0
_HEADERS = {"Cache-Control": "no-store"}


def _probe_folder(folder: Path) -> None:
    """Create, write and remove a file in ``folder`` (the log file's): raises when it cannot.
    A real write, not ``os.access``: that says yes to root, and on a read-only mount."""
    fd, name = tempfile.mkstemp(prefix=".readyz-", dir=folder)
    try:
        os.write(fd, b"ok")
    finally:
        os.close(fd)
        os.unlink(name)


async def log_problem(log: Any) -> str | None:
    """Why the log cannot store now, or None. A file log: its folder is writable and the file
    is there. Any other log (Redis): it answers ``bounds()`` within ``PROBE_TIMEOUT``."""
    path = getattr(log, "path", None)
    try:
        if isinstance(path, Path):
            if not path.exists():
                return f"the event log file {path.name} is gone"
            await asyncio.to_thread(_probe_folder, path.parent)
        else:
            async with asyncio.timeout(PROBE_TIMEOUT):
                await log.bounds()
    except TimeoutError:
        return "the event log did not answer in time"
    except Exception as error:  # OSError, LogError, a client's own errors
        text = " ".join(str(error).split()) or type(error).__name__
        return f"the event log cannot store: {text[:200]}"
    return None


async def readiness(relay: Relay) -> str | None:
    """Why the relay should not get traffic now, or None when it should."""
    if not relay.started:
        return "starting" if not relay.draining else "stopped"
    if relay.draining:
        return "draining for a restart"
    if relay.log_down is not None:
        return f"the event log is unavailable ({relay.log_down})"
    return await log_problem(relay.log)


def admin_routes(relay: Relay) -> list[BaseRoute]:
    """``/healthz``, ``/readyz`` and ``/metrics`` for ``relay``."""

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"}, headers=_HEADERS)

    async def readyz(request: Request) -> Response:
        problem = await readiness(relay)
        relay.note_readiness(problem)
        if problem is None:
            return JSONResponse({"status": "ready"}, headers=_HEADERS)
        body = {"status": "not ready", "reason": problem}
        return JSONResponse(body, status_code=503, headers=_HEADERS)

    async def metrics(request: Request) -> Response:
        from console.live.metrics import CONTENT_TYPE

        return Response(relay.metrics.render(), media_type=CONTENT_TYPE, headers=_HEADERS)

    return [
        Route("/healthz", healthz, methods=["GET", "HEAD"], name="healthz"),
        Route("/readyz", readyz, methods=["GET", "HEAD"], name="readyz"),
        Route("/metrics", metrics, methods=["GET"], name="metrics"),
    ]


def create_admin_app(relay: Relay) -> Starlette:
    """An app serving only the operator endpoints (``--admin-host/--admin-port``); the relay's
    own app runs its lifespan."""
    from starlette.exceptions import HTTPException

    from console.live.relay_http import http_error

    return Starlette(routes=admin_routes(relay), exception_handlers={HTTPException: http_error})
