"""The Shield's dialogs: suspend an operator or a number prefix (an expiry is required), and
record an OTP's outcome (8x8's SMS feedback). They check their fields and return values;
the Shield screen does the rest."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Label, Static

from console.core.suspensions import Kind, SuspensionError, parse_duration, parse_target
from console.screens.form_dialog import FormDialog
from console.widgets.text_input import TextInput


@dataclass(frozen=True, slots=True)
class SuspendRequest:
    kind: Kind
    target: str
    country: str | None
    seconds: float


class SuspendDialog(FormDialog[SuspendRequest]):
    """Target (an operator with its country, or +prefix) and a required expiry."""

    BINDINGS = [
        Binding(
            "escape",
            "dismiss(None)",
            "Cancel",
            id="shield.suspend.cancel",
            tooltip="Close without suspending",
        ),
    ]

    def __init__(self, target: str = "", duration: str = "1h") -> None:
        super().__init__()
        self._target = target
        self._duration = duration

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog-body"):
            yield Static("Suspend sending", classes="dialog-title")
            yield Label("Operator (with its country) or number prefix")
            yield TextInput(
                self._target, placeholder="Indosat Ooredoo Hutchison (ID) or +62857", id="target"
            )
            yield from self.field_error("target")
            yield Label("Expires after (required: 30m, 2h, 1d; at most 30 days)")
            yield TextInput(self._duration, placeholder="1h", id="duration")
            yield from self.field_error("duration")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Suspend", id="suspend", variant="error")

    def on_mount(self) -> None:
        self.query_one("#target" if not self._target else "#duration", TextInput).focus()

    @on(TextInput.Submitted)
    @on(Button.Pressed, "#suspend")
    def _submit(self) -> None:
        target = self.query_one("#target", TextInput).value
        duration = self.query_one("#duration", TextInput).value
        request: SuspendRequest | None = None
        seconds = None
        try:
            kind, name, country = parse_target(target)
            self.problem("target", "")
        except SuspensionError as error:
            self.problem("target", str(error))
            kind = None
        try:
            seconds = parse_duration(duration)
            self.problem("duration", "")
        except SuspensionError as error:
            self.problem("duration", str(error))
        if kind is not None and seconds is not None:
            request = SuspendRequest(kind, name, country, seconds)
            self.dismiss(request)
            return
        field = "#target" if kind is None else "#duration"
        self.query_one(field, TextInput).focus()


@dataclass(frozen=True, slots=True)
class FeedbackRequest:
    umid: str
    outcome: str


class FeedbackDialog(FormDialog[FeedbackRequest]):
    """Which message (its umid) and whether its OTP was entered."""

    BINDINGS = [
        Binding(
            "escape",
            "dismiss(None)",
            "Cancel",
            id="shield.feedback.cancel",
            tooltip="Close without sending",
        ),
    ]

    def __init__(self, umid: str = "") -> None:
        super().__init__()
        self._umid = umid

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog-body"):
            yield Static(
                "Record an OTP's outcome (sent to 8x8 as feedback)", classes="dialog-title"
            )
            yield Label("Message (umid)")
            yield TextInput(self._umid, placeholder="the umid of an SMS you sent", id="umid")
            yield from self.field_error("umid")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("✗ Not entered", id="failure")
                yield Button("✓ Entered", id="success", variant="success")

    def on_mount(self) -> None:
        self.query_one("#success" if self._umid else "#umid").focus()

    @on(Button.Pressed, "#success")
    @on(Button.Pressed, "#failure")
    def _outcome(self, event: Button.Pressed) -> None:
        umid = self.query_one("#umid", TextInput).value.strip()
        if not umid or len(umid) > 100 or not umid.isprintable():
            self.problem("umid", "Give the umid of the message (the composer copies it with c)")
            self.query_one("#umid", TextInput).focus()
            return
        self.dismiss(FeedbackRequest(umid, event.button.id or "failure"))
