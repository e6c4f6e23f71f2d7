"""`CpaasClient`: the async httpx client for 8x8's SMS, Chat Apps and Video Interaction APIs.

It talks to 8x8 or to the sandbox alike (`console.config.Endpoints` holds one base URL per
product) and turns every failure into an `ApiError` (console/api/errors.py).

Retries, in one place (`_call`):

* 429: wait what `Retry-After` says (plus up to 10 % so concurrent callers don't come back
  in lockstep), holding back every request of this client meanwhile, then try again. The
  total waited on 429s is bounded by `max_retry_wait`; if the server asks for more than
  that, `RateLimited` is raised at once.
* 5xx, connection errors and timeouts: up to `max_attempts` attempts, with exponential
  backoff and full jitter between them.
* Any other 4xx: raised at once, never retried.

Retrying a send is safe because every send carries a `clientMessageId`: the caller's, or one
generated here *before the first attempt*, so each retry repeats the same id and the server
can treat the repeat as the same message. That is what makes it safe to retry even a POST
that timed out after it may already have reached the server. (8x8's OpenAPI files do not
spell out deduplication by clientMessageId; the sandbox answers a repeated clientMessageId
or clientBatchId with the first answer — console/sandbox/replays.py — and where a server
does not deduplicate, the repeat at least carries the same id, so its receipts are
recognisably the same message's.) A batch
given as `destinations` + `template` has no per-message ids; it is retried only when the
request certainly was not processed (connection refused or not established, 429).

A client-side limiter (console/api/ratelimit.py) keeps all calls of one client together
under `rate_limit` requests per second.

The API key is sent as `Authorization: Bearer <key>` and nowhere else: it is not in any
exception, repr or log line (httpx masks the header in its own reprs).
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any, Literal, Self
from urllib.parse import quote, urlencode, urlsplit

import httpx

from console import __version__
from console.api.account import (
    OUTCOMES,
    Balance,
    PriceList,
    WebhookConfig,
    WebhookProduct,
    webhooks_from_json,
)
from console.api.errors import (
    BATCH_LIMIT,
    ApiError,
    BatchTooLarge,
    NetworkError,
    NotFound,
    RateLimited,
    RequestTimedOut,
    ServerError,
    UnexpectedResponse,
    error_from_response,
    parse_retry_after,
)
from console.api.models import (
    AgentToken,
    CallLog,
    CallLogPage,
    ChatAccepted,
    ChatMessage,
    Room,
    SmsAccepted,
    SmsBatchResult,
    SmsDetails,
    SmsMessage,
    SmsTemplate,
)
from console.api.ratelimit import Clock, RateLimiter, Sleep
from console.api.templates import Template, templates_from_json
from console.config import Endpoints, mask_key

log = logging.getLogger(__name__)

USER_AGENT = f"agent-console/{__version__}"
BACKOFF_BASE = 0.5  # seconds; attempt n waits a random share of base * 2**(n-1) ...
BACKOFF_CAP = 8.0  # ... never more than this
RATE_LIMIT_SPREAD = 0.1  # a 429 wait is Retry-After × (1 + up to this share)
CLIENT_BATCH_ID_MAX = 20

Product = Literal["sms", "chatapps", "video"]
OnRetry = Callable[[int, ApiError, float], object]
"""on_retry(attempt, reason, wait): `attempt` is the number of the attempt about to be made
(2, 3, …), `reason` the ApiError that caused the retry, `wait` the seconds before it."""


def new_message_id() -> str:
    """A clientMessageId for a send that has none: 32 hex chars (8x8 takes up to 50/350)."""
    return uuid.uuid4().hex


class CpaasClient:
    """Async client for one sub-account. Use `async with CpaasClient(...) as api:` or call
    `aclose()` when done. All methods raise `ApiError` subclasses on failure.

    `transport` replaces httpx's network transport (tests); `sleep`, `rng` and `clock` are
    injectable so retry waits can be observed without waiting.
    """

    def __init__(
        self,
        endpoints: Endpoints,
        api_key: str,
        subaccount: str,
        *,
        timeout: float = 10.0,
        max_attempts: int = 4,
        max_retry_wait: float = 30.0,
        rate_limit: float = 1800.0,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Sleep = asyncio.sleep,
        rng: Callable[[], float] = random.random,
        clock: Clock = time.monotonic,
        on_retry: OnRetry | None = None,
    ) -> None:
        if not api_key or not all(33 <= ord(char) <= 126 for char in api_key):
            # Don't echo the key: it may be half a secret pasted with a stray character.
            raise ValueError(
                "The API key is empty or has spaces or characters an HTTP header cannot carry: "
                "paste it again."
            )
        if not subaccount:
            raise ValueError("A sub-account is needed.")
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.endpoints = endpoints
        self.subaccount = subaccount
        self.timeout = timeout
        self.max_attempts = max_attempts
        self.max_retry_wait = max_retry_wait
        self.on_retry = on_retry
        self._masked_key = mask_key(api_key)
        self._sleep = sleep
        self._rng = rng
        self._limiter = RateLimiter(rate_limit, clock=clock, sleep=sleep)
        self._http = httpx.AsyncClient(
            transport=transport,
            # Waiting for a free pooled connection is not a network fault: no pool timeout.
            timeout=httpx.Timeout(timeout, pool=None),
            headers={
                "Authorization": f"Bearer {api_key}",
                "User-Agent": USER_AGENT,
                "Accept": "application/json",
            },
            follow_redirects=False,
        )
        sub = quote(subaccount, safe="&")
        self._sms = f"{endpoints.sms.rstrip('/')}/api/v1/subaccounts/{sub}/messages"
        self._chat = f"{endpoints.chatapps.rstrip('/')}/api/v1/subaccounts/{sub}/messages"
        self._tokens = f"{endpoints.video.rstrip('/')}/api/v1/tokens"

    def __repr__(self) -> str:
        return (
            f"CpaasClient({self.endpoints.label!r}, subaccount={self.subaccount!r}, "
            f"key={self._masked_key})"
        )

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # ------------------------------------------------------------------ Video Interaction

    async def create_agent_token(self) -> AgentToken:
        """POST /api/v1/tokens with an empty body: a login token for the agent."""
        response = await self._call("POST", self._tokens)
        return self._parse(response, lambda data: AgentToken.from_json(data, self.endpoints.video))

    async def call_logs(
        self,
        x_token: str,
        *,
        query: str | None = None,
        since: date | None = None,
        until: date | None = None,
        cursor: str | None = None,
    ) -> CallLogPage:
        """GET /api/v1/call-logs: past and current calls, newest first, one page (8x8 pages
        with `cursor`). `query` matches a call reference or a phone number; `x_token` is any
        Video Interaction token of this account (POST /api/v1/tokens)."""
        params = {
            "q": query,
            "from": since.isoformat() if since else None,
            "to": until.isoformat() if until else None,
            "cursor": cursor,
        }
        present = {key: value for key, value in params.items() if value}
        url = self._video_url("/api/v1/call-logs")
        if present:
            url += "?" + urlencode(present)
        response = await self._call("GET", url, headers={"x-token": x_token})
        return self._parse(response, CallLogPage.from_json)

    async def call_detail(self, x_token: str, call_id: str) -> CallLog:
        """GET /api/v1/calls/{id}: one call's report (created, finished, duration, status)."""
        url = self._video_url(f"/api/v1/calls/{_segment(call_id)}")
        response = await self._call("GET", url, headers={"x-token": x_token})
        return self._parse(response, lambda data: CallLog.from_json(data, call_id=call_id))

    def _video_url(self, path: str) -> str:
        return self.endpoints.video.rstrip("/") + path

    async def create_room(
        self, phone_number: str | None = None, call_reference: str | None = None
    ) -> Room:
        """Create a room, valid 15 minutes. With `phone_number`, 8x8 texts the guest link to it
        when an agent logs in with the room's token.

        Field checks (international number, 8–20 char reference) are the screen's job; this
        sends what it is given. A retry may create a second room, which is harmless: a room
        whose token is never used sends no SMS and expires.
        """
        body: dict[str, Any] = {"create_room": True}
        if phone_number is not None:
            body["phone_number"] = phone_number
        if call_reference is not None:
            body["call_reference"] = call_reference
        response = await self._call("POST", self._tokens, body=body)
        # The room started when the successful request was sent, not when its answer came.
        created_at = datetime.now(UTC) - response.elapsed
        return self._parse(
            response, lambda data: Room.from_json(data, created_at, self.endpoints.video)
        )

    # ------------------------------------------------------------------ SMS

    async def send_sms(self, message: SmsMessage) -> SmsAccepted:
        """Send one SMS. 8x8 answers QUEUED or REJECTED (`SmsAccepted.accepted`)."""
        accepted: SmsAccepted = await self._send_one(self._sms, message, SmsAccepted.from_json)
        return accepted

    async def send_sms_batch(
        self,
        messages: Sequence[SmsMessage] | None = None,
        destinations: Sequence[str] | None = None,
        template: SmsTemplate | None = None,
        client_batch_id: str | None = None,
        include_messages: bool = True,
    ) -> SmsBatchResult:
        """Send up to 10,000 SMS in one request: either `messages`, or `destinations` with a
        `template` merged into each. A bad entry comes back as a REJECTED item, not an error.

        Raises `BatchTooLarge` (a ValueError and a ValidationFailed, code 1100) above 10,000
        before sending anything; splitting into parts is the caller's job.
        """
        if (messages is None) == (destinations is None):
            raise ValueError("Give either messages or destinations (with a template), not both.")
        items: Sequence[object] = messages if messages is not None else (destinations or ())
        if len(items) > BATCH_LIMIT:
            raise BatchTooLarge(len(items))
        if not items:
            raise ValueError("A batch needs at least one message.")
        body: dict[str, Any] = {
            "clientBatchId": client_batch_id or new_message_id()[:CLIENT_BATCH_ID_MAX],
        }
        if messages is not None:
            body["messages"] = [
                (
                    message
                    if message.client_message_id is not None
                    else replace(message, client_message_id=new_message_id())
                ).to_json()
                for message in messages
            ]
        else:
            body["destinations"] = list(destinations or ())
        if template is not None:
            body["template"] = template.to_json()
        body["includeMessagesInResponse"] = include_messages
        # Every message has a clientMessageId, so a retried `messages` batch cannot send twice;
        # a `destinations` batch has none and is only retried when it surely wasn't processed.
        response = await self._call(
            "POST", f"{self._sms}/batch", body=body, replay_safe=messages is not None
        )
        return self._parse(response, SmsBatchResult.from_json)

    async def cancel_sms(self, umid: str) -> int:
        """Cancel a scheduled SMS; returns how many were cancelled (0 if already sent)."""
        response = await self._call("DELETE", f"{self._sms}/{_segment(umid)}")
        return self._parse(response, _cancelled_count)

    async def cancel_sms_batch(self, batch_id: str) -> int:
        """Cancel the scheduled messages of a batch; returns how many were cancelled."""
        response = await self._call("DELETE", f"{self._sms}/batch/{_segment(batch_id)}")
        return self._parse(response, _cancelled_count)

    async def sms_details(self, umid: str) -> SmsDetails:
        """GET one SMS's details and current status (8x8 masks the number and body)."""
        response = await self._call("GET", f"{self._sms}/{_segment(umid)}")
        return self._parse(response, SmsDetails.from_json)

    async def verify(self) -> None:
        """Prove that the key and sub-account work, cheaply and without sending anything.

        It asks for the SMS details of a random message id. 8x8 checks the key and the
        sub-account before it looks the message up, so 404 (no such message) means we are
        logged in; 401 raises `Unauthenticated` (1200: bad key; 1001: sub-account not the
        key's). Network failures raise as usual.
        """
        try:
            await self._call("GET", f"{self._sms}/{uuid.uuid4()}")
        except NotFound:
            return

    async def send_feedback(
        self, umid: str, outcome: str, timestamp: datetime | None = None
    ) -> None:
        """Tell 8x8 whether an SMS did what it was for (an OTP entered: "success")."""
        if outcome not in OUTCOMES:
            raise ValueError("outcome must be success or failure")
        body: dict[str, Any] = {"outcome": outcome}
        if timestamp is not None:
            body["timestamp"] = timestamp.astimezone(UTC).isoformat().replace("+00:00", "Z")
        # Reporting the same outcome twice changes nothing: safe to retry.
        await self._call("POST", f"{self._sms}/{_segment(umid)}/feedback", body=body)

    # ------------------------------------------------------------------ the account

    def _account(self, product: str, account_id: str, what: str) -> str:
        base = self.endpoints.sms if product == "sms" else self.endpoints.chatapps
        if product not in ("sms", "chatapps"):
            raise ValueError(f"product must be sms or chatapps, not {product!r}")
        return f"{base.rstrip('/')}/api/v1/accounts/{_segment(account_id)}/{what}"

    async def balance(self, account_id: str) -> Balance:
        """The account's prepaid balance (8x8 answers 403 code 1201 for post-paid accounts)."""
        response = await self._call("GET", self._account("sms", account_id, "balance"))
        return self._parse(response, Balance.from_json)

    async def prices(self, account_id: str, country: str | None = None) -> PriceList:
        """The SMS price list of this sub-account: one country's operators, or every one."""
        url = self._account("sms", account_id, "prices")
        query = {"subAccountId": self.subaccount, "direction": "outbound"}
        if country:
            query["country"] = country.upper()
        response = await self._call("GET", url + "?" + urlencode(query))
        return self._parse(response, PriceList.from_json)

    async def webhooks(self, product: WebhookProduct, account_id: str) -> list[WebhookConfig]:
        """The webhooks configured for one product (SMS, or Chat Apps) of the account."""
        response = await self._call("GET", self._account(product, account_id, "webhooks"))
        return self._parse(
            response, lambda data: webhooks_from_json(product, data), require_object=False
        )

    async def put_webhooks(
        self, product: WebhookProduct, account_id: str, hooks: Sequence[WebhookConfig]
    ) -> None:
        """Create or replace webhooks (same sub-account scope and type: replaced)."""
        body = [hook.to_json() for hook in hooks]
        await self._call("POST", self._account(product, account_id, "webhooks"), body=body)

    async def delete_webhooks(
        self, product: WebhookProduct, account_id: str, hooks: Sequence[WebhookConfig]
    ) -> None:
        """Delete webhooks, named by their sub-account scope and type."""
        body = [{"subAccountId": hook.subaccount, "type": hook.type} for hook in hooks]
        await self._call(
            "DELETE", self._account(product, account_id, "webhooks"), body=body, replay_safe=False
        )

    # ------------------------------------------------------------------ Chat Apps

    async def send_chat(self, message: ChatMessage) -> ChatAccepted:
        """Send a Chat Apps message (text by default), with an optional fallback list."""
        accepted: ChatAccepted = await self._send_one(self._chat, message, ChatAccepted.from_json)
        return accepted

    async def _send_one(
        self, url: str, message: SmsMessage | ChatMessage, build: Callable[[Any], Any]
    ) -> Any:
        """One message (an SMS or a Chat Apps message), sent with its `clientMessageId` (made
        here when the caller gave none, so a retry is never a second send); the answer names
        it even when 8x8's does not."""
        if message.client_message_id is None:
            message = replace(message, client_message_id=new_message_id())
        response = await self._call("POST", url, body=message.to_json())
        accepted = self._parse(response, build)
        if accepted.client_message_id is None:
            accepted = replace(accepted, client_message_id=message.client_message_id)
        return accepted

    async def list_templates(self, account_id: str, channel_id: str) -> list[Template]:
        """The WhatsApp templates registered on one channel of the account, as 8x8 lists
        them (every status: the caller offers the approved ones)."""
        url = self._account("chatapps", account_id, f"channels/{_segment(channel_id)}/templates")
        response = await self._call("GET", url)
        return self._parse(response, templates_from_json)

    async def mark_read(self, umid: str) -> None:
        """Mark an inbound Chat Apps message as read (WhatsApp shows the blue ticks)."""
        await self._call("POST", f"{self._chat}/{_segment(umid)}/read")

    # ------------------------------------------------------------------ escape hatch

    async def request_json(
        self,
        product: Product,
        method: str,
        path: str,
        body: Any = None,
        *,
        replay_safe: bool = False,
    ) -> Any:
        """Call an endpoint that has no typed method yet, with the same auth, limiter,
        retries and error mapping; returns the decoded JSON (None for an empty body).

        `path` is appended to the product's base URL (e.g. "/api/v1/subaccounts/x/messages").
        Set `replay_safe` only if repeating the request cannot do anything twice.
        """
        bases = {
            "sms": self.endpoints.sms,
            "chatapps": self.endpoints.chatapps,
            "video": self.endpoints.video,
        }
        if product not in bases:
            raise ValueError(f"product must be sms, chatapps or video, not {product!r}")
        base = bases[product]
        response = await self._call(
            method.upper(), base.rstrip("/") + path, body=body, replay_safe=replay_safe
        )
        if not response.content:
            return None
        return self._parse(response, lambda data: data, require_object=False)

    # ------------------------------------------------------------------ machinery

    async def _call(
        self,
        method: str,
        url: str,
        *,
        body: Any = None,
        replay_safe: bool = True,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """Send one request with the limiter and the retry policy; return a 2xx response."""
        content = (
            None
            if body is None
            else json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
        )
        extra = dict(headers or {})
        if method in ("POST", "PUT") or content is not None:  # a DELETE may carry a body too
            extra["Content-Type"] = "application/json"
        target = urlsplit(url)
        host, path = target.netloc, target.path
        attempt = 0  # every request made
        counted = 0  # those that count towards max_attempts (all but 429s)
        limited_for = 0.0  # seconds waited on 429s so far
        while True:
            attempt += 1
            await self._limiter.acquire()
            may_have_run = True  # could the server have acted on this request?
            transient = True
            cause: Exception | None = None
            answer: httpx.Response | None = None
            try:
                response = await self._http.request(
                    method, url, content=content, headers=extra or None
                )
            except httpx.TimeoutException as exc:
                # A read/write timeout on a POST may mean the server already acted on it.
                # Retrying it is still safe for sends because the body carries the same
                # clientMessageId on every attempt, which makes the send idempotent; calls
                # without such an id pass replay_safe=False and are not retried here.
                may_have_run = not isinstance(exc, (httpx.ConnectTimeout, httpx.PoolTimeout))
                error: ApiError = RequestTimedOut(
                    f"{type(exc).__name__}: no answer within {self.timeout} s",
                    host=host,
                    timeout=self.timeout,
                )
                cause = exc
            except httpx.ConnectError as exc:
                may_have_run = False
                error, cause = NetworkError(f"could not connect: {exc}", host=host), exc
            except (httpx.NetworkError, httpx.RemoteProtocolError, httpx.ProxyError) as exc:
                error, cause = NetworkError(f"{type(exc).__name__}: {exc}", host=host), exc
            except (httpx.TransportError, httpx.InvalidURL) as exc:
                # A bad URL or scheme: retrying cannot help.
                error = NetworkError(f"{type(exc).__name__}: {exc}", host=host or url)
                error.attempts = attempt
                raise error from exc
            else:
                elapsed_ms = response.elapsed.total_seconds() * 1000
                log.debug(
                    "%s %s%s -> %s in %.0f ms", method, host, path, response.status_code, elapsed_ms
                )
                if response.is_success:
                    return response
                answer = response
                error = error_from_response(
                    response.status_code, response.headers, response.content, host=host
                )
                transient = isinstance(error, (RateLimited, ServerError))
                may_have_run = not isinstance(error, RateLimited)
            error.attempts = attempt
            if cause is not None:
                error.__cause__ = cause

            if isinstance(error, RateLimited):
                wait = error.retry_after * (1 + RATE_LIMIT_SPREAD * self._rng())
                if (
                    error.retry_after > self.max_retry_wait
                    or limited_for + wait > self.max_retry_wait
                ):
                    error.waited = limited_for
                    raise error
                limited_for += wait
                # 429 is about the whole sub-account: hold back this client's other calls too.
                self._limiter.defer(wait)
            else:
                counted += 1
                if not transient or counted >= self.max_attempts:
                    raise error
                if may_have_run and not replay_safe:
                    raise error
                wait = self._backoff(counted, answer)
            self._notify_retry(attempt + 1, error, wait, method, host + path)
            await self._sleep(wait)

    def _backoff(self, failures: int, response: httpx.Response | None) -> float:
        """Full jitter: a random wait in [0, min(cap, base·2^(n-1))]; a 5xx's own
        Retry-After (e.g. 503) is honoured when it is within max_retry_wait."""
        wait = self._rng() * min(BACKOFF_CAP, BACKOFF_BASE * 2 ** (failures - 1))
        if response is not None and (header := response.headers.get("retry-after")):
            asked = parse_retry_after(header)
            if asked <= self.max_retry_wait:
                wait = max(wait, asked)
        return wait

    def _notify_retry(
        self, attempt: int, error: ApiError, wait: float, method: str, where: str
    ) -> None:
        log.info("%s %s: %r; attempt %d in %.2f s", method, where, error, attempt, wait)
        if self.on_retry is None:
            return
        try:
            self.on_retry(attempt, error, wait)
        except Exception:  # a display callback must never break a send
            log.exception("on_retry callback failed")

    def _parse(
        self,
        response: httpx.Response,
        build: Callable[[Any], Any],
        *,
        require_object: bool = True,
    ) -> Any:
        host = urlsplit(str(response.request.url)).netloc
        try:
            data = response.json()
            if require_object and not isinstance(data, Mapping):
                raise TypeError("not a JSON object")
            return build(data)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise UnexpectedResponse(
                f"unreadable answer: {type(exc).__name__}: {exc}",
                status=response.status_code,
                host=host,
            ) from exc


def _segment(value: str) -> str:
    """One path segment, escaped (an id never changes the path)."""
    return quote(value, safe="")


def _cancelled_count(data: Mapping[str, Any]) -> int:
    count = data["cancelledCount"]
    if isinstance(count, bool) or not isinstance(count, int):
        raise TypeError("cancelledCount is not an integer")
    return count
