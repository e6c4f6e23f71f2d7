"""No route is open by accident: every route of the sandbox (the relay's mounted ones too)
refuses a request without its key, except the few meant to be open, listed here with why.

The routes are read from the app, so a new route is checked as soon as it exists.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from urllib.parse import quote

import httpx
import pytest
from sandbox_support import API_KEY, SUB, WEBHOOK_SECRET, sandbox_config
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, WebSocketRoute
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from console.sandbox.gate import Gate
from console.sandbox.server import SandboxServer
from console.sandbox.world import CHANNEL_IDS, World

OPEN = {
    ("GET", "/healthz"): "liveness probes carry no key",
    ("GET", "/sandbox/info"): "what a joining console needs to know; it holds no secret",
    ("GET", "/video/guest/{code}"): "a customer opens the guest link from a text message",
}
FILL = {"sub": SUB, "umid": "u-1", "batch_id": "b-1", "call_id": "5001", "code": "c0de"}
FILL["account"] = sandbox_config(None).account
FILL["channel"] = CHANNEL_IDS["whatsapp"]
# Each route's own key, and a key of the wrong kind for it (a real key, for another route).
VIDEO_TOKEN_ROUTES = ("/video/api/v1/call-logs", "/video/api/v1/calls/{call_id}", "/video/")


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[str, list[Route], str]]:
    server = SandboxServer(sandbox_config(None))  # its own relay mounted, as the console runs it
    url = server.start()
    token = httpx.post(
        url + "/video/api/v1/tokens", json={}, headers={"Authorization": f"Bearer {API_KEY}"}
    ).json()["auth_token"]
    yield url, list(server.app.routes), token
    server.stop()


def _requests(routes: list[Route]) -> Iterator[tuple[str, str, str]]:
    for route in routes:
        if not isinstance(route, Route):
            continue
        path = route.path.format(**{name: FILL[name] for name in route.param_convertors})
        for method in sorted((route.methods or set()) - {"HEAD"}):
            yield method, route.path, path


def _wrong_kind(template: str, token: str) -> dict[str, str]:
    """A valid credential, but of another route's kind."""
    if template in VIDEO_TOKEN_ROUTES:
        return {"Authorization": f"Bearer {API_KEY}"}
    if template.startswith("/webhooks/"):
        return {"Authorization": f"Bearer {API_KEY}", "x-token": token}
    return {"Authorization": WEBHOOK_SECRET, "x-token": token}


def test_every_route_refuses_a_missing_or_wrong_key(served: tuple[str, list[Route], str]) -> None:
    url, routes, token = served
    seen = set()
    for method, template, path in _requests(routes):
        seen.add((method, template))
        for label, headers in {
            "no key": {},
            "wrong key": {"Authorization": "Bearer not-the-key", "x-token": "not-a-token"},
            "key of another kind": _wrong_kind(template, token),
        }.items():
            response = httpx.request(method, url + path, headers=headers, content=b"{}")
            if (method, template) in OPEN:
                assert response.status_code != 401, (method, template, label)
                continue
            assert response.status_code == 401, (method, template, label, response.text[:200])
            if "json" in response.headers["content-type"]:
                assert response.json()["code"] == 1200
    assert set(OPEN) <= seen, "an open route listed here no longer exists"


def test_the_events_stream_refuses_a_missing_or_wrong_token(
    served: tuple[str, list[Route], str],
) -> None:
    url, routes, _ = served
    streams = [r.path for r in routes if isinstance(r, WebSocketRoute)]
    assert streams == ["/events"]

    async def close_code(query: str) -> int:
        async with connect(url.replace("http://", "ws://") + "/events" + query) as ws:
            with pytest.raises(ConnectionClosed) as closed:
                async with asyncio.timeout(10):
                    while True:
                        await ws.recv()
        assert closed.value.rcvd is not None
        return closed.value.rcvd.code

    for query in ("", "?token=nope", f"?token={quote(WEBHOOK_SECRET)}"):
        assert asyncio.run(close_code(query)) == 1008


def test_a_route_cannot_be_built_without_an_auth_strategy() -> None:
    gate = Gate(World(sandbox_config(None)))

    async def handler(request: Request) -> Response:
        return Response()

    for auth in ("bearer", None, "none"):
        with pytest.raises(TypeError, match="Auth strategy"):
            gate.api(handler, auth=auth, subaccount=True)  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="Auth strategy"):
            gate.control(handler, auth=auth)  # type: ignore[arg-type]
