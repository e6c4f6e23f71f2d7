"""Hostile input over every route of the sandbox and the relay, as a careless or malicious
client would send it: malformed, mistyped, oversized, deeply nested, NaN/Infinity and
lone-surrogate bodies; hostile path parameters and queries; wrong methods; missing or wrong
credentials.

The routes are read from the Starlette apps themselves, so a new route is swept as soon as
it exists (a route that takes a body also needs a sample below, or its test fails saying so).

For every request: no 5xx, an answer within the client's timeout, every error in 8x8's
error body ``{code, message, errorId, timestamp}`` (the two browser pages answer HTML), and
JSON that a strict parser accepts. A refused request changes nothing (no record, no room, no
armed fault, no relay event). Everything accepted is delivered: once the sandbox is idle,
every message it accepted has its receipts in the relay's log exactly once, no webhook was
given up, and resending an accepted request with its clientMessageId / clientBatchId sends
nothing new.
"""

from __future__ import annotations

import asyncio
import copy
import json
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import orjson
import pytest
from sandbox_support import API_KEY, SUB, TIMESTAMP, WEBHOOK_SECRET, ThreadedUvicorn, sandbox_config
from starlette.applications import Starlette
from starlette.routing import Route, WebSocketRoute
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from console.live.log import MemoryEventLog
from console.live.relay import create_relay_app
from console.sandbox import scenarios
from console.sandbox.app import create_sandbox_app
from console.sandbox.server import SandboxServer

# -- what the sweep sends ----------------------------------------------------------------------

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
DEEP = 100_000
NESTED_ARRAYS = b"[" * DEEP + b"]" * DEEP
NESTED_OBJECTS = b'{"a":' * DEEP + b"1" + b"}" * DEEP
HOSTILE_BODIES: dict[str, bytes] = {
    "empty": b"",
    "blank": b"  \n ",
    "truncated": b'{"a": ',
    "not-json": b"hello",
    "invalid-utf8": b'{"a": "\xff\xfe"}',
    "utf8-surrogate-bytes": b'{"a": "\xed\xa0\x80"}',
    "bom": b'\xef\xbb\xbf{"a": 1}',
    "null": b"null",
    "array": b"[1, 2]",
    "string": b'"text"',
    "number": b"42",
    "bool": b"true",
    "nan": b"NaN",
    "nan-field": b'{"a": NaN}',
    "infinity-field": b'{"a": Infinity, "b": -Infinity}',
    "huge-exponent": b'{"a": 1e999}',
    "huge-integer": b'{"a": ' + b"9" * 5000 + b"}",
    "lone-surrogate": b'"\\ud800"',
    "lone-surrogate-field": b'{"a": "x\\udc00y"}',
    "lone-surrogate-key": b'{"\\ud800": 1}',
    "duplicate-keys": b'{"a": 1, "a": 2}',
    "deep-arrays": NESTED_ARRAYS,
    "deep-objects": NESTED_OBJECTS,
    "wide-array": b"[" + b",".join([b"0"] * 200_000) + b"]",
}
HOSTILE_VALUES: dict[str, Any] = {
    "null": None,
    "true": True,
    "zero": 0,
    "negative": -1,
    "int64-overflow": 2**64 + 1,
    "float": 1.5,
    "big-float": 1e308,
    "nan": float("nan"),
    "infinity": float("inf"),
    "empty": "",
    "blank": "   ",
    "lone-surrogate": "ab\ud800cd",
    "low-surrogate": "\udc00",
    "controls": "\x00\x1b[31m\x7f\x9b",
    "unicode-digits": "١٢٣٤٥٦٧٨",
    "huge-string": "x" * 100_000,
    "array": [],
    "object": {},
    "nested": [[[[[[[[[[{"a": [1]}]]]]]]]]]],
}
HOSTILE_SEGMENTS = {
    "encoded-surrogate": "%ED%A0%80",
    "encoded-nul": "%00",
    "5000-digits": "9" * 5000,
    "dot-dot": "..%2F..%2Fetc",
    "long": "x" * 4000,
    "emoji": "%F0%9F%98%80",
    "unicode-digits": "%D9%A1%D9%A2",
}
HOSTILE_QUERIES = {  # raw query strings, sent as they are
    "cursor-5000-digits": "cursor=" + "9" * 5000,
    "cursor-negative": "cursor=-1",
    "cursor-unicode-digits": "cursor=%D9%A1%D9%A2%D9%A3",
    "cursor-superscript": "cursor=%C2%B2",
    "cursor-float": "cursor=1e3",
    "dates": "from=2024-13-45&to=99999-01-01",
    "date-huge": "from=" + "9" * 5000,
    "q-surrogate": "q=%ED%A0%80",
    "q-invalid-utf8": "q=%FF%FE",
    "q-huge": "q=" + "x" * 6000,
    "since-5000-digits": "since=" + "9" * 5000,
    "repeated": "cursor=1&cursor=2&q=a&q=b",
    "nul-and-markup": "token=%00%00&user=%3Cscript%3E",
}

# -- what each route needs -----------------------------------------------------------------------

# Routes meant to be open (the point of the auth walk below is that there are no others).
OPEN = {"/healthz", "/video/guest/{code}"}
# Browser pages: their errors are HTML pages, not 8x8 error bodies.
PAGES = {"/video/", "/video/guest/{code}"}
# Sends whose retries are idempotent by a client-chosen id.
IDEMPOTENT = {
    "clientMessageId": {
        "/sms/api/v1/subaccounts/{sub}/messages",
        "/sms/v1/{sub}/single",
        "/chatapps/api/v1/subaccounts/{sub}/messages",
    },
    "clientBatchId": {
        "/sms/api/v1/subaccounts/{sub}/messages/batch",
        "/sms/v1/{sub}/many",
        "/sms/v1/{sub}/many/compact",
        "/chatapps/api/v1/subaccounts/{sub}/messages/batch",
    },
}


def _sms(n: int) -> dict[str, Any]:
    return {
        "destination": f"+659123{n:04d}",
        "text": "Your parcel is on its way",
        "source": "Acme",
        "clientMessageId": f"sweep-{uuid.uuid4().hex[:12]}",
        "encoding": "AUTO",
        "country": "SG",
        "scheduled": "2020-01-01T00:00:00Z",
        "expiry": "2099-01-01T00:00:00Z",
    }


def _chat(n: int) -> dict[str, Any]:
    return {
        "user": {"msisdn": f"+659123{n:04d}", "country": "SG"},
        "type": "text",
        "content": {"text": "Hello", "sms": {"source": "Acme", "encoding": "AUTO"}},
        "clientMessageId": f"sweep-{uuid.uuid4().hex[:12]}",
        "channels": [{"channel": "WhatsApp", "fallbackAfter": 60, "successStatus": "delivered"}],
        "scheduled": "2020-01-01T00:00:00Z",
    }


def _sms_batch(n: int) -> dict[str, Any]:
    return {
        "messages": [_sms(n)],
        "destinations": [f"+659124{n:04d}"],
        "template": {"text": "Template text", "source": "Acme"},
        "clientBatchId": f"b-{uuid.uuid4().hex[:10]}",
        "includeMessagesInResponse": True,
    }


def _chat_batch(n: int) -> dict[str, Any]:
    return {
        "messages": [_chat(n)],
        "template": {"type": "text", "content": {"text": "Template"}},
        "clientBatchId": f"b-{uuid.uuid4().hex[:10]}",
        "includeMessagesInResponse": True,
    }


def _webhook(n: int) -> dict[str, Any]:
    return {
        "namespace": "SMS",
        "eventType": "outbound_message_status_changed",
        "description": "sweep",
        "payload": {"umid": str(uuid.uuid4()), "status": {"state": "sent"}, "n": n},
    }


def _chat_webhook(n: int) -> dict[str, Any]:
    return {**_webhook(n), "namespace": "ChatApps"}


def _hook(n: int) -> list[dict[str, Any]]:
    return [
        {
            "subAccountId": f"sweep-{n}",
            "type": "DR",
            "url": "http://127.0.0.1:9/dr",
            "httpAuthorization": "Basic c3dlZXA=",
            "enabled": True,
        }
    ]


# A valid body per route that reads one; each field of it is then replaced by hostile values.
SAMPLES: dict[str, Callable[[int], dict[str, Any]]] = {
    "/sms/api/v1/subaccounts/{sub}/messages": _sms,
    "/sms/v1/{sub}/single": _sms,
    "/sms/api/v1/subaccounts/{sub}/messages/batch": _sms_batch,
    "/sms/v1/{sub}/many": _sms_batch,
    "/sms/v1/{sub}/many/compact": _sms_batch,
    "/chatapps/api/v1/subaccounts/{sub}/messages": _chat,
    "/chatapps/api/v1/subaccounts/{sub}/messages/batch": _chat_batch,
    "/video/api/v1/tokens": lambda n: {
        "create_room": True,
        "phone_number": f"+659125{n:04d}",
        "call_reference": f"SWEEP-{n:06d}",
    },
    "/sandbox/inbound": lambda n: {
        "channel": "whatsapp",
        "from": f"+659126{n:04d}",
        "name": "Sweep",
        "text": "Hello there",
    },
    # a prefix no route has: an armed fault never fires during the sweep
    "/sandbox/faults": lambda n: {"count": 1, "status": 503, "prefix": "/nowhere"},
    # a short run: the sweep waits for it to end before its next case (Sandbox.settle)
    "/sandbox/scenarios": lambda n: {"name": "ait", "attackAfter": 0, "duration": 1},
    # another sub-account's scope: the sweep's own events keep going to the relay
    "/sms/api/v1/accounts/{account}/webhooks": _hook,
    "/chatapps/api/v1/accounts/{account}/webhooks": _hook,
    "/sms/api/v1/subaccounts/{sub}/messages/{umid}/feedback": lambda n: {
        "outcome": "success",
        "timestamp": "2020-01-01T00:00:00Z",
    },
    "/webhooks/sms": _webhook,
    "/webhooks/chatapps": _chat_webhook,
    "/team/events": lambda n: {  # an assignment can start a conversation the relay never saw
        "type": "assigned",
        "conversationId": f"whatsapp:+659127{n:04d}",
        "agent": "sweep",
        "assignee": "Hello there",
    },
}
# Routes whose POST reads no body (the sweep still sends them every hostile body).
NO_BODY = {"/chatapps/api/v1/subaccounts/{sub}/messages/{umid}/read"}


def _leaf_paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every path into a JSON value (objects and arrays too, not only leaves)."""
    if prefix:
        yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaf_paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _leaf_paths(item, (*prefix, index))


def _replaced(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    out = copy.deepcopy(value)
    node = out
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = new
    return out


def _encode(value: Any) -> bytes:
    # the standard library writes NaN/Infinity and lone surrogates (escaped) when asked to
    return json.dumps(value, allow_nan=True).encode()


@dataclass
class Case:
    label: str
    method: str
    path: str
    headers: dict[str, str]
    content: bytes | None = None


@dataclass
class Target:
    """One server under test: its URL, credentials, and how to read its state."""

    url: str
    credentials: Callable[[str], dict[str, str]]
    fingerprint: Callable[[], tuple[int, ...]]
    fill: dict[str, str]
    settle: Callable[[], None] = lambda: None  # after an accepted request


def _route_cases(route: Route, target: Target, counter: Iterator[int]) -> Iterator[Case]:
    template = route.path
    methods = sorted((route.methods or set()) - {"HEAD"})
    good = target.credentials(template)
    path = template.format(**{name: target.fill.get(name, "x") for name in route.param_convertors})

    for method in METHODS:
        if method not in methods:
            yield Case(f"method {method}", method, path, good)
    for name, headers in {
        "no credentials": {},
        "wrong key": {"Authorization": "Bearer wrong", "x-token": "wrong"},
        "empty bearer": {"Authorization": "Bearer", "x-token": ""},
        "basic scheme": {"Authorization": f"Basic {API_KEY}"},
        "huge token": {"Authorization": "Bearer " + "k" * 8000, "x-token": "t" * 8000},
    }.items():
        for method in methods:
            yield Case(f"auth {name}", method, path, headers)
    for method in methods:
        for name, body in HOSTILE_BODIES.items():
            yield Case(f"body {name}", method, path, good, body)
        for name, query in HOSTILE_QUERIES.items():
            yield Case(f"query {name}", method, f"{path}?{query}", good)
        for param in route.param_convertors:
            for name, segment in HOSTILE_SEGMENTS.items():
                fill = {n: target.fill.get(n, "x") for n in route.param_convertors}
                fill[param] = segment
                yield Case(f"path {param}={name}", method, template.format(**fill), good)
    sample = SAMPLES.get(template)
    if sample is None:
        return
    base = sample(next(counter))
    for where in _leaf_paths(base):
        for name, value in HOSTILE_VALUES.items():
            body = _replaced(sample(next(counter)), where, value)
            label = f"field {'.'.join(map(str, where))}={name}"
            yield Case(label, "POST", path, good, _encode(body))
    yield Case("valid sample", "POST", path, good, _encode(sample(next(counter))))


def _route_id(route: Route) -> str:
    return " ".join([*sorted((route.methods or set()) - {"HEAD"}), route.path])


def _check(case: Case, response: httpx.Response, template: str) -> str | None:
    """Why this answer is wrong, or None."""
    status = response.status_code
    if status >= 500:
        return f"{status}: {response.text[:200]}"
    kind = response.headers.get("content-type", "")
    if not response.content:
        return None if status < 400 else f"{status} without an error body"
    if kind.startswith("text/html") and template in PAGES and case.method == "GET":
        return None
    if not kind.startswith("application/json"):
        return f"{status} answered {kind or 'no content type'}: {response.text[:120]!r}"
    try:
        body = orjson.loads(response.content)
    except orjson.JSONDecodeError as error:
        return f"{status} answered JSON a strict parser refuses: {error}"
    if status < 400:
        return None
    if not isinstance(body, dict) or set(body) != {"code", "message", "errorId", "timestamp"}:
        return f"{status} error body is not 8x8's shape: {str(body)[:200]}"
    if not isinstance(body["code"], int) or not isinstance(body["message"], str):
        return f"{status} error body has wrong types: {body}"
    if not body["message"].strip():
        return f"{status} error body has an empty message"
    try:
        uuid.UUID(body["errorId"])
    except (ValueError, TypeError, AttributeError):
        return f"{status} errorId is not a uuid: {body['errorId']!r}"
    if not isinstance(body["timestamp"], str) or not TIMESTAMP.match(body["timestamp"]):
        return f"{status} timestamp is not 8x8's format: {body['timestamp']!r}"
    return None


def _sweep(target: Target, route: Route) -> tuple[list[str], list[dict[str, Any]]]:
    """Send every case for one route; returns the failures and the accepted JSON answers."""
    failures: list[str] = []
    accepted: list[tuple[Case, dict[str, Any]]] = []
    counter = iter(range(1, 10**9))
    with httpx.Client(base_url=target.url, timeout=20, trust_env=False) as http:
        for case in _route_cases(route, target, counter):
            before = target.fingerprint()
            started = time.monotonic()
            try:
                response = http.request(
                    case.method,
                    case.path,
                    headers={"content-type": "application/json", **case.headers},
                    content=case.content,
                )
            except httpx.HTTPError as error:
                failures.append(f"{case.method} {case.label}: no answer ({error!r})")
                continue
            elapsed = time.monotonic() - started
            problem = _check(case, response, route.path)
            if problem is None and response.status_code >= 400 and target.fingerprint() != before:
                problem = f"{response.status_code} but the state changed"
            if problem is not None:
                failures.append(f"{case.method} {case.label} ({elapsed:.1f} s): {problem}")
            elif response.status_code < 300:
                target.settle()
                if case.content:
                    accepted.append((case, response.json() if response.content else {}))
                    failures.extend(_resend(http, case, response, route.path, target))
    return failures, [answer for _, answer in accepted]


def _resend(
    http: httpx.Client, case: Case, first: httpx.Response, template: str, target: Target
) -> list[str]:
    """An accepted send retried with the same client id answers the same and sends nothing."""
    try:
        body = orjson.loads(case.content or b"")
    except orjson.JSONDecodeError:
        return []
    if not isinstance(body, dict):
        return []
    for key, routes in IDEMPOTENT.items():
        if template in routes and isinstance(body.get(key), str) and body[key]:
            before = target.fingerprint()
            again = http.request(case.method, case.path, headers=case.headers, content=case.content)
            if again.status_code != first.status_code or again.content != first.content:
                return [f"{case.method} {case.label}: a retry answered differently"]
            if target.fingerprint() != before:
                return [f"{case.method} {case.label}: a retry sent the message again"]
    return []


# -- the sandbox (with its relay mounted, as the console runs it) -------------------------------


def _sandbox_routes() -> list[Route | WebSocketRoute]:
    app = create_sandbox_app(sandbox_config(None))
    return [r for r in app.routes if isinstance(r, Route | WebSocketRoute)]


SANDBOX_ROUTES = _sandbox_routes()


@dataclass
class Sandbox:
    server: SandboxServer
    url: str
    token: str

    @property
    def world(self) -> Any:
        return self.server.app.state.world

    @property
    def relay(self) -> Any:
        return self.server.app.state.relay

    def fingerprint(self) -> tuple[int, ...]:
        world = self.world
        return (
            len(world.sms),
            len(world.chat),
            len(world.video.tokens),
            len(world.video.rooms),
            len(world.faults),
            len(world.scenarios),
            len(world.hooks.webhooks("sms")) + len(world.hooks.webhooks("chatapps")),
        )

    def target(self) -> Target:
        def credentials(template: str) -> dict[str, str]:
            if template.startswith("/webhooks/"):
                return {"Authorization": WEBHOOK_SECRET}
            return {"Authorization": f"Bearer {API_KEY}", "x-token": self.token}

        fill = {"sub": SUB, "umid": str(uuid.uuid4()), "batch_id": str(uuid.uuid4())}
        fill |= {"call_id": "5001", "code": "nosuchroom00", "account": self.world.config.account}
        return Target(self.url, credentials, self.fingerprint, fill, self.settle)

    def settle(self) -> None:
        """An armed fault fails the next requests on purpose (an empty body to /sandbox/faults
        arms one for every route): the sweep disarms it, or it would fail the next cases. A
        scenario changes the world while it runs: the sweep waits for it to end."""
        self.world.faults.clear()
        if self.world.scenarios:
            _wait_idle(self)


@pytest.fixture(scope="module")
def hostile_sandbox() -> Iterator[Sandbox]:
    config = sandbox_config(None, rate_limit=1e9, ip_rate_limit=1e9)
    server = SandboxServer(config)
    url = server.start()
    token = httpx.post(
        url + "/video/api/v1/tokens", json={}, headers={"Authorization": f"Bearer {API_KEY}"}
    ).json()["auth_token"]
    yield Sandbox(server, url, token)
    server.stop()


def _wait_idle(sandbox: Sandbox, timeout: float = 60) -> None:
    world = sandbox.world
    deadline = time.monotonic() + timeout
    while len(world.timeline) or world.webhooks.pending:
        assert time.monotonic() < deadline, "the sandbox did not finish its receipts"
        time.sleep(0.05)


def _delivered_exactly_once(sandbox: Sandbox, known: set[str]) -> list[str]:
    """Every accepted message's receipts are in the relay's log once each, none given up."""
    _wait_idle(sandbox)
    world = sandbox.world
    stats = world.webhooks.stats
    problems = []
    if stats.given_up or stats.failed_attempts:
        problems.append(f"webhooks failed: {stats.as_dict(world.webhooks.pending)}")
    events = asyncio.run(sandbox.relay.log.read_since(0, 10**7))
    seen: dict[str, list[str]] = {}
    for event in events:
        payload = event.payload
        if not isinstance(payload.get("umid"), str):
            continue
        status = payload.get("status")
        state = status.get("state") if isinstance(status, dict) else event.event_type
        seen.setdefault(payload.get("umid"), []).append(state)
    for outbox in (world.sms, world.chat):
        for umid, record in list(outbox.records.items()):
            if umid in known or record.waiting_schedule:
                continue
            states = seen.get(umid, [])
            if len(states) != len(set(states)):
                problems.append(f"{umid}: sent twice: {states}")
            expected = "inbound_message_received" if record.direction == "inbound" else None
            final = expected or record.status.state
            if final not in states:
                problems.append(f"{umid} ({record.direction}) never delivered: {states}")
    return problems


@pytest.mark.parametrize(
    "route", [r for r in SANDBOX_ROUTES if isinstance(r, Route)], ids=_route_id
)
def test_every_sandbox_route_survives_hostile_input(
    hostile_sandbox: Sandbox, route: Route, monkeypatch: pytest.MonkeyPatch
) -> None:
    if route.path == "/sandbox/scenarios":
        # Each accepted start is a whole AIT run the sweep waits out; its full size (a week
        # of 5,760 backfilled OTPs, a 40 s attack of 600) is test_sandbox_account's to check.
        # Here it is what the route accepts and that all of it is delivered: a small run.
        monkeypatch.setattr(scenarios, "BACKFILL_PER_HOUR", 1)
        monkeypatch.setattr(scenarios, "ATTACK_SECONDS", 2.0)
    world = hostile_sandbox.world
    known = set(world.sms.records) | set(world.chat.records)
    if route.path not in SAMPLES and route.path not in NO_BODY and "POST" in (route.methods or ()):
        pytest.fail(f"{route.path} takes a body: give it a sample in SAMPLES")
    failures, _ = _sweep(hostile_sandbox.target(), route)
    failures += _delivered_exactly_once(hostile_sandbox, known)
    assert not failures, f"{len(failures)} problems:\n" + "\n".join(failures[:60])


# -- the relay on its own (as `agent-console relay` runs it) -----------------------------------

RELAY_TOKEN = "events-token-sweep"


@pytest.fixture(scope="module")
def hostile_relay() -> Iterator[tuple[str, Starlette]]:
    app = create_relay_app(
        MemoryEventLog(), webhook_secret=WEBHOOK_SECRET, events_token=RELAY_TOKEN
    )
    server = ThreadedUvicorn(app, lifespan="on")
    yield server.start(), app
    server.stop()


def _relay_routes() -> list[Route]:  # the API: the operator GETs are in test_relay_ops.py
    app = create_relay_app(MemoryEventLog(), webhook_secret="s", events_token="t", admin=False)
    return [r for r in app.routes if isinstance(r, Route)]


@pytest.mark.parametrize("route", _relay_routes(), ids=_route_id)
def test_every_relay_route_survives_hostile_input(
    hostile_relay: tuple[str, Starlette], route: Route
) -> None:
    url, app = hostile_relay
    log = app.state.relay.log
    target = Target(
        url,
        lambda template: {
            "Authorization": WEBHOOK_SECRET
            if template.startswith("/webhooks/")
            else f"Bearer {RELAY_TOKEN}"  # team events: a console's events token
        },
        lambda: (log.last_seq,),
        {},
    )
    failures, accepted = _sweep(target, route)
    assert not failures, f"{len(failures)} problems:\n" + "\n".join(failures[:60])
    assert accepted and all(set(answer) == {"seq"} for answer in accepted)


def test_unknown_paths_of_the_relay_get_the_error_body(
    hostile_relay: tuple[str, Starlette],
) -> None:
    url, _ = hostile_relay
    for path in ("/", "/nothing", "/webhooks", "/webhooks/sms/x", "/events/x"):
        response = httpx.get(url + path)
        assert _check(Case("", "GET", path, {}), response, path) is None, response.text
        assert response.status_code == 404


# -- bodies that are too large, announced or not ------------------------------------------------


def _raw_request(url: str, path: str, headers: str, body: bytes, timeout: float = 10) -> bytes:
    """Send a hand-made HTTP/1.1 request and read the answer until the server closes."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=timeout) as sock:
        sock.sendall(f"POST {path} HTTP/1.1\r\nHost: {host}\r\n{headers}\r\n".encode() + body)
        sock.shutdown(socket.SHUT_WR)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def _post_routes(routes: list[Any]) -> list[str]:
    return [r.path for r in routes if isinstance(r, Route) and "POST" in (r.methods or ())]


def test_an_announced_huge_body_is_refused_at_once(
    hostile_sandbox: Sandbox, hostile_relay: tuple[str, Starlette]
) -> None:
    fill = hostile_sandbox.target().fill
    targets = [(hostile_sandbox.url, p) for p in _post_routes(SANDBOX_ROUTES)]
    targets += [(hostile_relay[0], p) for p in _post_routes(_relay_routes())]
    for url, template in targets:
        path = template.format(**{k: fill.get(k, "x") for k in ("sub", "umid", "account")})
        auth = WEBHOOK_SECRET if template.startswith("/webhooks/") else f"Bearer {API_KEY}"
        headers = f"Authorization: {auth}\r\nContent-Length: 900000000000\r\nConnection: close\r\n"
        started = time.monotonic()
        answer = _raw_request(url, path, headers, b'{"a": 1}')
        status = int(answer.split(b" ", 2)[1])
        assert status in (400, 401, 404, 413), (template, answer[:300])
        assert time.monotonic() - started < 10
        if status == 413:
            body = orjson.loads(answer.split(b"\r\n\r\n", 1)[1])
            assert set(body) == {"code", "message", "errorId", "timestamp"}, template


def test_an_unannounced_huge_body_is_refused_while_it_is_read(
    hostile_sandbox: Sandbox, hostile_relay: tuple[str, Starlette]
) -> None:
    def chunks(total: int) -> Iterator[bytes]:
        yield b'{"text": "'
        for _ in range(total // 65536):
            yield b"x" * 65536
        yield b'"}'

    sms = f"{hostile_sandbox.url}/sms/api/v1/subaccounts/{SUB}/messages"
    before = hostile_sandbox.fingerprint()
    response = httpx.post(
        sms,
        content=chunks(40 * 1024 * 1024),
        headers={"Authorization": f"Bearer {API_KEY}"},
        timeout=60,
    )
    assert response.status_code == 413 and "32 MB" in response.json()["message"]
    assert hostile_sandbox.fingerprint() == before
    response = httpx.post(
        hostile_relay[0] + "/webhooks/sms",
        content=chunks(200_000),
        headers={"Authorization": WEBHOOK_SECRET},
    )
    assert response.status_code == 413 and "65536" in response.json()["message"]


# -- the events websocket -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?token=wrong",
        f"?token={API_KEY}&since=" + "9" * 5000,
        f"?token={API_KEY}&since=-1",
        f"?token={API_KEY}&since=%D9%A1%D9%A2",
        f"?token={API_KEY}&since=1e3",
        f"?token={API_KEY}&since=1_000",
        f"?token={API_KEY}&since=%ED%A0%80",
    ],
    ids=["no-token", "wrong-token", "since-5000", "negative", "unicode", "float", "underscore",
         "surrogate"],
)  # fmt: skip
async def test_the_events_stream_closes_hostile_queries_with_a_policy_violation(
    hostile_sandbox: Sandbox, query: str
) -> None:
    url = hostile_sandbox.url.replace("http://", "ws://") + "/events" + query
    async with connect(url) as ws:
        with pytest.raises(ConnectionClosed) as closed:
            async with asyncio.timeout(10):
                while True:
                    await ws.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008
