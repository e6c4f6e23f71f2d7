"""A message's timeline: this run's receipts with their raw payloads, an earlier run's from
the history, times as an agent reads them, numbers masked in the payload."""

from __future__ import annotations

from datetime import date, datetime

from console.feed.timeline import (
    TimelineEntry,
    from_receipts,
    from_stored,
    merged,
    moment_text,
    raw_text,
)
from console.live.events import Receipt
from console.store import Message
from console.store import Receipt as StoredReceipt

T = datetime(2026, 11, 27, 10, 0, 3, 210000).timestamp()  # TZ=UTC in the tests


def test_this_runs_receipts_keep_their_times_source_and_payload() -> None:
    payload = {"umid": "u", "destination": "+6591234567", "status": {"state": "undelivered"}}
    receipt = Receipt(
        "u", "undelivered", "SMS", "2026-11-27T10:00:04.000Z",
        provider_timestamp="2026-11-27T10:00:03.210Z", error_code=46, raw=payload,
    )  # fmt: skip
    (entry,) = from_receipts([receipt])
    assert (entry.status, entry.error, entry.origin) == (
        "✗ undelivered",
        "46 subscriber not reachable",
        "receipt",
    )
    assert entry.provider_at == T
    assert moment_text(entry.provider_at, date(2026, 11, 27)) == "10:00:03.210"
    assert moment_text(entry.arrived_at, date(2026, 11, 28)) == "2026-11-27 10:00:04.000"
    assert moment_text(None, date(2026, 11, 27)) == "—"
    text = raw_text(entry, numbers=["+6591234567"], reveal=False)
    assert '"destination": "+65••••4567"' in text and "6591234567" not in text
    assert "+6591234567" in raw_text(entry, numbers=["+6591234567"], reveal=True)


def test_a_payload_never_reaches_the_terminal_as_control_characters() -> None:
    entry = TimelineEntry("sent", None, "", None, None, "webhook", {"x": "\x1b]52;c;eA==\x07"})
    assert "\x1b" not in raw_text(entry, numbers=[], reveal=False)


def test_entries_without_a_payload_say_why() -> None:
    api = TimelineEntry("queued", None, "", None, T, "api", None)
    assert "send request" in raw_text(api, numbers=[], reveal=False)
    kept = TimelineEntry("sent", None, "", T, T, "history", None)
    assert "No payload was kept" in raw_text(kept, numbers=[], reveal=False)


def test_the_history_adds_what_this_run_did_not_see() -> None:
    stored = Message(
        "u", "ref", "sms", "out", "+6591234567", "hi", "delivered", T - 60,
        timeline=(
            StoredReceipt("sent", T - 59, T - 58.5),
            StoredReceipt("delivered", T - 2, T - 1, error_code="0"),
        ),
    )  # fmt: skip
    history = from_stored(stored)
    assert [entry.origin for entry in history] == ["history", "history"]
    live = [TimelineEntry("delivered", None, "", T - 2, T - 1, "webhook", {"umid": "u"})]
    every = merged(live, history)
    assert [(entry.state, entry.source) for entry in every] == [
        ("sent", "history"),
        ("delivered", "webhook"),
    ], "the same receipt once, with its payload"
    assert merged(live, []) is live


def test_a_payload_this_run_let_go_is_the_historys_copy() -> None:
    """The tracker keeps payloads for the newest receipts only: an older one's comes back
    from the history, which keeps each as it arrived (JSON text)."""
    stored = Message(
        "u", "ref", "sms", "out", "+6591234567", "hi", "delivered", T - 60,
        timeline=(
            StoredReceipt("sent", T - 59, T - 58.5, raw='{"umid":"u","status":{"state":"sent"}}'),
            StoredReceipt("delivered", T - 2, T - 1, raw="not json"),
        ),
    )  # fmt: skip
    live = [TimelineEntry("sent", None, "", T - 59, T - 58.5, "webhook", None)]
    every = merged(live, from_stored(stored))
    assert [(entry.state, entry.source) for entry in every] == [
        ("sent", "webhook"),
        ("delivered", "history"),
    ]
    assert every[0].raw == {"umid": "u", "status": {"state": "sent"}}
    assert every[1].raw == {"payload as kept": "not json"}, "shown as it was kept"
