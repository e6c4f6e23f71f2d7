"""A small real server that scripts 8x8-style answers, for the CpaasClient integration tests.

`ScriptedServer` is a Starlette app served by uvicorn on 127.0.0.1 (a random free port) in
a background thread. A test scripts, per method and path (fnmatch patterns allowed), the
replies to give in order (the last one repeats), and reads back what the client really sent.
"""

from __future__ import annotations

import asyncio
import fnmatch
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from oas_files import load_spec
from openapi_core import Config, OpenAPI
from openapi_core.testing import MockRequest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from console.config import Endpoints

API_KEY = "test-key-9f8e7d6c5b4a"
SUBACCOUNT = "acme_support"


@dataclass
class Reply:
    status: int = 200
    json: Any = None
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class Seen:
    method: str
    path: str  # decoded, as routes see it
    raw_path: str  # as sent on the wire (percent-escapes kept)
    headers: dict[str, str]
    body: bytes
    at: float  # time.monotonic() when the request arrived

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


Script = Reply | Callable[[Seen], Reply]


def error_body(code: int, message: str) -> dict[str, Any]:
    """8x8's common error body."""
    return {
        "code": code,
        "message": message,
        "errorId": "0d4c8e0a-8f5b-4c53-9b5e-7a3d2f1e0c9b",
        "timestamp": "2026-07-23T10:00:00.00Z",
    }


class ScriptedServer:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._scripts: list[tuple[str, str, list[Script]]] = []
        self.seen: list[Seen] = []
        self.url = ""
        self.app = Starlette(
            routes=[
                Route(
                    "/{path:path}",
                    self._handle,
                    methods=["GET", "POST", "PUT", "DELETE", "PATCH"],
                )
            ]
        )

    @property
    def endpoints(self) -> Endpoints:
        return Endpoints.for_server(self.url)

    def reset(self) -> None:
        with self._lock:
            self._scripts.clear()
            self.seen.clear()

    def script(self, method: str, path: str, *replies: Script) -> None:
        """Answer `method path` (fnmatch pattern) with these replies in order; the last repeats."""
        with self._lock:
            self._scripts.insert(0, (method, path, list(replies)))

    def requests(self, method: str | None = None, path: str = "*") -> list[Seen]:
        with self._lock:
            return [
                seen
                for seen in self.seen
                if (method is None or seen.method == method)
                and fnmatch.fnmatchcase(seen.path, path)
            ]

    async def _handle(self, request: Request) -> Response:
        seen = Seen(
            method=request.method,
            path=request.url.path,
            raw_path=request.scope["raw_path"].decode("ascii"),
            headers={k.lower(): v for k, v in request.headers.items()},
            body=await request.body(),
            at=time.monotonic(),
        )
        with self._lock:
            self.seen.append(seen)
            script = self._next(seen)
        reply = script(seen) if callable(script) else script
        if reply.delay:
            await asyncio.sleep(reply.delay)
        if reply.body is not None:
            content = reply.body
            media = reply.headers.get("content-type", "text/plain")
        else:
            content = json.dumps(reply.json).encode() if reply.json is not None else b""
            media = "application/json"
        return Response(content, status_code=reply.status, headers=reply.headers, media_type=media)

    def _next(self, seen: Seen) -> Script:
        for method, pattern, replies in self._scripts:
            if method == seen.method and fnmatch.fnmatchcase(seen.path, pattern):
                return replies.pop(0) if len(replies) > 1 else replies[0]
        return Reply(500, error_body(2000, f"unscripted {seen.method} {seen.path}"))


class ServerThread:
    """uvicorn serving an ASGI app on 127.0.0.1, random port, in a background thread."""

    def __init__(self, app: Any) -> None:
        config = uvicorn.Config(
            app, host="127.0.0.1", port=0, log_level="warning", timeout_graceful_shutdown=1
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.01)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    def __exit__(self, *exc_info: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=5)


class FakeTime:
    """An injected clock and sleep: waits are recorded and pass instantly.

    The clock is real monotonic time plus every wait slept so far, so real time between
    requests still counts and a wait moves the clock exactly as far as it would have.
    """

    def __init__(self) -> None:
        self.offset = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return time.monotonic() + self.offset

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.offset += seconds
        await asyncio.sleep(0)


# ---------------------------------------------------------------- the official 8x8 contract

_SPECS: dict[str, tuple[OpenAPI, str]] = {}
_PRODUCTS = {
    "sms": ("sms_api.json", "https://sms.8x8.com"),
    "chatapps": ("business_messaging_api.json", "https://chatapps.8x8.com"),
    "video": ("video_interaction_api.json", "https://video-agent.8x8.com"),
}


def assert_valid_request(seen: Seen) -> None:
    """The request the client sent is valid for 8x8's own OpenAPI file."""
    product, _, rest = seen.path.lstrip("/").partition("/")
    if product not in _SPECS:
        filename, host = _PRODUCTS[product]
        spec = load_spec(filename)
        _SPECS[product] = (OpenAPI.from_dict(spec, config=Config(spec_validator_cls=None)), host)
    openapi, host = _SPECS[product]
    request = MockRequest(
        host,
        seen.method.lower(),
        "/" + rest,
        headers=seen.headers,
        data=seen.body.decode() if seen.body else None,
        content_type=seen.headers.get("content-type"),
    )
    openapi.validate_request(request)
