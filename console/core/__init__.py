"""The console core: its messages, their deliveries and the customers' messages, with no
Textual and no API client. Screens build on it through the App (``app.core``) and its
``core_changed`` Signal; they never apply events themselves.

- ``service.ConsoleCore`` — events, gaps and sends in; ``model.Changes`` out.
- ``model`` — ``Delivery``, ``Outbound``, ``SentSms``, ``Changes`` (frozen values).
- ``tracker.DeliveryTracker`` and ``tracker.Accepted`` — forward-only statuses by umid.
- ``delivery`` — how a status reads (glyph, words, 8x8 error meanings).
- ``inbound`` — a customer's message, one shape for every channel.
- ``sending.SmsSender`` — sending SMS (chunks, clientMessageIds, pairing); the one module
  here that talks to the API layer, so it is imported on its own, not from this package.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from console.core.inbound import InboundMessage
    from console.core.model import Changes, Delivery, Outbound, SentSms
    from console.core.service import ConsoleCore
    from console.core.tracker import Accepted, DeliveryTracker

# Imported on first use (PEP 562): `from console.core.hotlist import …` on the first screen
# must not build every dataclass and regex of the core before the first frame.
_EXPORTS = {
    "Accepted": "console.core.tracker",
    "Changes": "console.core.model",
    "ConsoleCore": "console.core.service",
    "Delivery": "console.core.model",
    "DeliveryTracker": "console.core.tracker",
    "InboundMessage": "console.core.inbound",
    "Outbound": "console.core.model",
    "SentSms": "console.core.model",
}

__all__ = [
    "Accepted",
    "Changes",
    "ConsoleCore",
    "Delivery",
    "DeliveryTracker",
    "InboundMessage",
    "Outbound",
    "SentSms",
]


def __getattr__(name: str) -> object:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'console.core' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value
