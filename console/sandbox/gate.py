"""Who may call a route, and the checks every API request passes before its handler.

Every route is built through a :class:`Gate` method, and every Gate method requires an
:class:`Auth` strategy object: :class:`ApiKey` (``Authorization: Bearer <key>``),
:class:`VideoToken` (a token that ``POST /video/api/v1/tokens`` issued, in the ``x-token``
header or a link's query) or :class:`Open`, which must say why the route is open. There is
no default and no string to mistype, so no route is open by accident.

API routes pass, in this order: the per-IP rate limit, the strategy (401 code 1200), the
sub-account check (401 code 1001), the per-sub-account rate limit (429 + Retry-After) and any
injected fault. Control routes pass the strategy only; pages render a refusal as a page.
"""

from __future__ import annotations

import hmac
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Container, Sequence

from starlette.requests import Request
from starlette.responses import Response

from . import errors as E
from .errors import ApiError
from .ratelimit import retry_after_seconds
from .world import World

Endpoint = Callable[[Request], Awaitable[Response]]
UNAUTHENTICATED = "Request was not authenticated properly"


class InjectedFault(RuntimeError):
    """Raised by an armed fault with status 500, to exercise the real 500 handler."""


class Auth(ABC):
    """How a route checks its caller: ``check`` returns, or raises ApiError(401)."""

    @abstractmethod
    def check(self, request: Request) -> None: ...


class ApiKey(Auth):
    """``Authorization: Bearer <key>`` with one of the sandbox's keys (constant time)."""

    def __init__(self, keys: Sequence[str]) -> None:
        if not keys or not all(keys):
            raise ValueError("ApiKey needs at least one non-empty key")
        self._keys = tuple(key.encode() for key in keys)

    def check(self, request: Request) -> None:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        given = token.strip().encode("latin-1") if scheme.lower() == "bearer" else b""
        found = False
        for key in self._keys:  # every key is compared, each in constant time
            found |= hmac.compare_digest(given, key)
        if not given or not found:
            raise ApiError(401, E.UNAUTHENTICATED, UNAUTHENTICATED)


class VideoToken(Auth):
    """A token the Video Interaction API issued: the ``x-token`` header (call reports) or,
    with ``query``, that query parameter (the agent link a browser opens)."""

    def __init__(self, issued: Container[str], *, query: str | None = None) -> None:
        self._issued = issued
        self._query = query

    def check(self, request: Request) -> None:
        if self._query is None:
            token = request.headers.get("x-token")
        else:
            token = request.query_params.get(self._query)
        if not token:
            raise ApiError(401, E.UNAUTHENTICATED, f"Missing token: {self._where()}")
        if token not in self._issued:
            raise ApiError(401, E.UNAUTHENTICATED, "Unknown token: this sandbox did not issue it")

    def _where(self) -> str:
        if self._query is None:
            return "send the auth_token in the x-token header"
        return f"open the link with ?{self._query}=<auth_token>"


class Open(Auth):
    """No check, on purpose: ``reason`` says why this route must be reachable without a key."""

    def __init__(self, reason: str) -> None:
        if not reason.strip():
            raise ValueError("an open route must say why it is open")
        self.reason = reason

    def check(self, request: Request) -> None:
        return None


def _require(auth: Auth) -> Auth:
    if not isinstance(auth, Auth):
        raise TypeError(f"auth must be an Auth strategy (ApiKey, VideoToken, Open), not {auth!r}")
    return auth


class Gate:
    """Wraps handlers into endpoints; each wrapper requires its Auth strategy."""

    def __init__(self, world: World) -> None:
        self.world = world

    def _limit(self, limiter_name: str, key: str) -> None:
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

    def api(self, handler: Endpoint, *, auth: Auth, subaccount: bool) -> Endpoint:
        """An 8x8 API route: rate limits, ``auth``, the sub-account, injected faults."""
        world, auth = self.world, _require(auth)

        async def endpoint(request: Request) -> Response:
            try:
                world.learn_base_url(request.url.scheme, request.headers.get("host"))
                self._limit("ip", request.client.host if request.client else "unknown")
                auth.check(request)
                if subaccount and request.path_params.get("sub") != world.config.subaccount:
                    raise ApiError(
                        401,
                        E.ILLEGAL_SUBACCOUNT,
                        "Provided subAccountId doesn't belong to your account",
                    )
                self._limit("sub", world.config.subaccount)
                status = world.take_fault(request.url.path)
                if status == 500:
                    raise InjectedFault("fault injected through /sandbox/faults")
                if status is not None:
                    raise ApiError(status, E.INTERNAL, "Internal server error (injected fault)")
                return await handler(request)
            except ApiError as error:
                return error.response()

        return endpoint

    def control(self, handler: Endpoint, *, auth: Auth) -> Endpoint:
        """A sandbox route (control, info, health): ``auth`` only, never rate limited."""
        world, auth = self.world, _require(auth)

        async def endpoint(request: Request) -> Response:
            try:
                world.learn_base_url(request.url.scheme, request.headers.get("host"))
                auth.check(request)
                return await handler(request)
            except ApiError as error:
                return error.response()

        return endpoint

    def page(
        self,
        handler: Endpoint,
        *,
        auth: Auth,
        refused: Callable[[ApiError], Response],
    ) -> Endpoint:
        """A page a browser opens: ``auth``, and a refusal shown by ``refused`` as a page."""
        auth = _require(auth)

        async def endpoint(request: Request) -> Response:
            try:
                auth.check(request)
            except ApiError as error:
                return refused(error)
            return await handler(request)

        return endpoint
