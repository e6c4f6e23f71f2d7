"""The Tools section's dialogs: a new webhook, and the relay to point 8x8's webhooks at.
They check their fields (a message at the field, nothing returned) and return values."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Checkbox, Label, Select, Static

from console.api.account import TYPE_LABELS, WEBHOOK_TYPES, WebhookConfig
from console.api.relay_setup import MAX_URL, check_relay_input
from console.screens.form_dialog import FormDialog
from console.widgets.text_input import TextInput

PRODUCT_CHOICES = [("SMS", "sms"), ("Chat Apps", "chatapps")]


class WebhookDialog(FormDialog[WebhookConfig]):
    """Product, sub-account scope, type, URL, an optional Authorization, enabled."""

    BINDINGS = [
        Binding(
            "escape",
            "dismiss(None)",
            "Cancel",
            id="tools.webhook.cancel",
            tooltip="Close without creating",
        )
    ]

    def __init__(self, subaccount: str) -> None:
        super().__init__()
        self._subaccount = subaccount

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog-body"):
            yield Static("New webhook", classes="dialog-title")
            yield Label("Product")
            yield Select(PRODUCT_CHOICES, value="sms", allow_blank=False, id="product")
            yield Label("Sub-account (* for every one)")
            yield TextInput(self._subaccount, id="scope")
            yield from self.field_error("scope")
            yield Label("Events")
            yield Select(
                [(f"{kind} · {TYPE_LABELS[kind]}", kind) for kind in WEBHOOK_TYPES],
                value="DR",
                allow_blank=False,
                id="type",
            )
            yield Label("URL")
            yield TextInput(placeholder="https://relay.example.com/webhooks/sms", id="url")
            yield from self.field_error("url")
            yield Label("Authorization header (optional; never shown again)")
            yield TextInput(password=True, id="authorization")
            yield from self.field_error("authorization")
            yield Checkbox("Enabled", value=True, id="enabled")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Create", id="create", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#url", TextInput).focus()

    @on(TextInput.Submitted)
    @on(Button.Pressed, "#create")
    def _create(self) -> None:
        scope = self.query_one("#scope", TextInput).value.strip()
        url = self.query_one("#url", TextInput).value.strip()
        authorization = self.query_one("#authorization", TextInput).value
        problems = check_relay_input(url, authorization or "-")
        import re

        scope_ok = scope == "*" or re.fullmatch(r"[A-Za-z0-9\-._&]{3,50}", scope) is not None
        self.problem("scope", "" if scope_ok else "A sub-account id (3-50 characters) or *")
        url_problem = problems.get("relay-url", "")
        if url_problem and len(url) <= MAX_URL:
            url_problem = "A webhook URL: http:// or https://"
        self.problem("url", url_problem)
        auth_problem = problems.get("relay-secret", "") if authorization else ""
        self.problem("authorization", auth_problem)
        if not scope_ok or url_problem or auth_problem:
            return
        product = str(self.query_one("#product", Select).value)
        kind = str(self.query_one("#type", Select).value)
        enabled = self.query_one("#enabled", Checkbox).value
        self.dismiss(WebhookConfig(product, scope, kind, url, enabled, authorization or None))


@dataclass(frozen=True, slots=True)
class RelayRequest:
    url: str
    secret: str


class RelayDialog(FormDialog[RelayRequest]):
    """The relay's public URL and its webhook secret."""

    BINDINGS = [
        Binding(
            "escape",
            "dismiss(None)",
            "Cancel",
            id="tools.relay.cancel",
            tooltip="Close without changing anything",
        )
    ]

    def __init__(self, url: str = "", secret: str = "") -> None:
        super().__init__()
        self._url = url
        self._secret = secret  # the embedded sandbox's own: the demo completes with Enter

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog-body"):
            yield Static("Point 8x8's webhooks at my relay", classes="dialog-title")
            yield Static(
                "Creates or updates the SMS and Chat Apps webhooks of this sub-account to "
                "<relay>/webhooks/sms and …/chatapps with the secret as their Authorization, "
                "then proves the path with a receipt.",
                markup=False,
            )
            yield Label("Relay's public URL")
            yield TextInput(self._url, placeholder="https://relay.example.com", id="relay-url")
            yield from self.field_error("relay-url")
            yield Label(
                "Webhook secret (the demo sandbox's relay: filled in)"
                if self._secret
                else "Webhook secret (the relay's AGENT_CONSOLE_WEBHOOK_SECRET)"
            )
            yield TextInput(self._secret, password=True, id="relay-secret")
            yield from self.field_error("relay-secret")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Point and prove", id="point", variant="primary")

    def on_mount(self) -> None:
        if self._url and self._secret:
            self.query_one("#point", Button).focus()
        else:
            self.query_one("#relay-secret" if self._url else "#relay-url", TextInput).focus()

    @on(TextInput.Submitted)
    @on(Button.Pressed, "#point")
    def _point(self) -> None:
        url = self.query_one("#relay-url", TextInput).value.strip()
        secret = self.query_one("#relay-secret", TextInput).value
        problems = check_relay_input(url, secret)
        for field in ("relay-url", "relay-secret"):
            self.problem(field, problems.get(field, ""))
        if problems:
            self.query_one(f"#{next(iter(problems))}", TextInput).focus()
            return
        self.dismiss(RelayRequest(url, secret))
