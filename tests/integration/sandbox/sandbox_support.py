"""Helpers for the sandbox contract tests: servers, the webhook receiver, 8x8's contract.

Real servers only: the sandbox runs under uvicorn on 127.0.0.1 (SandboxServer, its own
thread and loop), and a small Starlette webhook receiver runs under uvicorn too. Responses
and webhook bodies are checked against 8x8's OpenAPI files in tests/oas.
(A uniquely named module rather than conftest, so test files can import it safely.)
"""

from __future__ import annotations

import asyncio
import copy
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from console.sandbox.server import bind_socket
from console.sandbox.settings import SandboxConfig

REPO_ROOT = Path(__file__).resolve().parents[3]
API_KEY = "test-key-0123456789abcdef"
SUB = "sandbox"
AUTH = {"Authorization": f"Bearer {API_KEY}"}
WEBHOOK_SECRET = "Basic d2ViaG9vazpzZWNyZXQ="
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d\dZ$")


# -- servers ---------------------------------------------------------------------------------


class ThreadedUvicorn:
    """Any ASGI app under uvicorn in a background thread, on a free loopback port."""

    def __init__(self, app: Any, *, lifespan: str = "off") -> None:
        self.app = app
        self.sock = bind_socket("127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.server = uvicorn.Server(
            uvicorn.Config(app, log_level="warning", access_log=False, lifespan=lifespan)
        )
        self.thread = threading.Thread(
            target=lambda: asyncio.run(self.server.serve(sockets=[self.sock])), daemon=True
        )

    def start(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            assert time.monotonic() < deadline, "receiver did not start"
            time.sleep(0.01)
        return self.url

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.sock.close()


@dataclass
class Hook:
    product: str  # "sms" | "chatapps"
    authorization: str | None
    body: dict[str, Any]
    at: float


@dataclass
class Receiver:
    """The webhook target: records every POST; can answer 503 to the first N attempts."""

    url: str = ""
    fail_first: int = 0
    fail_always: bool = False
    attempts: int = 0
    peers: set[tuple[str, int]] = field(default_factory=set)  # client (host, port) seen
    hooks: list[Hook] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def snapshot(self) -> list[Hook]:
        with self.lock:
            return list(self.hooks)

    def wait_for(
        self, predicate: Callable[[list[Hook]], bool], timeout: float = 10.0
    ) -> list[Hook]:
        deadline = time.monotonic() + timeout
        while True:
            hooks = self.snapshot()
            if predicate(hooks):
                return hooks
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"webhooks did not arrive in {timeout}s; got {len(hooks)}: "
                    + json.dumps([h.body for h in hooks[-5:]])[:2000]
                )
            time.sleep(0.02)

    def for_umid(self, umid: str) -> list[Hook]:
        return [h for h in self.snapshot() if h.body.get("payload", {}).get("umid") == umid]

    def states(self, umid: str) -> list[str]:
        return [h.body["payload"]["status"]["state"] for h in self.for_umid(umid)]


def _receiver_app(receiver: Receiver) -> Starlette:
    async def hook(request: Request) -> Response:
        raw = await request.body()
        with receiver.lock:
            receiver.attempts += 1
            if request.client is not None:
                receiver.peers.add((request.client.host, request.client.port))
            failing = receiver.fail_always or receiver.attempts <= receiver.fail_first
            if not failing:
                receiver.hooks.append(
                    Hook(
                        request.path_params["product"],
                        request.headers.get("authorization"),
                        json.loads(raw),
                        time.monotonic(),
                    )
                )
        return Response(status_code=503 if failing else 200)

    return Starlette(routes=[Route("/hooks/{product}", hook, methods=["POST"])])


def start_receiver() -> tuple[Receiver, ThreadedUvicorn]:
    rec = Receiver()
    server = ThreadedUvicorn(_receiver_app(rec))
    rec.url = server.start() + "/hooks"
    return rec, server


def sandbox_config(webhook_url: str | None, **overrides: Any) -> SandboxConfig:
    """The tests' defaults: fast (speed 20), seeded, quiet, tiny retry schedule."""
    options: dict[str, Any] = {
        "api_keys": (API_KEY,),
        "subaccount": SUB,
        "webhook_url": webhook_url,
        "webhook_secret": WEBHOOK_SECRET,
        "seed": 7,
        "speed": 20.0,
        "undelivered_share": 0.0,
        "customers": False,
        "retry_schedule": (0.05, 0.05, 0.05),
    }
    options.update(overrides)
    return SandboxConfig(**options)


class ManualClock:
    """The sandbox's clock, moved by the test (``SandboxServer(..., clock=...)``)."""

    def __init__(self) -> None:
        self.wall = time.time()
        self.mono = 1_000.0

    def time(self) -> float:
        return self.wall

    def monotonic(self) -> float:
        return self.mono

    def advance(self, seconds: float) -> None:
        self.wall += seconds
        self.mono += seconds


# -- 8x8's OpenAPI contract ------------------------------------------------------------------


def _deref(spec: dict[str, Any], pointer: str) -> Any:
    node: Any = spec
    for part in pointer.lstrip("#/").split("/"):
        part = part.replace("~1", "/").replace("~0", "~").replace("%7B", "{").replace("%7D", "}")
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


# Where API.md documents null for an absent optional value but the spec has no `nullable`.
NULLABLE = {
    "sms_api.json": [
        "#/components/schemas/SmsResponse/properties/clientMessageId",
        "#/components/schemas/BatchSmsResponse/properties/clientBatchId",
        "#/components/schemas/BatchSmsResponse/properties/messages",
    ],
    "business_messaging_api.json": [
        "#/paths/~1api~1v1~1subaccounts~1%7BsubAccountId%7D~1lon~1batch/post/responses/200"
        "/content/application~1json/schema/properties/clientBatchId",
        "#/paths/~1api~1v1~1subaccounts~1%7BsubAccountId%7D~1lon~1batch/post/responses/200"
        "/content/application~1json/schema/properties/messages",
    ],
}
PRODUCTS = {
    # our prefix -> (spec file, prefix to strip)
    "/sms/api/": ("sms_api.json", "/sms"),
    "/chatapps/api/": ("business_messaging_api.json", "/chatapps"),
    "/video/api/": ("video_interaction_api.json", "/video"),
}
LEGACY = [
    ("/sms/v1/{sub}/single/", "/api/v1/subaccounts/{sub}/messages/"),
    ("/sms/v1/{sub}/single", "/api/v1/subaccounts/{sub}/messages"),
    ("/sms/v1/{sub}/many/compact", "/api/v1/subaccounts/{sub}/messages/batch"),
    ("/sms/v1/{sub}/many/", "/api/v1/subaccounts/{sub}/messages/batch/"),
    ("/sms/v1/{sub}/many", "/api/v1/subaccounts/{sub}/messages/batch"),
]


class _Req:
    def __init__(
        self,
        host: str,
        path: str,
        method: str,
        body: bytes | None,
        headers: dict[str, str],
        query: dict[str, str],
    ) -> None:
        from openapi_core.datatypes import RequestParameters
        from werkzeug.datastructures import Headers, ImmutableMultiDict

        self.host_url = host
        self.path = path
        self.full_url_pattern = host + path
        self.method = method.lower()
        self.body = body
        self.content_type = "application/json"
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(query), header=Headers(headers), cookie=ImmutableMultiDict()
        )


class _Resp:
    def __init__(self, response: httpx.Response) -> None:
        from werkzeug.datastructures import Headers

        self.status_code = response.status_code
        self.content_type = response.headers.get("content-type", "application/json").lower()
        self.headers = Headers(dict(response.headers))
        self.data = response.content


class Contract:
    """Checks sandbox responses against 8x8's OpenAPI files."""

    def __init__(self, oas_dir: Path) -> None:
        from openapi_core import Config, OpenAPI

        self.raw: dict[str, dict[str, Any]] = {}
        self.apis: dict[str, Any] = {}
        for name in (
            "sms_api.json",
            "business_messaging_api.json",
            "video_interaction_api.json",
            "configuration_api.json",
            "common_models.json",
        ):
            spec = json.loads((oas_dir / name).read_text())
            self.raw[name] = copy.deepcopy(spec)
            for pointer in NULLABLE.get(name, ()):
                _deref(spec, pointer)["nullable"] = True
            if name != "common_models.json":
                self.apis[name] = OpenAPI.from_dict(spec, config=Config(spec_validator_cls=None))

    def spec_path(self, our_path: str) -> tuple[str, str]:
        for ours, theirs in LEGACY:
            ours_sub = ours.replace("{sub}", SUB)
            if our_path.startswith(ours_sub):
                our_path = "/sms" + theirs.replace("{sub}", SUB) + our_path[len(ours_sub) :]
                break
        for prefix in ("/sms/", "/chatapps/"):  # the configuration API is on both hosts
            if our_path.startswith(prefix + "api/v1/accounts/") and our_path.endswith("/webhooks"):
                return "configuration_api.json", our_path[len(prefix) - 1 :]
        for prefix, (name, strip) in PRODUCTS.items():
            if our_path.startswith(prefix):
                return name, our_path[len(strip) :]
        raise AssertionError(f"no spec for {our_path}")

    def check(self, response: httpx.Response) -> Any:
        """Validate one response against the spec; returns the parsed JSON body (or None)."""
        request = response.request
        name, path = self.spec_path(urlsplit(str(request.url)).path)
        servers = self.raw[name]["servers"]
        host = servers[0]["url"].rstrip("/")
        query = dict(httpx.QueryParams(request.url.query))
        headers = {k: v for k, v in request.headers.items()}
        headers.setdefault("content-type", "application/json")
        req = _Req(host, path, request.method, request.content or None, headers, query)
        self.apis[name].validate_response(req, _Resp(response))
        return response.json() if response.content else None

    def example(self, name: str, pointer: str) -> Any:
        return _deref(self.raw[name], pointer)

    def status_schema(self) -> dict[str, Any]:
        return self.raw["common_models.json"]["components"]["schemas"]["message-status-v1"]

    def error_schema(self) -> dict[str, Any]:
        return self.raw["common_models.json"]["components"]["schemas"]["error-responce"]


# -- webhook bodies (API.md's shapes; the status object is common_models' MessageStatus) ------


def _webhook_schemas(status: dict[str, Any]) -> dict[str, dict[str, Any]]:
    status = {**status, "required": ["state", "timestamp"]}
    uuid_ = {"type": "string", "format": "uuid"}
    e164 = {"type": "string", "pattern": r"^\+[1-9][0-9]{6,14}$"}
    text = {"type": "string"}
    price = {
        "type": "object",
        "required": ["total", "perSms", "currency"],
        "additionalProperties": False,
        "properties": {"total": {"type": "number"}, "perSms": {"type": "number"}, "currency": text},
    }

    def envelope(
        namespace: str, event: str, payload: dict[str, Any], version: bool = False
    ) -> dict[str, Any]:
        props: dict[str, Any] = {
            "namespace": {"type": "string", "enum": [namespace]},
            "eventType": {"type": "string", "enum": [event]},
            "description": text,
            "payload": payload,
        }
        required = ["namespace", "eventType", "description", "payload"]
        if version:
            props["version"] = {"type": "integer", "enum": [3]}
            required.append("version")
        return {
            "type": "object",
            "required": required,
            "additionalProperties": False,
            "properties": props,
        }

    chat_user = {
        "type": "object",
        "additionalProperties": False,
        "properties": {"msisdn": e164, "channelUserId": text, "name": text},
    }
    return {
        "sms_receipt": envelope(
            "SMS",
            "outbound_message_status_changed",
            {
                "type": "object",
                "additionalProperties": False,
                "required": ["umid", "subAccountId", "source", "destination", "status", "smsCount"],
                "properties": {
                    "umid": uuid_,
                    "batchId": uuid_,
                    "clientMessageId": text,
                    "clientBatchId": text,
                    "subAccountId": text,
                    "source": text,
                    "destination": e164,
                    "status": status,
                    "price": price,
                    "smsCount": {"type": "integer", "minimum": 1},
                },
            },
        ),
        "sms_inbound": envelope(
            "SMS",
            "inbound_message_received",
            {
                "type": "object",
                "additionalProperties": False,
                "required": [
                    "umid",
                    "subAccountId",
                    "timestamp",
                    "source",
                    "destination",
                    "body",
                    "encoding",
                    "smsCount",
                ],
                "properties": {
                    "umid": uuid_,
                    "subAccountId": text,
                    "timestamp": {"type": "string", "format": "date-time"},
                    "source": e164,
                    "destination": e164,
                    "body": text,
                    "encoding": {"type": "string", "enum": ["GSM7", "UCS2"]},
                    "smsCount": {"type": "integer", "minimum": 1},
                },
            },
        ),
        "chat_receipt": envelope(
            "ChatApps",
            "outbound_message_status_changed",
            {
                "type": "object",
                "additionalProperties": False,
                "required": ["umid", "subAccountId", "channel", "user", "status"],
                "properties": {
                    "umid": uuid_,
                    "batchId": uuid_,
                    "clientMessageId": text,
                    "clientBatchId": text,
                    "subAccountId": text,
                    "channel": {
                        "type": "string",
                        "enum": [
                            "whatsapp",
                            "viber",
                            "sms",
                            "line",
                            "rcs",
                            "facebook",
                            "wechat",
                            "zalo",
                            "instagram",
                        ],
                    },
                    "user": chat_user,
                    "status": status,
                },
            },
        ),
        "chat_inbound": envelope(
            "ChatApps",
            "inbound_message_received",
            {
                "type": "object",
                "additionalProperties": False,
                "required": [
                    "umid",
                    "subAccountId",
                    "timestamp",
                    "user",
                    "recipient",
                    "type",
                    "content",
                ],
                "properties": {
                    "umid": uuid_,
                    "subAccountId": text,
                    "timestamp": {"type": "string", "format": "date-time"},
                    "user": {**chat_user, "required": ["msisdn", "channelUserId"]},
                    "recipient": {
                        "type": "object",
                        "required": ["channel", "channelId"],
                        "properties": {
                            "channel": {"type": "string", "enum": ["whatsapp", "viber"]},
                            "channelId": text,
                        },
                    },
                    "type": {"type": "string", "enum": ["text"]},
                    "content": {
                        "type": "object",
                        "required": ["text"],
                        "properties": {"text": text},
                    },
                    "replyToUmid": uuid_,
                },
            },
            version=True,
        ),
    }


def webhook_checker(contract: Contract) -> Callable[[Hook], str]:
    """Validates a received webhook; returns which kind it was."""
    from jsonschema import FormatChecker
    from openapi_schema_validator import OAS30Validator

    schemas = _webhook_schemas(contract.status_schema())
    checker = FormatChecker()

    def check(hook: Hook) -> str:
        body = hook.body
        kind = {
            ("SMS", "outbound_message_status_changed"): "sms_receipt",
            ("SMS", "inbound_message_received"): "sms_inbound",
            ("ChatApps", "outbound_message_status_changed"): "chat_receipt",
            ("ChatApps", "inbound_message_received"): "chat_inbound",
        }[(body["namespace"], body["eventType"])]
        OAS30Validator(schemas[kind], format_checker=checker).validate(body)
        assert hook.product == ("sms" if kind.startswith("sms") else "chatapps")
        ts = body["payload"].get("timestamp") or body["payload"]["status"]["timestamp"]
        assert TIMESTAMP.match(ts), ts
        return kind

    return check


def assert_error(
    response: httpx.Response, status: int, code: int, contract: Contract | None = None
) -> dict[str, Any]:
    """The common error body: {code, message, errorId (uuid), timestamp yyyy-MM-ddTHH:mm:ss.ffZ}."""
    import uuid

    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == code, body
    assert set(body) == {"code", "message", "errorId", "timestamp"}
    assert isinstance(body["message"], str) and body["message"]
    uuid.UUID(body["errorId"])
    assert TIMESTAMP.match(body["timestamp"]), body["timestamp"]
    if contract is not None:
        from jsonschema import FormatChecker
        from openapi_schema_validator import OAS30Validator

        OAS30Validator(contract.error_schema(), format_checker=FormatChecker()).validate(body)
    return body
