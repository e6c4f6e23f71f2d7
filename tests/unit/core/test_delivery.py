"""Statuses read as a glyph and words, never colour alone, with the error's meaning."""

from __future__ import annotations

from console.core.delivery import (
    CHAT_ERROR_MEANINGS,
    ERROR_MEANINGS,
    explain_error,
    status_label,
)


def test_every_state_has_a_glyph_and_its_name() -> None:
    for state in ("queued", "sent", "delivered", "read", "undelivered", "rejected"):
        label = status_label(state)
        assert state in label
        assert label.split(" ")[0] != "?"


def test_failures_carry_the_meaning_of_their_code() -> None:
    assert (
        status_label("undelivered", error_code=46) == "✗ undelivered · 46 subscriber not reachable"
    )
    assert status_label("rejected", error_code=99).endswith("99 Omni Shield: likely fraud")


def test_unknown_codes_fall_back_to_8x8s_own_message() -> None:
    # 8x8's own message reads like the table's meanings beside it in a list…
    assert explain_error(58, "Message too long for operator") == "58 message too long for operator"
    # …but an acronym or a single CamelCase name keeps its capitals.
    assert explain_error(58, "SMSC down") == "58 SMSC down"
    assert explain_error(58, "AbsentSubscriber") == "58 AbsentSubscriber"
    assert explain_error(47, "Subscriber temporary unavailable") == ("47 subscriber briefly away")
    assert explain_error(58) == "58 no description"
    assert explain_error(None, "Rejected") == "Rejected"


def test_meanings_fit_the_status_column() -> None:
    for code, meaning in ERROR_MEANINGS.items():
        assert len(status_label("undelivered", error_code=code)) <= 44, meaning


def test_a_chat_channels_61_is_whatsapps_closed_window_not_an_sms_timeout() -> None:
    assert explain_error(61, "SessionExpired") == "61 network timeout"  # an SMS receipt
    whatsapp = status_label(
        "undelivered", error_code=61, error_message="SessionExpired", channel="whatsapp"
    )
    assert whatsapp == "✗ undelivered · 61 WhatsApp window closed"
    for code in CHAT_ERROR_MEANINGS:
        assert len(status_label("undelivered", error_code=code, channel="whatsapp")) <= 44
    # the other codes read as before on every channel
    assert explain_error(46, None, "whatsapp") == "46 subscriber not reachable"
    assert explain_error(36, "Expired", "viber") == "36 expired before delivery"
