"""A feed with known content at a fixed moment, for snapshots: sends, receipts (some out of
order, a failure of each kind, a message sent elsewhere, one with no final receipt for days)
and a receipts-per-second history, all through the public core and feed APIs."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

from console.app import AgentConsole
from console.core.model import Changes, Delivery, Outbound
from console.live.events import Event, utc_iso

NOW = datetime(2026, 1, 15, 8, 0, 30, tzinfo=UTC).timestamp()
_seqs = itertools.count(1)


def _receipt(umid: str, state: str, at: float, **extra: object) -> Event:
    status: dict[str, object] = {"state": state, "timestamp": utc_iso(at - 0.2)}
    for name in ("detail", "errorCode", "errorMessage"):
        if name in extra:
            status[name] = extra.pop(name)
    payload: dict[str, object] = {"umid": umid, "status": status, **extra}
    namespace = "ChatApps" if "channel" in payload else "SMS"
    return Event(next(_seqs), utc_iso(at), namespace, "outbound_message_status_changed", payload)


def seed_feed(app: AgentConsole, count: int = 40) -> None:
    """`count` messages of one batch sent 30 s before NOW, and their receipts."""
    app.feed.clock = lambda: NOW
    sent_at = NOW - 30
    outbound = []
    for n in range(count):
        umid = f"{n:08x}-5d9b-490a-befb-527d7ff65e6d"
        outbound.append(
            Outbound(
                umid, f"+6591{n:06d}", "Your parcel ships today", sent_at,
                Delivery(umid, "queued"), "sms", f"ac-4f2a9c8e-{n + 1}",
                "49b1435f-5d9b-490a-befb-527d7ff65e6d",
            )
        )  # fmt: skip
    stale = Outbound(
        "7a7a7a7a-old0-4c00-9000-000000000001", "+14155550100", "Reminder", NOW - 3 * 86_400,
        Delivery("7a7a7a7a-old0-4c00-9000-000000000001", "sent"), "sms", "ac-reminder-7", None,
    )  # fmt: skip
    app.feed.apply(Changes(sent=(stale, *outbound)))
    price = {"total": 0.037, "perSms": 0.037, "currency": "EUR"}
    events: list[Event] = []
    for n, row in enumerate(outbound):
        at = sent_at + 1 + n * 0.05
        events.append(_receipt(row.umid, "sent", at, smsCount=1, price=price))
        if n % 9 == 4:
            events.append(
                _receipt(row.umid, "undelivered", at + 2, detail="undelivered_to_recipient",
                         errorCode=46, errorMessage="Subscriber not reachable", smsCount=1)
            )  # fmt: skip
        elif n % 13 == 7:
            events.append(
                _receipt(row.umid, "rejected", at + 1, errorCode=99,
                         errorMessage="Rejected by 8x8", smsCount=1)
            )  # fmt: skip
        elif n < count - 6:
            events.append(
                _receipt(row.umid, "delivered", at + 2, detail="delivered_to_recipient",
                         smsCount=2 if n % 5 == 0 else 1, price=price)
            )  # fmt: skip
    events.append(events[3])  # a duplicate, and a late "sent" after "delivered"
    events.append(_receipt(outbound[0].umid, "sent", sent_at + 0.5))
    events.append(
        _receipt("c0ffee00-1111-4222-8333-444455556666", "read", NOW - 5,
                 channel="WhatsApp", clientMessageId="wa-team-12",
                 user={"msisdn": "+6598765432"})
    )  # fmt: skip
    for second in range(1, 120):  # the last two minutes, before this batch's receipts
        app.feed.rate.add(int(1800 + 400 * ((second * 7) % 11) / 10), NOW - 120 + second)
    app.core.apply_events(events)
