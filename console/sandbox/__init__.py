"""The sandbox: an ASGI app that imitates 8x8's SMS, Chat Apps and Video Interaction APIs.

Exports load lazily (PEP 562) so importing ``console.sandbox.command`` for ``--help`` stays
cheap: Starlette and uvicorn are imported only when the sandbox is built or served.

Where 8x8 is silent, the sandbox chooses (keep stable; README material):

- Base URL (guest links, default webhook URL): ``SandboxConfig.base_url``, else learned from
  the first request's scheme and Host header. SandboxServer and the ``sandbox`` command set
  it unless bound to a wildcard address.
- SMS: ``clientMessageId`` is null when none was given; batch ``clientBatchId`` and
  ``messages`` (without includeMessagesInResponse) are null. Legacy ``/sms/v1/...`` paths
  answer the modern shapes (8x8's migration guide: payloads and responses unchanged).
  Destinations must match 8x8's pattern and be *possible* numbers (phonenumbers), not
  necessarily assigned ones. GSM7 requested for a text GSM-7 cannot carry: 400 code 1003;
  more than 10 parts: 400 code 1004. Cancelling an unknown batch: ``{"cancelledCount": 0}``;
  an unknown umid: 404 code 1300; a cancelled message ends ``failed`` / ``cancelled``.
- Receipts: ``sent`` after 0.15-0.3 s, ``delivered`` / ``undelivered`` 0.5-3 s after the
  send, ``read`` (WhatsApp only) 1-6 s later; undelivered errors 46, 36, 1, 47, 15. Omni
  Shield: destinations starting with a fraud prefix (default +1 202 555-01xx, a North
  American range reserved for fiction that the console's number checks accept) end
  ``rejected`` errorCode 99. Scripted customers' numbers are always delivered.
- Every delay (receipts, customers, webhook retries, scheduled sends, the 15-minute room
  validity) is divided by ``speed``. A seed fixes outcomes, timing and customers; ids
  (umids, batch ids, guest codes) stay random so reruns never collide in a history.
- Webhooks: 8 workers share one httpx client; events of one message keep their order (a
  later one waits for the earlier one's retries). Chat Apps inbound bodies carry
  ``"version": 3``; inbound SMS go to the sandbox's number (``smsNumber`` in /sandbox/info).
- Chat Apps: the channel is ``channels[0]``, else the customer's own channel, else WhatsApp.
- Video: ``call_reference`` is generated when absent; ``phone_number`` or
  ``call_reference`` without ``create_room: true`` is 400 code 1000. Call logs follow the
  spec's examples plus ``AgentJoinedAt`` / ``GuestJoinedAt``; ``Status`` is ``C`` while the
  room is open, ``E`` once expired.
- Control routes: ``POST /sandbox/inbound`` and ``POST /sandbox/faults`` (arm the next N API
  requests to fail with 500/502/503/504, optionally under a path prefix) need the API key;
  ``GET /sandbox/info``, ``GET /healthz`` and the guest page do not (gate.py: every route
  names its Auth strategy). No route hands out a key: a standalone sandbox's generated key
  goes to a file only its user can read (keyfile.py).
- Input: bodies are strict JSON (no NaN/Infinity, lone surrogates or nesting beyond 1,024)
  and every request is validated completely before anything is queued (messages.py). An
  injected inbound message that could never be delivered (over 35,000 characters, 10 SMS
  parts, or a webhook over the relay's 64 KiB) is a 400.
- Limits: an exact 1-second sliding window per client IP (checked first, even before
  authentication) and per sub-account; control routes, pages and /healthz are not limited.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import create_sandbox_app
    from .server import SandboxServer
    from .settings import SandboxConfig, generate_demo_key

__all__ = ["SandboxConfig", "SandboxServer", "create_sandbox_app", "generate_demo_key"]

_HOMES = {
    "SandboxConfig": "settings",
    "generate_demo_key": "settings",
    "create_sandbox_app": "app",
    "SandboxServer": "server",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    return getattr(import_module(f"{__name__}.{home}"), name)
