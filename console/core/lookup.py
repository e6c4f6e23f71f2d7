"""Asking 8x8 where a message stands (``GET /messages/{umid}``), for a message whose receipts
are missing. UI-free; run it inside a worker.

Like ``sending``, this module talks to the API layer: it turns 8x8's answer into the core's
own :class:`~console.live.events.Receipt` (source ``"lookup"``), which the screen hands to
``ConsoleCore.apply_lookup`` so the answer moves the message forward like any receipt. It is
imported on its own, never from ``console.core``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from console.live.events import Price, Receipt, normalize_state, utc_iso

if TYPE_CHECKING:
    from console.api.models import SmsDetails


class StatusGateway(Protocol):
    """The part of the API client a lookup needs (`CpaasClient` is one)."""

    async def sms_details(self, umid: str) -> SmsDetails: ...


def receipt_from_details(details: SmsDetails, received_at: str | None = None) -> Receipt:
    """8x8's answer as a receipt of source "lookup" (its number comes back masked: not kept)."""
    status = details.status
    price = details.price
    return Receipt(
        umid=details.umid,
        state=normalize_state(status.state or "unknown"),
        namespace="SMS",
        received_at=received_at or utc_iso(),
        provider_timestamp=(
            None
            if status.timestamp is None
            else status.timestamp.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        ),
        detail=status.detail,
        error_code=status.error_code,
        error_message=status.error_message,
        channel="sms",
        client_message_id=details.client_message_id,
        source="lookup",
        raw=details.raw,
        batch_id=details.batch_id,
        sms_count=details.sms_count or None,
        price=None if price is None else Price(price.total, price.currency, price.per_sms),
    )


async def look_up(gateway: StatusGateway, umid: str) -> Receipt:
    """Ask 8x8 for one SMS's status now. Raises the API layer's ApiError when it cannot
    answer (404 for a umid it does not know, 401, a timeout…): its `readable` says why."""
    details = await gateway.sms_details(umid)
    return receipt_from_details(details)
