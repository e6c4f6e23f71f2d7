"""The sandbox: a Starlette app that imitates 8x8's SMS, Chat Apps and Video APIs.

One server serves every product under a prefix: ``/sms``, ``/chatapps`` and ``/video``
(``/sms/api/v1/subaccounts/{id}/messages`` mirrors ``https://sms.8x8.com/api/v1/...``).
Control routes live under ``/sandbox``; ``/healthz`` answers liveness probes.

Every API request goes through the same gate, in this order: the per-IP rate limit, the
``Authorization: Bearer <key>`` check (401 code 1200), the sub-account check (401 code
1001), the per-sub-account rate limit (429 + Retry-After) and any injected fault. Every
status >= 400 carries 8x8's common error body.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hmac
import logging
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from console.net import is_loopback_host

from . import errors as E
from .chatapps import ChatAppsApi
from .common import read_json, require_object
from .errors import ApiError, bad_request, error_response, json_response
from .phones import PhoneError, parse_phone
from .ratelimit import retry_after_seconds
from .settings import DEMO_FRAUD_PREFIX, SandboxConfig, generate_demo_key
from .sms import SmsApi
from .world import SMS_NUMBER, World

__all__ = ["DEMO_FRAUD_PREFIX", "SandboxConfig", "create_sandbox_app", "generate_demo_key"]

log = logging.getLogger(__name__)

Endpoint = Callable[[Request], Awaitable[Response]]
FAULT_STATUSES = (500, 502, 503, 504)


class InjectedFault(RuntimeError):
    """Raised by an armed fault with status 500, to exercise the real 500 handler."""


class Gate:
    """Rate limits, authentication, sub-account and fault checks shared by every API route."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.keys = tuple(k.encode() for k in world.config.api_keys)

    def authenticated(self, request: Request) -> bool:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return False
        given = token.strip().encode()
        found = False
        for key in self.keys:  # constant time per key, and every key is compared
            found |= hmac.compare_digest(given, key)
        return found

    def limit(self, limiter_name: str, key: str) -> None:
        limiter = self.world.ip_limiter if limiter_name == "ip" else self.world.sub_limiter
        wait = limiter.acquire(key)
        if wait > 0:
            seconds = retry_after_seconds(wait)
            raise ApiError(
                429,
                E.RATE_LIMITED,
                f"Quota exceeded. Please try again in {seconds} second(s).",
                headers={"Retry-After": str(seconds)},
            )

    def wrap(self, handler: Endpoint, *, auth: str = "bearer", subaccount: bool = True) -> Endpoint:
        world = self.world

        async def endpoint(request: Request) -> Response:
            try:
                world.learn_base_url(request.url.scheme, request.headers.get("host"))
                client = request.client.host if request.client else "unknown"
                self.limit("ip", client)
                if auth == "bearer" and not self.authenticated(request):
                    raise ApiError(401, E.UNAUTHENTICATED, "Request was not authenticated properly")
                if subaccount and request.path_params.get("sub") != world.config.subaccount:
                    raise ApiError(
                        401,
                        E.ILLEGAL_SUBACCOUNT,
                        "Provided subAccountId doesn't belong to your account",
                    )
                self.limit("sub", world.config.subaccount)
                status = world.take_fault(request.url.path)
                if status == 500:
                    raise InjectedFault("fault injected through /sandbox/faults")
                if status is not None:
                    raise ApiError(status, E.INTERNAL, "Internal server error (injected fault)")
                return await handler(request)
            except ApiError as error:
                return error.response()

        return endpoint


def _routes(world: World, gate: Gate) -> list[Route]:
    sms = SmsApi(world)
    chat = ChatAppsApi(world)
    video = world.video
    w = gate.wrap
    sub = "/api/v1/subaccounts/{sub}"
    legacy = "/sms/v1/{sub}"
    return [
        # SMS
        Route(f"/sms{sub}/messages", w(sms.send), methods=["POST"]),
        Route(f"/sms{sub}/messages/batch", w(sms.batch), methods=["POST"]),
        Route(f"/sms{sub}/messages/batch/{{batch_id}}", w(sms.cancel_batch), methods=["DELETE"]),
        Route(f"/sms{sub}/messages/{{umid}}", w(sms.details), methods=["GET"]),
        Route(f"/sms{sub}/messages/{{umid}}", w(sms.cancel), methods=["DELETE"]),
        # SMS, legacy paths from 8x8's migration guide (same payloads and responses)
        Route(f"{legacy}/single", w(sms.send), methods=["POST"]),
        Route(f"{legacy}/many", w(sms.batch), methods=["POST"]),
        Route(f"{legacy}/many/compact", w(sms.batch), methods=["POST"]),
        Route(f"{legacy}/single/{{umid}}", w(sms.cancel), methods=["DELETE"]),
        Route(f"{legacy}/many/{{batch_id}}", w(sms.cancel_batch), methods=["DELETE"]),
        # Chat Apps
        Route(f"/chatapps{sub}/messages", w(chat.send), methods=["POST"]),
        Route(f"/chatapps{sub}/messages/batch", w(chat.batch), methods=["POST"]),
        Route(
            f"/chatapps{sub}/messages/batch/{{batch_id}}", w(chat.cancel_batch), methods=["DELETE"]
        ),
        Route(f"/chatapps{sub}/messages/{{umid}}/read", w(chat.mark_read), methods=["POST"]),
        Route(f"/chatapps{sub}/messages/{{umid}}", w(chat.cancel), methods=["DELETE"]),
        # Video Interaction
        Route("/video/api/v1/tokens", w(video.tokens_endpoint, subaccount=False), methods=["POST"]),
        Route(
            "/video/api/v1/call-logs",
            w(video.call_logs, auth="x-token", subaccount=False),
            methods=["GET"],
        ),
        Route(
            "/video/api/v1/calls/{call_id}",
            w(video.call_detail, auth="x-token", subaccount=False),
            methods=["GET"],
        ),
        Route("/video/", video.agent_page, methods=["GET"]),
        Route("/video/guest/{code}", video.guest_page, methods=["GET"]),
        # control
        Route("/sandbox/info", _info(world), methods=["GET"]),
        Route("/sandbox/inbound", _control(gate, _inbound(world)), methods=["POST"]),
        Route("/sandbox/faults", _control(gate, _faults(world)), methods=["POST"]),
        Route("/healthz", _healthz, methods=["GET"]),
    ]


def _control(gate: Gate, handler: Endpoint) -> Endpoint:
    """Control routes need the API key but are not rate limited."""

    async def endpoint(request: Request) -> Response:
        try:
            gate.world.learn_base_url(request.url.scheme, request.headers.get("host"))
            if not gate.authenticated(request):
                raise ApiError(401, E.UNAUTHENTICATED, "Request was not authenticated properly")
            return await handler(request)
        except ApiError as error:
            return error.response()

    return endpoint


def _inbound(world: World) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        body = require_object(await read_json(request))
        channel = body.get("channel")
        if not isinstance(channel, str) or channel.lower() not in ("whatsapp", "viber", "sms"):
            raise bad_request(E.INVALID_PARAMETER, "channel must be whatsapp, viber or sms")
        channel = channel.lower()
        sender = body.get("from")
        if not isinstance(sender, str) or not sender.startswith("+"):
            raise bad_request(E.INVALID_MSISDN, "from must be an international number (+…)")
        try:
            msisdn = parse_phone(sender).e164
        except PhoneError as error:
            raise bad_request(E.INVALID_MSISDN, str(error)) from None
        name = body.get("name")
        if name is not None and not isinstance(name, str):
            raise bad_request(E.INVALID_PARAMETER, "name must be a string")
        text = body.get("text")
        if not isinstance(text, str) or not text.strip():
            raise bad_request(E.INVALID_TEXT, "text is required")
        umid = world.inbound(channel, msisdn, name or None, text)
        return json_response({"umid": umid, "channel": channel, "from": msisdn})

    return endpoint


def _faults(world: World) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        body = require_object(await read_json(request, allow_empty=True))
        count = body.get("count", 1)
        status = body.get("status", 500)
        prefix = body.get("prefix", "/")
        if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= 10_000:
            raise bad_request(E.INVALID_PARAMETER, "count must be an integer from 1 to 10000")
        if status not in FAULT_STATUSES:
            raise bad_request(E.INVALID_PARAMETER, "status must be 500, 502, 503 or 504")
        if not isinstance(prefix, str) or not prefix.startswith("/"):
            raise bad_request(E.INVALID_PARAMETER, "prefix must be a path such as /sms")
        world.arm_fault(count, status, prefix)
        return json_response({"armed": count, "status": status, "prefix": prefix})

    return endpoint


def _info(world: World) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        config = world.config
        out: dict[str, Any] = {
            "subaccount": config.subaccount,
            "products": {"sms": "/sms", "chatapps": "/chatapps", "video": "/video"},
            "speed": config.speed,
            "seed": config.seed,
            "smsNumber": SMS_NUMBER,
            "webhookUrl": world.webhook_base(),
            "events": "/events" if world.relay_mounted else None,
            "customers": config.customers,
            "rateLimit": config.rate_limit,
            "ipRateLimit": config.ip_rate_limit,
            "fraudPrefixes": list(config.fraud_prefixes),
            **world.info(),
        }
        client = request.client.host if request.client else None
        if config.share_demo_key and is_loopback_host(client):
            out["demoKey"] = config.api_keys[0]
        return json_response(out)

    return endpoint


async def _healthz(request: Request) -> Response:
    return json_response({"status": "ok"})


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = {404: E.NOT_FOUND, 401: E.UNAUTHENTICATED}.get(exc.status_code, E.INVALID_PARAMETER)
    if exc.status_code >= 500:
        code = E.INTERNAL
    message = {404: "Resource not found", 405: "Method not allowed"}.get(
        exc.status_code, str(exc.detail)
    )
    return error_response(exc.status_code, code, message, headers=exc.headers)


async def _server_error(request: Request, exc: Exception) -> Response:
    if not isinstance(exc, InjectedFault):
        log.error("sandbox: unhandled error on %s %s", request.method, request.url.path)
    return error_response(500, E.INTERNAL, "Internal server error")


def create_sandbox_app(config: SandboxConfig, *, routes: Sequence[BaseRoute] = ()) -> Starlette:
    """Build the sandbox. Its state lives in ``app.state.world``; timers start with the app.

    ``routes`` are served before the sandbox's own, e.g. the relay's ``/webhooks/sms``,
    ``/webhooks/chatapps`` and ``/events`` so that the default webhook URL reaches them.
    """
    relay = None
    if config.webhook_url is None and not routes:
        # No webhook URL: deliver to our own relay routes, over real HTTP, exactly as 8x8
        # would deliver to a deployed relay. Its events token is any of the sandbox's keys.
        from console.live.log import MemoryEventLog
        from console.live.relay import Relay

        if config.webhook_secret is None:
            config = dataclasses.replace(config, webhook_secret=secrets.token_urlsafe(24))
        relay = Relay(
            MemoryEventLog(max_events=200_000, max_age_seconds=86_400),
            webhook_secret=config.webhook_secret,
            events_token=config.api_keys,
        )
        routes = relay.routes
    world = World(config)
    world.relay_mounted = relay is not None
    gate = Gate(world)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:
            if relay is not None:
                await stack.enter_async_context(relay.lifespan())
            await world.start()
            try:
                yield
            finally:
                await world.stop()

    app = Starlette(
        routes=[*routes, *_routes(world, gate)],
        exception_handlers={
            HTTPException: _http_error,
            InjectedFault: _server_error,  # handled without re-raising: no traceback
            Exception: _server_error,
        },
        lifespan=lifespan,
    )
    app.state.world = world
    app.state.relay = relay
    return app
