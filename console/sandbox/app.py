"""The sandbox: a Starlette app that imitates 8x8's SMS, Chat Apps and Video APIs.

One server serves every product under a prefix: ``/sms``, ``/chatapps`` and ``/video``
(``/sms/api/v1/subaccounts/{id}/messages`` mirrors ``https://sms.8x8.com/api/v1/...``).
Control routes live under ``/sandbox``; ``/healthz`` answers liveness probes.

Every route is built through the :class:`~console.sandbox.gate.Gate` with the Auth strategy
it needs (gate.py says what each checks and in which order). Every status >= 400 carries
8x8's common error body, except the two pages a browser opens, which answer pages.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import secrets
from collections.abc import AsyncIterator, Sequence
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from console.live.relay import Relay, http_error

from . import errors as E
from .account import AccountApi
from .chatapps import MAX_TEXT, ChatAppsApi
from .common import read_json, require_object
from .errors import bad_request, error_response, json_response
from .gate import ApiKey, Auth, Endpoint, Gate, InjectedFault, Open, VideoToken
from .phones import PhoneError, parse_phone
from .scenarios import DEFAULT_ATTACK_AFTER, NORMAL_SECONDS, start_scenario
from .settings import DEMO_FRAUD_PREFIX, SCENARIOS, SandboxConfig, generate_demo_key
from .sms import SmsApi
from .textinfo import MAX_PARTS, analyse
from .video import refused_page
from .world import CHANNEL_IDS, SMS_NUMBER, Clock, Undeliverable, World

__all__ = ["DEMO_FRAUD_PREFIX", "SandboxConfig", "create_sandbox_app", "generate_demo_key"]

log = logging.getLogger(__name__)

FAULT_STATUSES = (500, 502, 503, 504)


def _routes(world: World, gate: Gate, account: AccountApi) -> list[Route]:
    sms = SmsApi(world.sms)
    chat = ChatAppsApi(world.chat)
    video = world.video
    key = ApiKey(world.config.api_keys)
    x_token = VideoToken(video.tokens)
    link_token = VideoToken(video.tokens, query="token")
    guest = Open("a customer opens the guest link from a text message, with no key")
    probe = Open("liveness probes carry no key")
    about = Open("what this sandbox serves, for a console joining it; no secret in it")

    def api(
        path: str, handler: Endpoint, method: str, *, auth: Auth = key, subaccount: bool = True
    ) -> Route:
        return Route(path, gate.api(handler, auth=auth, subaccount=subaccount), methods=[method])

    def page(path: str, handler: Endpoint, *, auth: Auth) -> Route:
        return Route(path, gate.page(handler, auth=auth, refused=refused_page), methods=["GET"])

    def control(path: str, handler: Endpoint, method: str, *, auth: Auth) -> Route:
        return Route(path, gate.control(handler, auth=auth), methods=[method])

    sub = "/api/v1/subaccounts/{sub}"
    legacy = "/sms/v1/{sub}"
    acc = "/api/v1/accounts/{account}"
    hooks: list[Route] = []
    for product in ("sms", "chatapps"):  # the configuration API is served on both hosts
        listed, put, delete = account.webhooks_endpoints(product)
        hooks += [
            api(f"/{product}{acc}/webhooks", listed, "GET", subaccount=False),
            api(f"/{product}{acc}/webhooks", put, "POST", subaccount=False),
            api(f"/{product}{acc}/webhooks", delete, "DELETE", subaccount=False),
        ]
    return [
        # SMS
        api(f"/sms{sub}/messages", sms.send, "POST"),
        api(f"/sms{sub}/messages/batch", sms.batch, "POST"),
        api(f"/sms{sub}/messages/batch/{{batch_id}}", sms.cancel_batch, "DELETE"),
        api(f"/sms{sub}/messages/{{umid}}", sms.details, "GET"),
        api(f"/sms{sub}/messages/{{umid}}", sms.cancel, "DELETE"),
        api(f"/sms{sub}/messages/{{umid}}/feedback", account.feedback_endpoint, "POST"),
        # the account: balance, prices, webhooks (configuration API)
        api(f"/sms{acc}/balance", account.balance, "GET", subaccount=False),
        api(f"/sms{acc}/prices", account.prices, "GET", subaccount=False),
        *hooks,
        # SMS, legacy paths from 8x8's migration guide (same payloads and responses)
        api(f"{legacy}/single", sms.send, "POST"),
        api(f"{legacy}/many", sms.batch, "POST"),
        api(f"{legacy}/many/compact", sms.batch, "POST"),
        api(f"{legacy}/single/{{umid}}", sms.cancel, "DELETE"),
        api(f"{legacy}/many/{{batch_id}}", sms.cancel_batch, "DELETE"),
        # Chat Apps
        api(f"/chatapps{sub}/messages", chat.send, "POST"),
        api(f"/chatapps{sub}/messages/batch", chat.batch, "POST"),
        api(f"/chatapps{sub}/messages/batch/{{batch_id}}", chat.cancel_batch, "DELETE"),
        api(f"/chatapps{sub}/messages/{{umid}}/read", chat.mark_read, "POST"),
        api(f"/chatapps{sub}/messages/{{umid}}", chat.cancel, "DELETE"),
        api(
            f"/chatapps{acc}/channels/{{channel}}/templates",
            account.templates_endpoint,
            "GET",
            subaccount=False,
        ),
        # Video Interaction
        api("/video/api/v1/tokens", video.tokens_endpoint, "POST", subaccount=False),
        api("/video/api/v1/call-logs", video.call_logs, "GET", auth=x_token, subaccount=False),
        api(
            "/video/api/v1/calls/{call_id}",
            video.call_detail,
            "GET",
            auth=x_token,
            subaccount=False,
        ),
        page("/video/", video.agent_page, auth=link_token),
        page("/video/guest/{code}", video.guest_page, auth=guest),
        # control
        control("/sandbox/info", _info(world, account), "GET", auth=about),
        control("/sandbox/inbound", _inbound(world), "POST", auth=key),
        control("/sandbox/faults", _faults(world), "POST", auth=key),
        control("/sandbox/scenarios", _scenarios(world), "POST", auth=key),
        control("/healthz", _healthz, "GET", auth=probe),
    ]


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
        _check_inbound_text(channel, text)
        try:
            umid = world.inbound(channel, msisdn, name or None, text)
        except Undeliverable as error:
            raise bad_request(
                E.INVALID_TEXT, f"This message cannot be delivered: {error}"
            ) from None
        return json_response({"umid": umid, "channel": channel, "from": msisdn})

    return endpoint


def _check_inbound_text(channel: str, text: str) -> None:
    """8x8's own limits: a WhatsApp or Viber text of 35,000 characters, an SMS of 10 parts."""
    if channel != "sms":
        if len(text) > MAX_TEXT:
            raise bad_request(
                E.INVALID_TEXT, f"text is {len(text):,} characters; at most {MAX_TEXT:,}"
            )
        return
    parts = analyse(text).parts
    if parts > MAX_PARTS:
        raise bad_request(
            E.INVALID_TEXT,
            f"text needs {parts} SMS parts; an SMS has at most {MAX_PARTS} "
            "(1,530 GSM-7 or 670 UCS-2 characters)",
        )


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


def _scenarios(world: World) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        body = require_object(await read_json(request))
        name = body.get("name")
        if name not in SCENARIOS:
            raise bad_request(E.INVALID_PARAMETER, f"name must be one of: {', '.join(SCENARIOS)}")
        after = body.get("attackAfter", DEFAULT_ATTACK_AFTER)
        if isinstance(after, bool) or not isinstance(after, int | float) or not 0 <= after <= 3600:
            raise bad_request(E.INVALID_PARAMETER, "attackAfter must be 0 to 3600 seconds")
        duration = body.get("duration", NORMAL_SECONDS)
        if (
            isinstance(duration, bool)
            or not isinstance(duration, int | float)
            or not 1 <= duration <= 86_400
        ):
            raise bad_request(E.INVALID_PARAMETER, "duration must be 1 to 86400 seconds")
        if any(scenario.name == name for scenario in world.scenarios):
            raise bad_request(E.INVALID_PARAMETER, f"the {name} scenario is already running")
        state = start_scenario(world, name, float(after), float(duration))
        return json_response(
            {
                "name": state.name,
                "startedAt": E.format_timestamp(state.started_at),
                "attackAt": E.format_timestamp(state.attack_at),
            }
        )

    return endpoint


def _info(world: World, account: AccountApi) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        config = world.config
        out: dict[str, Any] = {
            "subaccount": config.subaccount,
            "products": {"sms": "/sms", "chatapps": "/chatapps", "video": "/video"},
            "speed": config.speed,
            "seed": config.seed,
            "smsNumber": SMS_NUMBER,
            "channels": CHANNEL_IDS,  # the business's channel ids (WhatsApp's templates)
            "webhookUrl": world.webhook_base(),
            "events": "/events" if world.relay_mounted else None,
            "customers": config.customers,
            "rateLimit": config.rate_limit,
            "ipRateLimit": config.ip_rate_limit,
            "fraudPrefixes": list(config.fraud_prefixes),
            "scenarios": [scenario.name for scenario in world.scenarios],
            **account.info(),
            **world.info(),
        }
        return json_response(out)

    return endpoint


async def _healthz(request: Request) -> Response:
    return json_response({"status": "ok"})


async def _server_error(request: Request, exc: Exception) -> Response:
    if not isinstance(exc, InjectedFault):
        log.error(
            "sandbox: unhandled error on %s %s",
            request.method,
            request.url.path,
            exc_info=exc,
        )
    return error_response(500, E.INTERNAL, "Internal server error")


def create_sandbox_app(
    config: SandboxConfig, *, routes: Sequence[BaseRoute] = (), clock: Clock | None = None
) -> Starlette:
    """Build the sandbox. Its state lives in ``app.state.world``; timers start with the app.

    ``routes`` are served before the sandbox's own, e.g. the relay's ``/webhooks/sms``,
    ``/webhooks/chatapps`` and ``/events`` so that the default webhook URL reaches them.
    ``clock`` is where the world reads the time (rate limits, room expiry, schedules).
    """
    relay = None
    if config.webhook_url is None and not routes:
        # No webhook URL: deliver to our own relay routes, over real HTTP, exactly as 8x8
        # would deliver to a deployed relay. Its events token is any of the sandbox's keys.
        from console.live.log import MemoryEventLog

        if config.webhook_secret is None:
            config = dataclasses.replace(config, webhook_secret=secrets.token_urlsafe(24))
        relay = Relay(
            MemoryEventLog(max_events=200_000, max_age_seconds=86_400),
            webhook_secret=config.webhook_secret,
            events_token=config.api_keys,
        )
        routes = relay.routes
    world = World(config, clock)
    world.relay_mounted = relay is not None
    gate = Gate(world)
    account = AccountApi(world)

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
        routes=[*routes, *_routes(world, gate, account)],
        exception_handlers={
            HTTPException: http_error,  # 404, 405: 8x8's error body, as the relay's
            InjectedFault: _server_error,  # handled without re-raising: no traceback
            Exception: _server_error,
        },
        lifespan=lifespan,
    )
    app.state.world = world
    app.state.relay = relay
    app.state.account = account
    return app
