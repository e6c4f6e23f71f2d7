"""The account's webhook configuration: defaults, the most specific webhook wins, disabled
and deleted webhooks send nothing."""

from __future__ import annotations

from console.sandbox.hooks import Route, Webhook, WebhookBook


def book(base: str | None = "http://relay") -> WebhookBook:
    return WebhookBook(lambda: base, "S")


def test_defaults_follow_the_command_line() -> None:
    hooks = book()
    assert hooks.route("sms", "receipts", "acme") == Route("http://relay/sms", "S")
    assert hooks.route("sms", "inbound", "acme") == Route("http://relay/sms", "S")
    assert hooks.route("chatapps", "inbound", "acme") == Route("http://relay/chatapps", "S")
    assert [h.type for h in hooks.webhooks("sms")] == ["DR", "MO"]
    assert book(None).route("sms", "receipts", "acme") is None  # nowhere known yet


def test_the_sub_accounts_own_webhook_wins_over_star() -> None:
    hooks = book()
    hooks.put(Webhook("sms", "acme", "DR", "https://mine/dr", "T"))
    assert hooks.route("sms", "receipts", "acme") == Route("https://mine/dr", "T")
    assert hooks.route("sms", "receipts", "other") == Route("http://relay/sms", "S")
    assert hooks.route("chatapps", "receipts", "acme") == Route("http://relay/chatapps", "S")


def test_msg_carries_sms_inbound_when_there_is_no_mo() -> None:
    hooks = book()
    assert hooks.delete("sms", "*", "MO")
    assert hooks.route("sms", "inbound", "acme") is None
    hooks.put(Webhook("sms", "*", "MSG", "https://all/in"))
    assert hooks.route("sms", "inbound", "acme") == Route("https://all/in", None)


def test_disabled_or_deleted_sends_nothing() -> None:
    hooks = book()
    assert hooks.set_enabled("sms", "*", "DR", False)
    assert hooks.route("sms", "receipts", "acme") is None
    assert hooks.set_enabled("sms", "*", "DR", True)
    assert hooks.route("sms", "receipts", "acme") is not None
    assert hooks.delete("sms", "*", "DR") and not hooks.delete("sms", "*", "DR")
    assert hooks.route("sms", "receipts", "acme") is None
    assert Webhook("sms", "*", "DR", "u", "secret").as_json()["httpAuthorization"] == "secret"
