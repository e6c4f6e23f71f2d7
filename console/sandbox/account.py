"""The account's own endpoints: webhooks (8x8's configuration API, on the SMS and the Chat
Apps host alike), the prepaid balance and the SMS price list, and SMS feedback (the outcome
an application reports for a message it sent, e.g. an OTP that was entered).

Validate everything, then act: a request with one bad item changes nothing.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from . import errors as E
from . import operators
from .common import is_http_url, parse_datetime, read_json, require_object
from .errors import ApiError, bad_request, json_response
from .hooks import ALL, TYPES, Webhook
from .settings import ACCOUNT_PATTERN, SUBACCOUNT_PATTERN
from .world import World

MAX_ITEMS = 100  # webhooks in one request
MAX_AUTHORIZATION = 1024
MAX_URL = 2048
MAX_FEEDBACK = 250_000  # outcomes kept; the oldest are forgotten beyond this
OUTCOMES = ("success", "failure")
DIRECTIONS = ("outbound", "inbound")


def _same_account(given: str, ours: str) -> bool:
    return given.replace("-", "").lower() == ours.replace("-", "").lower()


def _empty() -> Response:
    return Response(status_code=200)


class AccountApi:
    """Endpoints on ``/{product}/api/v1/accounts/{account}/…`` and SMS feedback."""

    def __init__(self, world: World) -> None:
        self.world = world
        # umid -> (outcome, the time the application reported, the time it was received)
        self.feedback: OrderedDict[str, tuple[str, float, float]] = OrderedDict()

    # -- the account in the path ---------------------------------------------------------

    def _check_account(self, request: Request) -> None:
        given = request.path_params["account"]
        if not ACCOUNT_PATTERN.match(given):
            raise bad_request(E.INVALID_PARAMETER, "Invalid accountId: a UUID")
        if not _same_account(given, self.world.config.account):
            raise ApiError(
                401, E.ILLEGAL_SUBACCOUNT, "Provided accountId doesn't belong to your account"
            )

    async def templates_endpoint(self, request: Request) -> Response:
        """The WhatsApp templates of one of the account's channels (templates.py)."""
        self._check_account(request)
        return await self.world.templates.list_endpoint(request)

    # -- webhooks ------------------------------------------------------------------------

    def webhooks_endpoints(self, product: str) -> tuple[Any, Any, Any]:
        """(GET, POST, DELETE) handlers for one product's webhooks."""

        async def list_webhooks(request: Request) -> Response:
            self._check_account(request)
            return json_response([hook.as_json() for hook in self.world.hooks.webhooks(product)])

        async def put_webhooks(request: Request) -> Response:
            self._check_account(request)
            items = _items(await read_json(request))
            hooks = [_webhook(product, item, index) for index, item in enumerate(items)]
            keys = [hook.key for hook in hooks]
            if len(set(keys)) != len(keys):
                raise bad_request(
                    E.INVALID_PARAMETER, "Each subAccountId and type may appear once per request"
                )
            for hook in hooks:
                try:
                    self.world.hooks.put(hook)
                except ValueError as error:
                    raise bad_request(E.INVALID_PARAMETER, str(error)) from None
            return _empty()

        async def delete_webhooks(request: Request) -> Response:
            self._check_account(request)
            items = _items(await read_json(request))
            targets: list[tuple[str, str]] = []
            for index, item in enumerate(items):
                scope, kind = _scope_and_type(item, index)
                targets.append((scope, kind))
            known = {(hook.subaccount, hook.type) for hook in self.world.hooks.webhooks(product)}
            missing = [f"{scope}/{kind}" for scope, kind in targets if (scope, kind) not in known]
            if missing:
                raise ApiError(404, E.NOT_FOUND, f"Webhook not found: {', '.join(missing)}")
            for scope, kind in targets:
                self.world.hooks.delete(product, scope, kind)
            return _empty()

        return list_webhooks, put_webhooks, delete_webhooks

    # -- balance and prices --------------------------------------------------------------

    async def balance(self, request: Request) -> Response:
        self._check_account(request)
        left = round(self.world.ledger.left, 4)
        return json_response({"balance": left, "currency": operators.CURRENCY})

    async def prices(self, request: Request) -> Response:
        self._check_account(request)
        query = request.query_params
        country = query.get("country")
        if country is not None and not (
            len(country) == 2 and country.isascii() and country.isalpha()
        ):
            raise bad_request(E.INVALID_COUNTRY, "Invalid country: a 2-letter ISO code")
        mcc, mnc = query.get("mcc"), query.get("mnc")
        if (mcc is None) != (mnc is None):
            raise bad_request(E.INVALID_PARAMETER, "mcc and mnc come in a pair")
        for name, value in (("mcc", mcc), ("mnc", mnc)):
            if value is not None and (not value.isascii() or not value.isdigit() or len(value) > 3):
                raise bad_request(E.INVALID_PARAMETER, f"{name} must be a number of 1 to 3 digits")
        direction = query.get("direction")
        if direction is not None and direction not in DIRECTIONS:
            raise bad_request(E.INVALID_PARAMETER, "direction must be outbound or inbound")
        sub = query.get("subAccountId")
        if sub is not None and not SUBACCOUNT_PATTERN.match(sub):
            raise bad_request(E.INVALID_PARAMETER, "Invalid subAccountId")
        if sub is not None and sub != self.world.config.subaccount:
            return json_response({"subAccounts": []})
        countries = operators.price_list(country.upper() if country else None)
        if mcc is not None and mnc is not None:
            countries = _by_network(countries, int(mcc), int(mnc))
        entry: dict[str, Any] = {"subAccountId": self.world.config.subaccount}
        if direction in (None, "outbound"):
            entry["outbound"] = [{"countries": countries}]
        if direction in (None, "inbound"):
            entry["inbound"] = []  # the sandbox's one virtual number costs nothing to reach
        return json_response({"subAccounts": [entry]})

    # -- SMS feedback --------------------------------------------------------------------

    async def feedback_endpoint(self, request: Request) -> Response:
        body = require_object(await read_json(request, allow_empty=True))
        outcome = body.get("outcome")
        if outcome not in OUTCOMES:
            raise bad_request(E.INVALID_PARAMETER, "outcome is required: success or failure")
        try:
            reported = parse_datetime(body.get("timestamp"))
        except ValueError:
            raise bad_request(
                E.INVALID_PARAMETER, "Invalid timestamp: an ISO 8601 date-time"
            ) from None
        umid = request.path_params["umid"]
        record = self.world.sms.get(umid)
        if record is None or record.direction != "outbound":
            raise ApiError(404, E.NOT_FOUND, "Message not found.")
        now = self.world.clock.time()
        self.feedback.pop(umid, None)
        self.feedback[umid] = (outcome, reported if reported is not None else now, now)
        while len(self.feedback) > MAX_FEEDBACK:
            self.feedback.popitem(last=False)
        return _empty()

    def info(self) -> dict[str, Any]:
        success = sum(1 for outcome, _, _ in self.feedback.values() if outcome == "success")
        return {
            "accountId": self.world.config.account,
            "feedback": {"success": success, "failure": len(self.feedback) - success},
        }


def _items(body: Any) -> list[Any]:
    if not isinstance(body, list):
        raise bad_request(E.INVALID_PARAMETER, "Request body must be a JSON array of webhooks")
    if not body:
        raise bad_request(E.INVALID_PARAMETER, "Request body must hold at least one webhook")
    if len(body) > MAX_ITEMS:
        raise bad_request(E.INVALID_PARAMETER, f"At most {MAX_ITEMS} webhooks per request")
    return body


def _scope_and_type(item: Any, index: int) -> tuple[str, str]:
    if not isinstance(item, dict):
        raise bad_request(E.INVALID_PARAMETER, f"Webhook {index + 1} must be a JSON object")
    scope = item.get("subAccountId")
    if not isinstance(scope, str) or not (scope == ALL or SUBACCOUNT_PATTERN.match(scope)):
        raise bad_request(
            E.INVALID_PARAMETER, f"Webhook {index + 1}: subAccountId must be a sub-account or *"
        )
    kind = item.get("type")
    if kind not in TYPES:
        raise bad_request(
            E.INVALID_PARAMETER, f"Webhook {index + 1}: type must be one of {', '.join(TYPES)}"
        )
    return scope, kind


def _webhook(product: str, item: Any, index: int) -> Webhook:
    scope, kind = _scope_and_type(item, index)
    url = item.get("url")
    if not is_http_url(url) or len(url) > MAX_URL or not url.isascii() or not url.isprintable():
        raise bad_request(E.INVALID_PARAMETER, f"Webhook {index + 1}: url must be an http(s) URL")
    authorization = item.get("httpAuthorization")
    if authorization is not None and (
        not isinstance(authorization, str)
        or not authorization
        or len(authorization) > MAX_AUTHORIZATION
        or not authorization.isascii()
        or not authorization.isprintable()
    ):
        raise bad_request(
            E.INVALID_PARAMETER,
            f"Webhook {index + 1}: httpAuthorization must be printable ASCII "
            f"(at most {MAX_AUTHORIZATION} characters)",
        )
    enabled = item.get("enabled", True)
    if not isinstance(enabled, bool):
        raise bad_request(E.INVALID_PARAMETER, f"Webhook {index + 1}: enabled must be a boolean")
    return Webhook(product, scope, kind, url, authorization, enabled)


def _by_network(countries: list[dict[str, Any]], mcc: int, mnc: int) -> list[dict[str, Any]]:
    out = []
    for country in countries:
        ops = [
            op
            for op in country["operators"]
            if any(int(h["mcc"]) == mcc and int(h["mnc"]) == mnc for h in op["hni"])
        ]
        if ops:
            out.append({**country, "operators": ops})
    return out
