"""Feed rows share what many messages have in common (memory flat across a shift)."""

from __future__ import annotations


def test_rows_share_their_frequent_words_and_prices() -> None:
    """A row per message keeps no string of its own for its state, channel, batch, currency
    or error (each a word many rows share), nor a float for a price many messages cost."""
    import json

    from console.core.model import Changes, Delivery
    from console.feed.rows import FeedStore
    from console.live.events import Receipt

    store = FeedStore(max_rows=10)
    for n in range(3):
        payload = json.loads(
            json.dumps(
                {
                    "umid": f"u{n}",
                    "batchId": "batch-1",
                    "destination": f"+659100000{n}",
                    "status": {"state": "undelivered", "timestamp": "2026-11-27T05:00:00Z"},
                    "price": {"total": 0.037, "currency": "EUR"},
                    "smsCount": 1,
                }
            )
        )
        receipt = Receipt.from_webhook("SMS", payload, "2026-11-27T05:00:01.000Z")
        store.apply(Changes(deliveries={receipt.umid: Delivery.from_receipt(receipt)}))
    first, *others = (store.get(f"u{n}") for n in range(3))
    assert first is not None and first.status == "undelivered" and first.price == 0.037
    for row in others:
        assert row is not None
        for name in ("state", "channel", "batch_id", "currency", "price"):
            assert getattr(row, name) is getattr(first, name), name
